import type { LmPerplexityJson } from './lm-perplexity.js';
import type { NormalisedJson } from './ceiling.js';
import type { Dataset } from '../data/dataset.js';
import { datasetHash } from '../data/hash.js';
import { expandGrid, type GridAxis } from '../features/grid.js';
import { buildTerm } from '../features/registry.js';
import { registerBuiltinFeatures } from '../features/builtin.js';
import { parseFeatureSpec, type FeatureSpec } from '../features/spec.js';
import { hstack, type Matrix64 } from '../linalg/matrix.js';
import { aggregateScores } from '../scoring/aggregate.js';
import { scoreFeatures, type ScoreOptions, type ScoreResult } from './score.js';
import { scoreOverSeeds, seedsOfSpec } from './seeds.js';
import { selectOverGrid, type SelectMode } from './select.js';
import { alphaEdgeWarnings, constantColumnWarnings, gridSelectionWarnings, type TermColumns } from './warnings.js';

/**
 * One grid value's score, fitted alone. `r2`/`r` are what the paper's across-value curves plot
 * (METHODS §5.8): the mean over subjects of per-subject unit means (NaN → 0), **unclipped**, a
 * subject's experiments averaged. `r2_clipped`/`r_clipped` are the same with subject means clipped
 * at 0 (§5.5): the dataset score this value would get on its own.
 */
export interface CurvePoint {
  value: number;
  r2: number;
  r: number;
  /** SEM over subjects of the unclipped subject means behind `r2` / `r` (the report's band; 0 with one subject). */
  r2_sem: number;
  r_sem: number;
  r2_clipped: number;
  r_clipped: number;
}

/** A score of one feature spec: one fit, or a grid of fits and the selection over it. */
export interface SpecScore {
  spec: string;
  /** Content hash of the dataset (sha256 of responses, tables and design). */
  datasetHash: string;
  result: ScoreResult;
  grid: null | {
    axis: GridAxis;
    select: SelectMode;
    curve: CurvePoint[];
    /** Always false: `curve` holds unclipped subject means (§5.8). Files without it hold clipped ones. */
    curveClipped: false;
    /**
     * Chosen grid value per outer fold and experiment: `values` behind R² (and α, errors),
     * `values_r` behind r (test selection chooses per metric; validation once for both).
     */
    chosen: { experiment: string; values: number[]; values_r: number[] }[];
  };
  /** What looks off with the fit (constant feature columns, α at the grid's edge, a poor grid choice). */
  warnings: string[];
  /** With a grid and `keepPredictions`: every grid value's own fit, in grid order (grid.csv of --save-predictions). */
  gridFits?: ScoreResult[];
  /** Set by `score --normalise ceiling` (src/pipeline/ceiling.ts): the normalised scores, as written to score.json. */
  ceiling?: NormalisedJson;
  /** Set by `score` when the spec has lm: terms of causal models (src/pipeline/lm-perplexity.ts). */
  perplexity?: LmPerplexityJson[];
  /**
   * A spec with `seeds=a-b` (src/pipeline/seeds.ts): the seeds and each seed's own score and
   * choices; `result` and `grid` then hold the mean over seeds.
   */
  seeds?: { values: number[]; perSeed: { seed: number; r2: number; r: number; chosen: NonNullable<SpecScore['grid']>['chosen'] }[] };
}

export interface SpecScoreOptions extends Omit<ScoreOptions, 'onProgress'> {
  select?: SelectMode;
  onProgress?: (done: number, total: number) => void;
}

/** A grid value's curve point: unclipped (§5.8) and clipped (§5.5) subject-mean aggregates. */
export function curvePoint(fit: ScoreResult, value: number): CurvePoint {
  const unclipped = (m: 'r2' | 'r') => aggregateScores(fit.experiments.map((e) => ({ experiment: e.experiment, subjects: e.subjects, scores: e[m] })), { clip: false });
  const r2 = unclipped('r2');
  const r = unclipped('r');
  return { value, r2: r2.mean, r: r.mean, r2_sem: r2.sem, r_sem: r.sem, r2_clipped: fit.r2.mean, r_clipped: fit.r.mean };
}

/**
 * Parses a feature spec (terms joined with '+', bands separated by '|', at most one grid), builds
 * its features on the dataset and scores them — a banded ridge when there are several bands; with
 * a grid, scores every value and selects (§5.6).
 */
export async function scoreSpec(dataset: Dataset, specText: string, opts: SpecScoreOptions): Promise<SpecScore> {
  registerBuiltinFeatures();
  // lm:…:seeds=a-b: each seed scored (and its grid selected) alone, then averaged.
  const seeds = seedsOfSpec(specText);
  if (seeds) return scoreOverSeeds(dataset, specText, seeds, opts, scoreSpec);
  const spec = parseFeatureSpec(specText);
  const { axis, specs } = expandGrid(spec);
  const fits: ScoreResult[] = [];
  const warnings: string[] = [];
  for (const [i, s] of specs.entries()) {
    const { bands, terms } = await buildWithTerms(s, dataset);
    const x = bands.length === 1 ? bands[0] : hstack(bands);
    warnings.push(...constantColumnWarnings(dataset, x, terms, opts.experiments));
    fits.push(await scoreFeatures(dataset, x, {
      ...opts,
      bands: bands.map((b) => b.cols),
      onProgress: (d, t) => opts.onProgress?.(i * t + d, t * specs.length),
    }));
  }
  return specScoreFromFits(dataset, spec.text, axis, fits, warnings, opts);
}

/**
 * A spec's score from its fits (one per grid value, in grid order; one without a grid) and the
 * warnings of building its features: the selection over the grid, the curve and the warnings on
 * the result. scoreSpec ends with it; queue workers that fit a spec's units in chunks (sweep/chunks.ts)
 * merge their fits and call it too.
 */
export function specScoreFromFits(dataset: Dataset, specText: string, axis: GridAxis | null, fits: ScoreResult[], warnings: string[], opts: Pick<SpecScoreOptions, 'select' | 'keepPredictions'>): SpecScore {
  const spec = { text: specText };
  const unique = (ws: string[]) => [...new Set(ws)];
  if (!axis) return { spec: spec.text, datasetHash: datasetHash(dataset), result: fits[0], grid: null, warnings: unique([...warnings, ...alphaEdgeWarnings(fits[0])]) };
  const select = opts.select ?? 'validation';
  const { result, chosen } = selectOverGrid(fits, select, { clip: axis.param === 'layer' });
  const curve = fits.map((f, i) => curvePoint(f, axis.values[i]));
  return {
    spec: spec.text,
    datasetHash: datasetHash(dataset),
    result,
    grid: {
      axis,
      select,
      curve,
      curveClipped: false,
      chosen: chosen.map((c) => ({ experiment: c.experiment, values: c.perFold.map((k) => axis.values[k]), values_r: c.perFoldR.map((k) => axis.values[k]) })),
    },
    warnings: unique([...warnings, ...alphaEdgeWarnings(result), ...gridSelectionWarnings(axis.param, curve, result, select)]),
    ...(opts.keepPredictions ? { gridFits: fits } : {}),
  };
}

/** Builds a spec's bands term by term (as buildFeatureSpec does), recording each term's columns. */
export async function buildWithTerms(spec: FeatureSpec, dataset: Dataset): Promise<{ bands: Matrix64[]; terms: TermColumns[] }> {
  const bands: Matrix64[] = [];
  const terms: TermColumns[] = [];
  let col = 0;
  for (const band of spec.bands) {
    const parts: Matrix64[] = [];
    for (const t of band.terms) {
      const m = await buildTerm(t, { dataset });
      terms.push({ term: t.text, start: col, cols: m.cols });
      col += m.cols;
      parts.push(m);
    }
    bands.push(parts.length === 1 ? parts[0] : hstack(parts));
  }
  return { bands, terms };
}
