import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LatchError } from '@latch/core';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { macroF1 } from '../src/cli/intelligence-evaluate.js';
import { DEFAULT_THRESHOLD, loadClassifier, trainClassifier, type SerializedClassifier, type TrainingExample } from '../src/intelligence/classifier/index.js';
import { runCli } from './cli-support.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test-fixtures/${name}`, import.meta.url));
const readSlice = (name: string): TrainingExample[] =>
  (parse(readFileSync(fixture(name)), { columns: true }) as { text: string; category: string }[]).map((r) => ({ text: r.text, label: r.category }));

const SYNTHETIC: TrainingExample[] = [
  ...['I want my money back for this order', 'please refund the duplicate charge', 'refund me, the item arrived broken', 'can I get a refund on my purchase', 'charged twice, I need a refund', 'return the payment to my card please', 'money back for the cancelled order', 'the refund has not reached my account'].map((text) => ({ text, label: 'refund' })),
  ...['I forgot my password', 'reset my password please', 'cannot log in, password rejected', 'the login page says my password is wrong', 'how do I change my password', 'locked out after too many login attempts', 'password reset email never came', 'two factor code does not let me log in'].map((text) => ({ text, label: 'login' })),
  ...['where is my parcel', 'the delivery is late', 'tracking number shows no movement', 'my package has not arrived yet', 'courier left the parcel at the wrong address', 'when will my delivery arrive', 'shipping is taking forever', 'the parcel tracking stopped updating'].map((text) => ({ text, label: 'delivery' })),
];

function expectInvalid(action: () => unknown, message?: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(LatchError);
  expect((caught as LatchError).code).toBe('VALIDATION_FAILED');
  if (message) expect((caught as LatchError).message).toMatch(message);
}

describe('built-in classifier', () => {
  const classifier = trainClassifier(SYNTHETIC);

  it('learns a small synthetic set and ranks every label with confidences that sum to at most 1', () => {
    expect(classifier.labels).toEqual(['delivery', 'login', 'refund']);
    expect(classifier.predict('I would like a refund for the broken item').ranked[0]!.label).toBe('refund');
    expect(classifier.predict('my password does not work anymore').ranked[0]!.label).toBe('login');
    expect(classifier.predict('the parcel is late, where is it').ranked[0]!.label).toBe('delivery');
    const { ranked, confidence } = classifier.predict('refund please');
    expect(ranked).toHaveLength(3);
    expect(ranked[0]!.confidence).toBe(confidence);
    expect(ranked.map((r) => r.confidence)).toEqual([...ranked.map((r) => r.confidence)].sort((a, b) => b - a));
    expect(ranked.reduce((sum, r) => sum + r.confidence, 0)).toBeCloseTo(1, 6);
  });

  it('says "no suggestion" below its threshold, and suggests above it', () => {
    const strict = trainClassifier(SYNTHETIC, { threshold: 0.9 });
    const vague = strict.predict('hello, I have a question');
    expect(vague.confidence).toBeLessThan(0.9);
    expect(vague.label).toBeUndefined();
    expect(vague.ranked.length).toBeGreaterThan(0);
    const empty = strict.predict('');
    expect(empty.label).toBeUndefined();
    expect(empty.explanation).toEqual([]);
    const lenient = trainClassifier(SYNTHETIC, { threshold: 0 });
    expect(lenient.predict('hello, I have a question').label).toBe(vague.ranked[0]!.label);
    expect(DEFAULT_THRESHOLD).toBeGreaterThan(0);
    expect(DEFAULT_THRESHOLD).toBeLessThan(1);
  });

  it('explains a suggestion by the words that discriminate it', () => {
    const { label, explanation } = classifier.predict('please refund my order, I was charged twice');
    expect(label).toBe('refund');
    expect(explanation.length).toBeGreaterThan(0);
    expect(explanation.length).toBeLessThanOrEqual(5);
    expect(explanation.map((e) => e.feature)).toContain('refund');
    expect(explanation.every((e) => e.weight > 0)).toBe(true);
    expect(explanation.map((e) => e.weight)).toEqual([...explanation.map((e) => e.weight)].sort((a, b) => b - a));
    expect(classifier.predict('I forgot my password again').explanation[0]!.feature).toMatch(/password/);
  });

  it('is reproducible: the same examples give the same version, and the training set hash is of the examples in order', () => {
    expect(trainClassifier(SYNTHETIC).version).toBe(classifier.version);
    expect(classifier.version).toMatch(/^[0-9a-f]{64}$/);
    const expected = createHash('sha256');
    for (const e of SYNTHETIC) expected.update(`${JSON.stringify([e.text, e.label])}\n`);
    expect(classifier.trainingSetSha256).toBe(expected.digest('hex'));
    const other = trainClassifier(SYNTHETIC.slice(1));
    expect(other.trainingSetSha256).not.toBe(classifier.trainingSetSha256);
    expect(other.version).not.toBe(classifier.version);
  });

  it('refuses training sets it cannot learn from, with a stable code', () => {
    expectInvalid(() => trainClassifier([]));
    expectInvalid(() => trainClassifier([{ text: 'a', label: 'x' }, { text: 'b', label: 'x' }]));
    expectInvalid(() => trainClassifier([{ text: 'a', label: 'x' }, { text: 'b', label: '' }]));
    expectInvalid(() => trainClassifier([{ text: 'a', label: 'x' }, { text: 7, label: 'y' } as unknown as TrainingExample]));
  });
});

describe('serialisation', () => {
  const train = readSlice('banking77-train.csv');
  const test = readSlice('banking77-test.csv');
  const classifier = trainClassifier(train);
  const serialized = () => JSON.parse(JSON.stringify(classifier.toJSON())) as SerializedClassifier;

  it('round-trips through JSON to a classifier with identical predictions', () => {
    const loaded = loadClassifier(serialized());
    expect(loaded.version).toBe(classifier.version);
    expect(loaded.trainingSetSha256).toBe(classifier.trainingSetSha256);
    expect(loaded.labels).toEqual(classifier.labels);
    for (const { text } of test) expect(loaded.predict(text)).toEqual(classifier.predict(text));
  });

  it('rejects corrupt or foreign input with a stable code, never a crash', () => {
    const flipped = serialized();
    const bytes = Buffer.from(flipped.weights, 'base64');
    bytes[100] = bytes[100]! ^ 0x01;
    flipped.weights = bytes.toString('base64');
    const cases: [unknown, RegExp][] = [
      [null, /expected an object/],
      ['model', /expected an object/],
      [[], /expected an object/],
      [{ ...serialized(), format: 'something-else' }, /format must be/],
      [{ ...serialized(), formatVersion: 99 }, /formatVersion 99/],
      [{ ...serialized(), labels: ['only-one'] }, /labels/],
      [{ ...serialized(), labels: [...classifier.labels.slice(1), classifier.labels[1]] }, /labels/],
      [{ ...serialized(), vocabulary: 'w:card' }, /vocabulary/],
      [{ ...serialized(), weights: serialized().weights.slice(0, 40) }, /weights holds 30 bytes/],
      [{ ...serialized(), idf: 17 }, /idf must be/],
      [{ ...serialized(), bias: [1, 2] }, /bias/],
      [{ ...serialized(), temperature: -1 }, /temperature/],
      [{ ...serialized(), threshold: 2 }, /threshold/],
      [{ ...serialized(), features: { wordNgrams: [2, 1], charNgrams: [2, 5], charWeight: 1 } }, /features/],
      [{ ...serialized(), trainingSetSha256: 'abc' }, /trainingSetSha256/],
      [{ ...serialized(), version: 'f'.repeat(64) }, /content hash/],
      [flipped, /content hash/],
    ];
    for (const [bad, message] of cases) expectInvalid(() => loadClassifier(bad as SerializedClassifier), message);
  });
});

describe('BANKING77 slice', () => {
  it('learns eleven intents from 330 examples well enough to be useful, with honest confidence', () => {
    const classifier = trainClassifier(readSlice('banking77-train.csv'));
    const test = readSlice('banking77-test.csv');
    const predictions = test.map((e) => classifier.predict(e.text));
    const accuracy = predictions.filter((p, i) => p.ranked[0]!.label === test[i]!.label).length / test.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    const meanConfidence = predictions.reduce((sum, p) => sum + p.confidence, 0) / predictions.length;
    expect(Math.abs(meanConfidence - accuracy)).toBeLessThan(0.15);
  });
});

describe('macro-F1', () => {
  it('averages per-label F1 over every label true or predicted', () => {
    expect(macroF1(['a', 'a', 'b', 'b'], ['a', 'a', 'b', 'b'])).toBe(1);
    // a: tp 1, fp 0, fn 1 → 2/3; b: tp 2, fp 1, fn 0 → 4/5; c: predicted never, true never; d: fp 0… only labels seen count.
    expect(macroF1(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b'])).toBeCloseTo((2 / 3 + 4 / 5) / 2, 10);
    // A label only ever predicted counts with F1 0.
    expect(macroF1(['a', 'b'], ['a', 'c'])).toBeCloseTo((1 + 0 + 0) / 3, 10);
  });
});

describe('latch intelligence evaluate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-evaluate-'));
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('trains on one CSV and prints the contract lines for the other', async () => {
    const run = await runCli(['intelligence', 'evaluate', '--train', fixture('banking77-train.csv'), '--test', fixture('banking77-test.csv')], {});
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^accuracy: 0\.\d{4}$/m);
    expect(run.stdout).toMatch(/^macro-F1: 0\.\d{4}$/m);
    expect(run.stdout).toMatch(/^training time: \d+\.\d{2} s$/m);
    expect(run.stdout).toMatch(/^suggestions per second: \d+ \(p50 \d+\.\d{3} ms, p99 \d+\.\d{3} ms\)$/m);
    expect(Number(/^accuracy: (\S+)$/m.exec(run.stdout)![1])).toBeGreaterThanOrEqual(0.9);
  });

  it('works on any text,category CSV: extra columns, quoted commas and line breaks, labels of its own', async () => {
    const rows = SYNTHETIC.map((e, i) => `${i},"${e.text}, ""quoted""\nand a second line",${e.label}`);
    const train = write('train.csv', `id,text,category\n${rows.join('\n')}\n`);
    const test = write('test.csv', 'category,text\nrefund,"a refund, please"\nlogin,"my password, again"\ndelivery,where is my parcel\n');
    const run = await runCli(['intelligence', 'evaluate', '--train', train, '--test', test, '--json'], {});
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { accuracy: number; macroF1: number; train: { examples: number; labels: number }; test: { examples: number } };
    expect(report.train).toMatchObject({ examples: SYNTHETIC.length, labels: 3 });
    expect(report.test.examples).toBe(3);
    expect(report.accuracy).toBe(1);
    expect(report.macroF1).toBe(1);
  });

  it('reports a bad file in one line with a stable code, never a stack trace', async () => {
    const good = fixture('banking77-train.csv');
    const scenarios: [args: string[], code: string][] = [
      [['--train', join(dir, 'missing.csv'), '--test', good], 'CSV_NOT_FOUND'],
      [['--train', dir, '--test', good], 'CSV_NOT_FOUND'],
      [['--train', good, '--test', write('unclosed.csv', 'text,category\n"never closed,refund\n')], 'CSV_INVALID'],
      [['--train', good, '--test', write('ragged.csv', 'text,category\nhello,refund,extra\n')], 'CSV_INVALID'],
      [['--train', write('columns.csv', 'body,label\nhello,refund\n'), '--test', good], 'CSV_INVALID'],
      [['--train', write('header-only.csv', 'text,category\n'), '--test', good], 'CSV_INVALID'],
      [['--train', write('no-label.csv', 'text,category\nhello,\n'), '--test', good], 'CSV_INVALID'],
      [['--train', write('one-label.csv', 'text,category\nhello,refund\nbye,refund\n'), '--test', good], 'CSV_INVALID'],
      [['--train', write('binary.csv', Buffer.from([0, 159, 146, 150, 10, 34, 0]).toString('latin1')), '--test', good], 'CSV_INVALID'],
    ];
    const runs = await Promise.all(scenarios.map(([args]) => runCli(['intelligence', 'evaluate', ...args], {})));
    scenarios.forEach(([args, code], i) => {
      const run = runs[i]!;
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(new RegExp(`^latch: ${code}: `));
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
    // With --json the failure is a JSON object carrying the same stable code.
    const json = await Promise.all(scenarios.slice(0, 3).map(([args]) => runCli(['intelligence', 'evaluate', ...args, '--json'], {})));
    json.forEach((run, i) => {
      expect(run.status).toBe(1);
      expect((JSON.parse(run.stderr) as { error: { code: string } }).error.code).toBe(scenarios[i]![1]);
    });
  }, 180_000);
});
