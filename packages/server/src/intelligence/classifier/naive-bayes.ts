import type { LinearModel } from './svm.js';
import type { SparseVector } from './vectorizer.js';

/**
 * Blends multinomial naive Bayes into a linear model: adds `weight` × (log P(feature | label),
 * centred across labels) to each feature's weights. Naive Bayes alone is weaker than the SVMs but
 * errs differently; the blend is still one linear model, so prediction, explanation and the
 * artefact are unchanged. `smoothing` is the additive (Lidstone) smoothing of the feature mass.
 */
export function blendNaiveBayes(model: LinearModel, docs: readonly SparseVector[], targets: Int32Array, labelCount: number, dimension: number, smoothing: number, weight: number): void {
  if (weight === 0) return;
  const K = labelCount;
  const mass = new Float64Array(dimension * K);
  const total = new Float64Array(K);
  docs.forEach((doc, i) => {
    const label = targets[i]!;
    for (let k = 0; k < doc.indices.length; k++) {
      mass[doc.indices[k]! * K + label]! += doc.values[k]!;
      total[label]! += doc.values[k]!;
    }
  });
  const logDenominator = Float64Array.from(total, (t) => Math.log(smoothing * dimension + t));
  const logP = new Float64Array(K);
  for (let f = 0; f < dimension; f++) {
    let mean = 0;
    for (let label = 0; label < K; label++) {
      logP[label] = Math.log(smoothing + mass[f * K + label]!) - logDenominator[label]!;
      mean += logP[label]!;
    }
    mean /= K;
    for (let label = 0; label < K; label++) model.weights[f * K + label]! += weight * (logP[label]! - mean);
  }
}
