/**
 * Untrained models over several initialisations, as the paper averages them (METHODS §3.6
 * "Untrained", §7): `lm:gpt2-xl-untrained:layer=all:seeds=0-4` scores the spec once per seed
 * (`seed=0` … `seed=4`), each with its own grid selection (best layer per seed, on validation by
 * default, on test with `--select test`), and reports the mean over seeds:
 *
 *  - `result.r2` / `result.r`: per subject, the mean over seeds of that seed's subject score, so the
 *    dataset value is the mean over seeds of each seed's dataset score (SEM over subjects of the
 *    seed-averaged subject scores);
 *  - `result.experiments`: per unit, fold and sample, the seeds' squared errors, fold r, α and
 *    inner-CV scores averaged (squared errors averaged, not summed: the correct combination for
 *    significance tests, `combineSeeds(…, 'mean')`); the unit R² pooled from them is the mean over
 *    seeds of the units' R², the unit r the mean of their r;
 *  - `grid`: the layer curve averaged over seeds; `chosen` lists each seed's choices.
 *
 * Only a range `seeds=a-b` (or one seed) is accepted: a comma list in a spec is a grid.
 */
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import { parseFeatureSpec } from '../features/spec.js';
import type { AggregateScore, SubjectScore } from '../scoring/aggregate.js';
import { poolFolds, summarise, type ExperimentScores } from './score.js';
import type { CurvePoint, SpecScore, SpecScoreOptions } from './score-spec.js';

/** The most seeds one spec may average. */
export const MAX_SEEDS = 1000;

/** A spec's seeds: the values and the spec text for one seed. */
export interface SpecSeeds {
  values: number[];
  /** The spec with `seeds=a-b` replaced by `seed=<seed>`. */
  specFor(seed: number): string;
}

/** Parses `a-b` (a ≤ b) or `a` into the seeds a … b (InputError naming the term otherwise). */
export function parseSeedRange(raw: string, termText: string): number[] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || !(a <= b) || b > 0xffffffff) {
    throw new InputError(`--features: "${termText}": seeds=${raw}; expected a range of initialisation seeds such as seeds=0-4 (0 … 4294967295, first ≤ last)`);
  }
  if (b - a + 1 > MAX_SEEDS) throw new InputError(`--features: "${termText}": seeds=${raw} is ${b - a + 1} seeds; expected at most ${MAX_SEEDS}`);
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** The `seeds=` of a spec (at most one lm term may have it), or null when it has none. */
export function seedsOfSpec(specText: string): SpecSeeds | null {
  const spec = parseFeatureSpec(specText);
  const terms = spec.bands.flatMap((b) => b.terms).filter((t) => t.params.seeds !== undefined);
  if (terms.length === 0) return null;
  if (terms.length > 1) throw new InputError(`--features: "${spec.text}": seeds= appears in ${terms.length} terms; expected it in one lm term`);
  const term = terms[0];
  if (term.name !== 'lm') throw new InputError(`--features: "${term.text}": seeds= applies to lm terms of untrained models (e.g. lm:gpt2-xl-untrained:layer=all:seeds=0-4)`);
  if (term.params.seed !== undefined) throw new InputError(`--features: "${term.text}": give seed=N (one initialisation) or seeds=a-b (the mean over several), not both`);
  const values = parseSeedRange(term.params.seeds, term.text);
  const pattern = /(^|:)seeds=[^:+|\s]*/;
  if (!pattern.test(term.text)) throw new InputError(`--features: "${term.text}": seeds=${term.params.seeds}; expected seeds=a-b`);
  return {
    values,
    specFor: (seed) => spec.text.replace(term.text, term.text.replace(pattern, `$1seed=${seed}`)),
  };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Element-wise mean of equally long arrays. */
function meanArrays<T extends Float64Array | Float32Array>(arrays: readonly T[], make: (n: number) => T): T {
  const out = make(arrays[0].length);
  for (const a of arrays) {
    if (a.length !== out.length) throw new RangeError('seeds: fits differ in shape');
    for (let i = 0; i < out.length; i++) out[i] += a[i] / arrays.length;
  }
  return out;
}

/** The seeds' unit-level results of one experiment averaged (see the module comment). */
function meanExperiment(per: readonly ExperimentScores[]): ExperimentScores {
  const e0 = per[0];
  const f64 = (n: number): Float64Array => new Float64Array(n);
  const foldSse = meanArrays(per.map((e) => e.foldSse), f64);
  const foldSse0 = meanArrays(per.map((e) => e.foldSse0), f64);
  const foldR = meanArrays(per.map((e) => e.foldR), f64);
  const { r2, r } = poolFolds(foldSse, foldSse0, foldR, e0.foldSizes.length, e0.unitIds.length);
  const errs = per.map((e) => e.errors);
  const errors = errs.every((x) => x !== null)
    ? { rows: e0.errors!.rows, se: meanArrays(errs.map((x) => x!.se), (n) => new Float32Array(n)), seIntercept: meanArrays(errs.map((x) => x!.seIntercept), (n) => new Float32Array(n)) }
    : null;
  const gammas = per.map((e) => e.gamma);
  return {
    ...e0,
    r2,
    r,
    alpha: meanArrays(per.map((e) => e.alpha), f64),
    valScore: meanArrays(per.map((e) => e.valScore), f64),
    foldSse,
    foldSse0,
    foldR,
    gamma: gammas.every((g) => g !== null) ? meanArrays(gammas as Float64Array[], f64) : null,
    errors,
  };
}

/** Per subject, the mean over seeds of the seeds' subject scores; mean and SEM over subjects. */
export function meanAggregate(aggs: readonly AggregateScore[]): AggregateScore {
  const subjects: SubjectScore[] = aggs[0].subjects.map((s0) => {
    const same = aggs.map((a) => a.subjects.find((s) => s.subject === s0.subject));
    const vals = same.map((s) => s?.value ?? NaN).filter((v) => !Number.isNaN(v));
    const perExperiment: Record<string, number> = {};
    for (const k of Object.keys(s0.perExperiment)) {
      const v = same.map((s) => s?.perExperiment[k] ?? NaN).filter((x) => !Number.isNaN(x));
      perExperiment[k] = v.length ? mean(v) : NaN;
    }
    return { subject: s0.subject, nUnits: s0.nUnits, nUndefined: Math.max(...same.map((s) => s?.nUndefined ?? 0)), value: vals.length ? mean(vals) : NaN, perExperiment };
  });
  const values = subjects.map((s) => s.value).filter((v) => !Number.isNaN(v));
  const m = values.length ? mean(values) : NaN;
  const sem = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1)) / Math.sqrt(values.length) : 0;
  return { subjects, mean: m, sem };
}

/**
 * Scores `specText` once per seed with `score` (scoreSpec) and combines the scores (see the module
 * comment). `spec` of the result is the text as given (with `seeds=`).
 */
export async function scoreOverSeeds(
  dataset: Dataset,
  specText: string,
  seeds: SpecSeeds,
  opts: SpecScoreOptions,
  score: (dataset: Dataset, spec: string, opts: SpecScoreOptions) => Promise<SpecScore>,
): Promise<SpecScore> {
  const per: SpecScore[] = [];
  const n = seeds.values.length;
  for (const [i, seed] of seeds.values.entries()) {
    per.push(await score(dataset, seeds.specFor(seed), { ...opts, onProgress: (d, t) => opts.onProgress?.(i * t + d, t * n) }));
  }
  const r0 = per[0].result;
  const experiments = r0.experiments.map((_, ei) => meanExperiment(per.map((p) => p.result.experiments[ei])));
  const result = { ...summarise(dataset, r0.settings, experiments), r2: meanAggregate(per.map((p) => p.result.r2)), r: meanAggregate(per.map((p) => p.result.r)) };
  const g0 = per[0].grid;
  let grid: SpecScore['grid'] = null;
  if (g0) {
    // Every score of a curve point averaged over seeds (the grid values are the same).
    const curve: CurvePoint[] = g0.curve.map((c, k) => {
      const out: Record<string, number> = { ...c };
      for (const key of Object.keys(c)) if (key !== 'value') out[key] = mean(per.map((p) => (p.grid!.curve[k] as unknown as Record<string, number>)[key]));
      return out as unknown as CurvePoint;
    });
    const chosen = per.flatMap((p, i) => p.grid!.chosen.map((c) => ({ ...c, experiment: c.experiment ? `${c.experiment}, seed=${seeds.values[i]}` : `seed=${seeds.values[i]}` })));
    grid = { ...g0, curve, chosen };
  }
  const warnings = [...new Set(per.flatMap((p, i) => p.warnings.map((w) => `seed=${seeds.values[i]}: ${w}`)))];
  return {
    spec: parseFeatureSpec(specText).text,
    datasetHash: per[0].datasetHash,
    result,
    grid,
    warnings,
    seeds: {
      values: seeds.values,
      perSeed: per.map((p, i) => ({ seed: seeds.values[i], r2: p.result.r2.mean, r: p.result.r.mean, chosen: p.grid?.chosen ?? [] })),
    },
  };
}
