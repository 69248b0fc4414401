/** Probabilities of each label: softmax(score / temperature), written into `out`. */
export function softmax(scores: Float64Array, temperature: number, out: Float64Array = new Float64Array(scores.length)): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = Math.exp((scores[i]! - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

function negativeLogLikelihood(scored: readonly Float64Array[], truth: Int32Array, temperature: number): number {
  let total = 0;
  const p = new Float64Array(scored[0]?.length ?? 0);
  scored.forEach((s, i) => {
    softmax(s, temperature, p);
    total -= Math.log(Math.max(p[truth[i]!]!, 1e-12));
  });
  return total / Math.max(1, scored.length);
}

/** Temperatures searched, as powers of ten. */
const LOG10_RANGE: [number, number] = [-3, 1];

/**
 * Temperature scaling (Guo et al., 2017): the single temperature that minimises the negative
 * log-likelihood of held-out examples, found by golden-section search on its logarithm.
 */
export function fitTemperature(scored: readonly Float64Array[], truth: Int32Array): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let [lo, hi] = LOG10_RANGE;
  const loss = (log10: number) => negativeLogLikelihood(scored, truth, 10 ** log10);
  let x1 = hi - ratio * (hi - lo);
  let x2 = lo + ratio * (hi - lo);
  let f1 = loss(x1);
  let f2 = loss(x2);
  for (let step = 0; step < 40; step++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = loss(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = loss(x2);
    }
  }
  return 10 ** ((lo + hi) / 2);
}
