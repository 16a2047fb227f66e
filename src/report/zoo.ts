/**
 * The model-zoo figures (the paper's Fig. 3–5): when a dataset's scores cover two or more
 * language models (`lm:<model>:layer=…:pool=…` features alone), the models ranked by their best
 * layer's score per pooling (LT = pool=last, MP = pool=mean, SP = pool=sum) and split, with the
 * OASM and simple-feature scores of the same dataset as reference bars, a table of the best layers,
 * and the uni- vs bidirectional comparison: Welch's t-test (unequal variances) of the models' best
 * R² per pooling and split.
 *
 * Best layer: among a model's scores with fixed layers (layer=k), the one with the highest mean
 * R²; a layer grid (layer=all) counts with the layer its selection chose (the most frequent chosen
 * value over outer folds), as scored (`select` test: the paper's best layer).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { welchTTest } from '../scoring/stats.js';
import { barsFigure, referenceKind, type ReportSection } from './figures.js';
import type { ScoreAnalysis } from './types.js';

export type ZooPool = 'last' | 'mean' | 'sum';
/** The paper's names of the poolings. */
export const POOL_LABEL: Record<ZooPool, string> = { last: 'LT', mean: 'MP', sum: 'SP' };

/** One lm term's model, pooling and layer (null: a layer grid). */
export interface LmTermInfo {
  /** The model spec (folder, `<folder>:untrained`, untrained name). */
  model: string;
  /** Short name: the folder's base name (+ `:untrained`, `seed=N`). */
  label: string;
  pool: ZooPool;
  layer: number | null;
}

/** The lm term of a feature spec made of exactly one lm: term, else null. */
export function lmTermOf(features: string): LmTermInfo | null {
  const f = features.trim();
  if (!f.startsWith('lm:') || /[+|]/.test(f)) return null;
  const parts = f.split(':').slice(1);
  const positional = parts.filter((p) => !p.includes('='));
  const params = Object.fromEntries(parts.filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]));
  if (positional.length === 0) return null;
  const untrained = positional.length === 2 && positional[1] === 'untrained';
  const model = untrained ? `${positional[0]}:untrained` : positional[0];
  const pool = (params.pool ?? 'last') as ZooPool;
  if (!(pool in POOL_LABEL)) return null;
  const layer = params.layer === undefined || !/^\d+$/.test(params.layer) ? null : Number(params.layer);
  const label = `${basename(positional[0].replace(/[\\/]+$/, ''))}${untrained ? ':untrained' : ''}${params.seed !== undefined ? ` seed=${params.seed}` : ''}`;
  return { model, label, pool, layer };
}

const BIDIRECTIONAL = new Set(['bert', 'roberta', 'xlm-roberta', 't5']);
const UNIDIRECTIONAL = new Set(['gpt2', 'gpt_neox', 'llama', 'mistral', 'qwen2', 'qwen3', 'rwkv']);

/** Causal (unidirectional) or bidirectional, from the folder's config.json model_type (untrained GPT-2 names: uni); null when unknown. */
export function modelDirection(model: string): 'unidirectional' | 'bidirectional' | null {
  if (/^gpt2(-medium|-large|-xl)?-untrained$/.test(model)) return 'unidirectional';
  const dir = model.endsWith(':untrained') ? model.slice(0, -':untrained'.length) : model;
  const cfg = join(dir, 'config.json');
  if (!existsSync(cfg)) return null;
  try {
    const mt = (JSON.parse(readFileSync(cfg, 'utf8')) as { model_type?: unknown }).model_type;
    if (typeof mt !== 'string') return null;
    return BIDIRECTIONAL.has(mt) ? 'bidirectional' : UNIDIRECTIONAL.has(mt) ? 'unidirectional' : null;
  } catch {
    return null;
  }
}

/** A model's best score for one pooling and split. */
export interface ZooEntry {
  model: string;
  label: string;
  pool: ZooPool;
  split: string;
  /** The best fixed layer, or the layer a grid's selection chose most often. */
  layer: number | null;
  r2: number | null;
  score: ScoreAnalysis;
}

function chosenLayer(s: ScoreAnalysis): number | null {
  const values = s.grid?.chosen.flatMap((c) => c.values) ?? [];
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | null = null;
  for (const [v, c] of counts) if (best === null || c > (counts.get(best) ?? 0)) best = v;
  return best;
}

/** Each model's best score per pooling and split (a model: distinct lm model spec). */
export function zooBest(scores: readonly ScoreAnalysis[]): ZooEntry[] {
  const best = new Map<string, ZooEntry>();
  for (const s of scores) {
    const t = lmTermOf(s.features);
    if (t === null) continue;
    if (s.grid && s.grid.param !== 'layer') continue;
    const split = s.split ?? '?';
    const e: ZooEntry = { model: t.model, label: t.label, pool: t.pool, split, layer: s.grid ? chosenLayer(s) : t.layer, r2: s.mean.r2, score: s };
    const k = `${t.model}\u0000${t.label}\u0000${t.pool}\u0000${split}`;
    const prev = best.get(k);
    if (!prev || (e.r2 ?? -Infinity) > (prev.r2 ?? -Infinity)) best.set(k, e);
  }
  return [...best.values()];
}

/** Welch's t-test of unidirectional vs bidirectional models' best R², per pooling and split. */
export function directionComparison(entries: readonly ZooEntry[]): { pool: ZooPool; split: string; uni: number[]; bi: number[]; t: number; df: number; p: number }[] {
  const out = [];
  for (const pool of ['last', 'mean', 'sum'] as const) {
    for (const split of [...new Set(entries.map((e) => e.split))].sort()) {
      const sel = entries.filter((e) => e.pool === pool && e.split === split && e.r2 !== null);
      const uni = sel.filter((e) => modelDirection(e.model) === 'unidirectional').map((e) => e.r2 as number);
      const bi = sel.filter((e) => modelDirection(e.model) === 'bidirectional').map((e) => e.r2 as number);
      if (uni.length === 0 && bi.length === 0) continue;
      const r = welchTTest(uni, bi);
      out.push({ pool, split, uni, bi, t: r.t, df: r.df, p: r.p });
    }
  }
  return out;
}

const fmt = (v: number | null | undefined, d = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

/**
 * The zoo blocks of one dataset's scores (none unless two or more lm models are scored alone):
 * the ranking figure, the table of best layers and the uni- vs bidirectional table.
 */
export function zooBlocks(group: readonly ScoreAnalysis[], label: string, figureId: (base: string) => string): ReportSection['blocks'] {
  const entries = zooBest(group);
  const models = [...new Set(entries.map((e) => `${e.model}\u0000${e.label}`))];
  if (models.length < 2) return [];
  // Models ranked by their best score over poolings and splits; each model × pooling one category.
  const top = new Map<string, number>();
  for (const e of entries) top.set(e.label, Math.max(top.get(e.label) ?? -Infinity, e.r2 ?? -Infinity));
  const sorted = [...entries].sort((a, b) => (top.get(b.label)! - top.get(a.label)!) || a.label.localeCompare(b.label) || a.pool.localeCompare(b.pool));
  const refs = group.flatMap((s) => {
    // A σ grid (oasm:sigma=grid) counts with the σ its selection chose, as scored.
    const kind = s.grid && s.grid.param !== 'sigma' ? null : referenceKind({ ...s, grid: null });
    return kind === null ? [] : [{ features: `${kind}: ${s.features}`, split: s.split ?? '?', file: s.file, sourceId: s.id, mean: s.mean, subjects: s.subjects }];
  });
  const blocks: ReportSection['blocks'] = [];
  // One panel per pooling (as the paper's figures): models ranked, then the reference bars.
  for (const pool of ['last', 'mean', 'sum'] as const) {
    const bars = sorted.filter((e) => e.pool === pool).map((e) => ({ features: e.label, split: e.split, file: e.score.file, sourceId: e.score.id, mean: e.score.mean, subjects: e.score.subjects }));
    if (bars.length === 0) continue;
    const figure = barsFigure(
      figureId(`${label.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}-zoo-${POOL_LABEL[pool].toLowerCase()}`),
      `Model zoo (${POOL_LABEL[pool]}: pool=${pool}): best layer per model — ${label}`,
      'bars: mean over subjects ± SEM · OASM and simple features as references',
      `Each model's best layer (the highest-scoring fixed layer, or the layer its layer grid selected) with ${POOL_LABEL[pool]} pooling (pool=${pool}; LT = last token, MP = mean, SP = sum), shuffled and contiguous folds, models ranked by their best score over poolings and splits; OASM and the simple features (position, length) of the same dataset as reference bars. A model that does not beat the references under contiguous folds is not mapping more than those confounds.`,
      [...bars, ...refs], 'model (best layer)', false,
    );
    blocks.push({ kind: 'figure', figure });
  }
  const direction = (m: string) => modelDirection(m) ?? 'unknown';
  blocks.push({ kind: 'table', title: `Model zoo: best layers — ${label}`, table: {
    columns: ['model', 'direction', 'pooling', 'split', 'best layer', 'R²', 'file'],
    rows: sorted.map((e) => [e.label, direction(e.model), POOL_LABEL[e.pool], e.split, e.layer ?? '–', fmt(e.r2), e.score.file]),
  } });
  const cmp = directionComparison(entries);
  if (cmp.length > 0) {
    blocks.push({ kind: 'table', title: `Unidirectional vs bidirectional models (Welch's t-test of the models' best R²) — ${label}`, table: {
      columns: ['pooling', 'split', 'uni models', 'uni mean R²', 'bi models', 'bi mean R²', 't', 'df', 'p'],
      rows: cmp.map((c) => [POOL_LABEL[c.pool], c.split, c.uni.length, fmt(c.uni.reduce((a, b) => a + b, 0) / c.uni.length), c.bi.length, fmt(c.bi.reduce((a, b) => a + b, 0) / c.bi.length), fmt(c.t, 3), fmt(c.df, 2), fmt(c.p, 4)]),
    } });
  }
  return blocks;
}
