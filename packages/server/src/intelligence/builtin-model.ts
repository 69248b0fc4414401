import { canonicalJson, sha256Hex } from '@latch/core';
import { loadClassifier, trainClassifier, type SerializedClassifier, type TextClassifier } from './classifier/index.js';

/** What the built-in model learns, each from the case's text: its type, queue and priority, and per type an intent. */
export type Target = 'caseType' | 'queue' | 'priority' | `intent:${string}`;

/** One confirmed case: its text and what a person settled. */
export interface ConfirmedCase {
  readonly caseId: string;
  readonly text: string;
  readonly caseType: string;
  readonly queue: string;
  readonly priority: string;
  readonly intent?: string | undefined;
}

/** The trained classifiers of one model version. */
export interface BuiltinModel {
  readonly version: number;
  readonly trainingSetSha256: string;
  readonly classifiers: ReadonlyMap<Target, TextClassifier>;
}

/** SHA-256 of the training set: every confirmed case's id, text and labels, in case-id order. */
export function trainingSetSha256(cases: readonly ConfirmedCase[]): string {
  const ordered = [...cases].sort((a, b) => (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0));
  return sha256Hex(canonicalJson(ordered.map((c) => ({ ...c, intent: c.intent ?? null })) as never));
}

/** Trains one classifier per target that has at least two labels to tell apart. */
export function trainTargets(cases: readonly ConfirmedCase[]): Map<Target, TextClassifier> {
  const targets = new Map<Target, TextClassifier>();
  const train = (target: Target, examples: { text: string; label: string }[]) => {
    if (new Set(examples.map((e) => e.label)).size < 2) return;
    // The host applies the configured threshold; the classifier reports every best label.
    targets.set(target, trainClassifier(examples, { threshold: 0 }));
  };
  train('caseType', cases.map((c) => ({ text: c.text, label: c.caseType })));
  train('queue', cases.map((c) => ({ text: c.text, label: c.queue })));
  train('priority', cases.map((c) => ({ text: c.text, label: c.priority })));
  for (const type of new Set(cases.filter((c) => c.intent).map((c) => c.caseType))) {
    train(`intent:${type}`, cases.filter((c) => c.caseType === type && c.intent).map((c) => ({ text: c.text, label: c.intent! })));
  }
  return targets;
}

/** The stored form: target → serialised classifier. */
export function serialiseTargets(classifiers: ReadonlyMap<Target, TextClassifier>): Record<string, SerializedClassifier> {
  return Object.fromEntries([...classifiers].map(([target, classifier]) => [target, classifier.toJSON()]));
}

export function loadTargets(stored: Record<string, SerializedClassifier>): Map<Target, TextClassifier> {
  return new Map(Object.entries(stored).map(([target, serialised]) => [target as Target, loadClassifier(serialised)]));
}
