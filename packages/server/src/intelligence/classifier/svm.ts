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
 * learning rate and converges in a few passes on sparse text features. `start` holds dual
 * variables to begin from, one array per label (any non-negative values are a valid start: a
 * model trained on part of the examples makes the full one converge sooner).
 */
export function trainOneVsRest(
  docs: readonly SparseVector[],
  targets: Int32Array,
  labelCount: number,
  dimension: number,
  options: SvmOptions,
  start?: readonly Float64Array[],
): { model: LinearModel; duals: Float64Array[] } {
  const weights = new Float32Array(dimension * labelCount);
  const bias = new Float32Array(labelCount);
  const diagonal = 0.5 / options.c;
  const qii = docs.map((d) => d.values.reduce((sum, v) => sum + v * v, 0) + BIAS_FEATURE * BIAS_FEATURE + diagonal);
  const random = seededRandom(options.seed);
  const order = Int32Array.from(docs.keys());
  const w = new Float64Array(dimension);
  const duals: Float64Array[] = [];
  for (let label = 0; label < labelCount; label++) {
    const initial = start?.[label];
    const alpha = initial ? Float64Array.from(initial) : new Float64Array(docs.length);
    w.fill(0);
    let b = 0;
    alpha.forEach((a, i) => {
      if (a <= 0) return;
      const step = a * (targets[i] === label ? 1 : -1);
      const doc = docs[i]!;
      for (let k = 0; k < doc.indices.length; k++) w[doc.indices[k]!]! += step * doc.values[k]!;
      b += step * BIAS_FEATURE;
    });
    b = solve(docs, targets, label, qii, diagonal, options.maxEpochs, random, order, w, alpha, b);
    for (let f = 0; f < dimension; f++) weights[f * labelCount + label] = w[f]!;
    bias[label] = b * BIAS_FEATURE;
    duals.push(alpha);
  }
  return { model: { weights, bias }, duals };
}

/**
 * Dual coordinate descent for one label, with liblinear's shrinking: an example whose dual
 * variable sits at zero with a gradient beyond the last pass's largest is set aside (it is far on
 * the right side of the margin) until the active ones converge, then everything is checked again.
 * Updates `w` and `alpha` in place and returns the bias.
 */
function solve(docs: readonly SparseVector[], targets: Int32Array, label: number, qii: readonly number[], diagonal: number, maxEpochs: number, random: () => number, order: Int32Array, w: Float64Array, alpha: Float64Array, bias: number): number {
  let b = bias;
  let active = order.length;
  let pgMaxOld = Infinity;
  for (let epoch = 0; epoch < maxEpochs; epoch++) {
    shuffle(order, random, active);
    let pgMax = -Infinity;
    let pgMin = Infinity;
    for (let s = 0; s < active; s++) {
      const i = order[s]!;
      const doc = docs[i]!;
      const y = targets[i] === label ? 1 : -1;
      let dot = b * BIAS_FEATURE;
      for (let k = 0; k < doc.indices.length; k++) dot += w[doc.indices[k]!]! * doc.values[k]!;
      const a = alpha[i]!;
      const g = y * dot - 1 + diagonal * a;
      let pg = g;
      if (a === 0) {
        if (g > pgMaxOld) {
          active--;
          order[s] = order[active]!;
          order[active] = i;
          s--;
          continue;
        }
        pg = Math.min(g, 0);
      }
      if (pg > pgMax) pgMax = pg;
      if (pg < pgMin) pgMin = pg;
      if (Math.abs(pg) < 1e-12) continue;
      const next = Math.max(a - g / qii[i]!, 0);
      const step = (next - a) * y;
      alpha[i] = next;
      for (let k = 0; k < doc.indices.length; k++) w[doc.indices[k]!]! += step * doc.values[k]!;
      b += step * BIAS_FEATURE;
    }
    if (pgMax - pgMin <= TOLERANCE) {
      if (active === order.length) break;
      active = order.length;
      pgMaxOld = Infinity;
      continue;
    }
    pgMaxOld = pgMax <= 0 ? Infinity : pgMax;
  }
  return b;
}

function shuffle(order: Int32Array, random: () => number, length = order.length): void {
  for (let i = length - 1; i > 0; i--) {
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
