import { ValidationError } from '@latch/core';
import { trainClassifier, type TextClassifier, type TrainingExample } from '../intelligence/classifier/index.js';
import { CliError } from './cli-error.js';
import { readLabelledCsv } from './intelligence-csv.js';
import { printJson } from './output.js';

export interface EvaluateOptions {
  train: string;
  test: string;
  json?: boolean;
}

/** Macro-averaged F1 over every label that is true or predicted at least once (as scikit-learn computes it). */
export function macroF1(truth: readonly string[], predicted: readonly string[]): number {
  const tally = new Map<string, { tp: number; fp: number; fn: number }>();
  const of = (label: string) => tally.get(label) ?? tally.set(label, { tp: 0, fp: 0, fn: 0 }).get(label)!;
  truth.forEach((label, i) => {
    const guess = predicted[i]!;
    if (guess === label) of(label).tp++;
    else {
      of(label).fn++;
      of(guess).fp++;
    }
  });
  let sum = 0;
  for (const { tp, fp, fn } of tally.values()) sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return tally.size === 0 ? 0 : sum / tally.size;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function train(examples: TrainingExample[], file: string): TextClassifier {
  try {
    return trainClassifier(examples);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`CSV_INVALID: ${file}: ${error.message}`, 1, 'CSV_INVALID');
    throw error;
  }
}

/** `latch intelligence evaluate`: train on one CSV, score the other, print the figures. */
export function runEvaluate(o: EvaluateOptions): void {
  const trainSet = readLabelledCsv(o.train);
  const testSet = readLabelledCsv(o.test);
  const started = performance.now();
  const classifier = train(trainSet, o.train);
  const trainingSeconds = (performance.now() - started) / 1000;
  const latencies = new Float64Array(testSet.length);
  const predicted: string[] = [];
  let suggested = 0;
  let suggestedCorrect = 0;
  const predicting = performance.now();
  testSet.forEach((example, i) => {
    const t0 = performance.now();
    const prediction = classifier.predict(example.text);
    latencies[i] = performance.now() - t0;
    predicted.push(prediction.ranked[0]!.label);
    if (prediction.label !== undefined) {
      suggested++;
      if (prediction.label === example.label) suggestedCorrect++;
    }
  });
  const perSecond = testSet.length / ((performance.now() - predicting) / 1000);
  latencies.sort();
  const truth = testSet.map((e) => e.label);
  const correct = truth.filter((label, i) => label === predicted[i]).length;
  const known = new Set(classifier.labels);
  const report = {
    train: { file: o.train, examples: trainSet.length, labels: classifier.labels.length },
    test: { file: o.test, examples: testSet.length, unknownLabels: new Set(truth.filter((l) => !known.has(l))).size },
    model: { version: classifier.version, trainingSetSha256: classifier.trainingSetSha256 },
    accuracy: correct / testSet.length,
    macroF1: macroF1(truth, predicted),
    trainingSeconds,
    suggestionsPerSecond: perSecond,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    threshold: { value: classifier.threshold, suggested: suggested / testSet.length, accuracyWhenSuggested: suggested === 0 ? null : suggestedCorrect / suggested },
  };
  if (o.json) return printJson(report);
  const lines = [
    `train: ${report.train.examples} examples, ${report.train.labels} labels (${o.train})`,
    `test: ${report.test.examples} examples (${o.test})${report.test.unknownLabels > 0 ? `; ${report.test.unknownLabels} label(s) never seen in training` : ''}`,
    `model: ${classifier.version.slice(0, 16)}, training set sha256 ${classifier.trainingSetSha256.slice(0, 16)}`,
    `accuracy: ${report.accuracy.toFixed(4)}`,
    `macro-F1: ${report.macroF1.toFixed(4)}`,
    `training time: ${trainingSeconds.toFixed(2)} s`,
    `suggestions per second: ${Math.round(perSecond)} (p50 ${report.latencyMs.p50.toFixed(3)} ms, p99 ${report.latencyMs.p99.toFixed(3)} ms)`,
    `above the ${report.threshold.value} confidence threshold: ${(report.threshold.suggested * 100).toFixed(1)}% of test examples, ${report.threshold.accuracyWhenSuggested === null ? 'none' : `accuracy ${report.threshold.accuracyWhenSuggested.toFixed(4)}`} (below it: no suggestion)`,
  ];
  console.log(lines.join('\n'));
}
