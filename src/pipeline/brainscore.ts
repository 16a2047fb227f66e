/**
 * The "old way" (METHODS §9.2): Brain-Score Language's `linear-shuffle` protocol, to put old and
 * new scores side by side. Per experiment: ShuffleSplit(10 splits, train 0.9, random_state 1) over
 * the samples in the dataset's row order (each split draws `permutation(n)` from one legacy MT19937
 * stream seeded 1: test = perm[:n_test], train = perm[n_test:]), ordinary least squares with an
 * intercept on the raw (unstandardised) features (scikit-learn LinearRegression: minimum-norm via
 * lstsq when features > samples), Pearson r per neuroid on the test set with Brain-Score's batched
 * formula Σ (x̃/(‖x̃‖+1e-8))·(ỹ/(‖ỹ‖+1e-8)), the median over neuroids per split, the mean over
 * splits; optionally divided by the published ceiling and clipped to [0, 1]. The dataset score is
 * the mean over experiments.
 */
import type { Dataset } from '../data/dataset.js';
import { uniqueInOrder } from '../data/dataset.js';
import type { Backend } from '../linalg/backend.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { takeCols, takeRows } from '../linalg/matrix.js';
import { MT19937 } from '../random/mt19937.js';
import { fitFold } from '../regression/ridge.js';
import { median } from '../scoring/aggregate.js';

/** Published ceilings (raw Pearson r; REFERENCE_VALUES §K). Fedorenko's is third-party, not authoritative. */
export const BRAINSCORE_CEILINGS: Record<string, number> = {
  'pereira2018/243': 0.35378928,
  'pereira2018/384': 0.36343748,
  blank2014: 0.21026591,
  fedorenko2016: 0.225257,
};

/** The published ceiling for a dataset name and experiment, if any. */
export function publishedCeiling(datasetName: string, experiment: string): number | null {
  const name = datasetName.toLowerCase();
  for (const key of Object.keys(BRAINSCORE_CEILINGS)) {
    const [ds, exp] = key.split('/');
    if (name.startsWith(ds) && (exp === undefined || exp === experiment)) return BRAINSCORE_CEILINGS[key];
  }
  return null;
}

/** sklearn ShuffleSplit(nSplits, train_size) with a legacy RandomState(seed): test and train indices per split. */
export function shuffleSplits(n: number, nSplits = 10, trainSize = 0.9, seed = 1): { train: Int32Array; test: Int32Array }[] {
  const nTrain = Math.floor(trainSize * n);
  const nTest = n - nTrain;
  const rng = new MT19937(seed);
  const out: { train: Int32Array; test: Int32Array }[] = [];
  for (let s = 0; s < nSplits; s++) {
    const perm = rng.permutation(n);
    out.push({ test: perm.slice(0, nTest), train: perm.slice(nTest, nTest + nTrain) });
  }
  return out;
}

/** Brain-Score's batched Pearson r per column of two n × u matrices. */
export function brainScorePearson(pred: Matrix64, target: Matrix64): Float64Array {
  const n = pred.rows;
  const u = pred.cols;
  const r = new Float64Array(u);
  for (let j = 0; j < u; j++) {
    let mp = 0;
    let mt = 0;
    for (let i = 0; i < n; i++) { mp += pred.data[i * u + j]; mt += target.data[i * u + j]; }
    mp /= n; mt /= n;
    let np = 0;
    let nt = 0;
    let dot = 0;
    for (let i = 0; i < n; i++) {
      const a = pred.data[i * u + j] - mp;
      const b = target.data[i * u + j] - mt;
      np += a * a; nt += b * b; dot += a * b;
    }
    r[j] = dot / ((Math.sqrt(np) + 1e-8) * (Math.sqrt(nt) + 1e-8));
  }
  return r;
}

export interface BrainScoreExperiment {
  experiment: string;
  nSamples: number;
  nUnits: number;
  /** Median over neuroids of r, per split. */
  perSplit: number[];
  /** Mean over splits. */
  raw: number;
  ceiling: number | null;
  /** raw / ceiling clipped to [0, 1], or null without a ceiling. */
  normalized: number | null;
  /** Per subject: mean over splits of the median over that subject's neuroids (for comparison with §5.5 values). */
  subjects: { subject: string; raw: number }[];
}

export interface BrainScoreResult {
  protocol: 'brainscore-linear-shuffle';
  dataset: string;
  experiments: BrainScoreExperiment[];
  /** Mean over experiments of the normalised scores (raw where no ceiling applies). */
  score: number;
  raw: number;
}

export interface BrainScoreOptions {
  backend: Backend;
  /** 'published' (default): the published ceiling when one is known; a number: that ceiling; null: no normalisation. */
  ceiling?: 'published' | number | null;
  nSplits?: number;
  trainSize?: number;
  seed?: number;
}

export async function brainScoreLinearShuffle(dataset: Dataset, features: Matrix64, opts: BrainScoreOptions): Promise<BrainScoreResult> {
  const experiments: BrainScoreExperiment[] = [];
  for (const experiment of uniqueInOrder(dataset.samples.experiment)) {
    const rows = Int32Array.from(dataset.samples.experiment.flatMap((e, i) => (e === experiment ? [i] : [])));
    const units = Int32Array.from({ length: dataset.y.cols }, (_, j) => j).filter((j) => rows.every((r) => Number.isFinite(dataset.y.data[r * dataset.y.cols + j])));
    const x = takeRows(features, rows);
    const y = takeCols(takeRows(dataset.y, rows), units);
    const subjects = Array.from(units, (u) => dataset.units.subject[u]);
    const subjectIds = uniqueInOrder(subjects);
    const perSplit: number[] = [];
    const perSubject = new Map<string, number[]>(subjectIds.map((s) => [s, []]));
    for (const split of shuffleSplits(rows.length, opts.nSplits ?? 10, opts.trainSize ?? 0.9, opts.seed ?? 1)) {
      const fit = await fitFold(opts.backend, takeRows(x, split.train), takeRows(y, split.train), takeRows(x, split.test), [], { estimator: 'ols', olsCutoff: 'lstsq' });
      const r = brainScorePearson(fit.yhat, takeRows(y, split.test));
      perSplit.push(median(r));
      for (const s of subjectIds) perSubject.get(s)!.push(median(r.filter((_, j) => subjects[j] === s)));
    }
    const raw = perSplit.reduce((a, b) => a + b, 0) / perSplit.length;
    const ceiling = opts.ceiling === undefined || opts.ceiling === 'published' ? publishedCeiling(dataset.name, experiment) : opts.ceiling;
    experiments.push({
      experiment,
      nSamples: rows.length,
      nUnits: units.length,
      perSplit,
      raw,
      ceiling,
      normalized: ceiling ? Math.min(1, Math.max(0, raw / ceiling)) : null,
      subjects: subjectIds.map((s) => ({ subject: s, raw: perSubject.get(s)!.reduce((a, b) => a + b, 0) / perSubject.get(s)!.length })),
    });
  }
  const score = experiments.reduce((a, e) => a + (e.normalized ?? e.raw), 0) / experiments.length;
  const raw = experiments.reduce((a, e) => a + e.raw, 0) / experiments.length;
  return { protocol: 'brainscore-linear-shuffle', dataset: dataset.name, experiments, score, raw };
}
