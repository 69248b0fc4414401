/**
 * The built-in classifier: trained locally from operators' confirmed cases, no network and no
 * downloaded weights. TF-IDF over word unigrams and bigrams and character 2–5-grams within words,
 * one-vs-rest linear SVMs trained by dual coordinate descent, and confidence calibrated by a
 * softmax temperature fitted on a held-out share of the training set.
 */
export { loadClassifier } from './load.js';
export { DEFAULT_THRESHOLD, DEFAULT_TRAIN_OPTIONS, trainClassifier, trainingSetHash } from './train.js';
export type { FeatureOptions, FeatureWeight, Prediction, RankedLabel, SerializedClassifier, TextClassifier, TrainingExample, TrainOptions } from './types.js';
