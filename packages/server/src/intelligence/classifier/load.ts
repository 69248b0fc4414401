import { ValidationError } from '@latch/core';
import { LinearTextClassifier } from './model.js';
import { SERIALIZED_FORMAT, SERIALIZED_FORMAT_VERSION, type SerializedClassifier, type TextClassifier } from './types.js';
import { Vectorizer } from './vectorizer.js';

function invalid(reason: string): ValidationError {
  return new ValidationError(`not a usable classifier: ${reason}`, { reason });
}

function float32s(value: unknown, length: number, what: string): Float32Array {
  if (typeof value !== 'string') throw invalid(`${what} must be a base64 string`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== length * 4) throw invalid(`${what} holds ${bytes.length} bytes, expected ${length * 4}`);
  const out = new Float32Array(length);
  new Uint8Array(out.buffer).set(bytes);
  if (!out.every(Number.isFinite)) throw invalid(`${what} holds a value that is not a finite number`);
  return out;
}

const isNgramRange = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n) && n >= 0 && n <= 10) && v[0] <= v[1];

/** Rebuilds a classifier from `toJSON()` output, checking its shape and its content hash first. */
export function loadClassifier(serialized: SerializedClassifier): TextClassifier {
  const s = serialized as Partial<Record<keyof SerializedClassifier, unknown>> | null;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw invalid('expected an object');
  if (s.format !== SERIALIZED_FORMAT) throw invalid(`format must be ${SERIALIZED_FORMAT}`);
  if (s.formatVersion !== SERIALIZED_FORMAT_VERSION) throw invalid(`formatVersion ${String(s.formatVersion)} is not supported (expected ${SERIALIZED_FORMAT_VERSION})`);
  const { labels, vocabulary, features, temperature, threshold, bias, trainingSetSha256, version } = s;
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string' && l !== '') || new Set(labels).size !== labels.length)
    throw invalid('labels must be two or more distinct non-empty strings');
  if (!Array.isArray(vocabulary) || !vocabulary.every((k) => typeof k === 'string')) throw invalid('vocabulary must be an array of strings');
  const f = features as Record<string, unknown> | undefined;
  if (typeof f !== 'object' || f === null || !isNgramRange(f.wordNgrams) || !isNgramRange(f.charNgrams) || typeof f.charWeight !== 'number' || !Number.isFinite(f.charWeight))
    throw invalid('features must give wordNgrams, charNgrams and charWeight');
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) throw invalid('temperature must be a positive number');
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) throw invalid('threshold must be between 0 and 1');
  if (!Array.isArray(bias) || bias.length !== labels.length || !bias.every((b) => typeof b === 'number' && Number.isFinite(b))) throw invalid('bias must hold one number per label');
  if (typeof trainingSetSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(trainingSetSha256)) throw invalid('trainingSetSha256 must be a SHA-256 in hex');
  const idf = float32s(s.idf, vocabulary.length, 'idf');
  const weights = float32s(s.weights, vocabulary.length * labels.length, 'weights');
  const options = { wordNgrams: f.wordNgrams, charNgrams: f.charNgrams, charWeight: f.charWeight };
  const classifier = new LinearTextClassifier({
    labels: labels as string[],
    vectorizer: new Vectorizer(options, vocabulary as string[], idf),
    model: { weights, bias: Float32Array.from(bias as number[]) },
    temperature,
    threshold,
    trainingSetSha256,
  });
  if (classifier.version !== version) throw invalid('content hash does not match version: the model was altered or damaged');
  return classifier;
}

