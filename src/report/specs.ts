/**
 * Vega-Lite specs, one builder per figure type. Every spec reads its rows from the named data set
 * `values` (supplied as top-level `datasets` when compiled, so the rows are embedded once and
 * shared by the R² and r variants), and has a declared size: `autosize: fit` makes the whole
 * figure — axes, legend and title included — exactly FIGURE_SIZES[type] CSS pixels.
 */
import type { TopLevelSpec } from 'vega-lite';
import { textWidth } from './fonts.js';
import { METRIC_LABEL, type Metric } from './types.js';
import { formatPercent } from './numbers.js';

export type FigureType = 'subject-bars' | 'grid-curve' | 'omega' | 'significance' | 'unit-scatter' | 'unit-hist2d' | 'glass-brain' | 'complexity-bars' | 'unique-bars';

export const FIGURE_TYPES: readonly FigureType[] = ['subject-bars', 'grid-curve', 'omega', 'significance', 'unit-scatter', 'unit-hist2d', 'glass-brain', 'complexity-bars', 'unique-bars'];

/** The size of each figure type in CSS pixels (SVG user units); PNGs are PNG_SCALE times larger. */
export const FIGURE_SIZES: Readonly<Record<FigureType, { width: number; height: number }>> = {
  'subject-bars': { width: 720, height: 380 },
  'grid-curve': { width: 560, height: 340 },
  omega: { width: 560, height: 340 },
  significance: { width: 560, height: 340 },
  'unit-scatter': { width: 480, height: 440 },
  'unit-hist2d': { width: 480, height: 440 },
  'glass-brain': { width: 900, height: 340 },
  // deconstruct (src/report/deconstruct.ts): best sub-model per number of spaces; unique variance per space.
  'complexity-bars': { width: 720, height: 400 },
  'unique-bars': { width: 560, height: 340 },
};

/** Pixel density of the PNG files (2: sharp on high-density screens and in print). */
export const PNG_SCALE = 2;

/** Above this many units the unit-wise comparison is a 2-D histogram instead of a scatter. */
export const SCATTER_MAX_UNITS = 2000;

export const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

export const SPLIT_DOMAIN = ['shuffled', 'contiguous'];
const SPLIT_COLORS = ['#e8833a', '#3f6fb0'];

/** The name under which every spec expects its rows. */
export const DATA_NAME = 'values';

export type Row = Record<string, string | number | boolean | null>;

/** Breaks text into lines no wider than `maxWidth` px (at `size` px; DejaVu Sans widths, else an estimate). */
export function wrapText(text: string, maxWidth: number, size: number, bold = false): string[] {
  const w = (s: string) => textWidth(s, size, bold) ?? 0.6 * size * s.length;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && w(next) > maxWidth) { lines.push(line); line = word; } else line = next;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/**
 * Breaks an axis label (a feature spec such as `lm:gpt2-untrained:layer=4:pool=last`) into lines no
 * wider than `maxWidth` px at `size` px, after `:`, `+`, `|`, `,` and spaces, and inside a part that
 * is wider than a line by itself — so that no label has to be cut off with an ellipsis.
 */
export function wrapLabel(label: string, maxWidth: number, size: number): string[] {
  const w = (x: string) => textWidth(x, size) ?? 0.6 * size * x.length;
  const parts = label.match(/[^:+|, ]+[:+|, ]*|[:+|, ]+/g) ?? [label];
  const pieces: string[] = [];
  for (const part of parts) {
    if (w(part.trimEnd()) <= maxWidth) { pieces.push(part); continue; }
    let cur = '';
    for (const ch of part) {
      if (cur && w(cur + ch) > maxWidth) { pieces.push(cur); cur = ''; }
      cur += ch;
    }
    if (cur) pieces.push(cur);
  }
  const lines: string[] = [];
  let line = '';
  for (const piece of pieces) {
    if (line && w((line + piece).trimEnd()) > maxWidth) { lines.push(line.trimEnd()); line = piece; } else line += piece;
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines.length ? lines : [label];
}

/** A vega expression for `labelExpr` that draws each label as the lines given (others unchanged). */
export function labelLinesExpr(lines: Record<string, string[]>): string {
  return `(${JSON.stringify(lines)})[datum.label] || datum.label`;
}

/** The common top of every spec: size, title, data set and fonts. */
export function base(type: FigureType, title: string, subtitle?: string) {
  const { width, height } = FIGURE_SIZES[type];
  const titleLines = wrapText(title, width - 30, 14, true);
  const subtitleLines = subtitle ? wrapText(subtitle, width - 30, 11) : [];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    height,
    autosize: { type: 'fit' as const, contains: 'padding' as const },
    padding: 10,
    background: 'white',
    title: {
      text: titleLines.length === 1 ? titleLines[0] : titleLines, ...(subtitle ? { subtitle: subtitleLines.length === 1 ? subtitleLines[0] : subtitleLines } : {}),
      anchor: 'start' as const, frame: 'bounds' as const, fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', offset: 10, limit: width - 24,
    },
    data: { name: DATA_NAME },
    config: {
      font: FONT,
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
      view: { stroke: null },
    },
  };
}

const metricTitle = (m: Metric) => METRIC_LABEL[m];
const fmt = (m: Metric) => (m === 'r2' ? '.4f' : '.3f');

export interface SubjectBarsOptions {
  title: string;
  subtitle?: string;
  /** x categories in display order. */
  categories: string[];
  /** Title of the x axis (default 'feature set'). */
  xTitle?: string;
}

/**
 * Mean over subjects (bar) ± SEM (rule) with one dot per subject, per feature set, shuffled and
 * contiguous side by side. Rows: `{kind: 'mean'|'subject'|'missing', features, split, <m>, <m>_lo, <m>_hi, …}`.
 */
export function subjectBarsSpec(m: Metric, o: SubjectBarsOptions): TopLevelSpec {
  const perCat = Math.max(60, (FIGURE_SIZES['subject-bars'].width - 170) / Math.max(1, o.categories.length));
  // Long feature specs are broken into lines (never cut off): at most 4 lines of 11 px, else 10 px.
  let size = 11;
  let lines = Object.fromEntries(o.categories.map((c) => [c, wrapLabel(c, perCat - 10, size)]));
  if (Object.values(lines).some((l) => l.length > 4)) { size = 10; lines = Object.fromEntries(o.categories.map((c) => [c, wrapLabel(c, perCat - 10, size)])); }
  const x = { field: 'features', type: 'nominal' as const, sort: o.categories, title: o.xTitle ?? 'feature set', axis: { labelAngle: 0, labelLimit: 0, labelFontSize: size, labelExpr: labelLinesExpr(lines), labelLineHeight: size + 2 } };
  const xOffset = { field: 'split', type: 'nominal' as const, scale: { domain: SPLIT_DOMAIN } };
  const color = { field: 'split', type: 'nominal' as const, title: 'split', scale: { domain: SPLIT_DOMAIN, range: SPLIT_COLORS } };
  return {
    ...base('subject-bars', o.title, o.subtitle),
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: '#888', strokeDash: [2, 2] }, encoding: { y: { datum: 0, type: 'quantitative' } } },
      {
        transform: [{ filter: "datum.kind === 'mean'" }],
        mark: { type: 'bar', opacity: 0.85 },
        encoding: {
          x, xOffset, color,
          y: { field: m, type: 'quantitative', title: `${metricTitle(m)} (mean ± SEM over subjects)` },
          tooltip: [
            { field: 'features', title: 'features' }, { field: 'split', title: 'split' },
            { field: m, title: `mean ${metricTitle(m)}`, format: fmt(m) }, { field: `${m}_sem`, title: 'SEM', format: fmt(m) },
            { field: 'n_subjects', title: 'subjects' }, { field: 'file', title: 'file' },
          ],
        },
      },
      {
        transform: [{ filter: `datum.kind === 'mean' && isValid(datum.${m}_lo)` }],
        mark: { type: 'rule', color: '#222', strokeWidth: 1.5 },
        encoding: { x, xOffset, y: { field: `${m}_lo`, type: 'quantitative' }, y2: { field: `${m}_hi` } },
      },
      {
        transform: [{ filter: `datum.kind === 'subject' && isValid(datum.${m})` }],
        mark: { type: 'point', filled: true, size: 30, color: '#222', opacity: 0.55 },
        encoding: {
          x, xOffset,
          y: { field: m, type: 'quantitative' },
          tooltip: [{ field: 'subject', title: 'subject' }, { field: 'features', title: 'features' }, { field: 'split', title: 'split' }, { field: m, title: metricTitle(m), format: fmt(m) }],
        },
      },
      {
        transform: [{ filter: "datum.kind === 'missing'" }],
        mark: { type: 'text', angle: 270, align: 'left', baseline: 'middle', dx: 4, fontSize: 10, color: '#777', text: 'not run' },
        encoding: { x, xOffset, y: { datum: 0, type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

export interface CurveOptions {
  title: string;
  subtitle?: string;
  /** The grid axis (σ, layer, …). */
  axisTitle: string;
  /** Whole-number grid values (layers): integer ticks. */
  integer?: boolean;
  /** Names of the reference scores drawn as horizontal lines (rows of kind 'ref'), in legend order. */
  references?: string[];
  /** Whether the rows carry a SEM per grid value (the band; files from older brainmaps have none). */
  sem?: boolean;
}

const REF_DASHES = [[7, 3], [2, 2], [9, 3, 2, 3], [4, 4]];

/**
 * Score across the grid axis, one line per split, with a band of ± SEM over subjects, a diamond at
 * the value(s) chosen for the reported score, and horizontal reference lines (other feature sets'
 * scores on the same data, e.g. OASM and the simple features next to a layer curve).
 * Rows: `{kind: 'curve', value, split, r2, r, r2_lo, r2_hi, r_lo, r_hi, …}`,
 * `{kind: 'chosen', value, split, r2, r, folds, of}` and `{kind: 'ref', ref, split, r2, r}`.
 */
export function gridCurveSpec(m: Metric, o: CurveOptions): TopLevelSpec {
  const color = { field: 'split', type: 'nominal' as const, title: 'split', scale: { domain: SPLIT_DOMAIN, range: SPLIT_COLORS }, legend: { symbolOpacity: 1 } };
  const x = { field: 'value', type: 'quantitative' as const, title: o.axisTitle, scale: { zero: false }, axis: o.integer ? { format: 'd', tickMinStep: 1 } : {} };
  const y = { field: m, type: 'quantitative' as const, title: `${metricTitle(m)} (mean${o.sem === false ? '' : ' ± SEM'} over subjects)` };
  const refs = o.references ?? [];
  const layer: unknown[] = [
    { data: { values: [{}] }, mark: { type: 'rule', color: '#888', strokeDash: [2, 2] }, encoding: { y: { datum: 0, type: 'quantitative' } } },
    {
      transform: [{ filter: `datum.kind === 'curve' && isValid(datum.${m}_lo)` }],
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { field: `${m}_lo`, type: 'quantitative' }, y2: { field: `${m}_hi` }, color },
    },
    { transform: [{ filter: "datum.kind === 'curve'" }], mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color } },
    {
      transform: [{ filter: "datum.kind === 'curve'" }],
      mark: { type: 'point', filled: true, size: 40 },
      encoding: {
        x, y, color,
        tooltip: [{ field: 'split', title: 'split' }, { field: 'value', title: o.axisTitle }, { field: m, title: `mean ${metricTitle(m)}`, format: fmt(m) }, { field: `${m}_sem`, title: 'SEM', format: fmt(m) }, { field: 'file', title: 'file' }],
      },
    },
    {
      transform: [{ filter: "datum.kind === 'chosen'" }],
      mark: { type: 'point', shape: 'diamond', filled: false, size: 220, strokeWidth: 2.2, opacity: 1 },
      encoding: {
        x, y, color,
        tooltip: [{ field: 'split', title: 'split' }, { field: 'value', title: `chosen ${o.axisTitle}` }, { field: 'folds', title: 'chosen in folds' }, { field: 'of', title: 'of folds' }, { field: m, title: metricTitle(m), format: fmt(m) }],
      },
    },
  ];
  if (refs.length) {
    layer.push({
      transform: [{ filter: "datum.kind === 'ref'" }],
      mark: { type: 'rule', strokeWidth: 1.6, opacity: 0.9 },
      encoding: {
        y: { field: m, type: 'quantitative' },
        color,
        strokeDash: { field: 'ref', type: 'nominal', title: 'reference (dataset score)', scale: { domain: refs, range: refs.map((_, k) => REF_DASHES[k % REF_DASHES.length]) }, legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300, labelLimit: 220 } },
        tooltip: [{ field: 'ref', title: 'reference' }, { field: 'split', title: 'split' }, { field: m, title: metricTitle(m), format: fmt(m) }, { field: 'file', title: 'file' }],
      },
    });
  }
  return { ...base('grid-curve', o.title, o.subtitle), transform: [{ filter: `isValid(datum.${m})` }], layer } as TopLevelSpec;
}

export interface PerSubjectOptions {
  title: string;
  subtitle?: string;
  subjects: string[];
  mean: number | null;
  yTitle: string;
  yMax?: number;
  /** Each subject's value as printed under its label (e.g. `{"1": "98.5 %"}`); none when absent. */
  values?: Record<string, string>;
}

/** Ω per subject with the mean as a dashed line. Rows: `{subject, omega, r2_a, r2_b, r2_joint}`. */
export function omegaSpec(o: PerSubjectOptions): TopLevelSpec {
  return perSubjectBars('omega', 'omega', '#6a51a3', o, [
    { field: 'r2_a', title: 'R² A', format: '.4f' }, { field: 'r2_b', title: 'R² B', format: '.4f' }, { field: 'r2_joint', title: 'R² A|B', format: '.4f' },
  ]);
}

/** % of a subject's units where B adds significant variance beyond A. Rows: `{subject, percent, n_units}`. */
export function significanceSpec(o: PerSubjectOptions): TopLevelSpec {
  return perSubjectBars('significance', 'percent', '#2a9d8f', o, [{ field: 'n_units', title: 'units' }]);
}

/** Up to this many subjects, each subject's value is printed under its label. */
export const VALUE_LABELS_MAX_SUBJECTS = 12;

/**
 * One bar per subject and the mean as a dashed line. Each subject's value is printed as a second
 * line of its axis label (not on the bar, where the mean line would run through it).
 */
function perSubjectBars(type: FigureType, field: string, colour: string, o: PerSubjectOptions, extra: { field: string; title: string; format?: string }[]): TopLevelSpec {
  const values = o.values && o.subjects.length <= VALUE_LABELS_MAX_SUBJECTS ? o.values : null;
  const lines: Record<string, string[]> = {};
  if (values) for (const s of o.subjects) lines[s] = [s, values[s] ?? '–'];
  const short = o.yTitle.split(' (')[0];
  const x = {
    field: 'subject', type: 'nominal' as const, sort: o.subjects, title: values ? `subject (${short} under each)` : 'subject',
    axis: { labelAngle: 0, labelLimit: 0, ...(values ? { labelExpr: labelLinesExpr(lines), labelLineHeight: 14 } : {}) },
  };
  const y = { field, type: 'quantitative' as const, title: o.yTitle, scale: o.yMax !== undefined ? { domain: [0, o.yMax] } : { zero: true } };
  const layer: unknown[] = [
    {
      mark: { type: 'bar', color: colour, opacity: 0.85 },
      encoding: { x, y, tooltip: [{ field: 'subject', title: 'subject' }, { field, title: short, format: '.1f' }, ...extra] },
    },
  ];
  if (o.mean !== null && Number.isFinite(o.mean)) {
    layer.push({ data: { values: [{}] }, mark: { type: 'rule', color: '#222', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { y: { datum: o.mean, type: 'quantitative' } } });
  }
  const subtitle = [o.subtitle, o.mean !== null && Number.isFinite(o.mean) ? `dashed line: mean ${formatPercent(o.mean)}` : null].filter(Boolean).join(' · ');
  return { ...base(type, o.title, subtitle), layer } as TopLevelSpec;
}

export interface UnitCompareOptions {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  /** Common domain of both axes (the diagonal runs corner to corner). */
  domain: [number, number];
  colourBySubject: boolean;
}

/** Baseline (A) vs feature (B) score per unit, one dot per unit, with the diagonal. Rows: `{unit, subject, experiment, a, b}`. */
export function unitScatterSpec(o: UnitCompareOptions): TopLevelSpec {
  const scale = { domain: o.domain, nice: false, zero: false };
  // About six round ticks: vega's default puts a dozen labels on the 480 px figure, packed edge to edge.
  const axis = { values: niceTicks(o.domain, 6), format: '.2f' };
  return {
    ...base('unit-scatter', o.title, o.subtitle),
    layer: [
      {
        data: { values: [{ a: o.domain[0], b: o.domain[0] }, { a: o.domain[1], b: o.domain[1] }] },
        mark: { type: 'line', color: '#999', strokeDash: [4, 3] },
        encoding: { x: { field: 'a', type: 'quantitative', scale }, y: { field: 'b', type: 'quantitative', scale } },
      },
      {
        mark: { type: 'point', filled: true, size: 22, opacity: 0.6, ...(o.colourBySubject ? {} : { color: '#3f6fb0' }) },
        encoding: {
          x: { field: 'a', type: 'quantitative', title: o.xTitle, scale, axis },
          y: { field: 'b', type: 'quantitative', title: o.yTitle, scale, axis },
          ...(o.colourBySubject ? { color: { field: 'subject', type: 'nominal', title: 'subject', scale: { scheme: 'tableau10' } } } : {}),
          tooltip: [{ field: 'unit', title: 'unit' }, { field: 'subject', title: 'subject' }, { field: 'experiment', title: 'experiment' }, { field: 'a', title: o.xTitle, format: '.4f' }, { field: 'b', title: o.yTitle, format: '.4f' }],
        },
      },
    ],
  } as TopLevelSpec;
}

/** The same comparison as a 2-D histogram (for many units). Rows as for unitScatterSpec. */
export function unitHist2dSpec(o: UnitCompareOptions): TopLevelSpec {
  const scale = { domain: o.domain, nice: false, zero: false };
  const bin = { maxbins: 40, extent: o.domain };
  const axis = { values: niceTicks(o.domain, 6), format: '.2f' };
  return {
    ...base('unit-hist2d', o.title, o.subtitle),
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          x: { field: 'a', type: 'quantitative', bin, title: o.xTitle, scale, axis },
          y: { field: 'b', type: 'quantitative', bin, title: o.yTitle, scale, axis },
          color: { aggregate: 'count', type: 'quantitative', title: 'units', scale: { type: 'log', scheme: 'viridis' } },
          tooltip: [{ aggregate: 'count', type: 'quantitative', title: 'units' }],
        },
      },
      {
        data: { values: [{ a: o.domain[0], b: o.domain[0] }, { a: o.domain[1], b: o.domain[1] }] },
        mark: { type: 'line', color: '#d33', strokeDash: [4, 3] },
        encoding: { x: { field: 'a', type: 'quantitative', scale }, y: { field: 'b', type: 'quantitative', scale } },
      },
    ],
  } as TopLevelSpec;
}

/** About `count` round tick values inside [lo, hi]. */
export function niceTicks([lo, hi]: [number, number], count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(+v.toFixed(10));
  return out;
}

export interface GlassBrainOptions {
  title: string;
  subtitle?: string;
  /** Domains of the panel layout (see figures.ts glassBrainRows). */
  xDomain: [number, number];
  yDomain: [number, number];
  /** Colour domain per metric (outliers beyond it are drawn in the end colours). */
  colorDomain: Partial<Record<Metric, [number, number]>>;
}

/**
 * Three orthogonal projections of the units (sagittal y–z, coronal x–z, axial x–y) laid out side by
 * side in one view (so the figure has one declared size), units coloured by score, best on top.
 * Rows: `{kind: 'unit', px, py, unit, subject, x, y, z, r2, r}`, `{kind: 'panel', px, py, px2, py2, label}`,
 * `{kind: 'outline', panel, order, px, py}` (the MNI152 outline, drawn under the units) and
 * `{kind: 'orient', label, align, baseline, px, py}` (orientation letters).
 */
export function glassBrainSpec(m: Metric, o: GlassBrainOptions): TopLevelSpec {
  const xs = { domain: o.xDomain, nice: false, zero: false };
  const ys = { domain: o.yDomain, nice: false, zero: false };
  const px = { field: 'px', type: 'quantitative' as const, scale: xs, axis: null };
  const py = { field: 'py', type: 'quantitative' as const, scale: ys, axis: null };
  return {
    ...base('glass-brain', o.title, o.subtitle),
    layer: [
      {
        transform: [{ filter: "datum.kind === 'panel'" }],
        mark: { type: 'rect', fill: '#f4f4f4', stroke: '#d0d0d0', cornerRadius: 6 },
        encoding: { x: px, y: py, x2: { field: 'px2' }, y2: { field: 'py2' } },
      },
      {
        transform: [{ filter: "datum.kind === 'panel'" }],
        mark: { type: 'text', align: 'left', baseline: 'top', dx: 6, dy: 4, fontSize: 11, color: '#444' },
        encoding: { x: px, y: { field: 'py2', type: 'quantitative', scale: ys, axis: null }, text: { field: 'label' } },
      },
      {
        transform: [{ filter: "datum.kind === 'outline'" }],
        mark: { type: 'line', stroke: '#9a9a9a', strokeWidth: 1, interpolate: 'linear' },
        encoding: { x: px, y: py, detail: { field: 'panel' }, order: { field: 'order', type: 'quantitative' } },
      },
      // Orientation letters (L/R, A/P, S/I), one layer per anchoring.
      ...([['left', 'middle'], ['right', 'middle'], ['center', 'bottom'], ['center', 'top']] as const).map(([align, baseline]) => ({
        transform: [{ filter: `datum.kind === 'orient' && datum.align === '${align}' && datum.baseline === '${baseline}'` }],
        mark: { type: 'text' as const, align, baseline, fontSize: 11, fontWeight: 'bold' as const, color: '#555' },
        encoding: { x: px, y: py, text: { field: 'label' } },
      })),
      {
        transform: [{ filter: `datum.kind === 'unit' && isValid(datum.${m})` }],
        mark: { type: 'circle', size: 26, opacity: 0.8, stroke: '#333', strokeWidth: 0.3 },
        encoding: {
          x: px, y: py,
          order: { field: m, type: 'quantitative', sort: 'ascending' },
          color: { field: m, type: 'quantitative', title: metricTitle(m), scale: { scheme: 'redblue', reverse: true, domainMid: 0, clamp: true, ...(o.colorDomain[m] ? { domain: o.colorDomain[m] } : {}) } },
          tooltip: [
            { field: 'unit', title: 'unit' }, { field: 'subject', title: 'subject' }, { field: m, title: metricTitle(m), format: fmt(m) },
            { field: 'x', title: 'x', format: '.1f' }, { field: 'y', title: 'y', format: '.1f' }, { field: 'z', title: 'z', format: '.1f' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}
