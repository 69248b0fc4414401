import { extract, type TextFeatures } from './features.js';
import type { FeatureOptions } from './types.js';

/** A sparse vector: parallel arrays of feature indices and values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

/**
 * TF-IDF over a fixed vocabulary: sublinear term frequency (1 + ln tf) times smoothed idf, each
 * block (words, characters) L2-normalised on its own and the character block scaled by
 * `charWeight`, so neither block drowns the other whatever the text's length.
 */
export class Vectorizer {
  private readonly index: Map<string, number>;

  constructor(
    readonly options: FeatureOptions,
    readonly vocabulary: readonly string[],
    readonly idf: Float32Array,
  ) {
    this.index = new Map(vocabulary.map((key, i) => [key, i]));
  }

  /** Builds the vocabulary from training texts, keeping features seen in at least `minDf` of them. */
  static fit(features: readonly TextFeatures[], options: FeatureOptions, minDf: number): Vectorizer {
    const df = new Map<string, number>();
    for (const f of features) {
      for (const key of f.word.keys()) df.set(key, (df.get(key) ?? 0) + 1);
      for (const key of f.char.keys()) df.set(key, (df.get(key) ?? 0) + 1);
    }
    const vocabulary = [...df].filter(([, n]) => n >= minDf).map(([key]) => key).sort();
    const idf = new Float32Array(vocabulary.length);
    const n = features.length;
    vocabulary.forEach((key, i) => (idf[i] = Math.log((1 + n) / (1 + (df.get(key) ?? 0))) + 1));
    const { wordNgrams, charNgrams, charWeight } = options;
    return new Vectorizer({ wordNgrams, charNgrams, charWeight }, vocabulary, idf);
  }

  indexOf(key: string): number | undefined {
    return this.index.get(key);
  }

  vectorize(text: string): SparseVector {
    return this.vectorizeFeatures(extract(text, this.options));
  }

  vectorizeFeatures(features: TextFeatures): SparseVector {
    const indices: number[] = [];
    const values: number[] = [];
    this.addBlock(features.word, 1, indices, values);
    this.addBlock(features.char, this.options.charWeight, indices, values);
    return { indices: Int32Array.from(indices), values: Float32Array.from(values) };
  }

  private addBlock(counts: Map<string, number>, scale: number, indices: number[], values: number[]): void {
    const start = values.length;
    let sumSquares = 0;
    for (const [key, count] of counts) {
      const i = this.index.get(key);
      if (i === undefined) continue;
      const value = (1 + Math.log(count)) * (this.idf[i] ?? 0);
      indices.push(i);
      values.push(value);
      sumSquares += value * value;
    }
    if (sumSquares === 0) return;
    const factor = scale / Math.sqrt(sumSquares);
    for (let k = start; k < values.length; k++) values[k] = (values[k] ?? 0) * factor;
  }
}
