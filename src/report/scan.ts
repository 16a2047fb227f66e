/**
 * Scans a results folder (recursively) into typed analyses: every `score.json`, `partition.json`,
 * `audit.json` and demo `summary.json`, with the `units.csv` beside each. Nothing is fitted and
 * nothing throws on bad input: an unreadable file, a field that is missing or of the wrong type, a
 * score without its other-split counterpart, a partition without units — each becomes a
 * MissingNote naming the file and the reason, and the rest of the folder is still read.
 */
// Settings keys in snake_case whether the file is older (camelCase score settings) or newer (issue 16.5).
import { snakeSettings } from '../pipeline/json-keys.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseCsv, type CsvTable } from '../io/csv.js';
import { describeFsError } from '../io/fsutil.js';
import { deconstructFromJson, type DeconstructAnalysis } from './deconstruct.js';
import type {
  AuditAnalysis, AuditLeak, AuditRow, DatasetRef, DemoSummary, GridCurve, MissingNote, PartitionAnalysis, PartitionPart, PartitionSignificance,
  PartitionSubject, PartitionUnit, ResultsFolder, ScoreAnalysis, ScoreCeiling, ScoreUnit, SubjectScore,
} from './types.js';

type Obj = Record<string, unknown>;

const RESULT_FILES = new Set(['score.json', 'partition.json', 'audit.json', 'summary.json', 'deconstruct.json', 'units.csv']);
const SKIP_DIRS = new Set(['node_modules', '.git']);

/** Collects field problems of one file and turns them into one note. */
class FieldReader {
  readonly problems: string[] = [];
  constructor(readonly file: string) {}

  missing(path: string, what = 'missing'): void {
    this.problems.push(`${path} ${what}`);
  }
  obj(v: unknown, path: string, required = true): Obj | null {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Obj;
    if (required || v !== undefined) this.missing(path, v === undefined ? 'missing' : `is not an object`);
    return null;
  }
  arr(v: unknown, path: string, required = true): unknown[] | null {
    if (Array.isArray(v)) return v;
    if (required || v !== undefined) this.missing(path, v === undefined ? 'missing' : 'is not a list');
    return null;
  }
  /** A number; JSON `null` (how NaN is written) is accepted as "no value" without a note. */
  num(o: Obj | null, key: string, path: string, required = true): number | null {
    const v = o?.[key];
    if (typeof v === 'number') return v;
    if (v === null) return null;
    if (required || v !== undefined) this.missing(path, v === undefined ? 'missing' : 'is not a number');
    return null;
  }
  str(o: Obj | null, key: string, path: string, required = true): string | null {
    const v = o?.[key];
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    if (required || (v !== undefined && v !== null)) this.missing(path, v === undefined ? 'missing' : 'is not a string');
    return null;
  }
  bool(o: Obj | null, key: string, path: string, required = true): boolean | null {
    const v = o?.[key];
    if (typeof v === 'boolean') return v;
    if (required || (v !== undefined && v !== null)) this.missing(path, v === undefined ? 'missing' : 'is not true/false');
    return null;
  }
  flush(notes: MissingNote[], prefix = 'incomplete'): void {
    if (this.problems.length === 0) return;
    const shown = this.problems.slice(0, 8).join('; ');
    const more = this.problems.length > 8 ? `; and ${this.problems.length - 8} more` : '';
    notes.push({ file: this.file, problem: `${prefix}: ${shown}${more}` });
  }
}

function slug(rel: string): string {
  const s = rel.replace(/\.(json|csv)$/i, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase();
  return s || 'root';
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
  used.add(id);
  return id;
}

/** Lists result files under `root`, sorted, without following symbolic links. */
function walk(root: string, notes: MissingNote[]): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      notes.push({ file: relative(root, dir) || '.', problem: `folder not readable (${describeFsError(err)})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(p);
      } else if (e.isFile() && RESULT_FILES.has(e.name)) out.push(p);
    }
  };
  visit(root);
  return out;
}

type JsonRead = { ok: true; value: unknown } | { ok: false };

function readJson(path: string, rel: string, notes: MissingNote[]): JsonRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    notes.push({ file: rel, problem: `not readable (${describeFsError(err)})` });
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    notes.push({ file: rel, problem: text.trim() === '' ? 'unreadable JSON (the file is empty)' : `unreadable JSON (${msg})` });
    return { ok: false };
  }
}

function readCsvTable(path: string, rel: string, notes: MissingNote[]): CsvTable | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    notes.push({ file: rel, problem: `not readable (${describeFsError(err)})` });
    return null;
  }
  try {
    return parseCsv(text, rel);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    notes.push({ file: rel, problem: `unreadable CSV (${msg.startsWith(rel) ? msg.slice(rel.length + 2) : msg})` });
    return null;
  }
}

/** Numeric CSV cell: '' / 'NaN' → null; anything else unparsable is counted as bad. */
function cellNum(s: string | undefined, bad: { n: number }): number | null {
  if (s === undefined || s === '' || s === 'NaN' || s === 'nan') return null;
  const v = Number(s);
  if (Number.isNaN(v)) { bad.n++; return null; }
  return v;
}

function columns(t: CsvTable, rel: string, required: readonly string[], notes: MissingNote[]): Map<string, number> | null {
  const idx = new Map(t.header.map((h, k) => [h.trim(), k]));
  const absent = required.filter((c) => !idx.has(c));
  if (absent.length) {
    notes.push({ file: rel, problem: `missing column${absent.length > 1 ? 's' : ''} ${absent.join(', ')} (header: ${t.header.join(',')}): unit figures not drawn` });
    return null;
  }
  if (t.rows.length === 0) {
    notes.push({ file: rel, problem: 'has a header but no units: unit figures not drawn' });
    return null;
  }
  return idx;
}

export function parseScoreUnits(t: CsvTable, rel: string, notes: MissingNote[]): ScoreUnit[] | null {
  const idx = columns(t, rel, ['experiment', 'unit', 'subject', 'r2', 'r'], notes);
  if (!idx) return null;
  const hasXyz = idx.has('x') && idx.has('y') && idx.has('z');
  const bad = { n: 0 };
  const units = t.rows.map((row) => ({
    experiment: row[idx.get('experiment')!], unit: row[idx.get('unit')!], subject: row[idx.get('subject')!],
    r2: cellNum(row[idx.get('r2')!], bad), r: cellNum(row[idx.get('r')!], bad),
    x: hasXyz ? cellNum(row[idx.get('x')!], bad) : null, y: hasXyz ? cellNum(row[idx.get('y')!], bad) : null, z: hasXyz ? cellNum(row[idx.get('z')!], bad) : null,
  }));
  if (bad.n) notes.push({ file: rel, problem: `${bad.n} cell(s) are not numbers (left out of the figures)` });
  return units;
}

export function parsePartitionUnits(t: CsvTable, rel: string, notes: MissingNote[]): PartitionUnit[] | null {
  const idx = columns(t, rel, ['experiment', 'unit', 'subject', 'r2_a', 'r2_b'], notes);
  if (!idx) return null;
  const bad = { n: 0 };
  const get = (row: string[], c: string) => (idx.has(c) ? cellNum(row[idx.get(c)!], bad) : null);
  const units = t.rows.map((row) => ({
    experiment: row[idx.get('experiment')!], unit: row[idx.get('unit')!], subject: row[idx.get('subject')!],
    r2A: get(row, 'r2_a'), r2B: get(row, 'r2_b'), r2Joint: get(row, 'r2_joint'), p: get(row, 'p_b_beyond_a'), pAdjusted: get(row, 'p_b_beyond_a_bh'),
  }));
  if (bad.n) notes.push({ file: rel, problem: `${bad.n} cell(s) are not numbers (left out of the figures)` });
  return units;
}

function subjectScores(f: FieldReader, list: unknown[] | null, path: string): SubjectScore[] {
  if (!list) return [];
  const out: SubjectScore[] = [];
  list.forEach((v, k) => {
    const o = f.obj(v, `${path}[${k}]`);
    if (!o) return;
    const subject = f.str(o, 'subject', `${path}[${k}].subject`);
    if (subject === null) return;
    out.push({ subject, r2: f.num(o, 'r2', `${path}[${k}].r2`), r: f.num(o, 'r', `${path}[${k}].r`, false), nUnits: f.num(o, 'n_units', `${path}[${k}].n_units`, false) });
  });
  return out;
}

/** Reads the ScoreJson fields a report uses. Returns null when it is not a score at all. */
function scoreFromJson(value: unknown, f: FieldReader, prefix = ''): Omit<ScoreAnalysis, 'id' | 'file' | 'units' | 'unitsFile' | 'meaning'> | null {
  const root = f.obj(value, prefix || '(top level)');
  if (!root) return null;
  const p = (s: string) => (prefix ? `${prefix}.${s}` : s);
  const ds = f.obj(root.dataset, p('dataset'));
  const name = f.str(ds, 'name', p('dataset.name')) ?? '(unnamed dataset)';
  const dataset: DatasetRef = { name, source: f.str(ds, 'source', p('dataset.source'), false), hash: f.str(ds, 'hash', p('dataset.hash')) };
  const features = f.str(root, 'features', p('features')) ?? '(unknown features)';
  const settings = snakeSettings(f.obj(root.settings, p('settings')));
  const split = settings ? f.str(settings, 'split', p('settings.split')) : null;
  const subjects = subjectScores(f, f.arr(root.subjects, p('subjects')), p('subjects'));
  let grid: GridCurve | null = null;
  const g = root.grid === null || root.grid === undefined ? null : f.obj(root.grid, p('grid'));
  if (g) {
    const curve = (f.arr(g.curve, p('grid.curve')) ?? []).flatMap((c, k) => {
      const o = f.obj(c, p(`grid.curve[${k}]`));
      const value = f.num(o, 'value', p(`grid.curve[${k}].value`));
      return o && value !== null ? [{
        value, r2: f.num(o, 'r2', p(`grid.curve[${k}].r2`)), r: f.num(o, 'r', p(`grid.curve[${k}].r`), false),
        // SEM over subjects per grid value: written since the curve figure draws a band (older files have none).
        r2Sem: f.num(o, 'r2_sem', p(`grid.curve[${k}].r2_sem`), false), rSem: f.num(o, 'r_sem', p(`grid.curve[${k}].r_sem`), false),
      }] : [];
    });
    const nums = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : []);
    const chosen = (f.arr(g.chosen, p('grid.chosen'), false) ?? []).flatMap((c, k) => {
      const o = f.obj(c, p(`grid.chosen[${k}]`), false);
      return o ? [{ experiment: typeof o.experiment === 'string' ? o.experiment : '', values: nums(o.values), valuesR: nums(o.values_r ?? o.values) }] : [];
    });
    // Files without `curve_clipped` were written when the curve held clipped subject means.
    const clipped = f.bool(g, 'curve_clipped', p('grid.curve_clipped'), false) ?? true;
    grid = { term: f.str(g, 'term', p('grid.term'), false) ?? '', param: f.str(g, 'param', p('grid.param'), false) ?? 'value', select: f.str(g, 'select', p('grid.select'), false) ?? '', curve, clipped, chosen };
  }
  let ceiling: ScoreCeiling | null = null;
  const c = f.obj(root.ceiling, p('ceiling'), false);
  if (c) {
    const cd = f.obj(c.dataset, p('ceiling.dataset'));
    ceiling = {
      method: f.str(c, 'method', p('ceiling.method')) ?? '?',
      nExcluded: f.num(c, 'n_units_excluded', p('ceiling.n_units_excluded'), false),
      subjects: (f.arr(c.subjects, p('ceiling.subjects')) ?? []).flatMap((v, k) => {
        const o = f.obj(v, p(`ceiling.subjects[${k}]`));
        const subject = f.str(o, 'subject', p(`ceiling.subjects[${k}].subject`));
        if (!o || subject === null) return [];
        const at = (key: string) => p(`ceiling.subjects[${k}].${key}`);
        return [{ subject, ceiling: f.num(o, 'ceiling', at('ceiling')), nExcluded: f.num(o, 'n_units_excluded', at('n_units_excluded'), false), r2: f.num(o, 'r2', at('r2')), r: f.num(o, 'r', at('r'), false) }];
      }),
      mean: { r2: f.num(cd, 'r2', p('ceiling.dataset.r2')), r: f.num(cd, 'r', p('ceiling.dataset.r'), false) },
    };
  }
  return {
    kind: 'score', dataset, features, split, settings, subjects, grid, ceiling,
    mean: { r2: f.num(ds, 'r2', p('dataset.r2')), r: f.num(ds, 'r', p('dataset.r'), false), r2Sem: f.num(ds, 'r2_sem', p('dataset.r2_sem'), false), rSem: f.num(ds, 'r_sem', p('dataset.r_sem'), false) },
  };
}

function partitionFromJson(value: unknown, f: FieldReader): Omit<PartitionAnalysis, 'id' | 'file' | 'units' | 'unitsFile'> | null {
  const root = f.obj(value, '(top level)');
  if (!root) return null;
  const part = (key: 'a' | 'b' | 'joint', required: boolean): { part: PartitionPart; ds: DatasetRef | null } | null => {
    const o = f.obj(root[key], key, required);
    if (!o) return null;
    const ds = f.obj(o.dataset, `${key}.dataset`, false);
    return {
      part: { features: f.str(o, 'features', `${key}.features`) ?? '(unknown features)', settings: snakeSettings(f.obj(o.settings, `${key}.settings`)) },
      ds: ds ? { name: f.str(ds, 'name', `${key}.dataset.name`, false) ?? '', source: f.str(ds, 'source', `${key}.dataset.source`, false), hash: f.str(ds, 'hash', `${key}.dataset.hash`) } : null,
    };
  };
  const a = part('a', true);
  const b = part('b', true);
  const joint = part('joint', true);
  const name = (typeof root.dataset === 'string' ? root.dataset : null) ?? a?.ds?.name ?? (f.missing('dataset'), '(unnamed dataset)');
  const subjects: PartitionSubject[] = (f.arr(root.subjects, 'subjects') ?? []).flatMap((v, k) => {
    const o = f.obj(v, `subjects[${k}]`);
    const subject = f.str(o, 'subject', `subjects[${k}].subject`);
    if (!o || subject === null) return [];
    return [{ subject, r2A: f.num(o, 'r2_a', `subjects[${k}].r2_a`), r2B: f.num(o, 'r2_b', `subjects[${k}].r2_b`), r2Joint: f.num(o, 'r2_joint', `subjects[${k}].r2_joint`), omega: f.num(o, 'omega', `subjects[${k}].omega`) }];
  });
  let significance: PartitionSignificance | null = null;
  const sig = f.obj(root.significance, 'significance');
  if (sig) {
    significance = {
      alpha: f.num(sig, 'alpha', 'significance.alpha', false),
      blocking: f.str(sig, 'blocking', 'significance.blocking', false),
      meanPercent: f.num(sig, 'mean_percent_significant', 'significance.mean_percent_significant'),
      subjects: (f.arr(sig.subjects, 'significance.subjects') ?? []).flatMap((v, k) => {
        const o = f.obj(v, `significance.subjects[${k}]`);
        const subject = f.str(o, 'subject', `significance.subjects[${k}].subject`);
        if (!o || subject === null) return [];
        return [{ subject, nUnits: f.num(o, 'n_units', `significance.subjects[${k}].n_units`, false), percent: f.num(o, 'percent_significant', `significance.subjects[${k}].percent_significant`) }];
      }),
    };
  }
  const split = f.str(root, 'split', 'split', false) ?? (a?.part.settings && typeof a.part.settings.split === 'string' ? a.part.settings.split : null);
  return {
    kind: 'partition',
    dataset: { name, source: a?.ds?.source ?? null, hash: a?.ds?.hash ?? null },
    split,
    a: a?.part ?? { features: '(unknown A)', settings: null },
    b: b?.part ?? { features: '(unknown B)', settings: null },
    joint: joint?.part ?? null,
    subjects,
    omegaMean: f.num(root, 'omega_mean', 'omega_mean'),
    significance,
    verdict: null,
  };
}

function auditFromJson(value: unknown, f: FieldReader): Omit<AuditAnalysis, 'id' | 'file' | 'partitions'> & { rawPartitions: Obj[] } | null {
  const root = f.obj(value, '(top level)');
  if (!root) return null;
  const dataset: DatasetRef = { name: f.str(root, 'dataset', 'dataset') ?? '(unnamed dataset)', source: f.str(root, 'source', 'source', false), hash: f.str(root, 'dataset_hash', 'dataset_hash') };
  const rows: AuditRow[] = (f.arr(root.rows, 'rows') ?? []).flatMap((v, k) => {
    const o = f.obj(v, `rows[${k}]`);
    if (!o) return [];
    const p = (s: string) => `rows[${k}].${s}`;
    const features = f.str(o, 'features', p('features'));
    const id = f.str(o, 'id', p('id')) ?? `row-${k + 1}`;
    return [{
      id, label: f.str(o, 'label', p('label'), false) ?? id, features: features ?? '(unknown features)', split: f.str(o, 'split', p('split')),
      banded: f.bool(o, 'banded', p('banded'), false), r2: f.num(o, 'r2', p('r2')), r2Sem: f.num(o, 'r2_sem', p('r2_sem'), false), r: f.num(o, 'r', p('r'), false),
      subjects: subjectScores(f, f.arr(o.subjects, p('subjects')), p('subjects')), verdict: f.str(o, 'verdict', p('verdict'), false),
    }];
  });
  let leak: AuditLeak | null = null;
  const l = f.obj(root.leak, 'leak');
  if (l) {
    leak = {
      shuffledR2: f.num(l, 'shuffled_r2', 'leak.shuffled_r2'), contiguousR2: f.num(l, 'contiguous_r2', 'leak.contiguous_r2'), difference: f.num(l, 'difference', 'leak.difference'),
      sem: f.num(l, 'sem', 'leak.sem', false), p: f.num(l, 'p', 'leak.p', false), flagged: f.bool(l, 'flagged', 'leak.flagged', false), verdict: f.str(l, 'verdict', 'leak.verdict', false),
    };
  }
  const rawPartitions = (f.arr(root.partitions, 'partitions') ?? []).flatMap((v, k) => {
    const o = f.obj(v, `partitions[${k}]`);
    return o ? [o] : [];
  });
  const verdicts = (f.arr(root.verdicts, 'verdicts') ?? []).flatMap((v, k) => {
    const o = f.obj(v, `verdicts[${k}]`);
    const line = f.str(o, 'line', `verdicts[${k}].line`);
    const verdict = f.str(o, 'verdict', `verdicts[${k}].verdict`);
    return o && line !== null && verdict !== null ? [{ line, verdict }] : [];
  });
  return { kind: 'audit', dataset, features: f.str(root, 'features', 'features', false), settings: snakeSettings(f.obj(root.settings, 'settings')), rows, leak, rawPartitions, verdicts };
}

/** The string entries of a result file's top-level `warnings` array (none when absent: older files). */
function warningsOf(value: unknown): string[] {
  const w = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).warnings : undefined;
  return Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : [];
}

function relPath(root: string, p: string): string {
  return relative(root, p).split(sep).join('/') || basename(p);
}

/** Identity of "the same analysis under another split": dataset + features + everything in settings but the split. */
export function pairKey(s: Pick<ScoreAnalysis, 'dataset' | 'features' | 'settings'>): string {
  const rest: Obj = { ...(s.settings ?? {}) };
  for (const k of ['split', 'backend', 'seed']) delete rest[k];
  return JSON.stringify([s.dataset.name, s.dataset.hash ?? s.dataset.source ?? '', s.features, rest]);
}

/**
 * Reads every result under `dir`. Never throws for bad results (see MissingNote); throws only when
 * `dir` itself is not a readable folder.
 */
export function scanResults(dir: string): ResultsFolder {
  const root = resolve(dir);
  const st = statSync(root);
  if (!st.isDirectory()) throw new Error(`${dir}: not a folder`);
  const notes: MissingNote[] = [];
  const warnings: MissingNote[] = [];
  const files = walk(root, notes);
  const fileSet = new Set(files);
  const used = new Set<string>();
  const scores: ScoreAnalysis[] = [];
  const partitions: PartitionAnalysis[] = [];
  const audits: AuditAnalysis[] = [];
  const summaries: DemoSummary[] = [];
  const deconstructs: DeconstructAnalysis[] = [];
  const partitionByFile = new Map<string, PartitionAnalysis>();
  const auditFiles: { path: string; rel: string; value: unknown }[] = [];
  const summaryFiles: { path: string; rel: string; value: unknown }[] = [];
  let filesRead = 0;

  for (const path of files) {
    const rel = relPath(root, path);
    const name = basename(path);
    const folder = dirname(path);
    if (name === 'units.csv') {
      if (!fileSet.has(join(folder, 'score.json')) && !fileSet.has(join(folder, 'partition.json')) && !fileSet.has(join(folder, 'deconstruct.json'))) {
        notes.push({ file: rel, problem: 'no score.json or partition.json beside it: its units are not shown' });
      }
      continue;
    }
    const json = readJson(path, rel, notes);
    filesRead++;
    if (!json.ok) continue;
    // audit.json repeats its analyses' warnings among its verdicts (drawn in the audit section).
    if (name === 'score.json' || name === 'partition.json') for (const w of warningsOf(json.value)) warnings.push({ file: rel, problem: w });
    const unitsPath = join(folder, 'units.csv');
    const unitsRel = relPath(root, unitsPath);
    if (name === 'score.json') {
      const f = new FieldReader(rel);
      const s = scoreFromJson(json.value, f);
      f.flush(notes);
      if (!s) continue;
      let units: ScoreUnit[] | null = null;
      if (fileSet.has(unitsPath)) {
        const t = readCsvTable(unitsPath, unitsRel, notes);
        filesRead++;
        if (t) units = parseScoreUnits(t, unitsRel, notes);
      } else notes.push({ file: rel, problem: 'no units.csv beside it: no unit-wise figures for this score' });
      scores.push({ ...s, id: uniqueId(slug(relPath(root, folder)), used), file: rel, units, unitsFile: units ? unitsRel : null, meaning: null });
    } else if (name === 'partition.json') {
      const f = new FieldReader(rel);
      const p = partitionFromJson(json.value, f);
      f.flush(notes);
      if (!p) continue;
      let units: PartitionUnit[] | null = null;
      if (fileSet.has(unitsPath)) {
        const t = readCsvTable(unitsPath, unitsRel, notes);
        filesRead++;
        if (t) units = parsePartitionUnits(t, unitsRel, notes);
      } else notes.push({ file: rel, problem: 'no units.csv beside it: no unit-wise scatter for this partition' });
      const pa: PartitionAnalysis = { ...p, id: uniqueId(slug(relPath(root, folder)), used), file: rel, units, unitsFile: units ? unitsRel : null };
      partitions.push(pa);
      partitionByFile.set(path, pa);
    } else if (name === 'deconstruct.json') {
      const d = deconstructFromJson(json.value, rel, uniqueId(slug(relPath(root, folder)), used), notes);
      if (d) deconstructs.push(d);
    } else if (name === 'audit.json') auditFiles.push({ path, rel, value: json.value });
    else if (name === 'summary.json') summaryFiles.push({ path, rel, value: json.value });
  }

  // Audits: their partitions live in partition-<id>/ beside audit.json; fall back to the summary in audit.json.
  for (const { path, rel, value } of auditFiles) {
    const f = new FieldReader(rel);
    const a = auditFromJson(value, f);
    if (!a) { f.flush(notes); continue; }
    const auditDir = slug(relPath(root, dirname(path)));
    const auditId = uniqueId(/audit/.test(auditDir) ? auditDir : `${auditDir}-audit`, used);
    const parts: AuditAnalysis['partitions'] = [];
    a.rawPartitions.forEach((o, k) => {
      const p = (s: string) => `partitions[${k}].${s}`;
      const id = f.str(o, 'id', p('id')) ?? `${k + 1}`;
      const sub = join(dirname(path), `partition-${id}`, 'partition.json');
      const found = partitionByFile.get(sub) ?? null;
      const aSpec = f.str(o, 'a', p('a')) ?? found?.a.features ?? '(unknown A)';
      const bSpec = f.str(o, 'b', p('b')) ?? found?.b.features ?? '(unknown B)';
      const split = f.str(o, 'split', p('split'), false);
      const omegaMean = f.num(o, 'omega_mean', p('omega_mean'));
      const percent = f.num(o, 'percent_significant', p('percent_significant'), false);
      const verdict = f.str(o, 'verdict', p('verdict'), false);
      if (found) {
        found.verdict = verdict;
        parts.push({ id, analysisId: found.id, a: aSpec, b: bSpec, split, omegaMean, percentSignificant: percent, verdict });
        return;
      }
      const subRel = relPath(root, sub);
      if (!existsSync(sub)) notes.push({ file: subRel, problem: `missing: audit partition "${id}" shown from ${rel} only (Ω per subject; no unit-wise figures)` });
      const subjects: PartitionSubject[] = (f.arr(o.subjects, p('subjects')) ?? []).flatMap((v, j) => {
        const so = f.obj(v, p(`subjects[${j}]`));
        const subject = f.str(so, 'subject', p(`subjects[${j}].subject`));
        if (!so || subject === null) return [];
        return [{ subject, r2A: f.num(so, 'r2_a', p(`subjects[${j}].r2_a`), false), r2B: f.num(so, 'r2_b', p(`subjects[${j}].r2_b`), false), r2Joint: f.num(so, 'r2_joint', p(`subjects[${j}].r2_joint`), false), omega: f.num(so, 'omega', p(`subjects[${j}].omega`)) }];
      });
      const pa: PartitionAnalysis = {
        kind: 'partition', id: uniqueId(`${auditId}-partition-${slug(id)}`, used), file: `${rel}#partitions[${k}]`, dataset: a.dataset, split,
        a: { features: aSpec, settings: a.settings }, b: { features: bSpec, settings: a.settings }, joint: null, subjects, omegaMean,
        significance: percent === null ? null : { alpha: null, blocking: null, meanPercent: percent, subjects: [] }, units: null, unitsFile: null, verdict,
      };
      partitions.push(pa);
      parts.push({ id, analysisId: pa.id, a: aSpec, b: bSpec, split, omegaMean, percentSignificant: percent, verdict });
    });
    f.flush(notes);
    audits.push({ kind: 'audit', id: auditId, file: rel, dataset: a.dataset, features: a.features, settings: a.settings, rows: a.rows, leak: a.leak, partitions: parts, verdicts: a.verdicts });
  }

  // Demo summaries: attach each row's meaning to its score; a row whose score.json is gone is shown from the summary's copy.
  for (const { path, rel, value } of summaryFiles) {
    const f = new FieldReader(rel);
    const root0 = f.obj(value, '(top level)');
    const list = f.arr(root0?.rows, 'rows');
    if (!root0 || !list) { f.flush(notes); continue; }
    const copies = f.obj(root0.datasets, 'datasets', false);
    const rows: DemoSummary['rows'] = [];
    list.forEach((v, k) => {
      const o = f.obj(v, `rows[${k}]`);
      if (!o) return;
      const ds = f.str(o, 'dataset', `rows[${k}].dataset`) ?? '';
      const analysis = f.str(o, 'analysis', `rows[${k}].analysis`) ?? '';
      const row = {
        dataset: ds, analysis, features: f.str(o, 'features', `rows[${k}].features`) ?? '', split: f.str(o, 'split', `rows[${k}].split`) ?? '',
        r2: f.num(o, 'r2', `rows[${k}].r2`), r2Sem: f.num(o, 'r2_sem', `rows[${k}].r2_sem`, false), r: f.num(o, 'r', `rows[${k}].r`, false),
        meaning: f.str(o, 'meaning', `rows[${k}].meaning`, false) ?? '', scoreId: null as string | null,
      };
      const kind = ds.replace(/^sim:/, '').split(':')[0];
      const scorePath = join(dirname(path), kind, analysis, 'score.json');
      const scoreRel = relPath(root, scorePath);
      const match = scores.find((s) => s.file === scoreRel);
      if (match) {
        match.meaning = row.meaning || null;
        row.scoreId = match.id;
      } else {
        const copy = copies ? (copies[ds] as Obj | undefined)?.[analysis] : undefined;
        const cf = new FieldReader(rel);
        const s = copy !== undefined ? scoreFromJson(copy, cf, `datasets.${ds}.${analysis}`) : null;
        cf.flush(notes);
        if (s) {
          const sc: ScoreAnalysis = { ...s, id: uniqueId(slug(`${relPath(root, dirname(path))}-${kind}-${analysis}`), used), file: `${rel}#datasets.${ds}.${analysis}`, units: null, unitsFile: null, meaning: row.meaning || null };
          scores.push(sc);
          row.scoreId = sc.id;
          notes.push({ file: scoreRel, problem: `missing: demo row ${ds} ${analysis} shown from the copy in ${rel} (no units.csv, no unit-wise figures)` });
        } else notes.push({ file: scoreRel, problem: `missing: demo row ${ds} ${analysis} has no score.json and no copy in ${rel}; only its summary numbers are shown` });
      }
      rows.push(row);
    });
    const demoParts: DemoSummary['partitions'] = [];
    (f.arr(root0.partitions, 'partitions', false) ?? []).forEach((v, k) => {
      const o = f.obj(v, `partitions[${k}]`);
      if (!o) return;
      demoParts.push({
        dataset: f.str(o, 'dataset', `partitions[${k}].dataset`) ?? '', a: f.str(o, 'a', `partitions[${k}].a`) ?? '', b: f.str(o, 'b', `partitions[${k}].b`) ?? '',
        omegaMean: f.num(o, 'omega_mean', `partitions[${k}].omega_mean`), percentSignificant: f.num(o, 'percent_significant', `partitions[${k}].percent_significant`, false),
      });
    });
    f.flush(notes);
    summaries.push({ kind: 'summary', id: uniqueId(slug(relPath(root, dirname(path))) + '-summary', used), file: rel, rows, partitions: demoParts });
  }

  // Pairs: each score should have its counterpart under the other split scheme.
  const byKey = new Map<string, ScoreAnalysis[]>();
  for (const s of scores) {
    const k = pairKey(s);
    byKey.set(k, [...(byKey.get(k) ?? []), s]);
  }
  for (const group of byKey.values()) {
    const splits = new Set(group.map((s) => s.split));
    // A shuffled score without its contiguous counterpart cannot be checked for leakage across folds.
    if (splits.has('shuffled') && !splits.has('contiguous')) {
      const s = group.find((x) => x.split === 'shuffled')!;
      notes.push({ file: s.file, problem: `no contiguous counterpart for ${s.features} on ${s.dataset.name} (shuffled only): the shuffled score cannot be checked for leakage across folds` });
    }
  }
  return { root, scores, partitions, audits, summaries, deconstructs, notes, warnings, filesRead };
}
