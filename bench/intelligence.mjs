// The built-in classifier on BANKING77 (../shared/data/banking77): accuracy, macro-F1, training
// time, suggestions per second with p50/p99 latency, calibration, and the size of the artefact.
//   node bench/intelligence.mjs                 train on train.csv, report on test.csv
//   node bench/intelligence.mjs --tune [json]   tuning: train on 80% of train.csv, report on the
//                                               other 20% (stratified, seeded); json = TrainOptions
// Settings are chosen with --tune only: the test set is read by the default run and never by a
// tuning run, so nothing in DEFAULT_TRAIN_OPTIONS has seen it.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { machine, percentile, root } from './lib.mjs';

const { trainClassifier, loadClassifier, DEFAULT_TRAIN_OPTIONS } = await import(`${root}packages/server/dist/intelligence/classifier/index.js`);
const { macroF1 } = await import(`${root}packages/server/dist/cli/intelligence-evaluate.js`);
const { seededRandom } = await import(`${root}packages/server/dist/intelligence/classifier/svm.js`);

const data = process.env.BANKING77_DIR ?? join(root, '..', 'shared', 'data', 'banking77');
if (!existsSync(join(data, 'train.csv'))) {
  console.error(`no BANKING77 at ${data} (set BANKING77_DIR)`);
  process.exit(1);
}
const read = (file) => parse(readFileSync(join(data, file)), { columns: true }).map((r) => ({ text: r.text, label: r.category }));

/** 20% of each label's training examples, chosen by a seeded shuffle: the tuning split. */
function tuningSplit(examples) {
  const random = seededRandom(20260);
  const byLabel = new Map();
  examples.forEach((e, i) => byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), i]));
  const held = new Set();
  for (const members of byLabel.values()) {
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    members.slice(0, Math.round(members.length * 0.2)).forEach((i) => held.add(i));
  }
  return { train: examples.filter((_, i) => !held.has(i)), test: examples.filter((_, i) => held.has(i)) };
}

const tune = process.argv.includes('--tune');
const options = tune ? JSON.parse(process.argv[process.argv.indexOf('--tune') + 1] ?? '{}') : {};
const all = read('train.csv');
const { train, test } = tune ? tuningSplit(all) : { train: all, test: read('test.csv') };

console.log(`machine: ${machine()}`);
console.log(`data: ${tune ? 'tuning split of train.csv (80% / 20%)' : 'train.csv → test.csv'}: ${train.length} training, ${test.length} evaluated`);
console.log(`options: ${JSON.stringify({ ...DEFAULT_TRAIN_OPTIONS, ...options })}`);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const classifier = trainClassifier(train, options);
const trainingSeconds = (performance.now() - t0) / 1000;
const trainingCpu = process.cpuUsage(cpu0);

// The server suggests from a model it loaded from storage: time that, after collecting the
// training's garbage (run with --expose-gc, as `npm run bench:intelligence` does), three passes
// over the evaluated texts, each suggestion timed on its own.
const json = JSON.stringify(classifier.toJSON());
const t2 = performance.now();
const loaded = loadClassifier(JSON.parse(json));
const loadSeconds = (performance.now() - t2) / 1000;
globalThis.gc?.();
for (const e of test.slice(0, 200)) loaded.predict(e.text);
// Wall time per suggestion, and the CPU time the process spent on it: on a machine shared with
// other work the wall time's tail is mostly time spent descheduled.
const latencies = [];
const cpuLatencies = [];
const t1 = performance.now();
for (let pass = 0; pass < 3; pass++) {
  for (const e of test) {
    const c = process.cpuUsage();
    const s = performance.now();
    loaded.predict(e.text);
    latencies.push(performance.now() - s);
    const used = process.cpuUsage(c);
    cpuLatencies.push((used.user + used.system) / 1000);
  }
}
cpuLatencies.sort((a, b) => a - b);
const perSecond = latencies.length / ((performance.now() - t1) / 1000);
latencies.sort((a, b) => a - b);
const predictions = test.map((e) => classifier.predict(e.text));

const truth = test.map((e) => e.label);
const top = predictions.map((p) => p.ranked[0].label);
const accuracy = top.filter((label, i) => label === truth[i]).length / test.length;
// Expected calibration error over ten confidence bins.
const bins = Array.from({ length: 10 }, () => ({ n: 0, confidence: 0, correct: 0 }));
predictions.forEach((p, i) => {
  const bin = bins[Math.min(9, Math.floor(p.confidence * 10))];
  bin.n++;
  bin.confidence += p.confidence;
  bin.correct += top[i] === truth[i] ? 1 : 0;
});
const ece = bins.reduce((sum, b) => sum + (b.n === 0 ? 0 : (b.n / test.length) * Math.abs(b.confidence / b.n - b.correct / b.n)), 0);
const suggested = predictions.filter((p) => p.label !== undefined);
const suggestedRight = predictions.filter((p, i) => p.label !== undefined && p.label === truth[i]).length;

console.log(`accuracy: ${accuracy.toFixed(4)}`);
console.log(`macro-F1: ${macroF1(truth, top).toFixed(4)}`);
console.log(`training time: ${trainingSeconds.toFixed(2)} s (CPU ${((trainingCpu.user + trainingCpu.system) / 1e6).toFixed(2)} s; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
console.log(`suggestions per second: ${Math.round(perSecond)} (p50 ${percentile(latencies, 50).toFixed(3)} ms, p99 ${percentile(latencies, 99).toFixed(3)} ms, max ${latencies.at(-1).toFixed(3)} ms; CPU per suggestion p50 ${percentile(cpuLatencies, 50).toFixed(3)} ms, p99 ${percentile(cpuLatencies, 99).toFixed(3)} ms)`);
console.log(`calibration: mean confidence ${(predictions.reduce((s, p) => s + p.confidence, 0) / test.length).toFixed(4)}, expected calibration error ${ece.toFixed(4)}`);
console.log(`threshold ${classifier.threshold}: suggests for ${((suggested.length / test.length) * 100).toFixed(1)}% of texts, right on ${((suggestedRight / Math.max(1, suggested.length)) * 100).toFixed(1)}% of those`);
console.log(`artefact: ${(json.length / 2 ** 20).toFixed(1)} MiB of JSON, ${classifier.toJSON().vocabulary.length} features × ${classifier.labels.length} labels; loads in ${loadSeconds.toFixed(2)} s`);
