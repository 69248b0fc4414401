import { createHash } from 'node:crypto';
import { softmax } from './calibrate.js';
import { CHAR_PREFIX, charGrams, extract, WORD_PREFIX, type TextFeatures } from './features.js';
import { scores, type LinearModel } from './svm.js';
import { SERIALIZED_FORMAT, SERIALIZED_FORMAT_VERSION, type FeatureWeight, type Prediction, type SerializedClassifier, type TextClassifier } from './types.js';
import type { SparseVector, Vectorizer } from './vectorizer.js';

const RANKED = 5;
const EXPLAINED = 5;

export interface ModelParts {
  labels: readonly string[];
  vectorizer: Vectorizer;
  model: LinearModel;
  temperature: number;
  threshold: number;
  trainingSetSha256: string;
}

/** Indices of the `n` largest values, largest first (ties: lower index first), without sorting them all. */
function topIndices(values: Float64Array, n: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (top.length === n) {
      if (v <= values[top[n - 1]!]!) continue;
      top.pop();
    }
    let at = top.length;
    while (at > 0 && values[top[at - 1]!]! < v) at--;
    top.splice(at, 0, i);
  }
  return top;
}

export function base64Of(array: Float32Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

/** The content hash of a model: everything that decides its predictions, and its training set. */
export function contentHash(s: Omit<SerializedClassifier, 'version'>): string {
  const hash = createHash('sha256');
  const { vocabulary, idf, weights, ...rest } = s;
  hash.update(JSON.stringify(rest)).update('\n').update(JSON.stringify(vocabulary)).update('\n').update(idf).update('\n').update(weights);
  return hash.digest('hex');
}

/** A trained linear model over TF-IDF features, with calibrated confidence and explanations. */
export class LinearTextClassifier implements TextClassifier {
  readonly labels: readonly string[];
  readonly version: string;
  readonly trainingSetSha256: string;
  readonly threshold: number;
  private readonly scratch: Float64Array;

  constructor(private readonly parts: ModelParts) {
    this.labels = Object.freeze([...parts.labels]);
    this.trainingSetSha256 = parts.trainingSetSha256;
    this.threshold = parts.threshold;
    this.scratch = new Float64Array(parts.labels.length);
    this.version = contentHash(this.serializedWithoutVersion());
  }

  predict(text: string): Prediction {
    const { vectorizer, model, temperature } = this.parts;
    const features = extract(text, vectorizer.options);
    const vector = vectorizer.vectorizeFeatures(features);
    const probabilities = softmax(scores(model, this.labels.length, vector, this.scratch), temperature);
    const order = topIndices(probabilities, RANKED);
    const best = order[0]!;
    const confidence = probabilities[best]!;
    return {
      label: confidence >= this.threshold ? this.labels[best] : undefined,
      confidence,
      ranked: order.map((i) => ({ label: this.labels[i]!, confidence: probabilities[i]! })),
      explanation: this.explain(features, vector, best),
    };
  }

  /**
   * What pushed `label`'s score up: each feature's value × weight. Character n-grams mean little to
   * a reader, so their share is credited to the words they came from: the explanation names words
   * and word pairs of the text.
   */
  private explain({ tokens, word, char }: TextFeatures, vector: SparseVector, label: number): FeatureWeight[] {
    const { vectorizer, model } = this.parts;
    const K = this.labels.length;
    const contribution = new Map<number, number>();
    for (let k = 0; k < vector.indices.length; k++) {
      const i = vector.indices[k]!;
      contribution.set(i, vector.values[k]! * model.weights[i * K + label]!);
    }
    const byWord = new Map<string, number>();
    const credit = (feature: string, weight: number) => byWord.set(feature, (byWord.get(feature) ?? 0) + weight);
    for (const key of word.keys()) {
      const i = vectorizer.indexOf(key);
      if (i !== undefined) credit(key.slice(WORD_PREFIX.length), contribution.get(i) ?? 0);
    }
    if (char.size > 0) {
      for (const token of new Set(tokens)) {
        const occurrences = new Map<string, number>();
        charGrams(token, vectorizer.options.charNgrams, (gram) => occurrences.set(gram, (occurrences.get(gram) ?? 0) + 1));
        for (const [gram, n] of occurrences) {
          const key = CHAR_PREFIX + gram;
          const i = vectorizer.indexOf(key);
          if (i !== undefined) credit(token, ((contribution.get(i) ?? 0) * n) / (char.get(key) ?? n));
        }
      }
    }
    return [...byWord]
      .filter(([, weight]) => weight > 0)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, EXPLAINED)
      .map(([feature, weight]) => ({ feature, weight: Math.round(weight * 1e4) / 1e4 }));
  }

  toJSON(): SerializedClassifier {
    return { ...this.serializedWithoutVersion(), version: this.version };
  }

  private serializedWithoutVersion(): Omit<SerializedClassifier, 'version'> {
    const { vectorizer, model } = this.parts;
    return {
      format: SERIALIZED_FORMAT,
      formatVersion: SERIALIZED_FORMAT_VERSION,
      trainingSetSha256: this.trainingSetSha256,
      labels: [...this.labels],
      features: { ...vectorizer.options },
      temperature: this.parts.temperature,
      threshold: this.threshold,
      vocabulary: [...vectorizer.vocabulary],
      idf: base64Of(vectorizer.idf),
      weights: base64Of(model.weights),
      bias: Array.from(model.bias),
    };
  }
}
