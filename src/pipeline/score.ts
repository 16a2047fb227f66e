import type { Dataset } from '../data/dataset.js';
import { uniqueInOrder } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import type { Backend } from '../linalg/backend.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { sliceCols, takeCols, takeRows } from '../linalg/matrix.js';
import { DEFAULT_ALPHAS, fitUnits, prepareFold, type Estimator, type FoldFactors, type FoldFit } from '../regression/ridge.js';
import { fitBandedFold } from '../regression/banded.js';
import { DEFAULT_BANDED_ITER } from '../regression/banded-defaults.js';
import { foldLabels, type SplitScheme } from '../regression/splits.js';
import { planScoring } from './score-plan.js';
import { applyStandardizer, fitStandardizer } from '../regression/standardize.js';
import { aggregateScores, type AggregateScore } from '../scoring/aggregate.js';
import { foldPearson, foldSquaredErrors, pooledR2 } from '../scoring/metrics.js';

export interface ScoreOptions {
  split: SplitScheme;
  /** Seed of the MT19937 stream that permutes fold labels (shuffled splits). Default 42. */
  seed?: number;
  estimator?: Estimator;
  alphas?: readonly number[];
  /** Units per batch (memory bound). Default 4096. */
  unitBatch?: number;
  backend: Backend;
  /** Only these experiments (default: all, each analysed separately). */
  experiments?: readonly string[];
  /**
   * Columns of each band, in order, when `features` stacks several bands fitted as a banded ridge
   * (each band its own penalty, §4.2). Default: one band.
   */
  bands?: readonly number[];
  /** Banded ridge: number of band-weight samples (default DEFAULT_BANDED_ITER = 100; the paper: 1000), seed of their sampler (default 0). */
  bandedIter?: number;
  bandedSeed?: number;
  /** Banded ridge: false forces the kernel path even where the low-rank path applies (checks; default true). */
  bandedLowRank?: boolean;
  /**
   * Re-z-score X within each inner fold (honest nested CV: validation then sees what z-scoring does
   * to a held-out sample; see FoldFitOptions.innerStandardize), for single and banded ridge.
   * Default true, except under `compat: 'paper'` (the paper z-scores once per outer fold).
   */
  innerStandardize?: boolean;
  /**
   * 'paper': the published rules where brainmap differs (METHODS [BUG] notes; README table "What
   * `--compat paper` changes"). X: z-scored once per outer fold and that scaling reused in the inner
   * folds (unless `innerStandardize` says otherwise). For r: Schrimpf's
   * degeneracy rule (r = 0 where ‖x − x̄‖ ≤ 1e-5·|x̄|, so r depends on y's offset) and undefined r
   * counted as 0 in subject means. Default: r undefined (NaN) only where y or ŷ is constant to
   * float64 rounding, and subject means over the units whose r is defined.
   */
  compat?: 'paper';
  /** Keep every held-out prediction (ExperimentScores.predictions; `--save-predictions`). */
  keepPredictions?: boolean;
  /** Keep per-sample test squared errors (model and intercept) for significance tests (§6.1). */
  keepErrors?: boolean;
  /**
   * Samples dropped from training on each side of every held-out sample within its block, in outer
   * and inner folds (`--gap`, regression/splits.ts applyGap). Default 0.
   */
  gap?: number;
  /** Single ridge/OLS: how maps from targets to predictions are applied (FoldFitOptions.form; default 'auto'; checks). */
  form?: 'auto' | 'map' | 'factored';
  /** Progress in units × folds fitted. */
  onProgress?: (done: number, total: number) => void;
}

/** Scores of one experiment (regressions are always run separately per experiment, §1.1). */
export interface ExperimentScores {
  experiment: string;
  nSamples: number;
  /** Features used after dropping columns that are all zero within the experiment. */
  nFeatures: number;
  /** Dataset column index of each unit analysed. */
  unitIndex: Int32Array;
  unitIds: string[];
  subjects: string[];
  /** units × 3 coordinates (e.g. MNI mm) when the dataset has them. */
  unitCoords: Float64Array | null;
  /** Pooled out-of-sample R² per unit (NaN for a constant unit). */
  r2: Float64Array;
  /** Pearson r per unit: unweighted mean over folds; NaN (undefined) where any fold's r is undefined. */
  r: Float64Array;
  /** folds × units: chosen α (NaN for OLS). */
  alpha: Float64Array;
  /** folds × units: inner-CV R² at the chosen α (NaN for OLS). */
  valScore: Float64Array;
  /** folds × units: the fold's model squared error, intercept-model squared error, and Pearson r. */
  foldSse: Float64Array;
  foldSse0: Float64Array;
  foldR: Float64Array;
  foldSizes: number[];
  innerFolds: number[];
  /** Banded ridge: columns per band (after dropping all-zero columns), and folds × units × B chosen γ. */
  bandSizes: number[];
  gamma: Float64Array | null;
  /**
   * With `keepErrors`: the experiment's row indices (into the dataset) of the stacked test folds,
   * in fold order, and per such row × unit the model's and the intercept model's squared errors.
   */
  errors: { rows: Int32Array; se: Float32Array; seIntercept: Float32Array } | null;
  /**
   * With `keepPredictions`: experiment rows × units (row k is the dataset row `rows[k]`), each
   * sample's held-out prediction in the units of y (the outer-training mean added back); `fold`:
   * the outer fold that held each row out.
   */
  predictions?: { rows: Int32Array; fold: Int32Array; data: Float64Array } | null;
}

export interface ScoreResult {
  dataset: string;
  source: string;
  settings: { split: SplitScheme; seed: number; estimator: Estimator; alphas: number[]; backend: string; bands: number; bandedIter: number | null; bandedSeed: number | null; innerStandardize: boolean; compat?: 'paper' | null; gap?: number };
  experiments: ExperimentScores[];
  /**
   * Aggregated per §5.5 (subject means clipped at 0, mean over experiments, mean over subjects).
   * R²: NaN (constant unit) → 0. r: mean over the units whose r is defined (compat 'paper': NaN → 0).
   */
  r2: AggregateScore;
  r: AggregateScore;
  /** Units whose r is undefined (a constant prediction or constant responses on some test fold). */
  nUndefinedR: number;
  /** Units whose responses are constant on the test folds (R² undefined, counted as 0). */
  nConstantUnits: number;
}

/**
 * Unit scores from per-fold statistics (folds × units): pooled R² = 1 − ΣSSE/ΣSSE0 (§5.2) and the
 * unweighted mean of the folds' Pearson r (§5.3).
 */
export function poolFolds(foldSse: Float64Array, foldSse0: Float64Array, foldR: Float64Array, nFolds: number, nUnits: number): { r2: Float64Array; r: Float64Array } {
  const sse = new Float64Array(nUnits);
  const sse0 = new Float64Array(nUnits);
  const r = new Float64Array(nUnits);
  for (let f = 0; f < nFolds; f++) {
    for (let j = 0; j < nUnits; j++) {
      sse[j] += foldSse[f * nUnits + j];
      sse0[j] += foldSse0[f * nUnits + j];
      r[j] += foldR[f * nUnits + j] / nFolds;
    }
  }
  return { r2: pooledR2(sse, sse0), r };
}

/** Column means of rows `rows` of m (float64, summed in row order; sweep chunks take them the same way). */
export function columnMeans(m: Matrix64, rows: ArrayLike<number>): Float64Array {
  const mean = new Float64Array(m.cols);
  for (let k = 0; k < rows.length; k++) {
    const src = rows[k] * m.cols;
    for (let j = 0; j < m.cols; j++) mean[j] += m.data[src + j];
  }
  for (let j = 0; j < m.cols; j++) mean[j] /= rows.length;
  return mean;
}

/** m[:, j] −= v[j], in place. */
function subtractColumns(m: Matrix64, v: Float64Array): void {
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) m.data[i * m.cols + j] -= v[j];
}

/** Whether idx is 0, 1, …, n − 1. */
function isIdentity(idx: ArrayLike<number>, n: number): boolean {
  if (idx.length !== n) return false;
  for (let i = 0; i < n; i++) if (idx[i] !== i) return false;
  return true;
}

/** The ids, subjects and coordinates (units × 3, or null) of dataset columns `units`, as ExperimentScores records them. */
export function unitLabels(dataset: Dataset, units: Int32Array): Pick<ExperimentScores, 'unitIds' | 'subjects' | 'unitCoords'> {
  const coords = dataset.units.coords;
  return {
    unitIds: Array.from(units, (u) => dataset.units.id[u]),
    subjects: Array.from(units, (u) => dataset.units.subject[u]),
    unitCoords: coords ? Float64Array.from({ length: units.length * 3 }, (_, k) => coords.data[units[Math.floor(k / 3)] * 3 + (k % 3)]) : null,
  };
}

/** Keeps columns of x that are not identically zero on `rows` (they cannot affect the fit). */
export function informativeColumns(x: Matrix64, rows: Int32Array): Int32Array {
  const keep: number[] = [];
  for (let j = 0; j < x.cols; j++) {
    for (let k = 0; k < rows.length; k++) {
      if (x.data[rows[k] * x.cols + j] !== 0) { keep.push(j); break; }
    }
  }
  return Int32Array.from(keep);
}

/**
 * Cross-validated brain score of one feature space (samples × dims, every dataset row) on a
 * dataset: nested CV ridge (or OLS) per experiment, pooled R² and Pearson r per unit, and their
 * aggregation to subjects and the dataset.
 */
export async function scoreFeatures(dataset: Dataset, features: Matrix64, opts: ScoreOptions): Promise<ScoreResult> {
  const seed = opts.seed ?? 42;
  const estimator = opts.estimator ?? 'ridge';
  const alphas = [...(opts.alphas ?? DEFAULT_ALPHAS)];
  const innerStandardize = opts.innerStandardize ?? opts.compat !== 'paper';
  if (features.rows !== dataset.y.rows) {
    throw new InputError(`features: rows: ${features.rows} rows; expected ${dataset.y.rows} (one per sample of ${dataset.name})`);
  }
  const labelsByExp = foldLabels(dataset, opts.split, seed);
  let exps = uniqueInOrder(dataset.samples.experiment);
  if (opts.experiments) {
    for (const e of opts.experiments) if (!exps.includes(e)) throw new InputError(`${dataset.source}: experiment: no experiment "${e}"; the dataset has ${exps.map((x) => JSON.stringify(x)).join(', ')}`);
    exps = exps.filter((e) => opts.experiments!.includes(e));
  }

  // Plan everything first so that progress has a known total and errors come before any fitting.
  const plans = exps.map((experiment) => {
    const { rows, labels } = labelsByExp.get(experiment)!;
    return planScoring(dataset, experiment, rows, labels, opts.gap ?? 0);
  });
  const total = plans.reduce((a, p) => a + p.folds.length * p.units.length, 0);
  let done = 0;

  const bandSizesIn = opts.bands ?? [features.cols];
  if (bandSizesIn.reduce((a, b) => a + b, 0) !== features.cols || bandSizesIn.some((b) => b < 1)) {
    throw new RangeError(`scoreFeatures: band sizes ${bandSizesIn.join('+')} do not add up to the ${features.cols} feature columns`);
  }
  const banded = bandSizesIn.length > 1;
  if (banded && estimator !== 'ridge') throw new InputError(`--estimator ${estimator}: several bands ('|') need banded ridge; use --estimator ridge or join the bands with '+'`);
  const bandOf = new Int32Array(features.cols);
  { let c = 0; bandSizesIn.forEach((n, b) => { for (let k = 0; k < n; k++) bandOf[c++] = b; }); }

  const experiments: ExperimentScores[] = [];
  for (const { experiment, rows, folds, units } of plans) {
    let cols = informativeColumns(features, rows);
    // Keep at least one column per band (an all-zero band then only contributes an intercept).
    for (let b = 0; b < bandSizesIn.length; b++) {
      if (!cols.some((c) => bandOf[c] === b)) cols = Int32Array.from([...cols, bandOf.indexOf(b)].sort((p, q) => p - q));
    }
    const bandSizes = bandSizesIn.map((_, b) => cols.filter((c) => bandOf[c] === b).length);
    const x = takeCols(takeRows(features, rows), cols);
    // Batched responses (dataset.ySource, a large y.npy): read a unit batch at a time below.
    const source = dataset.ySource ?? null;
    // The experiment's responses: the dataset's own matrix when it is all of it (no copy).
    const y = source ? null : isIdentity(rows, dataset.y.rows) && isIdentity(units, dataset.y.cols) ? dataset.y : takeCols(takeRows(dataset.y, rows), units);
    const nU = units.length;
    const nB = bandSizes.length;
    const foldSse = new Float64Array(folds.length * nU);
    const foldSse0 = new Float64Array(folds.length * nU);
    const foldR = new Float64Array(folds.length * nU);
    const alpha = new Float64Array(folds.length * nU);
    const valScore = new Float64Array(folds.length * nU);
    const gamma = banded ? new Float64Array(folds.length * nU * nB) : null;
    const nTestTotal = folds.reduce((a, f) => a + f.test.length, 0);
    const errors = opts.keepErrors ? { rows: new Int32Array(nTestTotal), se: new Float32Array(nTestTotal * nU), seIntercept: new Float32Array(nTestTotal * nU) } : null;
    // First row of each fold's block of `errors` (test folds stacked in fold order).
    const errStart = folds.map((_, f) => folds.slice(0, f).reduce((a, g) => a + g.test.length, 0));
    const predictions = opts.keepPredictions ? { rows: Int32Array.from(rows), fold: new Int32Array(rows.length).fill(-1), data: new Float64Array(rows.length * nU).fill(NaN) } : null;

    /** A fold's standardised designs and (single ridge/OLS) decompositions, shared by all unit batches. */
    const prepareOuter = async (f: number): Promise<{ xtr: Matrix64; xte: Matrix64; factors: FoldFactors | null }> => {
      const fold = folds[f];
      const scaler = fitStandardizer(x, fold.train);
      const xtr = applyStandardizer(x, fold.train, scaler);
      const xte = applyStandardizer(x, fold.test, scaler);
      const factors = banded ? null : await prepareFold(opts.backend, xtr, xte, fold.inner, { estimator, alphas, innerStandardize, form: opts.form });
      return { xtr, xte, factors };
    };
    /**
     * Fits fold f on units [u0, u0 + yb.cols) whose responses (experiment rows × batch) are `yb`, and
     * writes their statistics. Every number is per unit, so batches give the values of one whole fit.
     */
    const fitBatch = async (f: number, prep: { xtr: Matrix64; xte: Matrix64; factors: FoldFactors | null }, yb: Matrix64, u0: number): Promise<void> => {
      const fold = folds[f];
      const b = yb.cols;
      // Targets as deviations from the outer-training mean, in float64 and in place on the fold's
      // copies: the fit and the metrics then never carry y's offset (raw BOLD is ~1e4), so r and R²
      // do not depend on it; predictions come back as deviations too.
      // Ridge/OLS read the training rows of y in place (no copy per fold) and return deviations.
      const yte = takeRows(yb, fold.test);
      const trainMean = columnMeans(yb, fold.train);
      subtractColumns(yte, trainMean);
      const base = done;
      const onUnits = (u: number) => opts.onProgress?.(base + u, total);
      let fit: FoldFit;
      if (prep.factors === null) {
        const ytr = takeRows(yb, fold.train);
        subtractColumns(ytr, trainMean);
        const split = (m: Matrix64) => { let c = 0; return bandSizes.map((n) => { const part = sliceCols(m, c, c + n); c += n; return part; }); };
        const bf = await fitBandedFold(opts.backend, split(prep.xtr), ytr, split(prep.xte), fold.inner, { alphas, nIter: opts.bandedIter, seed: opts.bandedSeed, unitBatch: opts.unitBatch, onUnits, lowRank: opts.bandedLowRank, innerStandardize });
        gamma!.set(bf.gamma, (f * nU + u0) * nB);
        fit = bf;
      } else {
        fit = await fitUnits(opts.backend, prep.factors, yb, { unitBatch: opts.unitBatch, onUnits, trainRows: fold.train, deviations: true });
      }
      done += b;
      // The intercept model predicts the outer-training mean: 0 in deviations.
      const errs = foldSquaredErrors(yte, fit.yhat, new Float64Array(b));
      const at = f * nU + u0;
      foldSse.set(errs.sse, at);
      foldSse0.set(errs.sse0, at);
      foldR.set(foldPearson(yte, fit.yhat, { rule: opts.compat === 'paper' ? 'paper' : 'exact', offset: trainMean }), at);
      alpha.set(fit.alpha, at);
      valScore.set(fit.valScore, at);
      if (predictions) {
        for (let i = 0; i < yte.rows; i++) {
          const dst = fold.test[i] * nU + u0;
          predictions.fold[fold.test[i]] = f;
          for (let j = 0; j < b; j++) predictions.data[dst + j] = fit.yhat.data[i * b + j] + trainMean[j];
        }
      }
      if (errors) {
        for (let i = 0; i < yte.rows; i++) {
          const row = errStart[f] + i;
          errors.rows[row] = rows[fold.test[i]];
          for (let j = 0; j < b; j++) {
            const yv = yte.data[i * b + j];
            errors.se[row * nU + u0 + j] = (yv - fit.yhat.data[i * b + j]) ** 2;
            errors.seIntercept[row * nU + u0 + j] = yv ** 2;
          }
        }
      }
    };

    if (y !== null) {
      // Responses in memory: fold by fold, each fold's decompositions dropped after its fit.
      for (let f = 0; f < folds.length; f++) await fitBatch(f, await prepareOuter(f), y, 0);
    } else {
      // Batched responses: every fold's decompositions once, then each unit batch read once
      // (experiment rows × batch, float64) and fitted in every fold.
      const preps = [];
      for (let f = 0; f < folds.length; f++) preps.push(await prepareOuter(f));
      const step = Math.max(1, opts.unitBatch ?? 4096);
      const allRows = isIdentity(rows, dataset.y.rows);
      for (let k0 = 0; k0 < nU; k0 += step) {
        const k1 = Math.min(nU, k0 + step);
        // units are every column here (score-plan: batched responses are all recorded).
        let yb = source!.readColumns(units[k0], units[k1 - 1] + 1);
        if (!allRows) yb = takeRows(yb, rows);
        for (let f = 0; f < folds.length; f++) await fitBatch(f, preps[f], yb, k0);
      }
    }
    const { r2, r: rMean } = poolFolds(foldSse, foldSse0, foldR, folds.length, nU);
    experiments.push({
      experiment,
      nSamples: rows.length,
      nFeatures: cols.length,
      unitIndex: units,
      ...unitLabels(dataset, units),
      r2,
      r: rMean,
      alpha,
      valScore,
      foldSse,
      foldSse0,
      foldR,
      foldSizes: folds.map((f) => f.test.length),
      innerFolds: folds.map((f) => f.inner.length),
      bandSizes,
      gamma,
      errors,
      predictions,
    });
  }
  const settings = { split: opts.split, seed, estimator, alphas, backend: opts.backend.name, bands: bandSizesIn.length, bandedIter: banded ? opts.bandedIter ?? DEFAULT_BANDED_ITER : null, bandedSeed: banded ? opts.bandedSeed ?? 0 : null, innerStandardize: estimator === 'ridge' && innerStandardize, compat: opts.compat ?? null, gap: opts.gap ?? 0 };
  return summarise(dataset, settings, experiments);
}

/** Aggregates experiment scores into a ScoreResult (§5.5); undefined r per `settings.compat` (see ScoreOptions.compat). */
export function summarise(dataset: Pick<Dataset, 'name' | 'source'>, settings: ScoreResult['settings'], experiments: ExperimentScores[]): ScoreResult {
  const undefinedScores = settings.compat === 'paper' ? 'zero' : 'omit';
  return {
    dataset: dataset.name,
    source: dataset.source,
    settings,
    experiments,
    r2: aggregateScores(experiments.map((e) => ({ experiment: e.experiment, subjects: e.subjects, scores: e.r2 }))),
    r: aggregateScores(experiments.map((e) => ({ experiment: e.experiment, subjects: e.subjects, scores: e.r })), { undefinedScores }),
    nUndefinedR: experiments.reduce((a, e) => a + e.r.filter((v) => Number.isNaN(v)).length, 0),
    nConstantUnits: experiments.reduce((a, e) => a + e.r2.filter((v) => Number.isNaN(v)).length, 0),
  };
}
