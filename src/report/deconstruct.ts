/**
 * The report's `brainmap deconstruct` section (deconstruct.json): the paper's bar chart of the best
 * sub-model at each level of complexity (number of feature spaces) with the unit-wise maximum
 * across sub-models, and the unique variance of each space (full model minus the model without
 * it); a table with the LLM's test and Ω. Reading never throws: a missing field is a note.
 */
import type { TopLevelSpec } from 'vega-lite';
import { base, FIGURE_SIZES, labelLinesExpr, wrapLabel, type Row } from './specs.js';
import { formatPercent, formatScore } from './numbers.js';
import type { Figure, ReportSection } from './figures.js';
import type { MissingNote } from './types.js';

/** A deconstruct.json as the report reads it. */
export interface DeconstructAnalysis {
  kind: 'deconstruct';
  id: string;
  file: string;
  dataset: { name: string; source: string | null };
  split: string | null;
  llm: string;
  spaces: { name: string; spec: string }[];
  /** Per level the best sub-model, and (files that have it) the best without the LLM. */
  levels: { nSpaces: number; model: string; r2: number; r2Sem: number | null; hasLlm: boolean; withoutLlm: { model: string; r2: number; r2Sem: number | null } | null }[];
  unitMax: { r2: number; r2Sem: number | null } | null;
  unique: { space: string; unique: number | null }[];
  llmBeyond: { simple: string; joint: string; meanPercent: number | null } | null;
  omegaMean: number | null;
  nModels: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const numOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads deconstruct.json's value; problems go to `notes` (null when the file is unusable). */
export function deconstructFromJson(value: unknown, file: string, id: string, notes: MissingNote[]): DeconstructAnalysis | null {
  const problems: string[] = [];
  if (!isObj(value)) { notes.push({ file, problem: 'incomplete: (top level) is not an object' }); return null; }
  const ds = isObj(value.dataset) ? value.dataset : null;
  if (!ds) problems.push('dataset missing');
  const models = Array.isArray(value.models) ? value.models.filter(isObj) : [];
  if (!Array.isArray(value.models)) problems.push('models missing');
  const hasLlm = new Map(models.map((m) => [String(m.model), m.has_llm === true]));
  const levels = (Array.isArray(value.levels) ? value.levels : (problems.push('levels missing'), [])).filter(isObj).flatMap((l) => {
    const r2 = numOr(l.r2);
    if (typeof l.model !== 'string' || r2 === null || typeof l.n_spaces !== 'number') { problems.push('levels[] entry without n_spaces, model or r2'); return []; }
    const w = isObj(l.without_llm) && typeof l.without_llm.model === 'string' && numOr(l.without_llm.r2) !== null ? { model: l.without_llm.model, r2: numOr(l.without_llm.r2)!, r2Sem: numOr(l.without_llm.r2_sem) } : null;
    return [{ nSpaces: l.n_spaces, model: l.model, r2, r2Sem: numOr(l.r2_sem), hasLlm: hasLlm.get(l.model) ?? false, withoutLlm: w }];
  });
  const um = isObj(value.unit_max) ? value.unit_max : null;
  const unique = (Array.isArray(value.unique) ? value.unique : []).filter(isObj).map((u) => ({ space: String(u.space), unique: numOr(u.unique) }));
  const lb = isObj(value.llm_beyond) ? value.llm_beyond : null;
  const om = isObj(value.omega) ? value.omega : null;
  if (problems.length) notes.push({ file, problem: `incomplete: ${problems.join('; ')}` });
  if (levels.length === 0) return null;
  return {
    kind: 'deconstruct', id, file,
    dataset: { name: typeof ds?.name === 'string' ? ds.name : '(unnamed dataset)', source: typeof ds?.source === 'string' ? ds.source : null },
    split: typeof value.split === 'string' ? value.split : null,
    llm: typeof value.llm === 'string' ? value.llm : '?',
    spaces: (Array.isArray(value.spaces) ? value.spaces : []).filter(isObj).map((s) => ({ name: String(s.name), spec: String(s.spec) })),
    levels,
    unitMax: um && numOr(um.r2) !== null ? { r2: numOr(um.r2)!, r2Sem: numOr(um.r2_sem) } : null,
    unique,
    llmBeyond: lb ? { simple: String(lb.simple), joint: String(lb.joint), meanPercent: numOr(lb.mean_percent_significant) } : null,
    omegaMean: om ? numOr(om.mean) : null,
    nModels: models.length,
  };
}

const COLOURS = { without: '#4c78a8', with: '#e45756', max: '#8c8c8c' };

/**
 * Best sub-model per number of spaces (bar ± SEM over subjects), the model named under each bar,
 * and the unit-wise maximum as the last bar. Rows: `{category, model, r2, lo, hi, group}`.
 */
export function complexityBarsSpec(o: { title: string; subtitle: string; categories: string[]; lines: Record<string, string[]> }): TopLevelSpec {
  const x = { field: 'category', type: 'nominal' as const, sort: o.categories, title: 'number of feature spaces (best sub-model named under each bar: overall, then without the LLM)', axis: { labelAngle: 0, labelLimit: 0, labelExpr: labelLinesExpr(o.lines), labelLineHeight: 12, labelFontSize: 10 } };
  const xOffset = { field: 'slot', type: 'nominal' as const, scale: { domain: ['best', 'without'] } };
  const colour = { field: 'group', type: 'nominal' as const, title: null, scale: { domain: ['without the LLM', 'with the LLM', 'unit-wise maximum'], range: [COLOURS.without, COLOURS.with, COLOURS.max] }, legend: { orient: 'top' as const } };
  return {
    ...base('complexity-bars', o.title, o.subtitle),
    layer: [
      { mark: { type: 'bar', opacity: 0.85 }, encoding: { x, xOffset, y: { field: 'r2', type: 'quantitative', title: 'R² (mean over subjects, units clipped at 0)', scale: { zero: true } }, color: colour, tooltip: [{ field: 'model' }, { field: 'r2', format: '.4f' }] } },
      { mark: { type: 'rule', color: '#222' }, encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  } as TopLevelSpec;
}

/** Unique R² per space (full model minus the model without it). Rows: `{space, unique, group}`. */
export function uniqueBarsSpec(o: { title: string; subtitle: string; spaces: string[] }): TopLevelSpec {
  const x = { field: 'space', type: 'nominal' as const, sort: o.spaces, title: 'feature space', axis: { labelAngle: 0, labelLimit: 0 } };
  return {
    ...base('unique-bars', o.title, o.subtitle),
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: '#888', strokeDash: [2, 2] }, encoding: { y: { datum: 0, type: 'quantitative' } } },
      { mark: { type: 'bar', opacity: 0.85 }, encoding: { x, y: { field: 'unique', type: 'quantitative', title: 'unique R² (full − without the space)' }, color: { field: 'group', type: 'nominal', title: null, scale: { domain: ['other spaces', 'the LLM'], range: [COLOURS.without, COLOURS.with] }, legend: { orient: 'top' } }, tooltip: [{ field: 'space' }, { field: 'unique', format: '.4f' }] } },
    ],
  } as TopLevelSpec;
}

/** The section of one deconstruct.json. */
export function deconstructSection(d: DeconstructAnalysis, notes: MissingNote[]): ReportSection {
  const blocks: ReportSection['blocks'] = [];
  const subtitle = `${d.dataset.source ?? d.dataset.name}${d.split ? ` · ${d.split} splits` : ''} · ${d.nModels} sub-models · LLM = ${d.llm}`;
  // Per level the best sub-model and, beside it when that one has the LLM, the best without it.
  const rows: Row[] = d.levels.flatMap((l) => {
    const best = { category: String(l.nSpaces), slot: 'best', model: l.model, r2: l.r2, lo: l.r2 - (l.r2Sem ?? 0), hi: l.r2 + (l.r2Sem ?? 0), group: l.hasLlm ? 'with the LLM' : 'without the LLM' };
    const w = l.hasLlm && l.withoutLlm ? [{ category: String(l.nSpaces), slot: 'without', model: l.withoutLlm.model, r2: l.withoutLlm.r2, lo: l.withoutLlm.r2 - (l.withoutLlm.r2Sem ?? 0), hi: l.withoutLlm.r2 + (l.withoutLlm.r2Sem ?? 0), group: 'without the LLM' }] : [];
    return [best, ...w];
  });
  if (d.unitMax) rows.push({ category: 'unit max', slot: 'best', model: 'best sub-model per unit', r2: d.unitMax.r2, lo: d.unitMax.r2 - (d.unitMax.r2Sem ?? 0), hi: d.unitMax.r2 + (d.unitMax.r2Sem ?? 0), group: 'unit-wise maximum' });
  const categories = [...new Set(rows.map((r) => String(r.category)))];
  const perCat = Math.max(50, (FIGURE_SIZES['complexity-bars'].width - 120) / Math.max(1, categories.length));
  const lines = Object.fromEntries(categories.map((c) => [c, [c, ...rows.filter((r) => r.category === c).flatMap((r) => wrapLabel(String(r.model), perCat - 8, 10))]]));
  const levelsFig: Figure = {
    id: `${d.id}-levels`, type: 'complexity-bars', title: `Best sub-model by number of feature spaces — ${d.dataset.name}`, sources: [d.id], rows, ...FIGURE_SIZES['complexity-bars'],
    caption: 'For each number of feature spaces, the sub-model (a banded ridge, one band per space) with the highest score: the mean over subjects of subject means of unit R² clipped at 0 (docs/method.md §5.5), ± SEM over subjects; red bars include the LLM, and where the best one does, the best without it stands beside it (blue). The last bar takes, per unit, the best sub-model\'s R².',
    specs: { r2: complexityBarsSpec({ title: `Best sub-model by number of feature spaces — ${d.dataset.name}`, subtitle, categories, lines }) },
    table: { columns: ['spaces', 'sub-model', 'R²', 'SEM'], rows: rows.map((r) => [String(r.category), String(r.model), formatScore(r.r2 as number), formatScore((r.hi as number) - (r.r2 as number))]) },
  };
  blocks.push({ kind: 'figure', figure: levelsFig });
  const uniq = d.unique.filter((u) => u.unique !== null);
  if (uniq.length) {
    const urows: Row[] = uniq.map((u) => ({ space: u.space, unique: u.unique, group: u.space === d.llm ? 'the LLM' : 'other spaces' }));
    blocks.push({ kind: 'figure', figure: {
      id: `${d.id}-unique`, type: 'unique-bars', title: `Unique variance per feature space — ${d.dataset.name}`, sources: [d.id], rows: urows, ...FIGURE_SIZES['unique-bars'],
      caption: 'R² of the full model minus R² of the model without the space (same aggregation as above): what only that space explains. Near 0: the other spaces explain everything it does.',
      specs: { r2: uniqueBarsSpec({ title: `Unique variance per feature space — ${d.dataset.name}`, subtitle, spaces: uniq.map((u) => u.space) }) },
      table: { columns: ['space', 'unique R²'], rows: uniq.map((u) => [u.space, formatScore(u.unique)]) },
    } });
  } else notes.push({ file: d.file, problem: 'no unique variance in the file (the full model or a model without one space was not fitted): the unique-variance figure is not drawn' });
  blocks.push({ kind: 'table', title: `What ${d.llm} adds beyond the best model without it`, table: {
    columns: ['best model without the LLM', 'joint model', '% units where the LLM adds (BH p < .05)', 'Ω of the LLM (mean)'],
    rows: [[d.llmBeyond?.simple ?? '–', d.llmBeyond?.joint ?? '–', formatPercent(d.llmBeyond?.meanPercent ?? null), formatPercent(d.omegaMean)]],
  } });
  blocks.push({ kind: 'table', title: 'Feature spaces', table: { columns: ['space', 'features'], rows: d.spaces.map((s) => [s.name, s.spec]) } });
  return { id: `deconstruct-${d.id}`, title: `Deconstruct — ${d.dataset.name}: ${d.spaces.map((s) => s.name).join(', ')}`, intro: `From ${d.file}.`, blocks };
}
