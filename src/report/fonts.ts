/**
 * Text measurement for headless vega. Without a canvas, vega estimates a text's width as
 * 0.8 × font size per character — far too wide for most text — so layouts made in Node (titles,
 * axis titles, legends, label overlap) come out wrong. Here the advance widths are read from the
 * TrueType font that resvg will draw with (DejaVu Sans, Debian `fonts-dejavu-core`): a minimal
 * reader of the `head`, `hhea`, `hmtx` and `cmap` (format 4) tables. When the font file is not
 * found vega's own estimate stays in use.
 */
import { existsSync, readFileSync } from 'node:fs';

const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu', '/usr/share/fonts/TTF', '/usr/local/share/fonts', '/Library/Fonts', 'C:\\Windows\\Fonts'];

/** Advance widths in em of one font face. */
export interface FontWidths {
  /** Width in em of a code point (average width for a code point the font lacks). */
  advance(codePoint: number): number;
}

/** Parses advance widths from TrueType bytes. */
export function parseTrueTypeWidths(bytes: Uint8Array): FontWidths {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const numTables = dv.getUint16(4);
  const tables = new Map<string, number>();
  for (let k = 0; k < numTables; k++) {
    const rec = 12 + 16 * k;
    const tag = String.fromCharCode(dv.getUint8(rec), dv.getUint8(rec + 1), dv.getUint8(rec + 2), dv.getUint8(rec + 3));
    tables.set(tag, dv.getUint32(rec + 8));
  }
  const need = (t: string) => {
    const o = tables.get(t);
    if (o === undefined) throw new Error(`font has no ${t} table`);
    return o;
  };
  const unitsPerEm = dv.getUint16(need('head') + 18);
  const nHMetrics = dv.getUint16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const glyphAdvance = (g: number) => dv.getUint16(hmtx + 4 * Math.min(g, nHMetrics - 1));
  // cmap: the Unicode BMP subtable in format 4.
  const cmap = need('cmap');
  let sub = -1;
  for (let k = 0, n = dv.getUint16(cmap + 2); k < n; k++) {
    const platform = dv.getUint16(cmap + 4 + 8 * k);
    const encoding = dv.getUint16(cmap + 6 + 8 * k);
    const offset = cmap + dv.getUint32(cmap + 8 + 8 * k);
    if (dv.getUint16(offset) === 4 && ((platform === 3 && encoding === 1) || platform === 0)) { sub = offset; break; }
  }
  if (sub < 0) throw new Error('font has no format-4 Unicode cmap');
  const segCount = dv.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segCount + 2;
  const deltas = starts + 2 * segCount;
  const rangeOffsets = deltas + 2 * segCount;
  const glyphOf = (c: number): number => {
    if (c > 0xffff) return 0;
    for (let i = 0; i < segCount; i++) {
      if (dv.getUint16(ends + 2 * i) < c) continue;
      const start = dv.getUint16(starts + 2 * i);
      if (start > c) return 0;
      const delta = dv.getInt16(deltas + 2 * i);
      const ro = dv.getUint16(rangeOffsets + 2 * i);
      if (ro === 0) return (c + delta) & 0xffff;
      const g = dv.getUint16(rangeOffsets + 2 * i + ro + 2 * (c - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  const fallback = glyphAdvance(glyphOf(0x78 /* x */)) / unitsPerEm;
  return {
    advance(c: number): number {
      let w = cache.get(c);
      if (w === undefined) {
        const g = glyphOf(c);
        w = g === 0 ? fallback : glyphAdvance(g) / unitsPerEm;
        cache.set(c, w);
      }
      return w;
    },
  };
}

let faces: { regular: FontWidths; bold: FontWidths } | null | undefined;

function findFont(file: string): string | null {
  for (const d of FONT_DIRS) {
    const p = `${d}/${file}`;
    if (existsSync(p)) return p;
  }
  return null;
}

/** DejaVu Sans (regular and bold) widths, or null when the fonts are not installed. */
export function dejaVuWidths(): { regular: FontWidths; bold: FontWidths } | null {
  if (faces !== undefined) return faces;
  try {
    const regular = findFont('DejaVuSans.ttf');
    const bold = findFont('DejaVuSans-Bold.ttf') ?? regular;
    faces = regular && bold ? { regular: parseTrueTypeWidths(readFileSync(regular)), bold: parseTrueTypeWidths(readFileSync(bold)) } : null;
  } catch {
    faces = null;
  }
  return faces;
}

/** Width in pixels of `text` at `size` px (bold or not), or null without the font. */
export function textWidth(text: string, size: number, bold = false): number | null {
  const f = dejaVuWidths();
  if (!f) return null;
  const face = bold ? f.bold : f.regular;
  let w = 0;
  for (const ch of text) w += face.advance(ch.codePointAt(0)!);
  return w * size;
}

interface TextItem {
  fontSize?: number | string | null;
  fontWeight?: string | number | null;
  limit?: number | null;
}

/**
 * A replacement for vega's `textMetrics.width(item, text)`: the text's width in the item's font
 * size and weight, capped at the item's `limit` (vega then truncates with an ellipsis).
 */
export function vegaTextWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const s = text == null ? '' : String(text).trim();
  const bold = item.fontWeight === 'bold' || (typeof item.fontWeight === 'number' && item.fontWeight >= 600) || (typeof item.fontWeight === 'string' && +item.fontWeight >= 600);
  const w = textWidth(s, size, bold) ?? 0.8 * s.length * size;
  const limit = item.limit ?? 0;
  return limit > 0 ? Math.min(w, limit) : w;
}
