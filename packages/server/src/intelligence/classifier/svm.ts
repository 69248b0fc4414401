import type { SparseVector } from './vectorizer.js';

/** A deterministic pseudo-random generator (mulberry32), so training is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LinearModel {
  /** Feature-major weights: weights[feature * labels + label]. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface SvmOptions {
  c: number;
  maxEpochs: number;
  seed: number;
}

/** The bias is learnt as the weight of a constant feature of this value (as liblinear does). */
const BIAS_FEATURE = 1;
/** Stop when the projected gradient spans less than this (liblinear's default tolerance). */
const TOLERANCE = 0.1;

/**
 * One-vs-rest linear SVMs (squared hinge loss, L2 regularisation), each trained by dual coordinate
 * descent (Hsieh et al., ICML 2008: the algorithm behind liblinear's default solver). It needs no
 * learning rate and converges in a few passes on sparse text features.
 */
export function trainOneVsRest(docs: readonly SparseVector[], targets: Int32Array, labelCount: number, dimension: number, options: SvmOptions): LinearModel {
  const weights = new Float32Array(dimension * labelCount);
  const bias = new Float32Array(labelCount);
  const diagonal = 0.5 / options.c;
  const qii = docs.map((d) => d.values.reduce((sum, v) => sum + v * v, 0) + BIAS_FEATURE * BIAS_FEATURE + diagonal);
  const random = seededRandom(options.seed);
  const order = Int32Array.from(docs.keys());
  const w = new Float64Array(dimension);
  const alpha = new Float64Array(docs.length);
  for (let label = 0; label < labelCount; label++) {
    w.fill(0);
    alpha.fill(0);
    let b = 0;
    for (let epoch = 0; epoch < options.maxEpochs; epoch++) {
      shuffle(order, random);
      let maxPg = -Infinity;
      let minPg = Infinity;
      for (const i of order) {
        const doc = docs[i]!;
        const y = targets[i] === label ? 1 : -1;
        let dot = b * BIAS_FEATURE;
        for (let k = 0; k < doc.indices.length; k++) dot += w[doc.indices[k]!]! * doc.values[k]!;
        const a = alpha[i]!;
        const g = y * dot - 1 + diagonal * a;
        const pg = a === 0 ? Math.min(g, 0) : g;
        if (pg > maxPg) maxPg = pg;
        if (pg < minPg) minPg = pg;
        if (Math.abs(pg) < 1e-12) continue;
        const next = Math.max(a - g / qii[i]!, 0);
        const step = (next - a) * y;
        alpha[i] = next;
        for (let k = 0; k < doc.indices.length; k++) w[doc.indices[k]!]! += step * doc.values[k]!;
        b += step * BIAS_FEATURE;
      }
      if (maxPg - minPg < TOLERANCE) break;
    }
    for (let f = 0; f < dimension; f++) weights[f * labelCount + label] = w[f]!;
    bias[label] = b * BIAS_FEATURE;
  }
  return { weights, bias };
}

function shuffle(order: Int32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/** Scores of every label for one vector. */
export function scores(model: LinearModel, labelCount: number, vector: SparseVector, out: Float64Array = new Float64Array(labelCount)): Float64Array {
  for (let label = 0; label < labelCount; label++) out[label] = model.bias[label]!;
  const { indices, values } = vector;
  for (let k = 0; k < indices.length; k++) {
    const base = indices[k]! * labelCount;
    const v = values[k]!;
    for (let label = 0; label < labelCount; label++) out[label]! += model.weights[base + label]! * v;
  }
  return out;
}
