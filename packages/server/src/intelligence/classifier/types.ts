/** One confirmed example: the text of a case and the label an operator gave it. */
export interface TrainingExample {
  text: string;
  label: string;
}

export interface RankedLabel {
  label: string;
  confidence: number;
}

/** A word (or word pair) and how much it pushed the score of the chosen label. */
export interface FeatureWeight {
  feature: string;
  weight: number;
}

export interface Prediction {
  /** The suggested label, or undefined for "no suggestion" (confidence below the threshold). */
  label: string | undefined;
  /** Calibrated probability of the best label, whether or not it clears the threshold. */
  confidence: number;
  /** The five most likely labels, best first. */
  ranked: RankedLabel[];
  /** The features that weighed most for the best label, largest first. */
  explanation: FeatureWeight[];
}

export interface TextClassifier {
  readonly labels: readonly string[];
  /** Content hash of the trained model (SHA-256 of its serialised weights and settings). */
  readonly version: string;
  /** SHA-256 of the training examples, in the order they were given. */
  readonly trainingSetSha256: string;
  readonly threshold: number;
  predict(text: string): Prediction;
  toJSON(): SerializedClassifier;
}

/** What features a text is turned into; part of a trained model (prediction must extract the same). */
export interface FeatureOptions {
  /** Word n-gram sizes, inclusive, e.g. [1, 2] for unigrams and bigrams; [0, 0] for none. */
  wordNgrams: [number, number];
  /** Character n-gram sizes within word boundaries (each word padded by a space), e.g. [2, 5]. */
  charNgrams: [number, number];
  /** Relative weight of the character block against the word block (each block is L2-normalised). */
  charWeight: number;
}

export interface TrainOptions extends FeatureOptions {
  /** Features seen in fewer training texts than this are dropped. */
  minDf: number;
  /** SVM regularisation: larger fits the training set more closely. */
  c: number;
  /** Weight of the naive Bayes log-probabilities blended into the SVM weights (0: SVM alone). */
  naiveBayesWeight: number;
  /** Additive smoothing of naive Bayes. */
  naiveBayesSmoothing: number;
  /** Upper bound on passes of dual coordinate descent per label. */
  maxEpochs: number;
  /** Share of the training set held out to calibrate confidence (when the set is large enough). */
  calibrationFraction: number;
  /** Confidence below which the classifier says "no suggestion". */
  threshold: number;
  /** Seed of the shuffles, so the same examples always give the same model. */
  seed: number;
}

export const SERIALIZED_FORMAT = 'latch.text-classifier';
export const SERIALIZED_FORMAT_VERSION = 1;

/** A trained model as plain JSON: a versioned artefact that can be stored and loaded again. */
export interface SerializedClassifier {
  format: typeof SERIALIZED_FORMAT;
  formatVersion: typeof SERIALIZED_FORMAT_VERSION;
  version: string;
  trainingSetSha256: string;
  labels: string[];
  features: FeatureOptions;
  /** Softmax temperature fitted on held-out examples: confidence = softmax(score / temperature). */
  temperature: number;
  threshold: number;
  /** Feature keys, in index order (see features.ts for the key syntax). */
  vocabulary: string[];
  /** Base64 of little-endian float32: one inverse document frequency per feature. */
  idf: string;
  /** Base64 of little-endian float32: feature-major weights, vocabulary.length × labels.length. */
  weights: string;
  /** One bias per label. */
  bias: number[];
}
