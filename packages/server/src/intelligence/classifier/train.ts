import { createHash } from 'node:crypto';
import { ValidationError } from '@latch/core';
import { fitTemperature } from './calibrate.js';
import { extract, type TextFeatures } from './features.js';
import { LinearTextClassifier } from './model.js';
import { blendNaiveBayes } from './naive-bayes.js';
import { scores, seededRandom, trainOneVsRest } from './svm.js';
import type { TextClassifier, TrainingExample, TrainOptions } from './types.js';
import { Vectorizer } from './vectorizer.js';

/** Below this confidence the classifier says "no suggestion" rather than guessing. */
export const DEFAULT_THRESHOLD = 0.5;

/**
 * Settings chosen on a split of BANKING77's training set only (see bench/intelligence.mjs
 * `--tune`): never on its test set.
 */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  wordNgrams: [1, 2],
  charNgrams: [2, 5],
  charWeight: 1,
  minDf: 1,
  c: 0.5,
  naiveBayesWeight: 0.03,
  naiveBayesSmoothing: 0.1,
  maxEpochs: 50,
  calibrationFraction: 0.2,
  threshold: DEFAULT_THRESHOLD,
  seed: 77,
};

/** The temperature used when the training set is too small to hold some of it out. */
const FALLBACK_TEMPERATURE = 0.15;
/** Calibrate only when at least this many examples can be held out. */
const MIN_CALIBRATION_EXAMPLES = 30;

/** SHA-256 of the examples in order, one JSON `[text, label]` per line. */
export function trainingSetHash(examples: readonly TrainingExample[]): string {
  const hash = createHash('sha256');
  for (const e of examples) hash.update(`${JSON.stringify([e.text, e.label])}\n`);
  return hash.digest('hex');
}

function validate(examples: readonly TrainingExample[]): void {
  if (!Array.isArray(examples) || examples.length === 0) throw new ValidationError('a classifier needs at least one training example');
  examples.forEach((e, i) => {
    if (typeof e?.text !== 'string') throw new ValidationError(`training example ${i}: text must be a string`);
    if (typeof e.label !== 'string' || e.label.trim() === '') throw new ValidationError(`training example ${i}: label must be a non-empty string`);
  });
  if (new Set(examples.map((e) => e.label)).size < 2) throw new ValidationError('a classifier needs examples of at least two labels');
}

function fitLinear(features: readonly TextFeatures[], targets: Int32Array, labelCount: number, o: TrainOptions, start?: readonly Float64Array[]) {
  const vectorizer = Vectorizer.fit(features, o, o.minDf);
  const docs = features.map((f) => vectorizer.vectorizeFeatures(f));
  const dimension = vectorizer.vocabulary.length;
  const { model, duals } = trainOneVsRest(docs, targets, labelCount, dimension, { c: o.c, maxEpochs: o.maxEpochs, seed: o.seed }, start);
  blendNaiveBayes(model, docs, targets, labelCount, dimension, o.naiveBayesSmoothing, o.naiveBayesWeight);
  return { vectorizer, model, duals };
}

/** Holds out `fraction` of each label's examples (chosen by a seeded shuffle); returns their positions. */
function heldOut(targets: Int32Array, labelCount: number, fraction: number, seed: number): Set<number> {
  const random = seededRandom(seed ^ 0x5eed);
  const byLabel: number[][] = Array.from({ length: labelCount }, () => []);
  targets.forEach((t, i) => byLabel[t]!.push(i));
  const out = new Set<number>();
  for (const members of byLabel) {
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    const n = members.length < 2 ? 0 : Math.floor(members.length * fraction);
    for (const m of members.slice(0, n)) out.add(m);
  }
  return out;
}

interface Calibration {
  temperature: number;
  /** The held-out model's dual variables, by position in the full set (0 for the held-out): the full model starts from them. */
  start?: Float64Array[];
}

/**
 * The temperature that makes confidence honest: train on most of the set, score the held-out rest,
 * fit softmax(score / T) to their true labels.
 */
function calibrate(features: readonly TextFeatures[], targets: Int32Array, labelCount: number, o: TrainOptions): Calibration {
  const held = heldOut(targets, labelCount, o.calibrationFraction, o.seed);
  const kept = Array.from(targets.keys()).filter((i) => !held.has(i));
  if (held.size < MIN_CALIBRATION_EXAMPLES || new Set(kept.map((i) => targets[i])).size < 2) return { temperature: FALLBACK_TEMPERATURE };
  const { vectorizer, model, duals } = fitLinear(kept.map((i) => features[i]!), Int32Array.from(kept, (i) => targets[i]!), labelCount, o);
  const heldIndices = [...held];
  const scored = heldIndices.map((i) => scores(model, labelCount, vectorizer.vectorizeFeatures(features[i]!)));
  const start = duals.map((alpha) => {
    const full = new Float64Array(targets.length);
    kept.forEach((i, k) => (full[i] = alpha[k]!));
    return full;
  });
  return { temperature: fitTemperature(scored, Int32Array.from(heldIndices, (i) => targets[i]!)), start };
}

/** Trains the built-in classifier: TF-IDF word and character n-grams, one-vs-rest linear SVMs, calibrated by temperature. */
export function trainClassifier(examples: readonly TrainingExample[], options: Partial<TrainOptions> = {}): TextClassifier {
  validate(examples);
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  const labelIndex = new Map(labels.map((label, i) => [label, i]));
  const targets = Int32Array.from(examples, (e) => labelIndex.get(e.label)!);
  const features = examples.map((e) => extract(e.text, o));
  const { temperature, start } = o.calibrationFraction > 0 ? calibrate(features, targets, labels.length, o) : { temperature: FALLBACK_TEMPERATURE };
  const { vectorizer, model } = fitLinear(features, targets, labels.length, o, start);
  return new LinearTextClassifier({ labels, vectorizer, model, temperature, threshold: o.threshold, trainingSetSha256: trainingSetHash(examples) });
}
