/**
 * Self-checks of a drawn figure, on boxes measured in a browser (see browser.ts `FIGURE_LAYOUT_SCRIPT`):
 * no two text boxes overlap, axis labels keep a gap, no text crosses a reference line, no text leaves
 * the figure, no label is truncated, and every axis has a title. Pure functions on plain boxes, so the checks themselves are
 * unit-tested on hand-made boxes.
 */

/** An axis-aligned box in CSS pixels (x right, y down), as getBoundingClientRect() returns it. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A piece of text drawn in a figure: its content, where vega put it (role) and its box. */
export interface TextBox extends Box {
  text: string;
  /** The vega role of the group the text is in: `axis-label`, `axis-title`, `title-text`, `mark`, … */
  role: string;
}

/** Everything measured of one drawn figure. */
export interface FigureLayout {
  id: string;
  /** The SVG element's box. */
  svg: Box;
  texts: TextBox[];
  /** Lines the figure draws as marks (rules: reference and mean lines, error bars), not axes. */
  rules: Box[];
  /** One entry per axis: its orientation and its title text ('' when untitled). */
  axes: { orient: string; title: string }[];
}

/**
 * How far two boxes overlap: the width and height of their intersection (0 when they do not meet).
 */
export function intersection(a: Box, b: Box): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? { width, height } : { width: 0, height: 0 };
}

/** True when the boxes overlap by more than `tolerance` px in both directions. */
export function overlaps(a: Box, b: Box, tolerance = 1): boolean {
  const i = intersection(a, b);
  return i.width > tolerance && i.height > tolerance;
}

/** Every pair of text boxes that overlap by more than `tolerance` px (each pair once, in order). */
export function textOverlaps(texts: readonly TextBox[], tolerance = 1): [TextBox, TextBox][] {
  const out: [TextBox, TextBox][] = [];
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) if (overlaps(texts[i], texts[j], tolerance)) out.push([texts[i], texts[j]]);
  }
  return out;
}

/**
 * Texts a line mark runs through or touches. A rule's box is its stroke (the line widened by its
 * stroke width): a horizontal rule (≤ 3 px high) meets a text when it runs more than `tolerance` px
 * along it and its stroke meets the text's box at all (likewise for vertical rules) — a dashed mean
 * line drawn along the bottom of a value label is a collision too; other boxes are compared as boxes.
 */
export function textsOnRules(texts: readonly TextBox[], rules: readonly Box[], tolerance = 1): [TextBox, Box][] {
  const out: [TextBox, Box][] = [];
  const meets = (a0: number, a1: number, b0: number, b1: number) => Math.min(a1, b1) - Math.max(a0, b0);
  for (const t of texts) {
    for (const r of rules) {
      let crossed: boolean;
      if (r.height <= 3) crossed = meets(t.x, t.x + t.width, r.x, r.x + r.width) > tolerance && meets(t.y, t.y + t.height, r.y, r.y + r.height) > 0;
      else if (r.width <= 3) crossed = meets(t.y, t.y + t.height, r.y, r.y + r.height) > tolerance && meets(t.x, t.x + t.width, r.x, r.x + r.width) > 0;
      else crossed = overlaps(t, r, tolerance);
      if (crossed) out.push([t, r]);
    }
  }
  return out;
}

/**
 * Axis labels side by side with less than `minGap` px between them (they touch or nearly do, e.g.
 * "0.000.020.04"): pairs of axis labels on the same line (overlapping vertically by more than half
 * the smaller height) whose horizontal gap is under `minGap`.
 */
export function crowdedAxisLabels(texts: readonly TextBox[], minGap = 4): [TextBox, TextBox][] {
  const labels = texts.filter((t) => t.role === 'axis-label');
  const out: [TextBox, TextBox][] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i], labels[j]];
      const vertical = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (vertical <= Math.min(a.height, b.height) / 2) continue;
      const gap = Math.max(a.x, b.x) - Math.min(a.x + a.width, b.x + b.width);
      if (gap < minGap) out.push([a, b]);
    }
  }
  return out;
}

/** Texts that reach outside the figure by more than `tolerance` px (clipped in the SVG and the PNG). */
export function textsOutside(texts: readonly TextBox[], frame: Box, tolerance = 1): TextBox[] {
  return texts.filter((t) => t.x < frame.x - tolerance || t.y < frame.y - tolerance || t.x + t.width > frame.x + frame.width + tolerance || t.y + t.height > frame.y + frame.height + tolerance);
}

/** Texts vega shortened to fit a limit (it ends them with '…'). */
export function truncatedTexts(texts: readonly TextBox[]): TextBox[] {
  return texts.filter((t) => t.text.includes('…'));
}

/** Axes drawn without a title. */
export function untitledAxes(layout: FigureLayout): string[] {
  return layout.axes.filter((a) => a.title.trim() === '').map((a) => a.orient);
}

/** Every problem found in a figure's layout, one line each (empty when the figure is clean). */
export function layoutProblems(layout: FigureLayout, tolerance = 1): string[] {
  const q = (t: TextBox) => `"${t.text}" (${t.role}; ${t.x.toFixed(1)},${t.y.toFixed(1)} ${t.width.toFixed(1)}×${t.height.toFixed(1)})`;
  return [
    ...textOverlaps(layout.texts, tolerance).map(([a, b]) => `${layout.id}: text ${q(a)} overlaps ${q(b)}`),
    ...crowdedAxisLabels(layout.texts).map(([a, b]) => `${layout.id}: axis labels ${q(a)} and ${q(b)} are less than 4 px apart`),
    ...textsOnRules(layout.texts, layout.rules, tolerance).map(([t, r]) => `${layout.id}: text ${q(t)} is crossed by a line at ${r.x.toFixed(1)},${r.y.toFixed(1)} ${r.width.toFixed(1)}×${r.height.toFixed(1)}`),
    ...textsOutside(layout.texts, layout.svg, tolerance).map((t) => `${layout.id}: text ${q(t)} reaches outside the figure`),
    ...truncatedTexts(layout.texts).map((t) => `${layout.id}: text ${q(t)} is truncated`),
    ...untitledAxes(layout).map((o) => `${layout.id}: the ${o} axis has no title`),
  ];
}
