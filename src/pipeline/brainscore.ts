/**
 * The "old way" (METHODS §9.2): Brain-Score Language's `linear-shuffle` protocol, to put old and
 * new scores side by side. Per experiment: ShuffleSplit(10 splits, train 0.9, random_state 1) over
 * the samples in the assembly's presentation order (the source file's row order within the
 * experiment, as Brain-Score's CrossValidation takes the target assembly's `stimulus_id` values;
 * each split draws `permutation(n)` from one legacy MT19937 stream seeded 1: test = perm[:n_test],
 * train = perm[n_test:]) — the dataset's own row order when it was not read from an assembly —,
 * ordinary least squares with an intercept on the raw (unstandardised) features (scikit-learn
 * LinearRegression: minimum-norm via lstsq when features > samples), Pearson r per neuroid on the
 * test set with Brain-Score's batched formula Σ (x̃/(‖x̃‖+1e-8))·(ỹ/(‖ỹ‖+1e-8)), the median over
 * neuroids per split, the mean over splits; divided by the published ceiling and clipped to [0, 1]
 * only when the data are those the ceiling was computed on (`publishedCeiling`). The dataset score
 * is the mean over experiments.
 */
import { snakeKeys } from './json-keys.js';
import type { AssemblyOrigin, Dataset } from '../data/dataset.js';
import { uniqueInOrder } from '../data/dataset.js';
import type { Backend } from '../linalg/backend.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { takeCols, takeRows } from '../linalg/matrix.js';
import { MT19937 } from '../random/mt19937.js';
import { fitFold } from '../regression/ridge.js';
import { median } from '../scoring/aggregate.js';

/** A published ceiling (raw Pearson r) and the data it was computed on. */
export interface PublishedCeiling {
  /** Brain-Score assembly identifier (Dataset.assembly.identifier). */
  assembly: string;
  /** Experiment within the assembly ('' when it has one). */
  experiment: string;
  /** Samples and neuroids of that experiment as the benchmark scores it (after dropna over neuroids). */
  samples: number;
  units: number;
  ceiling: number;
  /** Where the value comes from. */
  source: string;
}

/** Published ceilings (REFERENCE_VALUES §K; sizes METHODS §1, DATASETS §2–4). */
export const BRAINSCORE_CEILINGS: readonly PublishedCeiling[] = [
  { assembly: 'Pereira2018.language', experiment: '243', samples: 243, units: 8031, ceiling: 0.35378928, source: 'brain-score/language tests' },
  { assembly: 'Pereira2018.language', experiment: '384', samples: 384, units: 12155, ceiling: 0.36343748, source: 'brain-score/language tests' },
  { assembly: 'Blank2014.fROI', experiment: '', samples: 1317, units: 60, ceiling: 0.21026591, source: 'brain-score/language tests' },
  { assembly: 'Fedorenko2016.language', experiment: '', samples: 416, units: 97, ceiling: 0.225257, source: 'a third-party script, not authoritative' },
];

const ASSEMBLIES = [...new Set(BRAINSCORE_CEILINGS.map((c) => c.assembly))].join(', ');

/**
 * The published ceiling for an experiment of a dataset, when the data are exactly those it was
 * computed on: the same Brain-Score assembly (not a network=all selection, not the MATLAB release,
 * not a folder or simulation), the same experiment, and the same numbers of samples and neuroids.
 * Otherwise null, with the reason.
 */
export function publishedCeiling(origin: AssemblyOrigin | undefined, datasetName: string, experiment: string, nSamples: number, nUnits: number): { ceiling: number | null; note: string } {
  if (!origin) return { ceiling: null, note: `no published ceiling: ${datasetName} was not read from a Brain-Score assembly (ceilings are published for ${ASSEMBLIES})` };
  if (origin.identifier === null) return { ceiling: null, note: `no published ceiling: ${origin.note ?? 'not a Brain-Score assembly'}` };
  const c = BRAINSCORE_CEILINGS.find((x) => x.assembly === origin.identifier && x.experiment === experiment);
  const what = `${origin.identifier}${experiment ? ` experiment ${experiment}` : ''}`;
  if (!c) return { ceiling: null, note: `no published ceiling for ${what}` };
  if (c.samples !== nSamples || c.units !== nUnits) {
    return { ceiling: null, note: `no published ceiling: that of ${what} was computed on ${c.samples} samples × ${c.units} neuroids; these data have ${nSamples} × ${nUnits}` };
  }
  return { ceiling: c.ceiling, note: `published ceiling of ${what} (${c.source})` };
}

/**
 * Dataset rows of an experiment in the order Brain-Score splits them: the source file's
 * presentation order when known, else the dataset's row order.
 */
export function presentationOrder(dataset: Dataset, rows: Int32Array): { rows: Int32Array; order: 'assembly' | 'dataset' } {
  const pr = dataset.assembly?.presentationRow;
  if (!pr) return { rows, order: 'dataset' };
  return { rows: Int32Array.from(rows).sort((p, q) => pr[p] - pr[q]), order: 'assembly' };
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
  /** Which ceiling was applied, or why none was. */
  ceilingNote: string;
  /** Order the splits were drawn over: the assembly's presentation order, or the dataset's rows. */
  splitOrder: 'assembly' | 'dataset';
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

/** BrainScoreResult as written to JSON (audit.json `brainscore`, score --protocol brainscore's brainscore.json): snake_case keys. */
export interface BrainScoreJson {
  protocol: 'brainscore-linear-shuffle';
  dataset: string;
  experiments: { experiment: string; n_samples: number; n_units: number; per_split: number[]; raw: number; ceiling: number | null; ceiling_note: string; split_order: 'assembly' | 'dataset'; normalized: number | null; subjects: { subject: string; raw: number }[] }[];
  score: number;
  raw: number;
}

/** The JSON form of a Brain-Score protocol result (snake_case keys, issue 16.5). */
export function brainScoreToJson(r: BrainScoreResult): BrainScoreJson {
  return snakeKeys<BrainScoreJson>(r);
}

export interface BrainScoreOptions {
  backend: Backend;
  /**
   * 'published' (default): the published ceiling when the data are those it was computed on
   * (`publishedCeiling`); a number: that ceiling; null: no normalisation.
   */
  ceiling?: 'published' | number | null;
  nSplits?: number;
  trainSize?: number;
  seed?: number;
}

/**
 * An experiment's rows in Brain-Score's split order (`presentationOrder`) and its ShuffleSplit
 * splits as positions into those rows (map a position k to the dataset row `rows[k]`).
 */
export function brainScoreSplits(dataset: Dataset, experiment: string, opts: Pick<BrainScoreOptions, 'nSplits' | 'trainSize' | 'seed'> = {}): { rows: Int32Array; order: 'assembly' | 'dataset'; splits: { train: Int32Array; test: Int32Array }[] } {
  const { rows, order } = presentationOrder(dataset, Int32Array.from(dataset.samples.experiment.flatMap((e, i) => (e === experiment ? [i] : []))));
  return { rows, order, splits: shuffleSplits(rows.length, opts.nSplits ?? 10, opts.trainSize ?? 0.9, opts.seed ?? 1) };
}

export async function brainScoreLinearShuffle(dataset: Dataset, features: Matrix64, opts: BrainScoreOptions): Promise<BrainScoreResult> {
  const experiments: BrainScoreExperiment[] = [];
  for (const experiment of uniqueInOrder(dataset.samples.experiment)) {
    const { rows, order, splits } = brainScoreSplits(dataset, experiment, opts);
    const units = Int32Array.from({ length: dataset.y.cols }, (_, j) => j).filter((j) => rows.every((r) => Number.isFinite(dataset.y.data[r * dataset.y.cols + j])));
    const x = takeRows(features, rows);
    const y = takeCols(takeRows(dataset.y, rows), units);
    const subjects = Array.from(units, (u) => dataset.units.subject[u]);
    const subjectIds = uniqueInOrder(subjects);
    const perSplit: number[] = [];
    const perSubject = new Map<string, number[]>(subjectIds.map((s) => [s, []]));
    for (const split of splits) {
      const fit = await fitFold(opts.backend, takeRows(x, split.train), takeRows(y, split.train), takeRows(x, split.test), [], { estimator: 'ols', olsCutoff: 'lstsq' });
      const r = brainScorePearson(fit.yhat, takeRows(y, split.test));
      perSplit.push(median(r));
      for (const s of subjectIds) perSubject.get(s)!.push(median(r.filter((_, j) => subjects[j] === s)));
    }
    const raw = perSplit.reduce((a, b) => a + b, 0) / perSplit.length;
    const { ceiling, note: ceilingNote } = opts.ceiling === undefined || opts.ceiling === 'published'
      ? publishedCeiling(dataset.assembly, dataset.name, experiment, rows.length, units.length)
      : { ceiling: opts.ceiling, note: opts.ceiling === null ? 'no ceiling (--ceiling none)' : 'ceiling given with --ceiling' };
    experiments.push({
      experiment,
      nSamples: rows.length,
      nUnits: units.length,
      perSplit,
      raw,
      ceiling,
      ceilingNote,
      splitOrder: order,
      normalized: ceiling ? Math.min(1, Math.max(0, raw / ceiling)) : null,
      subjects: subjectIds.map((s) => ({ subject: s, raw: perSubject.get(s)!.reduce((a, b) => a + b, 0) / perSubject.get(s)!.length })),
    });
  }
  const score = experiments.reduce((a, e) => a + (e.normalized ?? e.raw), 0) / experiments.length;
  const raw = experiments.reduce((a, e) => a + e.raw, 0) / experiments.length;
  return { protocol: 'brainscore-linear-shuffle', dataset: dataset.name, experiments, score, raw };
}
