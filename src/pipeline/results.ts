import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScoreResult } from './score.js';
import { median } from '../scoring/aggregate.js';
import type { SpecScore } from './score-spec.js';
import type { NormalisedJson } from './ceiling.js';
import { snakeKeys } from './json-keys.js';

/** score.json `settings`: ScoreResult['settings'] with snake_case keys (files before issue 16.5 have camelCase; readers accept both). */
export interface ScoreSettingsJson {
  split: ScoreResult['settings']['split'];
  seed: number;
  estimator: ScoreResult['settings']['estimator'];
  alphas: number[];
  backend: string;
  bands: number;
  banded_iter: number | null;
  banded_seed: number | null;
  inner_standardize: boolean;
  compat?: 'paper' | null;
  gap?: number;
}
import type { LmPerplexityJson } from './lm-perplexity.js';

/** The JSON form of a score (what `brainmap score --json` prints). Per-unit arrays are not included. */
export interface ScoreJson {
  dataset: { name: string; source: string; hash: string; r2: number; r: number; r2_sem: number; r_sem: number };
  features: string;
  settings: ScoreSettingsJson;
  subjects: { subject: string; n_units: number; n_undefined_r: number; r2: number; r: number; experiments: Record<string, { r2: number; r: number }> }[];
  experiments: { experiment: string; n_samples: number; n_features: number; n_units: number; fold_sizes: number[]; inner_folds: number[]; median_alpha: number | null }[];
  n_constant_units: number;
  /**
   * Units whose Pearson r is undefined (a constant prediction or constant responses on some test
   * fold, to float64 rounding); subject r values are means over the other units (compat 'paper':
   * counted as 0).
   */
  n_undefined_r: number;
  /** Present when the spec had a grid: the whole curve and the choice (§5.6). */
  grid: null | {
    term: string; param: string; select: string;
    /** Per grid value: r2/r unclipped subject means (METHODS §5.8) and their SEM over subjects, r2_clipped/r_clipped as the dataset score (§5.5). */
    curve: { value: number; r2: number; r: number; r2_sem?: number; r_sem?: number; r2_clipped: number; r_clipped: number }[];
    /** false: `curve` r2/r are unclipped (files written before this field hold clipped values). */
    curve_clipped: boolean;
    chosen: { experiment: string; values: number[]; values_r: number[] }[];
  };
  /** What looks off with the fit, in words (src/pipeline/warnings.ts); empty when nothing does. */
  warnings: string[];
  /** With `--normalise ceiling`: ceiling-normalised scores and the per-subject ceilings (docs/method.md §9.3). */
  ceiling?: NormalisedJson;
  /**
   * When the spec has lm: terms of causal models with an LM head: each model's perplexity on the
   * dataset's own text (exp of the mean NLL per scored token, docs/method.md "Perplexity").
   */
  perplexity?: LmPerplexityJson[];
}

/** Median, or null when every value is NaN (JSON has no NaN). */
function medianOrNull(values: ArrayLike<number>): number | null {
  const m = median(values);
  return Number.isNaN(m) ? null : m;
}

export function specScoreToJson(scored: SpecScore): ScoreJson {
  const { result, spec: features, grid } = scored;
  return {
    dataset: { name: result.dataset, source: result.source, hash: scored.datasetHash, r2: result.r2.mean, r: result.r.mean, r2_sem: result.r2.sem, r_sem: result.r.sem },
    features,
    settings: snakeKeys<ScoreSettingsJson>(result.settings),
    subjects: result.r2.subjects.map((s, i) => {
      const r = result.r.subjects[i];
      const experiments: Record<string, { r2: number; r: number }> = {};
      for (const e of Object.keys(s.perExperiment)) experiments[e] = { r2: s.perExperiment[e], r: r.perExperiment[e] };
      return { subject: s.subject, n_units: s.nUnits, n_undefined_r: r.nUndefined, r2: s.value, r: r.value, experiments };
    }),
    experiments: result.experiments.map((e) => ({
      experiment: e.experiment,
      n_samples: e.nSamples,
      n_features: e.nFeatures,
      n_units: e.unitIds.length,
      fold_sizes: e.foldSizes,
      inner_folds: e.innerFolds,
      median_alpha: medianOrNull(e.alpha),
    })),
    n_constant_units: result.nConstantUnits,
    n_undefined_r: result.nUndefinedR,
    grid: grid && { term: grid.axis.term, param: grid.axis.param, select: grid.select, curve: grid.curve, curve_clipped: grid.curveClipped, chosen: grid.chosen },
    warnings: scored.warnings,
    ...(scored.ceiling ? { ceiling: scored.ceiling } : {}),
    ...(scored.perplexity && scored.perplexity.length > 0 ? { perplexity: scored.perplexity } : {}),
  };
}

/** CSV cell quoting (RFC 4180). */
export function csvCell(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isNaN(v) ? '' : String(v)) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The experiment as written to units.csv: its name, or `all` for a dataset with one unnamed
 * experiment, so that files of different datasets concatenate without empty cells.
 */
export function experimentCell(experiment: string): string {
  return experiment === '' ? 'all' : experiment;
}

/**
 * Per-unit rows: the analysis (dataset, features, split, estimator — so that units.csv files of
 * different runs concatenate without joins), experiment, unit id, subject, R², r, median chosen α
 * over folds (and x, y, z when known).
 */
export function unitScoresCsv(result: ScoreResult, features: string): string {
  const withCoords = result.experiments.some((e) => e.unitCoords);
  const lines = [`dataset,features,split,estimator,experiment,unit,subject,r2,r,median_alpha${withCoords ? ',x,y,z' : ''}`];
  const analysis = [result.dataset, features, result.settings.split, result.settings.estimator];
  for (const e of result.experiments) {
    const nU = e.unitIds.length;
    const nF = e.foldSizes.length;
    for (let j = 0; j < nU; j++) {
      const a = new Float64Array(nF);
      for (let f = 0; f < nF; f++) a[f] = e.alpha[f * nU + j];
      const xyz = withCoords ? (e.unitCoords ? Array.from(e.unitCoords.subarray(j * 3, j * 3 + 3)) : [NaN, NaN, NaN]) : [];
      lines.push([...analysis, experimentCell(e.experiment), e.unitIds[j], e.subjects[j], e.r2[j], e.r[j], median(a), ...xyz].map(csvCell).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Writes a file atomically (temp file + rename), so an interrupted run never leaves half a file;
 * when the write or the rename fails, the temp file is removed before the error is rethrown.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Writing a computed result failed (unwritable folder, full disk, …): `cause` is the file-system
 * error and `result` what was computed, so that the command can still print it.
 */
export class ResultWriteError<T> extends Error {
  constructor(readonly path: string, override readonly cause: unknown, readonly result: T) {
    super(`${path}: cannot write results (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'ResultWriteError';
  }
}

/** Writes score.json and units.csv under `dir`. */
export function writeScore(dir: string, scored: SpecScore): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'score.json'), JSON.stringify(specScoreToJson(scored), null, 2) + '\n');
  writeFileAtomic(join(dir, 'units.csv'), unitScoresCsv(scored.result, scored.spec));
}
