import type { ExperimentScores, ScoreResult } from './score.js';
import { poolFolds, summarise } from './score.js';
import { InputError } from '../data/errors.js';
import { aggregateScores } from '../scoring/aggregate.js';

/**
 * Choosing a hyper-parameter (σ, ramp length, layer) over a grid of fits (METHODS §5.6).
 *
 * - `test` (the paper's way, for reproduction): per experiment and **per metric**, the value whose
 *   reported test score is best — mean over subjects of the subject's mean unit score (NaN → 0),
 *   clipped at 0 for layers, unclipped for σ. R² is reported at the value best by R², r at the
 *   value best by r (the paper's best σ/layer tables have one entry per metric). This is
 *   circular: the reported score chose itself.
 * - `validation` (default): per experiment and outer fold, the value with the best inner-CV
 *   score (the same subject-mean of the units' validation R² at their chosen α); the fold's test
 *   errors then come from that value, so no test data chose anything. Inner CV scores R² only,
 *   so one choice serves both metrics.
 */
export type SelectMode = 'validation' | 'test';

export interface GridSelection {
  /** The combined score (the chosen value per experiment, or per experiment and fold). */
  result: ScoreResult;
  /**
   * Chosen value index per experiment (test) or per experiment and fold (validation): `perFold`
   * is the choice behind R² (and everything else: α, errors, band weights), `perFoldR` the choice
   * behind r (differs from `perFold` only under test selection).
   */
  chosen: { experiment: string; perFold: number[]; perFoldR: number[] }[];
}

/** Mean over subjects of the subject's mean unit value (NaN → 0), optionally clipping subject means at 0 (§5.5/§5.6). */
export function subjectMeanOfUnits(values: ArrayLike<number>, subjects: readonly string[], clip: boolean): number {
  return aggregateScores([{ experiment: '', subjects, scores: values }], { clip }).mean;
}

function argmaxFirst(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/**
 * Selects over `fits` (one ScoreResult per grid value, same dataset, splits and units). `clip` is
 * true for layers, false for σ (test selection).
 */
export function selectOverGrid(fits: readonly ScoreResult[], mode: SelectMode, opts: { clip?: boolean } = {}): GridSelection {
  if (fits.length === 0) throw new RangeError('selectOverGrid: no fits');
  const clip = opts.clip ?? false;
  const experiments: ExperimentScores[] = [];
  const chosen: GridSelection['chosen'] = [];
  fits[0].experiments.forEach((e0, ei) => {
    const per = fits.map((f) => f.experiments[ei]);
    const nF = e0.foldSizes.length;
    if (mode === 'test') {
      const k = argmaxFirst(per.map((e) => subjectMeanOfUnits(e.r2, e.subjects, clip)));
      const kr = argmaxFirst(per.map((e) => subjectMeanOfUnits(e.r, e.subjects, clip)));
      // R² (and α, errors, γ) from the value best by R²; r from the value best by r.
      // Predictions follow R² (the value behind α and the errors).
      experiments.push(kr === k ? per[k] : { ...per[k], r: per[kr].r, foldR: per[kr].foldR });
      chosen.push({ experiment: e0.experiment, perFold: new Array(nF).fill(k), perFoldR: new Array(nF).fill(kr) });
      return;
    }
    if (per.some((e) => e.valScore.every((v) => Number.isNaN(v)))) {
      throw new InputError('--select validation: the fits have no inner-CV scores (OLS has none); use --estimator ridge, or --select test');
    }
    const nU = e0.unitIds.length;
    const perFold: number[] = [];
    const foldSse = new Float64Array(nF * nU);
    const foldSse0 = new Float64Array(nF * nU);
    const foldR = new Float64Array(nF * nU);
    const alpha = new Float64Array(nF * nU);
    const valScore = new Float64Array(nF * nU);
    for (let f = 0; f < nF; f++) {
      const k = argmaxFirst(per.map((e) => subjectMeanOfUnits(e.valScore.subarray(f * nU, (f + 1) * nU), e.subjects, false)));
      perFold.push(k);
      const src = per[k];
      for (const [dst, from] of [[foldSse, src.foldSse], [foldSse0, src.foldSse0], [foldR, src.foldR], [alpha, src.alpha], [valScore, src.valScore]] as const) {
        dst.set(from.subarray(f * nU, (f + 1) * nU), f * nU);
      }
    }
    const { r2, r } = poolFolds(foldSse, foldSse0, foldR, nF, nU);
    // Per-sample errors and band weights follow the per-fold choice too.
    let errors: ExperimentScores['errors'] = null;
    if (per.every((e) => e.errors)) {
      const first = e0.errors!;
      errors = { rows: first.rows.slice(), se: new Float32Array(first.se.length), seIntercept: first.seIntercept.slice() };
      let offset = 0;
      for (let f = 0; f < nF; f++) {
        const size = e0.foldSizes[f] * nU;
        errors.se.set(per[perFold[f]].errors!.se.subarray(offset, offset + size), offset);
        offset += size;
      }
    }
    let gamma: Float64Array | null = null;
    if (per.every((e) => e.gamma)) {
      const nB = e0.bandSizes.length;
      gamma = new Float64Array(nF * nU * nB);
      for (let f = 0; f < nF; f++) gamma.set(per[perFold[f]].gamma!.subarray(f * nU * nB, (f + 1) * nU * nB), f * nU * nB);
    }
    let predictions: ExperimentScores['predictions'] = null;
    if (per.every((e) => e.predictions)) {
      const first = e0.predictions!;
      predictions = { rows: first.rows, fold: first.fold, data: new Float64Array(first.data.length).fill(NaN) };
      for (let i = 0; i < first.fold.length; i++) {
        if (first.fold[i] < 0) continue;
        predictions.data.set(per[perFold[first.fold[i]]].predictions!.data.subarray(i * nU, (i + 1) * nU), i * nU);
      }
    }
    const nFeatures = Math.max(...perFold.map((k) => per[k].nFeatures));
    experiments.push({ ...e0, nFeatures, r2, r, alpha, valScore, foldSse, foldSse0, foldR, errors, gamma, predictions });
    chosen.push({ experiment: e0.experiment, perFold, perFoldR: perFold.slice() });
  });
  return { result: summarise({ name: fits[0].dataset, source: fits[0].source }, fits[0].settings, experiments), chosen };
}
