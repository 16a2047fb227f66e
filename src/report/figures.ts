/**
 * From scanned analyses to the report's content: sections of figures (rows + one Vega-Lite spec per
 * metric) and tables, the manifest (the exact settings and data hashes behind each number), and
 * what is missing. Pure: no files are read or written here.
 */
import type { TopLevelSpec } from 'vega-lite';
import {
  FIGURE_SIZES, SCATTER_MAX_UNITS, glassBrainSpec, gridCurveSpec, omegaSpec, significanceSpec, subjectBarsSpec, unitHist2dSpec, unitScatterSpec,
  type FigureType, type Row,
} from './specs.js';
import { pairKey } from './scan.js';
import { BRAIN_OUTLINE } from './brain-outline.js';
import { zooBlocks } from './zoo.js';
import { formatPercent, formatScore, formatScoreSem } from './numbers.js';
import { headlineRows } from '../pipeline/demo-headline.js';
import { deconstructSection } from './deconstruct.js';
import type { AuditAnalysis, Metric, MissingNote, PartitionAnalysis, ResultsFolder, ScoreAnalysis, ScoreUnit, SubjectScore } from './types.js';

export interface Figure {
  /** Unique and file-name safe. */
  id: string;
  type: FigureType;
  title: string;
  caption: string;
  /** Manifest ids of the files the numbers come from. */
  sources: string[];
  /** The rows every spec of this figure reads (data set `values`). */
  rows: Row[];
  /** One spec per metric the figure can show (the first is the default). */
  specs: Partial<Record<Metric, TopLevelSpec>>;
  width: number;
  height: number;
  /** A small table of the plotted numbers (for reading exact values), if useful. */
  table: ReportTable | null;
}

export interface ReportTable {
  columns: string[];
  rows: (string | number | null)[][];
  /** Optional anchor ids per row. */
  rowIds?: string[];
}

export interface ReportSection {
  id: string;
  title: string;
  intro: string | null;
  blocks: ({ kind: 'figure'; figure: Figure } | { kind: 'table'; title: string; table: ReportTable } | { kind: 'notes'; notes: MissingNote[] })[];
}

export interface ManifestEntry {
  id: string;
  file: string;
  kind: string;
  dataset: string;
  datasetHash: string | null;
  source: string | null;
  features: string;
  split: string | null;
  settings: string;
  unitsFile: string | null;
}

export interface ReportModel {
  title: string;
  root: string;
  sections: ReportSection[];
  manifest: ManifestEntry[];
  notes: MissingNote[];
  figures: Figure[];
}

const isNum = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const n = (v: number | null | undefined): number | null => (isNum(v) ? v : null);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

function sem(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
}

/** Compact form of a settings object for the manifest: the α grid as first…last (count). */
export function settingsText(settings: Record<string, unknown> | null): string {
  if (!settings) return '(no settings recorded)';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(settings)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length > 4 && v.every((x) => typeof x === 'number')) parts.push(`${k}=${v[0]}…${v[v.length - 1]} (${v.length})`);
    else parts.push(`${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  return parts.join(', ');
}

const slugify = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'x';

function datasetLabel(name: string, hash: string | null): string {
  return hash ? `${name} · data ${hash.slice(0, 12)}` : name;
}

const paramTitle = (param: string, term: string) => {
  const t = term.split(':')[0];
  return param === 'sigma' ? `σ (${t} smoothing width)` : param === 'layer' ? `${t} layer` : `${t} ${param}`;
};

/** Colour domain of unit scores: the 2nd–98th percentiles, widened to include 0 (outliers get the end colours). */
function robustDomain(values: number[]): [number, number] | undefined {
  const v = values.filter(isNum).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.round(p * (v.length - 1))))];
  let lo = Math.min(0, q(0.02));
  let hi = Math.max(0, q(0.98));
  if (hi - lo < 1e-9) { lo = -0.01; hi = 0.01; }
  return [lo, hi];
}

function subjectRows(features: string, split: string, file: string, subjects: SubjectScore[]): Row[] {
  return subjects.map((s) => ({ kind: 'subject', features, split, subject: s.subject, r2: n(s.r2), r: n(s.r), file }));
}

function meanRow(features: string, split: string, file: string, m: { r2: number | null; r: number | null; r2Sem: number | null; rSem: number | null }, subjects: SubjectScore[]): Row {
  const r2 = n(m.r2);
  const r = n(m.r);
  // SEM as written in the file; when the file has none, over the subject values it lists.
  const r2Sem = n(m.r2Sem) ?? sem(subjects.map((s) => s.r2).filter(isNum));
  const rSem = n(m.rSem) ?? sem(subjects.map((s) => s.r).filter(isNum));
  return {
    kind: 'mean', features, split, file, n_subjects: subjects.length,
    r2, r2_sem: r2Sem, r2_lo: r2 !== null && r2Sem !== null ? r2 - r2Sem : null, r2_hi: r2 !== null && r2Sem !== null ? r2 + r2Sem : null,
    r, r_sem: rSem, r_lo: r !== null && rSem !== null ? r - rSem : null, r_hi: r !== null && rSem !== null ? r + rSem : null,
  };
}

const fixed = (v: number | null | undefined, d = 4) => formatScore(v, d);

export function barsFigure(id: string, title: string, subtitle: string, caption: string, entries: { features: string; split: string; file: string; sourceId: string; mean: ScoreAnalysis['mean']; subjects: SubjectScore[] }[], xTitle?: string, markNotRun = true): Figure {
  const categories: string[] = [];
  for (const e of entries) if (!categories.includes(e.features)) categories.push(e.features);
  const rows: Row[] = [];
  const table: ReportTable = { columns: ['features', 'split', 'R² mean', 'R² SEM', 'r mean', 'r SEM', 'subjects', 'file'], rows: [] };
  for (const e of entries) {
    const mr = meanRow(e.features, e.split, e.file, e.mean, e.subjects);
    rows.push(mr, ...subjectRows(e.features, e.split, e.file, e.subjects));
    table.rows.push([e.features, e.split, fixed(mr.r2 as number | null), fixed(mr.r2_sem as number | null), fixed(mr.r as number | null, 3), fixed(mr.r_sem as number | null, 3), e.subjects.length, e.file]);
  }
  for (const f of categories) {
    if (!markNotRun) break;
    for (const split of ['shuffled', 'contiguous']) {
      if (!entries.some((e) => e.features === f && e.split === split)) rows.push({ kind: 'missing', features: f, split });
    }
  }
  const opts = { title, subtitle, categories, xTitle };
  return {
    id, type: 'subject-bars', title, caption, sources: [...new Set(entries.map((e) => e.sourceId))], rows,
    specs: { r2: subjectBarsSpec('r2', opts), r: subjectBarsSpec('r', opts) }, ...FIGURE_SIZES['subject-bars'], table,
  };
}

/** Units averaged over experiments (docs/method.md §5.8: the mean when both are finite, else whichever is). */
function unitsByKey<T extends { subject: string; unit: string }>(units: T[], fields: (keyof T)[]): (T & { experiments: string[] })[] {
  const map = new Map<string, { first: T; sums: Map<keyof T, { s: number; c: number }>; experiments: string[] }>();
  for (const u of units) {
    const k = `${u.subject}\u0000${u.unit}`;
    let e = map.get(k);
    if (!e) { e = { first: u, sums: new Map(), experiments: [] }; map.set(k, e); }
    e.experiments.push(String((u as unknown as { experiment: string }).experiment));
    for (const f of fields) {
      const v = u[f];
      if (typeof v === 'number' && Number.isFinite(v)) {
        const acc = e.sums.get(f) ?? { s: 0, c: 0 };
        acc.s += v; acc.c++;
        e.sums.set(f, acc);
      }
    }
  }
  return [...map.values()].map(({ first, sums, experiments }) => {
    const out = { ...first, experiments } as T & { experiments: string[] };
    for (const f of fields) {
      const acc = sums.get(f);
      (out as Record<keyof T, unknown>)[f] = acc ? acc.s / acc.c : null;
    }
    return out;
  });
}

type Axis = 'x' | 'y' | 'z';

/** The MNI outline of each panel and the orientation letters at the low and high end of its axes. */
const GLASS_PANELS: readonly { name: 'sagittal' | 'coronal' | 'axial'; label: string; h: Axis; v: Axis; hEnds: [string, string]; vEnds: [string, string] }[] = [
  { name: 'sagittal', label: 'sagittal (y, z)', h: 'y', v: 'z', hEnds: ['P', 'A'], vEnds: ['I', 'S'] },
  { name: 'coronal', label: 'coronal (x, z)', h: 'x', v: 'z', hEnds: ['L', 'R'], vEnds: ['I', 'S'] },
  { name: 'axial', label: 'axial (x, y)', h: 'x', v: 'y', hEnds: ['L', 'R'], vEnds: ['P', 'A'] },
];

/** Bounds (mm) of the MNI152 outline on each axis. */
function outlineBounds(): Record<Axis, [number, number]> {
  const b: Record<Axis, [number, number]> = { x: [Infinity, -Infinity], y: [Infinity, -Infinity], z: [Infinity, -Infinity] };
  for (const p of GLASS_PANELS) {
    for (const [h, v] of BRAIN_OUTLINE.projections[p.name].points) {
      b[p.h] = [Math.min(b[p.h][0], h), Math.max(b[p.h][1], h)];
      b[p.v] = [Math.min(b[p.v][0], v), Math.max(b[p.v][1], v)];
    }
  }
  return b;
}

/**
 * Whether units' coordinates look like MNI mm (so the MNI152 outline may be drawn under them): at
 * least 90 % of them within 10 mm of the template's bounding box on every axis.
 */
export function looksLikeMni(points: readonly { x: number; y: number; z: number }[]): boolean {
  if (points.length === 0) return false;
  const b = outlineBounds();
  const inside = points.filter((p) => (['x', 'y', 'z'] as const).every((k) => p[k] >= b[k][0] - 10 && p[k] <= b[k][1] + 10)).length;
  return inside >= 0.9 * points.length;
}

/**
 * Lays three orthogonal projections side by side with equal mm scale (sagittal and coronal share
 * the z range, so their rows line up); returns rows and domains. Rows: units (`kind: 'unit'`), the
 * panels' boxes and names (`panel`), orientation letters (`orient`: L/R, A/P, S/I at the ends of
 * each panel's axes) and, when the coordinates look like MNI mm, the MNI152 outline (`outline`,
 * one closed line per panel, `order` along it).
 */
export function glassBrainRows(units: ScoreUnit[]): { rows: Row[]; xDomain: [number, number]; yDomain: [number, number]; outline: boolean } | null {
  const pts = unitsByKey(units.filter((u) => isNum(u.x) && isNum(u.y) && isNum(u.z)), ['r2', 'r', 'x', 'y', 'z']);
  if (pts.length === 0) return null;
  const outline = looksLikeMni(pts as unknown as { x: number; y: number; z: number }[]);
  const ob = outline ? outlineBounds() : null;
  const range = (k: Axis) => {
    let lo = ob ? ob[k][0] : Infinity, hi = ob ? ob[k][1] : -Infinity;
    for (const p of pts) { lo = Math.min(lo, p[k] as number); hi = Math.max(hi, p[k] as number); }
    const pad = Math.max(4, (hi - lo) * 0.06);
    return [lo - pad, hi + pad] as [number, number];
  };
  const R = { x: range('x'), y: range('y'), z: range('z') };
  const span = (k: Axis) => R[k][1] - R[k][0];
  const gap = Math.max(8, 0.06 * (span('x') + span('y')));
  const labelRoom = 0.12 * Math.max(span('z'), span('y'));
  const rows: Row[] = [];
  let offset = 0;
  let vMax = 0;
  for (const p of GLASS_PANELS) {
    const w = span(p.h);
    const hgt = span(p.v);
    rows.push({ kind: 'panel', label: p.label, px: offset, px2: offset + w, py: 0, py2: hgt + labelRoom });
    if (outline) {
      BRAIN_OUTLINE.projections[p.name].points.forEach(([h, v], k) => rows.push({ kind: 'outline', panel: p.name, order: k, px: offset + h - R[p.h][0], py: v - R[p.v][0] }));
    }
    // Letters just inside the panel: low/high end of the horizontal axis at mid height, of the vertical axis at mid width.
    const inset = 0.04 * w;
    rows.push({ kind: 'orient', label: p.hEnds[0], align: 'left', baseline: 'middle', px: offset + inset, py: hgt / 2 });
    rows.push({ kind: 'orient', label: p.hEnds[1], align: 'right', baseline: 'middle', px: offset + w - inset, py: hgt / 2 });
    rows.push({ kind: 'orient', label: p.vEnds[0], align: 'center', baseline: 'bottom', px: offset + w / 2, py: 0.02 * hgt });
    rows.push({ kind: 'orient', label: p.vEnds[1], align: 'center', baseline: 'top', px: offset + w / 2, py: hgt });
    for (const u of pts) {
      rows.push({
        kind: 'unit', px: offset + ((u[p.h] as number) - R[p.h][0]), py: (u[p.v] as number) - R[p.v][0],
        unit: u.unit, subject: u.subject, x: u.x, y: u.y, z: u.z, r2: n(u.r2), r: n(u.r),
      });
    }
    offset += w + gap;
    vMax = Math.max(vMax, hgt + labelRoom);
  }
  // Keep 1 mm the same length on both axes: widen the shorter domain to the plot's aspect ratio.
  const { width, height } = FIGURE_SIZES['glass-brain'];
  const aspect = (width - 120) / (height - 70); // plot area ≈ figure minus legend and title
  let xDomain: [number, number] = [0, offset - gap];
  let yDomain: [number, number] = [0, vMax];
  if (xDomain[1] / yDomain[1] < aspect) {
    const extra = (yDomain[1] * aspect - xDomain[1]) / 2;
    xDomain = [-extra, xDomain[1] + extra];
  } else {
    const extra = (xDomain[1] / aspect - yDomain[1]) / 2;
    yDomain = [-extra, yDomain[1] + extra];
  }
  return { rows, xDomain, yDomain, outline };
}

function partitionFigures(p: PartitionAnalysis, notes: MissingNote[]): Figure[] {
  const figs: Figure[] = [];
  const ds = datasetLabel(p.dataset.name, p.dataset.hash);
  const ab = `A = ${p.a.features} · B = ${p.b.features}${p.split ? ` · ${p.split} splits` : ''}`;
  const subjects = p.subjects.map((s) => s.subject);
  const omegaRows = p.subjects.filter((s) => isNum(s.omega)).map((s) => ({ subject: s.subject, omega: s.omega, r2_a: n(s.r2A), r2_b: n(s.r2B), r2_joint: n(s.r2Joint) }));
  if (omegaRows.length) {
    const title = `Ω per subject: how much of B's score A already explains — ${ds}`;
    figs.push({
      id: `${p.id}-omega`, type: 'omega', title, sources: [p.id], rows: omegaRows, ...FIGURE_SIZES.omega,
      caption: `Ω = 100·(1 − clip((R²(A|B) − R²(A)) / R²(B), 0, 1)) per subject from unit-clipped subject R² (docs/method.md §5.7); 100 % means A explains everything B explains. The mean line is the file's mean Ω.`,
      specs: { r2: omegaSpec({ title: 'Ω per subject (% of B’s explained variance that A also explains)', subtitle: `${ds} · ${ab}`, subjects, mean: n(p.omegaMean), yTitle: 'Ω (%)', yMax: 100, values: Object.fromEntries(omegaRows.map((r) => [r.subject, formatPercent(r.omega)])) }) },
      table: { columns: ['subject', 'R² A', 'R² B', 'R² A|B', 'Ω (%)'], rows: p.subjects.map((s) => [s.subject, fixed(s.r2A), fixed(s.r2B), fixed(s.r2Joint), fixed(s.omega, 1)]) },
    });
  } else notes.push({ file: p.file, problem: 'no Ω per subject in the file: the Ω figure is not drawn' });

  const sig = p.significance;
  const sigRows = sig ? sig.subjects.filter((s) => isNum(s.percent)).map((s) => ({ subject: s.subject, percent: s.percent, n_units: s.nUnits })) : [];
  if (sig && sigRows.length) {
    const subtitle = `${ds} · ${ab} · paired one-sided t-test on squared errors${sig.blocking ? ` (blocking: ${sig.blocking})` : ''}, BH-FDR within subject at q = ${sig.alpha ?? 0.05}`;
    figs.push({
      id: `${p.id}-significance`, type: 'significance', title: 'Units where B adds significant variance beyond A', sources: [p.id], rows: sigRows, ...FIGURE_SIZES.significance,
      caption: `Percentage of each subject's units where A|B predicts held-out data significantly better than A (docs/method.md §6.1); the mean line is the mean over subjects.`,
      specs: { r2: significanceSpec({ title: 'Units where B adds significant variance beyond A', subtitle, subjects: sigRows.map((s) => s.subject), mean: n(sig.meanPercent), yTitle: '% of units significant', values: Object.fromEntries(sigRows.map((r) => [r.subject, formatPercent(r.percent as number)])), yMax: Math.max(10, Math.ceil(Math.max(...sigRows.map((s) => s.percent as number), n(sig.meanPercent) ?? 0) * 1.25 / 5) * 5) }) },
      table: { columns: ['subject', 'units', '% significant'], rows: sig.subjects.map((s) => [s.subject, s.nUnits, fixed(s.percent, 1)]) },
    });
  } else if (sig && isNum(sig.meanPercent)) {
    // Only a mean (audit partitions without their folder): say it in the caption of the Ω figure.
    const om = figs.find((f) => f.type === 'omega');
    if (om) om.caption += ` Units where B adds significant variance beyond A: ${formatPercent(sig.meanPercent)} (mean over subjects; per-subject values are not in the file).`;
  } else notes.push({ file: p.file, problem: 'no significance results in the file: the % significant figure is not drawn' });

  if (p.units) {
    const us = unitsByKey(p.units, ['r2A', 'r2B']).filter((u) => isNum(u.r2A) && isNum(u.r2B));
    if (us.length) {
      let lo = Math.min(0, ...us.map((u) => Math.min(u.r2A as number, u.r2B as number)));
      let hi = Math.max(...us.map((u) => Math.max(u.r2A as number, u.r2B as number)));
      const pad = (hi - lo) * 0.04 || 0.01;
      lo -= pad; hi += pad;
      const rows = us.map((u) => ({ unit: u.unit, subject: u.subject, experiment: u.experiments.join('+'), a: u.r2A, b: u.r2B }));
      const hist = us.length > SCATTER_MAX_UNITS;
      const subjectsN = new Set(us.map((u) => u.subject)).size;
      const opts = { title: `Unit-wise R²: baseline A vs feature B`, subtitle: `${ds}${p.split ? ` · ${p.split} splits` : ''} · ${us.length} units${hist ? ' (2-D histogram)' : ''}`, xTitle: `R² of A (${p.a.features})`, yTitle: `R² of B (${p.b.features})`, domain: [lo, hi] as [number, number], colourBySubject: subjectsN <= 10 };
      const multi = us.some((u) => u.experiments.length > 1);
      figs.push({
        id: `${p.id}-units`, type: hist ? 'unit-hist2d' : 'unit-scatter', title: opts.title, sources: [p.id], rows, ...FIGURE_SIZES[hist ? 'unit-hist2d' : 'unit-scatter'],
        caption: `One ${hist ? 'count per bin' : 'dot per unit'}; units above the dashed diagonal are predicted better by B than by A.${multi ? ' Units recorded in two experiments are averaged over them (docs/method.md §5.8).' : ''} From ${p.unitsFile}.`,
        specs: { r2: hist ? unitHist2dSpec(opts) : unitScatterSpec(opts) }, table: null,
      });
    }
  }
  return figs;
}

/** Feature terms that are the paper's simple features (position, length, word rate; docs/method.md §3.2–3.4). */
const SIMPLE_TERMS = new Set(['sp', 'sl', 'wp', 'wn', 'pwr', 'ramps']);

const termNames = (features: string) => features.split(/[+|]/).map((t) => t.trim().split(':')[0]).filter(Boolean);

/** 'OASM' or 'simple' when a score's features are OASM alone or simple features alone (no grid), else null. */
export function referenceKind(s: ScoreAnalysis): 'OASM' | 'simple' | null {
  if (s.grid) return null;
  const names = termNames(s.features);
  if (names.length === 0) return null;
  if (names.every((t) => t === 'oasm')) return 'OASM';
  if (names.every((t) => SIMPLE_TERMS.has(t))) return 'simple';
  return null;
}

/**
 * The rows of a grid-curve figure: per split and grid value the mean ± SEM over subjects; the chosen
 * value(s) (R² and r chosen separately, counted over outer folds and experiments) on the curve; and,
 * for a layer grid, OASM and simple-feature dataset scores of the same dataset and split as references.
 */
export function gridCurveRows(list: ScoreAnalysis[], references: ScoreAnalysis[]): { rows: Row[]; references: string[] } {
  const rows: Row[] = [];
  for (const s of list) {
    const split = s.split ?? '?';
    for (const c of s.grid!.curve) {
      const r2 = n(c.r2);
      const r = n(c.r);
      const r2Sem = n(c.r2Sem);
      const rSem = n(c.rSem);
      rows.push({
        kind: 'curve', value: c.value, split, features: s.features, file: s.file, r2, r, r2_sem: r2Sem, r_sem: rSem,
        r2_lo: r2 !== null && r2Sem !== null ? r2 - r2Sem : null, r2_hi: r2 !== null && r2Sem !== null ? r2 + r2Sem : null,
        r_lo: r !== null && rSem !== null ? r - rSem : null, r_hi: r !== null && rSem !== null ? r + rSem : null,
      });
    }
    for (const m of ['r2', 'r'] as const) {
      const values = s.grid!.chosen.flatMap((c) => (m === 'r2' ? c.values : c.valuesR));
      const counts = new Map<number, number>();
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
      for (const [value, folds] of counts) {
        const point = s.grid!.curve.find((c) => c.value === value);
        if (!point) continue;
        rows.push({ kind: 'chosen', value, split, r2: m === 'r2' ? n(point.r2) : null, r: m === 'r' ? n(point.r) : null, folds, of: values.length });
      }
    }
  }
  const names: string[] = [];
  const splits = new Set(list.map((s) => s.split ?? '?'));
  for (const ref of references) {
    const kind = referenceKind(ref);
    if (!kind || !splits.has(ref.split ?? '?')) continue;
    const name = `${kind} (${ref.features})`;
    if (!names.includes(name)) names.push(name);
    rows.push({ kind: 'ref', ref: name, split: ref.split ?? '?', r2: n(ref.mean.r2), r: n(ref.mean.r), file: ref.file });
  }
  return { rows, references: names };
}

function scoreFigures(group: ScoreAnalysis[], dsLabel: string): Figure[] {
  const figs: Figure[] = [];
  // Grid curves: one per pair that has a grid.
  const pairs = new Map<string, ScoreAnalysis[]>();
  for (const s of group) if (s.grid && s.grid.curve.length) pairs.set(pairKey(s), [...(pairs.get(pairKey(s)) ?? []), s]);
  for (const list of pairs.values()) {
    const g = list[0].grid!;
    const layer = g.param === 'layer';
    const { rows, references } = gridCurveRows(list, layer ? group : []);
    const axisTitle = paramTitle(g.param, g.term);
    const hasSem = rows.some((r) => r.kind === 'curve' && r.r2_sem !== null);
    const hasChosen = rows.some((r) => r.kind === 'chosen');
    const what = [hasSem ? 'band: ± SEM over subjects' : null, hasChosen ? '◆ value chosen for the score' : null, references.length ? 'horizontal lines: reference scores' : null].filter(Boolean).join(' · ');
    const opts = {
      title: `Score across ${g.param === 'sigma' ? 'σ' : g.param}: ${list[0].features}`,
      subtitle: `${dsLabel} · ${list.map((s) => s.split).join(' vs ')}${what ? ` · ${what}` : ''}`,
      axisTitle, integer: layer, references, sem: hasSem,
    };
    const missing = ['shuffled', 'contiguous'].filter((sp) => !list.some((s) => s.split === sp));
    const refFiles = [...new Set(rows.filter((r) => r.kind === 'ref').map((r) => String(r.file)))];
    figs.push({
      id: `${list[0].id}-curve`, type: 'grid-curve', title: opts.title, sources: [...list.map((s) => s.id), ...group.filter((s) => refFiles.includes(s.file)).map((s) => s.id)], rows, ...FIGURE_SIZES['grid-curve'],
      caption: `Every grid value fitted and scored (${list.some((s) => s.grid!.clipped) ? 'mean over subjects of per-subject unit means clipped at 0, as in the dataset score (docs/method.md §5.5; written by an older brainmap, before the curve followed §5.8)' : 'mean over subjects of per-subject unit means, unclipped — docs/method.md §5.8'})${hasSem ? '' : '; the file has no SEM per grid value (written by an older brainmap), so no band'}. Selection of the reported value: ${g.select || 'not recorded'}${hasChosen ? ' (diamonds: the value(s) chosen, per outer fold and experiment; hover for how many folds)' : ''}.${references.length ? ' Reference lines: dataset scores (subject means clipped at 0, §5.5) of OASM and the simple features on the same data, coloured by split.' : ''}${missing.length ? ` No ${missing.join('/')} run of this grid was found.` : ''}`,
      specs: { r2: gridCurveSpec('r2', opts), r: gridCurveSpec('r', opts) },
      table: {
        columns: ['split', axisTitle, 'R²', 'R² SEM', 'r', 'r SEM'],
        rows: rows.filter((r) => r.kind === 'curve').map((r) => [String(r.split), r.value as number, fixed(r.r2 as number | null), fixed(r.r2_sem as number | null), fixed(r.r as number | null, 3), fixed(r.r_sem as number | null, 3)]),
      },
    });
  }
  // Glass brains: every score with unit coordinates, all on one colour scale (the maps of a dataset
  // are compared with each other: a null map must look pale next to a real one).
  const brains = group.flatMap((s) => { const gb = s.units ? glassBrainRows(s.units) : null; return gb ? [{ s, gb }] : []; });
  const allUnits = brains.flatMap(({ gb }) => gb.rows.filter((r) => r.kind === 'unit'));
  const colorDomain = { r2: robustDomain(allUnits.map((r) => r.r2 as number)), r: robustDomain(allUnits.map((r) => r.r as number)) };
  for (const { s, gb } of brains) {
    const title = `Unit scores in the brain: ${s.features}, ${s.split ?? '?'} splits`;
    const unitRows = gb.rows.filter((r) => r.kind === 'unit');
    const opts = { title, subtitle: `${dsLabel} · ${unitRows.length / 3} units, coordinates from ${s.unitsFile}`, xDomain: gb.xDomain, yDomain: gb.yDomain, colorDomain };
    const shared = brains.length > 1 ? ` One colour scale for all ${brains.length} maps of this dataset (2nd–98th percentile of their units and 0), so that their colours compare.` : ' The colour scale spans the 2nd–98th percentile and 0.';
    const outlineText = gb.outline ? ' Grey line: outline of the MNI152 brain (ICBM 2009a) in each projection, drawn because the coordinates look like MNI mm.' : ' No brain outline: the coordinates do not look like MNI mm.';
    figs.push({
      id: `${s.id}-brain`, type: 'glass-brain', title, sources: [s.id], rows: gb.rows, ...FIGURE_SIZES['glass-brain'],
      caption: `Three orthogonal projections (glass brain) of every unit with coordinates, coloured by its score (red above 0, blue below; units beyond the scale get the end colours); the best units are drawn on top; letters mark left/right, anterior/posterior and superior/inferior.${shared}${outlineText} Units in two experiments are averaged.`,
      specs: { r2: glassBrainSpec('r2', opts), r: glassBrainSpec('r', opts) }, table: null,
    });
  }
  return figs;
}

/** The audit row ids (`features-shuffled`, `simple+features-contiguous`, …) without their split: the bar's category. */
const AUDIT_CATEGORY: Record<string, string> = {
  features: 'features', oasm: 'OASM', simple: 'simple', 'simple+features': 'simple | features (banded)', 'oasm+features': 'OASM | features (banded)',
};

/**
 * Short bar labels for an audit's rows (the specs can be long: they are named once in the subtitle),
 * and what each name stands for. Rows with ids this report does not know keep their features.
 */
export function auditCategories(a: AuditAnalysis): { labels: string[]; legend: string } {
  const base = (id: string) => id.replace(/-(shuffled|contiguous)$/, '');
  const labels = a.rows.map((r) => {
    const known = AUDIT_CATEGORY[base(r.id)];
    return known ?? (r.banded ? `${r.features} (banded)` : r.features);
  });
  const spec = (k: string) => a.rows.find((r) => base(r.id) === k)?.features;
  const legend = [['features', spec('features') ?? a.features], ['OASM', spec('oasm')], ['simple', spec('simple')]]
    .filter((x): x is [string, string] => typeof x[1] === 'string' && x[1] !== '').map(([k, v]) => `${k} = ${v}`).join(' · ');
  return { labels, legend };
}

/** The scores an audit wrote beside its audit.json (`<row id>/score.json`): drawn in the audit's section only. */
export function auditScores(a: AuditAnalysis, scores: ScoreAnalysis[]): ScoreAnalysis[] {
  const dir = a.file.includes('/') ? a.file.slice(0, a.file.lastIndexOf('/') + 1) : '';
  const files = new Set(a.rows.map((r) => `${dir}${r.id}/score.json`));
  return scores.filter((s) => files.has(s.file));
}

function auditSection(a: AuditAnalysis, partitions: PartitionAnalysis[], scores: ScoreAnalysis[], notes: MissingNote[]): ReportSection {
  const blocks: ReportSection['blocks'] = [];
  const ds = datasetLabel(a.dataset.name, a.dataset.hash);
  if (a.verdicts.length) blocks.push({ kind: 'table', title: 'Verdicts', table: { columns: ['check', 'verdict'], rows: a.verdicts.map((v) => [v.line, v.verdict]) } });
  else notes.push({ file: a.file, problem: 'no verdicts in the file: the verdict table is empty' });
  if (a.leak) {
    const l = a.leak;
    blocks.push({ kind: 'table', title: 'Leak check: shuffled vs contiguous', table: {
      columns: ['shuffled R²', 'contiguous R²', 'difference', 'SEM', 'p', 'flagged', 'verdict'],
      rows: [[fixed(l.shuffledR2), fixed(l.contiguousR2), fixed(l.difference), fixed(l.sem), isNum(l.p) ? l.p.toPrecision(3) : '–', l.flagged === null ? '–' : l.flagged ? 'yes' : 'no', l.verdict ?? '–']],
    } });
  }
  if (a.rows.length) {
    blocks.push({ kind: 'table', title: 'Rows', table: { columns: ['row', 'features', 'split', 'banded', 'R²', 'SEM', 'r', 'verdict'], rows: a.rows.map((r) => [r.label, r.features, r.split ?? '–', r.banded === null ? '–' : r.banded ? 'yes' : 'no', fixed(r.r2), fixed(r.r2Sem), fixed(r.r, 3), r.verdict ?? '–']) } });
    const { labels, legend } = auditCategories(a);
    const entries = a.rows.map((r, k) => ({ features: labels[k], split: r.split ?? '?', file: a.file, sourceId: a.id, mean: { r2: r.r2, r: r.r, r2Sem: r.r2Sem, rSem: null }, subjects: r.subjects }));
    const sources = [a.id, ...scores.map((s) => s.id)];
    const fig = barsFigure(`${a.id}-bars`, `Audit scores per feature set — ${a.dataset.name}`, `${ds}${legend ? ` · ${legend}` : ''} · bars: mean over subjects ± SEM, dots: subjects`, 'Every row of the audit (the scores it wrote beside audit.json are these numbers: they are not drawn again), shuffled and contiguous side by side; the audit runs the simple features and simple | features under contiguous folds only, OASM | features under shuffled folds only. Banded rows fit both feature sets, one ridge penalty per band.', entries, 'audit row', false);
    fig.sources = [...new Set([...fig.sources, ...sources])];
    blocks.push({ kind: 'figure', figure: fig });
  } else notes.push({ file: a.file, problem: 'no rows in the file: no audit score figure' });
  if (a.partitions.length) {
    blocks.push({ kind: 'table', title: 'Partitions', table: {
      columns: ['partition', 'A', 'B', 'split', 'mean Ω (%)', '% units significant', 'verdict'],
      rows: a.partitions.map((p) => [p.id, p.a, p.b, p.split ?? '–', fixed(p.omegaMean, 1), fixed(p.percentSignificant, 1), p.verdict ?? '–']),
      rowIds: a.partitions.map((p) => `${a.id}-p-${p.id}`),
    } });
    for (const p of a.partitions) {
      const pa = partitions.find((x) => x.id === p.analysisId);
      if (pa) for (const fig of partitionFigures(pa, notes)) blocks.push({ kind: 'figure', figure: fig });
    }
  }
  // Curves (a grid in the features) and glass brains of the audit's own scores.
  for (const fig of scoreFigures(scores, a.dataset.name)) blocks.push({ kind: 'figure', figure: fig });
  return { id: a.id, title: `Audit of ${a.dataset.name}${a.features ? ` — ${a.features}` : ''}`, intro: `From ${a.file}.`, blocks };
}

/** Builds the whole report from a scanned results folder. */
export function buildReportModel(folder: ResultsFolder, title = 'brainmap report'): ReportModel {
  const notes: MissingNote[] = [...folder.notes];
  const sections: ReportSection[] = [];
  const auditPartitionIds = new Set(folder.audits.flatMap((a) => a.partitions.map((p) => p.analysisId)));

  // Scores, grouped by dataset (name + content hash).
  const groups = new Map<string, ScoreAnalysis[]>();
  // An audit's own scores are its rows: drawn once, in the audit's section.
  const byAudit = new Map(folder.audits.map((a) => [a.id, auditScores(a, folder.scores)]));
  const inAudit = new Set([...byAudit.values()].flat().map((s) => s.id));
  for (const s of folder.scores) {
    if (inAudit.has(s.id)) continue;
    const k = `${s.dataset.name}\u0000${s.dataset.hash ?? s.dataset.source ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  // Datasets in the order the demo summary lists them (as the terminal did), the rest after them in the order found.
  const summaryOrder = new Map<string, number>();
  folder.summaries.flatMap((x) => x.rows).forEach((r, i) => { if (r.scoreId !== null && !summaryOrder.has(r.scoreId)) summaryOrder.set(r.scoreId, i); });
  const firstIndex = (g: ScoreAnalysis[]) => Math.min(...g.map((x) => summaryOrder.get(x.id) ?? Infinity));
  const ordered = [...groups.entries()].sort((x, y) => firstIndex(x[1]) - firstIndex(y[1]));
  groups.clear();
  for (const [k, g] of ordered) groups.set(k, g);
  const names = [...groups.values()].map((g) => g[0].dataset.name);
  const usedIds = new Set<string>();
  const uniqueFigureId = (base: string) => {
    let id = base;
    for (let k = 2; usedIds.has(id); k++) id = `${base}-${k}`;
    usedIds.add(id);
    return id;
  };
  for (const group of groups.values()) {
    const d = group[0].dataset;
    const label = names.filter((x) => x === d.name).length > 1 ? datasetLabel(d.name, d.hash) : d.name;
    const blocks: ReportSection['blocks'] = [];
    // One bar per (features, split): the first score found; later duplicates are noted.
    const seen = new Map<string, ScoreAnalysis>();
    const entries = [];
    for (const s of group) {
      const k = `${pairKey(s)}\u0000${s.split}`;
      const prev = seen.get(k);
      if (prev) { notes.push({ file: s.file, problem: `same dataset, features, settings and split as ${prev.file}: not drawn twice` }); continue; }
      seen.set(k, s);
      const est = s.settings && typeof s.settings.estimator === 'string' && s.settings.estimator !== 'ridge' ? ` (${s.settings.estimator})` : '';
      entries.push({ features: s.features + est, split: s.split ?? '?', file: s.file, sourceId: s.id, mean: s.mean, subjects: s.subjects });
    }
    const meanings = group.filter((s) => s.meaning).map((s) => `${s.features}, ${s.split}: ${s.meaning}`);
    blocks.push({ kind: 'figure', figure: barsFigure(
      uniqueFigureId(`${slugify(label.replace(' · data ', '-'))}-bars`), `Brain scores per feature set — ${label}`, `${d.source ?? d.name} · bars: mean over subjects ± SEM, dots: subjects`,
      'Mean over subjects of the subject scores (units averaged, clipped at 0, averaged over experiments — docs/method.md §5.5) ± SEM, one dot per subject; shuffled (orange) and contiguous (blue) folds side by side. A shuffled score far above its contiguous counterpart is temporal autocorrelation leaking across folds.' + (meanings.length ? ` What each analysis shows — ${meanings.join('; ')}.` : ''),
      entries,
    ) });
    for (const fig of scoreFigures(group, label)) blocks.push({ kind: 'figure', figure: fig });
    blocks.push(...zooBlocks(group, label, uniqueFigureId));
    for (const s of group) {
      if (!s.ceiling) continue;
      const c = s.ceiling;
      blocks.push({ kind: 'table', title: `Noise ceiling (${c.method}) and ceiling-normalised scores — ${s.features}, ${s.split ?? '?'} (${s.file})`, table: {
        columns: ['subject', 'ceiling (median r)', 'units left out', 'R²/c²', 'r/c'],
        rows: [
          ...c.subjects.map((x) => [x.subject, fixed(x.ceiling, 3), x.nExcluded, fixed(x.r2), fixed(x.r, 3)]),
          ['mean over subjects', '', c.nExcluded, fixed(c.mean.r2), fixed(c.mean.r, 3)],
        ],
      } });
    }
    sections.push({ id: `scores-${sections.length + 1}`, title: `Scores — ${label}`, intro: null, blocks });
  }

  // Partitions (those of audits are drawn in the audit's section).
  for (const p of folder.partitions) {
    if (auditPartitionIds.has(p.id)) continue;
    const blocks = partitionFigures(p, notes).map((figure) => ({ kind: 'figure' as const, figure }));
    sections.push({ id: `partition-${p.id}`, title: `Partition — ${p.dataset.name}: A = ${p.a.features}, B = ${p.b.features}`, intro: `From ${p.file}.`, blocks });
  }
  for (const a of folder.audits) sections.push(auditSection(a, folder.partitions, byAudit.get(a.id) ?? [], notes));
  for (const d of folder.deconstructs ?? []) sections.push(deconstructSection(d, notes));
  // Demo summaries open the report: the headline comparison first, as on the terminal.
  folder.summaries.forEach((s, k) => {
    const blocks: ReportSection['blocks'] = [];
    const headline = headlineRows(s.rows);
    if (headline.length) {
      blocks.push({ kind: 'table', title: 'Headline: no language at all (OASM) versus a language model, shuffled versus contiguous folds (R², mean ± SEM over subjects)', table: {
        columns: ['dataset', 'features', 'shuffled', 'contiguous'],
        rows: headline.map((h) => [h.dataset, h.label, formatScoreSem(h.shuffled.r2, h.shuffled.r2Sem), formatScoreSem(h.contiguous.r2, h.contiguous.r2Sem)]),
      } });
    }
    if (s.partitions.length) {
      blocks.push({ kind: 'table', title: 'How much of the language model’s score position alone explains (banded, contiguous folds)', table: {
        columns: ['dataset', 'A', 'B', 'Ω (mean)', 'units where B adds (BH p < .05)'],
        rows: s.partitions.map((p) => [p.dataset, p.a, p.b, formatPercent(p.omegaMean), formatPercent(p.percentSignificant)]),
      } });
    }
    blocks.push({ kind: 'table', title: 'Rows', table: {
      columns: ['dataset', 'analysis', 'features', 'split', 'R² ± SEM', 'r', 'what it shows'],
      rows: s.rows.map((r) => [r.dataset, r.analysis, r.features, r.split, formatScoreSem(r.r2, r.r2Sem), formatScore(r.r), r.meaning]),
    } });
    sections.splice(k, 0, { id: s.id, title: `Demo summary (${s.file})`, intro: 'The rows of brainmap demo, with what each one shows; the headline comparison first.', blocks });
  });

  const manifest: ManifestEntry[] = [
    ...folder.scores.map((s) => ({ id: s.id, file: s.file, kind: 'score', dataset: s.dataset.name, datasetHash: s.dataset.hash, source: s.dataset.source, features: s.features, split: s.split, settings: settingsText(s.settings), unitsFile: s.unitsFile })),
    ...folder.partitions.map((p) => ({
      id: p.id, file: p.file, kind: 'partition', dataset: p.dataset.name, datasetHash: p.dataset.hash, source: p.dataset.source,
      features: `A = ${p.a.features}; B = ${p.b.features}${p.joint ? `; joint = ${p.joint.features}` : ''}`, split: p.split, settings: settingsText(p.joint?.settings ?? p.b.settings), unitsFile: p.unitsFile,
    })),
    ...(folder.deconstructs ?? []).map((d) => ({ id: d.id, file: d.file, kind: 'deconstruct', dataset: d.dataset.name, datasetHash: null, source: d.dataset.source, features: d.spaces.map((x) => `${x.name} = ${x.spec}`).join('; '), split: d.split, settings: `${d.nModels} sub-models, LLM = ${d.llm}`, unitsFile: null })),
    ...folder.audits.map((a) => ({ id: a.id, file: a.file, kind: 'audit', dataset: a.dataset.name, datasetHash: a.dataset.hash, source: a.dataset.source, features: a.features ?? '–', split: null, settings: settingsText(a.settings), unitsFile: null })),
  ];
  if (folder.warnings.length) {
    sections.unshift({
      id: 'warnings', title: `Warnings (${folder.warnings.length})`,
      intro: 'What the analyses themselves found off (constant feature columns, penalties at the edge of the α grid, a grid choice far below the grid\'s best): read the numbers below with these in mind.',
      blocks: [{ kind: 'notes', notes: folder.warnings }],
    });
  }
  const figures = sections.flatMap((s) => s.blocks.flatMap((b) => (b.kind === 'figure' ? [b.figure] : [])));
  if (folder.scores.length + folder.partitions.length + folder.audits.length + folder.summaries.length + (folder.deconstructs?.length ?? 0) === 0) {
    notes.push({ file: '.', problem: 'no results found (score.json, partition.json, audit.json or summary.json) in this folder or below it' });
  }
  notes.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { title, root: folder.root, sections, manifest, notes, figures };
}
