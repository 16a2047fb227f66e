/**
 * Every result under a folder (or a sweep results store) as one long, tidy table: one row per
 * (analysis, level, experiment, subject, unit, metric) with its value, and every setting of the
 * analysis that produced it as a column — so the table loads in pandas or R and can be filtered,
 * grouped and pivoted without joins.
 *
 * Levels: `dataset` (the dataset score, Ω mean, …), `subject` (per subject, averaged over the
 * experiments it did: experiment `all`; and per experiment when a score has several) and `unit`
 * (every numeric column of the `units.csv` beside the result). Discovery and validation are
 * scanResults' (scan.ts): what it cannot read is returned as notes, never thrown.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseCsv } from '../io/csv.js';
import { csvCell } from '../pipeline/results.js';
import { scanResults } from './scan.js';
import type { MissingNote, PartitionAnalysis, ScoreAnalysis } from './types.js';

/** A cell of the collected table: text, a number (NaN and null are written as empty cells) or nothing. */
export type CollectCell = string | number | null;
export type CollectRow = Record<string, CollectCell>;

/** Leading columns, in this order; settings columns follow, then LEVEL_COLUMNS. */
export const ID_COLUMNS = ['source', 'kind', 'analysis', 'job', 'dataset', 'dataset_hash', 'features', 'features_a', 'features_b', 'split', 'estimator', 'seed', 'select'] as const;
export const LEVEL_COLUMNS = ['level', 'experiment', 'subject', 'unit', 'network', 'x', 'y', 'z', 'metric', 'value'] as const;

export interface CollectedResults {
  /** Absolute path of the folder that was read. */
  root: string;
  /** Column names: ID_COLUMNS, every other setting found (snake_case, sorted), LEVEL_COLUMNS. */
  columns: string[];
  rows: CollectRow[];
  /** Files that could not be read or are incomplete (as the report lists them). */
  notes: MissingNote[];
  /** Number of analyses (score, partition, audit, deconstruct files) the rows come from. */
  analyses: number;
}

type Obj = Record<string, unknown>;

/** camelCase → snake_case (settings were camelCase in score.json, snake_case elsewhere). */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
}

/** A setting as one cell: lists joined with ';', objects as JSON, booleans as true/false. */
function settingCell(v: unknown): CollectCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'string')) return v.join(';');
  return JSON.stringify(v);
}

/** Settings object → snake_case columns. */
function settingColumns(settings: Obj | null | undefined): CollectRow {
  const out: CollectRow = {};
  for (const [k, v] of Object.entries(settings ?? {})) out[snakeCase(k)] = settingCell(v);
  return out;
}

function readJsonQuiet(path: string): Obj | null {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
  } catch {
    return null;
  }
}

function numOrNull(s: string | undefined): number | null {
  if (s === undefined || s === '' || /^nan$/i.test(s)) return null;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

/** units.csv columns that identify or describe a unit (not metrics), or repeat the analysis' settings. */
const UNIT_ID = new Set(['experiment', 'unit', 'subject', 'network', 'x', 'y', 'z']);
const UNIT_SKIP = new Set(['dataset', 'dataset_hash', 'features', 'features_a', 'features_b', 'split', 'estimator', 'seed', 'select', 'source', 'kind', 'level', 'metric', 'value']);

/**
 * Unit-level rows of a units.csv: one row per unit and numeric column (r2, r, median_alpha,
 * r2_a, …, p_b_beyond_a_bh); a column with text in it is not a metric and is left out.
 */
function unitRows(path: string, rel: string, base: CollectRow, notes: MissingNote[]): CollectRow[] {
  let table;
  try {
    table = parseCsv(readFileSync(path, 'utf8'), rel);
  } catch (err) {
    notes.push({ file: rel, problem: `unreadable CSV (${err instanceof Error ? err.message : String(err)}): no unit rows` });
    return [];
  }
  const header = table.header.map((h) => h.trim());
  const idx = new Map(header.map((h, k) => [h, k]));
  const metrics = header.filter((h) => !UNIT_ID.has(h) && !UNIT_SKIP.has(h) && table.rows.every((row) => row[idx.get(h)!] === undefined || row[idx.get(h)!] === '' || /^nan$/i.test(row[idx.get(h)!]) || !Number.isNaN(Number(row[idx.get(h)!]))));
  const out: CollectRow[] = [];
  for (const row of table.rows) {
    const cell = (c: string): string | null => (idx.has(c) ? row[idx.get(c)!] ?? null : null);
    const unit: CollectRow = {
      ...base, level: 'unit', experiment: cell('experiment'), subject: cell('subject'), unit: cell('unit'), network: cell('network'),
      x: numOrNull(cell('x') ?? undefined), y: numOrNull(cell('y') ?? undefined), z: numOrNull(cell('z') ?? undefined),
    };
    for (const m of metrics) out.push({ ...unit, metric: m, value: numOrNull(row[idx.get(m)!]) });
  }
  return out;
}

function metricRows(base: CollectRow, level: string, at: CollectRow, values: Record<string, number | null | undefined>): CollectRow[] {
  return Object.entries(values).filter(([, v]) => v !== undefined).map(([metric, value]) => ({ ...base, level, ...at, metric, value: value ?? null }));
}

/** The store key and the folder of a store job (`<store>/jobs/<key>/`), or null. */
function storeJob(folder: string): string | null {
  return basename(dirname(folder)) === 'jobs' && existsSync(join(dirname(dirname(folder)), 'STORE.json')) ? basename(folder) : null;
}

/**
 * True for files a store keeps outside its valid jobs (tmp/, quarantine/, failed/): results being
 * written or broken copies that must not be counted.
 */
function insideStoreButNotJobs(root: string, file: string): boolean {
  let dir = dirname(file);
  for (;;) {
    if (existsSync(join(dir, 'STORE.json'))) return !relative(dir, file).split(sep)[0].startsWith('jobs');
    if (dir === root || dirname(dir) === dir) return false;
    dir = dirname(dir);
  }
}

function scoreRows(root: string, s: ScoreAnalysis, notes: MissingNote[], analysis: string | null): CollectRow[] {
  const abs = join(root, s.file.split('#')[0]);
  const folder = dirname(abs);
  const raw = s.file.includes('#') ? null : readJsonQuiet(abs);
  const settings = settingColumns(s.settings);
  const base: CollectRow = {
    ...settings, source: s.file, kind: 'score', analysis, job: storeJob(folder), dataset: s.dataset.name, dataset_hash: s.dataset.hash,
    features: s.features, split: s.split ?? settings.split ?? null, select: settings.select ?? (s.grid?.select || null),
  };
  const rows = metricRows(base, 'dataset', { experiment: 'all' }, { r2: s.mean.r2, r: s.mean.r, r2_sem: s.mean.r2Sem, r_sem: s.mean.rSem });
  const rawSubjects = Array.isArray(raw?.subjects) ? (raw.subjects as unknown[]) : [];
  for (const subj of s.subjects) {
    rows.push(...metricRows(base, 'subject', { experiment: 'all', subject: subj.subject }, { r2: subj.r2, r: subj.r, n_units: subj.nUnits }));
    // Per experiment, when the subject's score averages several (Pereira 243 and 384).
    const o = rawSubjects.find((x): x is Obj => x !== null && typeof x === 'object' && (x as Obj).subject === subj.subject);
    const exps = o && o.experiments !== null && typeof o.experiments === 'object' ? Object.entries(o.experiments as Obj) : [];
    if (exps.length > 1) {
      for (const [experiment, v] of exps) {
        const e = v !== null && typeof v === 'object' ? (v as Obj) : {};
        rows.push(...metricRows(base, 'subject', { experiment, subject: subj.subject }, { r2: typeof e.r2 === 'number' ? e.r2 : null, r: typeof e.r === 'number' ? e.r : null }));
      }
    }
  }
  if (s.unitsFile) rows.push(...unitRows(join(root, s.unitsFile), s.unitsFile, base, notes));
  return rows;
}

function partitionRows(root: string, p: PartitionAnalysis, notes: MissingNote[], analysis: string | null): CollectRow[] {
  const settings = settingColumns(p.a.settings);
  const blocking = p.significance?.blocking ?? null;
  const base: CollectRow = {
    ...settings, ...(blocking ? { blocking } : {}), source: p.file, kind: 'partition', analysis, job: null, dataset: p.dataset.name, dataset_hash: p.dataset.hash,
    features: p.joint?.features ?? `${p.a.features} | ${p.b.features}`, features_a: p.a.features, features_b: p.b.features, split: p.split ?? settings.split ?? null,
  };
  const rows = metricRows(base, 'dataset', { experiment: 'all' }, { omega: p.omegaMean, percent_significant: p.significance?.meanPercent });
  const sig = new Map((p.significance?.subjects ?? []).map((s) => [s.subject, s]));
  for (const s of p.subjects) {
    const g = sig.get(s.subject);
    rows.push(...metricRows(base, 'subject', { experiment: 'all', subject: s.subject }, {
      r2_a: s.r2A, r2_b: s.r2B, r2_joint: s.r2Joint, omega: s.omega,
      ...(g ? { percent_significant: g.percent, n_units: g.nUnits } : {}),
    }));
  }
  if (p.unitsFile) rows.push(...unitRows(join(root, p.unitsFile), p.unitsFile, base, notes));
  return rows;
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const numCell = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strCell = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Rows of a deconstruct.json (and its units.csv), to compare runs: `analysis` says which part —
 * `model` (every sub-model: r2, r2_sem; subject r2), `best-per-level` (the best sub-model with
 * `n_spaces` spaces; `best-without-llm` the best without the LLM at that level), `unit-max`,
 * `unique` and `unique-without-llm` (per `space`: unique_r2 = full − without it; subject unique_r2),
 * `llm-beyond` (percent_significant; subject n_units, percent_significant, percent_llm_beats_chance)
 * and `omega` (omega; subject r2_simple, r2_llm, r2_joint, omega). The sub-model is in `model`
 * (its feature specs in `features`), the LLM space's name in `llm`.
 */
function deconstructRows(root: string, file: string, notes: MissingNote[]): CollectRow[] {
  const raw = readJsonQuiet(join(root, file));
  if (raw === null) return [];
  const ds = isObj(raw.dataset) ? raw.dataset : {};
  const settings = settingColumns(isObj(raw.settings) ? raw.settings : null);
  const lb = isObj(raw.llm_beyond) ? raw.llm_beyond : null;
  const base: CollectRow = {
    ...settings, ...(lb && typeof lb.blocking === 'string' ? { blocking: lb.blocking } : {}), source: file, kind: 'deconstruct', analysis: null, job: null,
    dataset: strCell(ds.name), dataset_hash: strCell(ds.hash), split: strCell(raw.split) ?? settings.split ?? null, llm: strCell(raw.llm),
  };
  const models = arr(raw.models);
  const byName = new Map(models.map((m) => [String(m.model), m]));
  const modelCols = (name: unknown): CollectRow => {
    const m = byName.get(String(name));
    return { model: strCell(name), features: m ? strCell(m.features) : null, n_spaces: m ? numCell(m.n_spaces) : null, has_llm: m ? (m.has_llm === true ? 'true' : 'false') : null };
  };
  const subjectRows = (b: CollectRow, subjects: unknown, metrics: Record<string, string>): CollectRow[] =>
    arr(subjects).flatMap((s) => metricRows(b, 'subject', { experiment: 'all', subject: String(s.subject) }, Object.fromEntries(Object.entries(metrics).map(([metric, key]) => [metric, numCell(s[key])]))));
  const rows: CollectRow[] = [];
  for (const m of models) {
    const b = { ...base, analysis: 'model', ...modelCols(m.model) };
    rows.push(...metricRows(b, 'dataset', { experiment: 'all' }, { r2: numCell(m.r2), r2_sem: numCell(m.r2_sem) }), ...subjectRows(b, m.subjects, { r2: 'r2' }));
  }
  for (const l of arr(raw.levels)) {
    rows.push(...metricRows({ ...base, analysis: 'best-per-level', ...modelCols(l.model), n_spaces: numCell(l.n_spaces) }, 'dataset', { experiment: 'all' }, { r2: numCell(l.r2), r2_sem: numCell(l.r2_sem) }));
    const w = isObj(l.without_llm) ? l.without_llm : null;
    if (w) rows.push(...metricRows({ ...base, analysis: 'best-without-llm', ...modelCols(w.model), n_spaces: numCell(l.n_spaces) }, 'dataset', { experiment: 'all' }, { r2: numCell(w.r2), r2_sem: numCell(w.r2_sem) }));
  }
  if (isObj(raw.unit_max)) {
    const b = { ...base, analysis: 'unit-max' };
    rows.push(...metricRows(b, 'dataset', { experiment: 'all' }, { r2: numCell(raw.unit_max.r2), r2_sem: numCell(raw.unit_max.r2_sem) }), ...subjectRows(b, raw.unit_max.subjects, { r2: 'r2' }));
  }
  const spaces = new Map(arr(raw.spaces).map((s) => [String(s.name), strCell(s.spec)]));
  for (const [analysis, key] of [['unique', 'unique'], ['unique-without-llm', 'unique_without_llm']] as const) {
    for (const u of arr(raw[key])) {
      const b = { ...base, analysis, space: strCell(u.space), features: spaces.get(String(u.space)) ?? null, model: strCell(u.full) };
      rows.push(...metricRows(b, 'dataset', { experiment: 'all' }, { unique_r2: numCell(u.unique) }), ...subjectRows(b, u.subjects, { unique_r2: 'unique' }));
    }
  }
  if (lb) {
    const b = { ...base, analysis: 'llm-beyond', ...modelCols(lb.joint), features_a: byName.has(String(lb.simple)) ? strCell(byName.get(String(lb.simple))!.features) : null, features_b: byName.has(String(lb.llm_alone)) ? strCell(byName.get(String(lb.llm_alone))!.features) : null };
    rows.push(...metricRows(b, 'dataset', { experiment: 'all' }, { percent_significant: numCell(lb.mean_percent_significant) }),
      ...subjectRows(b, lb.subjects, { n_units: 'n_units', percent_significant: 'percent_significant', percent_llm_beats_chance: 'percent_llm_beats_chance' }));
    if (isObj(raw.omega)) {
      const o = { ...b, analysis: 'omega' };
      rows.push(...metricRows(o, 'dataset', { experiment: 'all' }, { omega: numCell(raw.omega.mean) }),
        ...subjectRows(o, raw.omega.subjects, { r2_simple: 'r2_simple', r2_llm: 'r2_llm', r2_joint: 'r2_joint', omega: 'omega' }));
    }
  }
  const units = join(dirname(file), 'units.csv');
  if (existsSync(join(root, units))) rows.push(...unitRows(join(root, units), units, { ...base, analysis: 'units' }, notes));
  return rows;
}

/**
 * Reads every result under `dir` (recursively: score.json, partition.json, audit.json,
 * deconstruct.json with their units.csv; a sweep store's valid jobs) into one tidy table. Throws only when `dir` is not a
 * readable folder.
 */
export function collectResults(dir: string): CollectedResults {
  const scan = scanResults(dir);
  const root = scan.root;
  const notes = scan.notes.filter((n) => !/no contiguous counterpart/.test(n.problem));
  const keep = (file: string) => !insideStoreButNotJobs(root, join(root, file.split('#')[0]));
  const rows: CollectRow[] = [];
  let analyses = 0;

  // Scores and partitions written inside an audit folder carry the audit line's id as `analysis`.
  const auditDirs = new Map(scan.audits.map((a) => [dirname(a.file), a]));
  const auditAnalysis = (file: string): string | null => {
    const folder = dirname(file.split('#')[0]);
    return auditDirs.has(dirname(folder)) ? basename(folder) : null;
  };
  for (const s of scan.scores) if (keep(s.file)) { rows.push(...scoreRows(root, s, notes, auditAnalysis(s.file))); analyses++; }
  for (const p of scan.partitions) {
    if (!keep(p.file)) continue;
    // An audit partition without its folder is read from audit.json (file `audit.json#partitions[k]`).
    const fromAudit = p.file.includes('#') ? `partition-${p.id.replace(/^.*-partition-/, '')}` : auditAnalysis(p.file);
    rows.push(...partitionRows(root, p, notes, fromAudit));
    analyses++;
  }
  for (const d of scan.deconstructs ?? []) if (keep(d.file)) { rows.push(...deconstructRows(root, d.file, notes)); analyses++; }
  // Audit lines that have no score folder of their own (the banded lines, or an audit.json alone).
  for (const a of scan.audits) {
    if (!keep(a.file)) continue;
    analyses++;
    const dirRel = dirname(a.file);
    const settings = settingColumns(a.settings);
    const base: CollectRow = { ...settings, source: a.file, kind: 'audit', analysis: null, job: null, dataset: a.dataset.name, dataset_hash: a.dataset.hash };
    for (const row of a.rows) {
      if (scan.scores.some((s) => s.file === (dirRel === '.' ? `${row.id}/score.json` : `${dirRel}/${row.id}/score.json`))) continue;
      const b: CollectRow = { ...base, analysis: row.id, features: row.features, split: row.split, banded: row.banded === null ? null : String(row.banded) };
      rows.push(...metricRows(b, 'dataset', { experiment: 'all' }, { r2: row.r2, r2_sem: row.r2Sem, r: row.r }));
      for (const s of row.subjects) rows.push(...metricRows(b, 'subject', { experiment: 'all', subject: s.subject }, { r2: s.r2, r: s.r }));
    }
    if (a.leak) {
      rows.push(...metricRows({ ...base, analysis: 'leak', features: a.features }, 'dataset', { experiment: 'all' }, {
        leak_shuffled_r2: a.leak.shuffledR2, leak_contiguous_r2: a.leak.contiguousR2, leak_difference: a.leak.difference, leak_sem: a.leak.sem, leak_p: a.leak.p,
        leak_flagged: a.leak.flagged === null ? null : a.leak.flagged ? 1 : 0,
      }));
    }
  }

  const fixed = new Set<string>([...ID_COLUMNS, ...LEVEL_COLUMNS]);
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !fixed.has(k)).sort();
  return { root: resolve(root), columns: [...ID_COLUMNS, ...extra, ...LEVEL_COLUMNS], rows, notes, analyses };
}

/** The collected table as CSV text (RFC 4180; empty cells for null and NaN; full float precision). */
export function collectedCsv(c: Pick<CollectedResults, 'columns' | 'rows'>): string {
  const lines = [c.columns.map((h) => csvCell(h)).join(',')];
  for (const r of c.rows) lines.push(c.columns.map((h) => { const v = r[h]; return v === null || v === undefined ? '' : csvCell(v); }).join(','));
  return lines.join('\n') + '\n';
}
