/**
 * Noise ceilings of a dataset (docs/method.md §9) and ceiling-normalised scores.
 *
 * - `split-half`: when the sample table has a `repeat` column (rows are repeated presentations of a
 *   stimulus): per experiment and unit, split-half reliability over the repeats, Spearman–Brown
 *   corrected (src/scoring/ceiling.ts).
 * - `subject-pool`: Brain-Score's extrapolated ceiling when at least three subjects saw the same
 *   stimuli (every unit of a dataset shares its rows): each held-out subject's units predicted from
 *   the pooled units of the other subjects of a subset with the Brain-Score metric of
 *   `score --protocol brainscore` (its ShuffleSplit, OLS and Pearson r, src/pipeline/brainscore.ts),
 *   at every pool size, then extrapolated per unit.
 *
 * Ceilings are in units of r (the r a noise-free prediction reaches on the rows as scored).
 */
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { uniqueInOrder } from '../data/dataset.js';
import { inputError } from '../data/errors.js';
import type { Backend } from '../linalg/backend.js';
import { takeCols, takeRows } from '../linalg/matrix.js';
import { MT19937 } from '../random/mt19937.js';
import { fitFold } from '../regression/ridge.js';
import { aggregateScores, median, sortSubjects, type AggregateScore } from '../scoring/aggregate.js';
import { combinations, extrapolateUnit, halfSplits, splitHalfReliability } from '../scoring/ceiling.js';
import { brainScorePearson, brainScoreSplits } from './brainscore.js';
import type { ScoreResult } from './score.js';

export type CeilingMethod = 'split-half' | 'subject-pool';

export interface CeilingOptions {
  /** 'auto' (default): split-half when the dataset has repeats, else subject-pool. */
  method?: 'auto' | CeilingMethod;
  /** Needed by subject-pool (the OLS fits). */
  backend?: Backend;
  /** Only these experiments (default: all). */
  experiments?: string[];
  /** split-half: all splits when there are at most this many, else this many random ones (default 100). */
  maxSplits?: number;
  /** split-half: seed of the random splits (default 0). */
  seed?: number;
  /** subject-pool: subject subsets per pool size, all when there are at most this many, else a seeded sample (default 20). */
  maxSubsets?: number;
  /** subject-pool: bootstraps of the extrapolation (default 100, Brain-Score's). */
  nBootstraps?: number;
  /** subject-pool: ShuffleSplit splits of the held-out metric (default 10, Brain-Score's). */
  nSplits?: number;
}

/** Ceilings of the units of one experiment. */
export interface ExperimentCeilings {
  experiment: string;
  method: CeilingMethod;
  /** Dataset column of each unit. */
  unitIndex: Int32Array;
  unitIds: string[];
  subjects: string[];
  /** Per unit, in units of r; NaN where undefined (reliability ≤ 0, a constant unit, no fit). */
  ceiling: Float64Array;
  /** split-half: mean split-half r per unit; null for subject-pool. */
  rHalf: Float64Array | null;
  /** split-half: Spearman–Brown 2r/(1+r) per unit (reliability of the mean of 2h repeats); null for subject-pool. */
  reliability: Float64Array | null;
  nStimuli: number;
  /** split-half: repeats per stimulus; subject-pool: null. */
  nRepeats: number | null;
  /** split-half: half splits averaged; subject-pool: ShuffleSplit splits per held-out fit. */
  nSplits: number;
  /** subject-pool: pool sizes k (subset sizes, held-out subject included); split-half: []. */
  poolSizes: number[];
  /** subject-pool: per unit, the mean held-out r at each pool size (the curve that is extrapolated); null for split-half. */
  meanScores: Float64Array[] | null;
}

export interface SubjectCeiling {
  subject: string;
  nUnits: number;
  /** Units whose ceiling is ≤ 0 or undefined. */
  nUndefined: number;
  /** Median over the subject's units (all experiments) with a ceiling > 0. */
  ceiling: number;
  /** split-half: median Spearman–Brown reliability over the same units; null for subject-pool. */
  reliability: number | null;
}

export interface CeilingResult {
  dataset: string;
  method: CeilingMethod;
  experiments: ExperimentCeilings[];
  subjects: SubjectCeiling[];
  /** Median over all units with a ceiling > 0. */
  ceiling: number;
  nUndefined: number;
}

function samplesFile(dataset: Dataset): string {
  return join(dataset.source, 'samples.csv');
}

/** Rows of an experiment as stimuli × repeats (stimuli in order of first appearance, repeats in label order). */
function repeatGrid(dataset: Dataset, experiment: string): { rows: Int32Array; nStimuli: number; nRepeats: number } {
  const s = dataset.samples;
  const rep = s.repeat as string[];
  const byStim = new Map<string, Map<string, number>>();
  s.experiment.forEach((e, r) => {
    if (e !== experiment) return;
    const m = byStim.get(s.stimulusId[r]) ?? new Map<string, number>();
    m.set(rep[r], r);
    byStim.set(s.stimulusId[r], m);
  });
  const file = samplesFile(dataset);
  const where = experiment === '' ? '' : ` of experiment '${experiment}'`;
  const stims = [...byStim.keys()];
  const labels = sortSubjects([...byStim.get(stims[0])!.keys()]);
  if (labels.length < 2) throw inputError(file, 'repeat', `stimulus '${stims[0]}'${where} has 1 repeat; expected at least 2 repeats per stimulus for a split-half ceiling`);
  if (stims.length < 3) throw inputError(file, 'repeat', `${stims.length} stimuli${where}; expected at least 3 for a split-half ceiling`);
  const rows = new Int32Array(stims.length * labels.length);
  stims.forEach((id, i) => {
    const m = byStim.get(id)!;
    const same = m.size === labels.length && labels.every((l) => m.has(l));
    if (!same) throw inputError(file, 'repeat', `stimulus '${id}'${where} has repeats ${sortSubjects([...m.keys()]).join(', ')}; expected the same repeats as stimulus '${stims[0]}' (${labels.join(', ')})`);
    labels.forEach((l, q) => { rows[i * labels.length + q] = m.get(l)!; });
  });
  return { rows, nStimuli: stims.length, nRepeats: labels.length };
}

function splitHalfExperiment(dataset: Dataset, experiment: string, opts: CeilingOptions): ExperimentCeilings {
  const { rows, nStimuli, nRepeats } = repeatGrid(dataset, experiment);
  const splits = halfSplits(nRepeats, opts.maxSplits ?? 100, opts.seed ?? 0);
  const units = Int32Array.from({ length: dataset.y.cols }, (_, j) => j);
  const res = splitHalfReliability(dataset.y, rows, nRepeats, splits);
  return {
    experiment,
    method: 'split-half',
    unitIndex: units,
    unitIds: Array.from(units, (j) => dataset.units.id[j]),
    subjects: Array.from(units, (j) => dataset.units.subject[j]),
    ceiling: Float64Array.from(res, (x) => x.ceiling),
    rHalf: Float64Array.from(res, (x) => x.rHalf),
    reliability: Float64Array.from(res, (x) => x.reliability),
    nStimuli,
    nRepeats,
    nSplits: splits.length,
    poolSizes: [],
    meanScores: null,
  };
}

/** Subject subsets of size k (indices into `nSubjects` sorted subjects): all, or a seeded sample of `max`. */
function subsets(nSubjects: number, k: number, max: number, seed: number): Int32Array[] {
  const all = combinations(nSubjects, k);
  if (all.length <= max) return all;
  const perm = new MT19937(seed).permutation(all.length);
  return Array.from(perm.slice(0, max)).sort((a, b) => a - b).map((i) => all[i]);
}

async function subjectPoolExperiment(dataset: Dataset, experiment: string, opts: CeilingOptions): Promise<ExperimentCeilings> {
  if (!opts.backend) throw new RangeError('computeCeilings: the subject-pool ceiling needs a backend');
  const { rows, splits } = brainScoreSplits(dataset, experiment, { nSplits: opts.nSplits ?? 10 });
  const yAll = dataset.y;
  const units = Int32Array.from({ length: yAll.cols }, (_, j) => j).filter((j) => rows.every((r) => Number.isFinite(yAll.data[r * yAll.cols + j])));
  const subjectOf = Array.from(units, (j) => dataset.units.subject[j]);
  const subjects = sortSubjects(subjectOf);
  const where = experiment === '' ? '' : ` in experiment '${experiment}'`;
  if (subjects.length < 3) {
    throw inputError(dataset.source, 'subject', `${subjects.length} subject(s)${where} (${subjects.join(', ')}); the subject-pool ceiling needs at least 3 subjects who saw the same stimuli (units.csv subject column), or use repeats (samples.csv repeat column) for a split-half ceiling`);
  }
  const y = takeCols(takeRows(yAll, rows), units);
  const cols = subjects.map((s) => Int32Array.from(subjectOf.flatMap((x, c) => (x === s ? [c] : []))));
  const sizes = subjects.slice(1).map((_, i) => i + 2);
  // scores[c][kIndex]: unit c's held-out r values at pool size sizes[kIndex] (subset order, then split order).
  const scores: number[][][] = Array.from(units, () => sizes.map(() => []));
  for (const [ki, k] of sizes.entries()) {
    for (const subset of subsets(subjects.length, k, opts.maxSubsets ?? 20, opts.seed ?? 0)) {
      for (const held of subset) {
        const pool = Int32Array.from(Array.from(subset).filter((s) => s !== held).flatMap((s) => Array.from(cols[s])));
        const x = takeCols(y, pool);
        const target = takeCols(y, cols[held]);
        for (const split of splits) {
          const fit = await fitFold(opts.backend, takeRows(x, split.train), takeRows(target, split.train), takeRows(x, split.test), [], { estimator: 'ols', olsCutoff: 'lstsq' });
          const r = brainScorePearson(fit.yhat, takeRows(target, split.test));
          cols[held].forEach((c, t) => scores[c][ki].push(r[t]));
        }
      }
    }
  }
  const ceiling = Float64Array.from(scores, (s) => {
    const c = extrapolateUnit(sizes, s, opts.nBootstraps ?? 100, 0).ceiling;
    return c > 0 ? c : NaN;
  });
  return {
    experiment,
    method: 'subject-pool',
    unitIndex: units,
    unitIds: Array.from(units, (j) => dataset.units.id[j]),
    subjects: subjectOf,
    ceiling,
    rHalf: null,
    reliability: null,
    nStimuli: rows.length,
    nRepeats: null,
    nSplits: splits.length,
    poolSizes: sizes,
    meanScores: scores.map((s) => Float64Array.from(s, (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN))),
  };
}

/** The method 'auto' resolves to: split-half when the sample table has a repeat column, else subject-pool. */
export function ceilingMethodFor(dataset: Dataset, method: 'auto' | CeilingMethod = 'auto'): CeilingMethod {
  if (method !== 'auto') {
    if (method === 'split-half' && dataset.samples.repeat === undefined) {
      throw inputError(dataset.source, 'repeat', 'the split-half ceiling needs repeated presentations: a repeat column in samples.csv');
    }
    return method;
  }
  return dataset.samples.repeat !== undefined ? 'split-half' : 'subject-pool';
}

/** Per-unit and per-subject noise ceilings of a dataset (docs/method.md §9). */
export async function computeCeilings(dataset: Dataset, opts: CeilingOptions = {}): Promise<CeilingResult> {
  const method = ceilingMethodFor(dataset, opts.method);
  const all = uniqueInOrder(dataset.samples.experiment);
  const chosen = opts.experiments ? all.filter((e) => opts.experiments!.includes(e)) : all;
  const experiments: ExperimentCeilings[] = [];
  for (const e of chosen) experiments.push(method === 'split-half' ? splitHalfExperiment(dataset, e, opts) : await subjectPoolExperiment(dataset, e, opts));
  const per = new Map<string, { c: number[]; rel: number[]; n: number }>();
  for (const e of experiments) {
    e.subjects.forEach((s, i) => {
      const acc = per.get(s) ?? { c: [], rel: [], n: 0 };
      acc.n += 1;
      if (e.ceiling[i] > 0) { acc.c.push(e.ceiling[i]); if (e.reliability) acc.rel.push(e.reliability[i]); }
      per.set(s, acc);
    });
  }
  const subjects = sortSubjects([...per.keys()]).map((s) => {
    const a = per.get(s)!;
    return { subject: s, nUnits: a.n, nUndefined: a.n - a.c.length, ceiling: median(a.c), reliability: method === 'split-half' ? median(a.rel) : null };
  });
  const defined = experiments.flatMap((e) => Array.from(e.ceiling).filter((c) => c > 0));
  return {
    dataset: dataset.name,
    method,
    experiments,
    subjects,
    ceiling: median(defined),
    nUndefined: subjects.reduce((a, s) => a + s.nUndefined, 0),
  };
}

/** Ceiling-normalised scores (docs/method.md §9.3). */
export interface NormalisedScores {
  method: CeilingMethod;
  /** Per experiment, per unit of the score (same order as ScoreResult's units): r / ceiling and R² / ceiling² (NaN: excluded or undefined). */
  experiments: { experiment: string; ceiling: Float64Array; r: Float64Array; r2: Float64Array }[];
  r2: AggregateScore;
  r: AggregateScore;
  /** Median unit ceiling per subject over the scored units with a ceiling > 0. */
  subjectCeilings: { subject: string; ceiling: number; nExcluded: number }[];
  /** Scored units whose ceiling is ≤ 0 or undefined (left out). */
  nExcluded: number;
}

/**
 * Divides each unit's r by its ceiling and its R² by the ceiling squared; units whose ceiling is
 * ≤ 0 or undefined are left out (counted in nExcluded). Undefined unit scores are treated as in
 * the raw aggregate (R²: 0; r: left out, or 0 when `undefinedR` is 'zero'); subject means are
 * clipped at 0 and averaged as in §5.5.
 */
export function normaliseScores(result: ScoreResult, ceilings: CeilingResult, undefinedR: 'zero' | 'omit' = 'omit'): NormalisedScores {
  const experiments = result.experiments.map((e) => {
    const ce = ceilings.experiments.find((c) => c.experiment === e.experiment);
    const byUnit = new Map<number, number>();
    if (ce) ce.unitIndex.forEach((j, i) => byUnit.set(j, ce.ceiling[i]));
    const ceiling = Float64Array.from(e.unitIndex, (j) => byUnit.get(j) ?? NaN);
    const ok = (i: number) => ceiling[i] > 0;
    const r = Float64Array.from(e.r, (v, i) => (ok(i) ? (Number.isNaN(v) ? (undefinedR === 'zero' ? 0 : NaN) : v / ceiling[i]) : NaN));
    const r2 = Float64Array.from(e.r2, (v, i) => (ok(i) ? (Number.isNaN(v) ? 0 : v) / (ceiling[i] * ceiling[i]) : NaN));
    return { experiment: e.experiment, ceiling, r, r2, subjects: e.subjects };
  });
  const agg = (m: 'r' | 'r2') => aggregateScores(experiments.map((e) => ({ experiment: e.experiment, subjects: e.subjects, scores: e[m] })), { undefinedScores: 'omit' });
  const per = new Map<string, { c: number[]; bad: number }>();
  for (const e of experiments) {
    e.subjects.forEach((s, i) => {
      const a = per.get(s) ?? { c: [], bad: 0 };
      if (e.ceiling[i] > 0) a.c.push(e.ceiling[i]); else a.bad += 1;
      per.set(s, a);
    });
  }
  const subjectCeilings = sortSubjects([...per.keys()]).map((s) => ({ subject: s, ceiling: median(per.get(s)!.c), nExcluded: per.get(s)!.bad }));
  return {
    method: ceilings.method,
    experiments: experiments.map(({ experiment, ceiling, r, r2 }) => ({ experiment, ceiling, r, r2 })),
    r2: agg('r2'),
    r: agg('r'),
    subjectCeilings,
    nExcluded: subjectCeilings.reduce((a, s) => a + s.nExcluded, 0),
  };
}

/** `brainmap ceiling --json` and ceiling.json: the per-subject and dataset summary (snake_case). */
export interface CeilingJson {
  dataset: string;
  method: CeilingMethod;
  /** Median over all units with a ceiling > 0 (in units of r). */
  ceiling: number | null;
  n_units_undefined: number;
  experiments: { experiment: string; n_stimuli: number; n_repeats: number | null; n_splits: number; pool_sizes: number[]; n_units: number; n_units_undefined: number; ceiling: number | null }[];
  subjects: { subject: string; n_units: number; n_units_undefined: number; ceiling: number | null; reliability: number | null }[];
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function ceilingsToJson(res: CeilingResult): CeilingJson {
  return {
    dataset: res.dataset,
    method: res.method,
    ceiling: finite(res.ceiling),
    n_units_undefined: res.nUndefined,
    experiments: res.experiments.map((e) => {
      const ok = Array.from(e.ceiling).filter((c) => c > 0);
      return { experiment: e.experiment, n_stimuli: e.nStimuli, n_repeats: e.nRepeats, n_splits: e.nSplits, pool_sizes: e.poolSizes, n_units: e.ceiling.length, n_units_undefined: e.ceiling.length - ok.length, ceiling: finite(median(ok)) };
    }),
    subjects: res.subjects.map((s) => ({ subject: s.subject, n_units: s.nUnits, n_units_undefined: s.nUndefined, ceiling: finite(s.ceiling), reliability: s.reliability === null ? null : finite(s.reliability) })),
  };
}

/** ceilings.csv: one row per experiment and unit; empty cells where a value is undefined or not computed by the method. */
export function ceilingsCsv(res: CeilingResult): string {
  const cell = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : String(v));
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['experiment,unit,subject,ceiling,r_half,reliability'];
  for (const e of res.experiments) {
    e.unitIds.forEach((id, i) => lines.push([q(e.experiment), q(id), q(e.subjects[i]), cell(e.ceiling[i]), cell(e.rHalf?.[i]), cell(e.reliability?.[i])].join(',')));
  }
  return lines.join('\n') + '\n';
}

/** The `ceiling` block of score.json under `--normalise ceiling` (snake_case). */
export interface NormalisedJson {
  method: CeilingMethod;
  /** How each unit's score is divided by its ceiling c (in units of r). */
  rule: string;
  n_units_excluded: number;
  subjects: { subject: string; ceiling: number | null; n_units_excluded: number; r2: number | null; r: number | null }[];
  dataset: { r2: number | null; r2_sem: number | null; r: number | null; r_sem: number | null };
}

export const NORMALISE_RULE = 'r / c and R² / c² per unit, c = the unit\'s ceiling in r; units with c ≤ 0 or undefined left out; subject means clipped at 0, then the mean over subjects';

export function normalisedToJson(n: NormalisedScores): NormalisedJson {
  return {
    method: n.method,
    rule: NORMALISE_RULE,
    n_units_excluded: n.nExcluded,
    subjects: n.subjectCeilings.map((s) => ({
      subject: s.subject,
      ceiling: finite(s.ceiling),
      n_units_excluded: s.nExcluded,
      r2: finite(n.r2.subjects.find((x) => x.subject === s.subject)?.value ?? NaN),
      r: finite(n.r.subjects.find((x) => x.subject === s.subject)?.value ?? NaN),
    })),
    dataset: { r2: finite(n.r2.mean), r2_sem: finite(n.r2.sem), r: finite(n.r.mean), r_sem: finite(n.r.sem) },
  };
}
