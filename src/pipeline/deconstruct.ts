/**
 * `brainmap deconstruct` (issue 15): N named feature spaces (length, position, static words, word
 * senses, syntax, an LLM layer, …), every banded sub-model of them (2^N − 1, or a chosen list), and
 * what the paper reports about them (METHODS §3.7, §5.7, §6.1):
 *
 * - per number of spaces the best sub-model by its score (mean over subjects of the subject means
 *   of unit R² clipped at 0, the variance-partitioning figures' aggregation, §5.5);
 * - the unit-wise maximum across sub-models (per unit the best sub-model's clipped R²);
 * - per space its unique variance: full model minus the model without it; and, for the spaces
 *   other than the LLM, the same within the model of all of them without the LLM;
 * - the percentage of units where the LLM space adds significant variance beyond the best model
 *   without it (`partition`'s unit-wise paired test on squared errors + BH within subject: simple =
 *   best model without the LLM, model = the LLM alone, joint = that best model plus the LLM);
 * - Ω of the LLM by the rest (§5.7, per subject: simple and joint as for the test).
 *
 * Each space is built once and every sub-model fits the stacked spaces as a banded ridge (one band
 * per space; one space alone is a plain ridge). Squared errors are kept only for the fits the test
 * needs: the best model without the LLM so far, the LLM alone and the best model plus the LLM.
 */
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import { registerBuiltinFeatures } from '../features/builtin.js';
import { expandGrid } from '../features/grid.js';
import { buildBand } from '../features/registry.js';
import { parseFeatureSpec } from '../features/spec.js';
import { hstack, type Matrix64 } from '../linalg/matrix.js';
import { aggregateScores } from '../scoring/aggregate.js';
import { omega } from '../scoring/partition.js';
import type { Blocking } from '../scoring/significance.js';
import { beyondSignificance, type BeyondSignificance } from './partition.js';
import { csvCell, experimentCell } from './results.js';
import { scoreFeatures, type ExperimentScores, type ScoreResult } from './score.js';
import type { SpecScoreOptions } from './score-spec.js';
import { snakeKeys } from './json-keys.js';

/** γ samples per banded sub-model by default (63 models of up to 6 bands: see README "deconstruct"). */
export const DECONSTRUCT_DEFAULT_ITER = 30;

/** Most spaces (2^8 − 1 = 255 sub-models). */
export const DECONSTRUCT_MAX_SPACES = 8;

export interface DeconstructSpace {
  /** Short name (letters, digits, _ and -), used in model names ("sp+sl+llm"). */
  name: string;
  /** A feature spec of one band (terms joined with '+', no '|', no grid), or planted:<name> on a simulated dataset. */
  spec: string;
}

export interface DeconstructOptions extends Omit<SpecScoreOptions, 'select' | 'bands'> {
  /** The LLM space's name (default: the last space). */
  llm?: string;
  /** Sub-models to fit, each a list of space names (default: all 2^N − 1). Those the report needs are added. */
  models?: readonly (readonly string[])[];
  blocking?: Blocking;
  blockChunk?: number;
}

/** One fitted sub-model. */
export interface SubModel {
  /** Space names in the order the spaces were given. */
  spaces: string[];
  /** Space names joined with '+'. */
  name: string;
  /** The stacked feature spec (bands separated by ' | '). */
  features: string;
  hasLlm: boolean;
  result: ScoreResult;
  /** Subject values (unit R² clipped at 0, subject means, mean over experiments) and their mean/SEM. */
  subjects: { subject: string; r2: number }[];
  r2: number;
  r2Sem: number;
}

export interface UniqueVariance {
  space: string;
  full: string;
  without: string | null;
  r2Full: number;
  r2Without: number | null;
  unique: number | null;
  subjects: { subject: string; unique: number }[];
}

export interface DeconstructResult {
  dataset: string;
  source: string;
  spaces: { name: string; spec: string; columns: number }[];
  llm: string;
  models: SubModel[];
  /** Per number of spaces: the best sub-model of that size by r2, and the best of that size without the LLM (null: none fitted). */
  levels: { nSpaces: number; model: string; r2: number; r2Sem: number; withoutLlm: { model: string; r2: number; r2Sem: number } | null }[];
  /** Per unit the maximum clipped R² across sub-models, aggregated as a model's score, and which model per unit. */
  unitMax: { subjects: { subject: string; r2: number }[]; r2: number; r2Sem: number; perExperiment: { experiment: string; r2: Float64Array; best: Int32Array }[] };
  /** Per space: full model minus the model without it (null where one of them was not fitted). */
  unique: UniqueVariance[];
  /**
   * Per space other than the LLM: the same within the spaces without the LLM (the model of all
   * of them minus the model without the space) — what each space adds that the other non-LLM
   * spaces do not explain, whether or not the LLM also explains it.
   */
  uniqueWithoutLlm: UniqueVariance[];
  /** The unit-wise test of "the LLM adds variance beyond the best model without it". */
  llmBeyond: { simple: string; llmAlone: string; joint: string } & BeyondSignificance;
  omega: { subjects: { subject: string; r2Simple: number; r2Llm: number; r2Joint: number; omega: number }[]; mean: number };
  warnings: string[];
}

const finite = (v: number) => (Number.isFinite(v) ? v : 0);

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Parses `name=spec` (the CLI's --space). */
export function parseSpaceArg(text: string): DeconstructSpace {
  const at = text.indexOf('=');
  const name = at > 0 ? text.slice(0, at) : '';
  const spec = at > 0 ? text.slice(at + 1).trim() : '';
  if (!NAME.test(name) || spec === '') throw new InputError(`--space: "${text}": expected name=features with a name of letters, digits, _ or - (e.g. --space sl=sl)`);
  return { name, spec };
}

/** Parses `--models a+b,a+b+c` into lists of space names (checked against `spaces`). */
export function parseModelsArg(text: string, spaces: readonly string[]): string[][] {
  return text.split(',').map((m) => m.trim()).filter((m) => m !== '').map((m) => {
    const names = m.split('+').map((x) => x.trim());
    for (const x of names) if (!spaces.includes(x)) throw new InputError(`--models: "${m}": no space named "${x}"; the spaces are ${spaces.join(', ')}`);
    if (new Set(names).size !== names.length) throw new InputError(`--models: "${m}": a space appears twice`);
    return names;
  });
}

/** Every non-empty subset of n spaces as index lists, by size then in order (2^n − 1). */
export function allSubsets(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) out.push(Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i)));
  return out.sort((a, b) => a.length - b.length || compareLists(a, b));
}

function compareLists(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return a[k] - b[k];
  return a.length - b.length;
}

/** Builds one space: planted:<name> from a simulated dataset, else a one-band feature spec without a grid. */
export async function buildSpace(dataset: Dataset, space: DeconstructSpace): Promise<Matrix64> {
  const planted = /^planted:([A-Za-z0-9_-]+)$/.exec(space.spec);
  if (planted) {
    const m = dataset.planted?.[planted[1]];
    if (!m) {
      const known = Object.keys(dataset.planted ?? {});
      throw new InputError(`--space ${space.name}: ${space.spec}: ${known.length ? `no planted space "${planted[1]}"; ${dataset.name} has ${known.join(', ')}` : `${dataset.name} has no planted spaces (only simulated datasets, sim:…, do)`}`);
    }
    return m;
  }
  registerBuiltinFeatures();
  const spec = parseFeatureSpec(space.spec);
  if (spec.bands.length !== 1) throw new InputError(`--space ${space.name}: "${space.spec}": one band per space (join terms with '+'; each space is its own band)`);
  if (expandGrid(spec).axis) throw new InputError(`--space ${space.name}: "${space.spec}": no grids in deconstruct (give the chosen value, e.g. sigma=3.4)`);
  return buildBand(spec.bands[0], { dataset });
}

const clip0 = (v: ArrayLike<number>) => Float64Array.from(v, (x) => (Number.isNaN(x) ? 0 : Math.max(0, x)));

/** Subject values with unit-level clipping first (§5.5, as partition's Ω), their mean and SEM. */
function clippedScore(exps: readonly ExperimentScores[]): { subjects: { subject: string; r2: number }[]; r2: number; r2Sem: number } {
  const agg = aggregateScores(exps.map((e) => ({ experiment: e.experiment, subjects: e.subjects, scores: clip0(e.r2) })));
  return { subjects: agg.subjects.map((s) => ({ subject: s.subject, r2: s.value })), r2: agg.mean, r2Sem: agg.sem };
}

const modelName = (spaces: readonly string[]) => spaces.join('+');

/** Fits the sub-models and reports levels, unit-wise maxima, unique variance, the LLM test and Ω. */
export async function deconstructFeatures(dataset: Dataset, spaces: readonly DeconstructSpace[], opts: DeconstructOptions): Promise<DeconstructResult> {
  if (spaces.length < 2) throw new InputError(`--space: ${spaces.length} space(s); expected at least 2 (the LLM and something to explain it by)`);
  if (spaces.length > DECONSTRUCT_MAX_SPACES) throw new InputError(`--space: ${spaces.length} spaces; expected at most ${DECONSTRUCT_MAX_SPACES} (2^N − 1 sub-models)`);
  const names = spaces.map((s) => s.name);
  for (const [i, n] of names.entries()) if (names.indexOf(n) !== i) throw new InputError(`--space: the name "${n}" is used twice`);
  const llm = opts.llm ?? names[names.length - 1];
  const llmIndex = names.indexOf(llm);
  if (llmIndex < 0) throw new InputError(`--llm: no space named "${llm}"; the spaces are ${names.join(', ')}`);

  // Which models: as given (deduplicated, in space order) or all; plus the LLM alone.
  const toIdx = (m: readonly string[]) => [...new Set(m.map((x) => names.indexOf(x)))].sort((a, b) => a - b);
  let wanted = opts.models ? opts.models.map(toIdx) : allSubsets(names.length);
  wanted.push([llmIndex]);
  const key = (m: readonly number[]) => m.join(',');
  wanted = [...new Map(wanted.map((m) => [key(m), m])).values()].sort((a, b) => a.length - b.length || compareLists(a, b));
  const withoutLlm = wanted.filter((m) => !m.includes(llmIndex));
  if (withoutLlm.length === 0) throw new InputError(`--models: every model has the LLM space "${llm}"; at least one without it is needed (the LLM is tested against the best of them)`);

  const built: Matrix64[] = [];
  for (const s of spaces) built.push(await buildSpace(dataset, s));

  const fits = new Map<string, SubModel>();
  const total = wanted.length + 1;
  let step = 0;
  const fit = async (idx: readonly number[], keepErrors: boolean): Promise<SubModel> => {
    const k = step++;
    const x = idx.length === 1 ? built[idx[0]] : hstack(idx.map((i) => built[i]));
    const result = await scoreFeatures(dataset, x, {
      ...opts, bands: idx.map((i) => built[i].cols), keepErrors, bandedIter: opts.bandedIter ?? DECONSTRUCT_DEFAULT_ITER,
      onProgress: (d, t) => opts.onProgress?.(k * t + d, total * t),
    });
    const sel = idx.map((i) => names[i]);
    const m: SubModel = { spaces: sel, name: modelName(sel), features: idx.map((i) => spaces[i].spec).join(' | '), hasLlm: idx.includes(llmIndex), result, ...clippedScore(result.experiments) };
    fits.set(key(idx), m);
    return m;
  };
  const dropErrors = (m: SubModel | null) => { if (m) for (const e of m.result.experiments) e.errors = null; };

  // Models without the LLM first, keeping the squared errors of the best so far only.
  let simple: SubModel | null = null;
  for (const idx of withoutLlm) {
    const m = await fit(idx, true);
    if (!simple || m.r2 > simple.r2) { dropErrors(simple); simple = m; } else dropErrors(m);
  }
  const best = simple!;
  const bestIdx = best.spaces.map((n) => names.indexOf(n));
  const jointIdx = [...bestIdx, llmIndex].sort((a, b) => a - b);
  if (!wanted.some((m) => key(m) === key(jointIdx))) wanted.push(jointIdx);
  for (const idx of wanted.filter((m) => m.includes(llmIndex))) {
    const keep = key(idx) === key([llmIndex]) || key(idx) === key(jointIdx);
    await fit(idx, keep);
  }
  const models = [...fits.values()].sort((a, b) => a.spaces.length - b.spaces.length || compareLists(a.spaces.map((n) => names.indexOf(n)), b.spaces.map((n) => names.indexOf(n))));
  const llmAlone = fits.get(key([llmIndex]))!;
  const joint = fits.get(key(jointIdx))!;

  // Best per level.
  const levels: DeconstructResult['levels'] = [];
  for (let n = 1; n <= names.length; n++) {
    const at = models.filter((m) => m.spaces.length === n);
    if (at.length === 0) continue;
    const best = (ms: SubModel[]) => ms.reduce((a, b) => (b.r2 > a.r2 ? b : a));
    const top = best(at);
    const noLlm = at.filter((m) => !m.hasLlm);
    const w = noLlm.length ? best(noLlm) : null;
    levels.push({ nSpaces: n, model: top.name, r2: top.r2, r2Sem: top.r2Sem, withoutLlm: w && { model: w.name, r2: w.r2, r2Sem: w.r2Sem } });
  }

  // Unit-wise maximum across sub-models.
  const perExperiment = models[0].result.experiments.map((e0, k) => {
    const r2 = new Float64Array(e0.unitIds.length).fill(0);
    const bestM = new Int32Array(e0.unitIds.length).fill(-1);
    models.forEach((m, mi) => {
      const e = m.result.experiments[k];
      for (let j = 0; j < r2.length; j++) {
        const v = Number.isNaN(e.r2[j]) ? 0 : Math.max(0, e.r2[j]);
        if (bestM[j] < 0 || v > r2[j]) { r2[j] = v; bestM[j] = mi; }
      }
    });
    return { experiment: e0.experiment, r2, best: bestM };
  });
  const maxAgg = aggregateScores(perExperiment.map((p, k) => ({ experiment: p.experiment, subjects: models[0].result.experiments[k].subjects, scores: p.r2 })));
  const unitMax = { subjects: maxAgg.subjects.map((s) => ({ subject: s.subject, r2: s.value })), r2: maxAgg.mean, r2Sem: maxAgg.sem, perExperiment };

  // Unique variance per space: in the full model, and among the spaces without the LLM.
  const uniqueIn = (within: number[]): UniqueVariance[] => {
    const full = fits.get(key(within));
    if (!full) return [];
    return within.map((i) => {
      const rest = within.filter((j) => j !== i);
      const without = rest.length ? fits.get(key(rest)) ?? null : null;
      const bySubject = new Map((without?.subjects ?? []).map((s) => [s.subject, s.r2]));
      const r2Without = rest.length === 0 ? 0 : without ? without.r2 : null;
      return {
        space: names[i], full: full.name, without: without?.name ?? null, r2Full: full.r2, r2Without,
        unique: r2Without === null ? null : full.r2 - r2Without,
        subjects: r2Without === null ? [] : full.subjects.map((s) => ({ subject: s.subject, unique: s.r2 - (bySubject.get(s.subject) ?? 0) })),
      };
    });
  };
  const allIdx = names.map((_, i) => i);
  const unique = uniqueIn(allIdx);
  const uniqueWithoutLlm = uniqueIn(allIdx.filter((i) => i !== llmIndex));

  // The LLM beyond the best model without it: partition's unit-wise test and Ω.
  const { blocking, blockChunk, chunking, significance } = beyondSignificance(dataset, best.result, llmAlone.result, joint.result, opts);
  const sub = (m: SubModel) => new Map(m.subjects.map((s) => [s.subject, s.r2]));
  const [sS, sL, sJ] = [sub(best), sub(llmAlone), sub(joint)];
  const omegaSubjects = best.subjects.map(({ subject }) => {
    const r2Simple = sS.get(subject)!;
    const r2Llm = sL.get(subject)!;
    const r2Joint = sJ.get(subject)!;
    return { subject, r2Simple, r2Llm, r2Joint, omega: omega(r2Simple, r2Llm, r2Joint) };
  });
  // The errors are no longer needed.
  for (const m of [best, llmAlone, joint]) dropErrors(m);

  return {
    dataset: dataset.name,
    source: dataset.source,
    spaces: spaces.map((s, i) => ({ name: s.name, spec: s.spec, columns: built[i].cols })),
    llm,
    models,
    levels,
    unitMax,
    unique,
    uniqueWithoutLlm,
    llmBeyond: { simple: best.name, llmAlone: llmAlone.name, joint: joint.name, blocking, blockChunk, chunking, significance },
    omega: { subjects: omegaSubjects, mean: omegaSubjects.reduce((a, s) => a + s.omega, 0) / (omegaSubjects.length || 1) },
    warnings: [],
  };
}

type UniqueJson = { space: string; full: string; without: string | null; r2_full: number; r2_without: number | null; unique: number | null; subjects: { subject: string; unique: number }[] };

const uniqueJson = (u: UniqueVariance): UniqueJson => ({ space: u.space, full: u.full, without: u.without, r2_full: finite(u.r2Full), r2_without: u.r2Without, unique: u.unique, subjects: u.subjects });

/** deconstruct.json (snake_case keys). */
export interface DeconstructJson {
  dataset: { name: string; source: string };
  split: string;
  settings: Record<string, unknown>;
  spaces: { name: string; spec: string; columns: number }[];
  llm: string;
  models: { model: string; spaces: string[]; features: string; n_spaces: number; has_llm: boolean; r2: number; r2_sem: number; subjects: { subject: string; r2: number }[] }[];
  levels: { n_spaces: number; model: string; r2: number; r2_sem: number; without_llm: { model: string; r2: number; r2_sem: number } | null }[];
  unit_max: { r2: number; r2_sem: number; subjects: { subject: string; r2: number }[] };
  unique: UniqueJson[];
  /** The same among the spaces without the LLM (every space but the LLM). */
  unique_without_llm: UniqueJson[];
  llm_beyond: {
    simple: string; llm_alone: string; joint: string; alpha: number; blocking: Blocking; block_chunk: number | null; chunking: 'position' | 'global' | null;
    mean_percent_significant: number;
    subjects: { subject: string; n_units: number; percent_significant: number; percent_llm_beats_chance: number }[];
  };
  omega: { mean: number; subjects: { subject: string; r2_simple: number; r2_llm: number; r2_joint: number; omega: number }[] };
  warnings: string[];
}


export function deconstructJson(d: DeconstructResult, split: string): DeconstructJson {
  const settings = snakeKeys<Record<string, unknown>>({ ...d.models[d.models.length - 1].result.settings, bands: undefined });
  delete settings.bands;
  const sig = d.llmBeyond.significance;
  return {
    dataset: { name: d.dataset, source: d.source },
    split,
    settings,
    spaces: d.spaces,
    llm: d.llm,
    models: d.models.map((m) => ({ model: m.name, spaces: m.spaces, features: m.features, n_spaces: m.spaces.length, has_llm: m.hasLlm, r2: finite(m.r2), r2_sem: finite(m.r2Sem), subjects: m.subjects.map((s) => ({ subject: s.subject, r2: finite(s.r2) })) })),
    levels: d.levels.map((l) => ({ n_spaces: l.nSpaces, model: l.model, r2: finite(l.r2), r2_sem: finite(l.r2Sem), without_llm: l.withoutLlm && { model: l.withoutLlm.model, r2: finite(l.withoutLlm.r2), r2_sem: finite(l.withoutLlm.r2Sem) } })),
    unit_max: { r2: finite(d.unitMax.r2), r2_sem: finite(d.unitMax.r2Sem), subjects: d.unitMax.subjects.map((s) => ({ subject: s.subject, r2: finite(s.r2) })) },
    unique: d.unique.map(uniqueJson),
    unique_without_llm: d.uniqueWithoutLlm.map(uniqueJson),
    llm_beyond: {
      simple: d.llmBeyond.simple, llm_alone: d.llmBeyond.llmAlone, joint: d.llmBeyond.joint, alpha: sig.alpha, blocking: d.llmBeyond.blocking, block_chunk: d.llmBeyond.blockChunk, chunking: d.llmBeyond.chunking,
      mean_percent_significant: sig.meanPercentSignificant,
      subjects: sig.subjects.map((s) => ({ subject: s.subject, n_units: s.nUnits, percent_significant: s.percentSignificant, percent_llm_beats_chance: s.percentModelSignificant })),
    },
    omega: { mean: d.omega.mean, subjects: d.omega.subjects.map((s) => ({ subject: s.subject, r2_simple: s.r2Simple, r2_llm: s.r2Llm, r2_joint: s.r2Joint, omega: s.omega })) },
    warnings: d.warnings,
  };
}

/** models.csv: one row per sub-model (the bar chart's numbers). */
export function deconstructModelsCsv(d: DeconstructResult): string {
  const lines = ['dataset,model,features,n_spaces,has_llm,r2,r2_sem'];
  for (const m of d.models) lines.push([d.dataset, m.name, m.features, m.spaces.length, m.hasLlm ? 'true' : 'false', m.r2, m.r2Sem].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

/**
 * units.csv: per unit its clipped R² under every sub-model (`r2_<model>`), the unit-wise maximum
 * and the model reaching it, and the LLM test's p-values (raw and BH within subject).
 */
export function deconstructUnitsCsv(d: DeconstructResult): string {
  const sig = new Map(d.llmBeyond.significance.units.map((u) => [u.unit, u]));
  const lines = [['dataset', 'experiment', 'unit', 'subject', ...d.models.map((m) => `r2_${m.name}`), 'r2_unit_max', 'best_model', 'p_llm_beyond', 'p_llm_beyond_bh'].map(csvCell).join(',')];
  d.models[0].result.experiments.forEach((e, k) => {
    const mx = d.unitMax.perExperiment[k];
    e.unitIds.forEach((id, j) => {
      const s = sig.get(e.unitIndex[j]);
      const cells = d.models.map((m) => { const v = m.result.experiments[k].r2[j]; return Number.isNaN(v) ? 0 : Math.max(0, v); });
      lines.push([d.dataset, experimentCell(e.experiment), id, e.subjects[j], ...cells, mx.r2[j], d.models[mx.best[j]].name, s?.p ?? NaN, s?.pAdjusted ?? NaN].map(csvCell).join(','));
    });
  });
  return lines.join('\n') + '\n';
}
