/**
 * Figures as files, without a browser: Vega-Lite → Vega → a headless vega View → SVG
 * (`view.toSVG()`), and SVG → PNG with resvg (PNG_SCALE × the declared size). resvg draws text with
 * the system's fonts (`loadSystemFonts`), DejaVu Sans by default (Debian `fonts-dejavu-core`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Figure, ReportModel } from './figures.js';
import { dejaVuWidths, vegaTextWidth } from './fonts.js';
import { DATA_NAME, PNG_SCALE, type Row } from './specs.js';
import type { Metric } from './types.js';

let metricsInstalled = false;

/** Makes headless vega measure text with the font resvg draws with (see fonts.ts). */
export function useFontMetrics(): void {
  if (metricsInstalled) return;
  metricsInstalled = true;
  if (dejaVuWidths()) (vega as unknown as { textMetrics: { width: typeof vegaTextWidth } }).textMetrics.width = vegaTextWidth;
}

/** Compiles a figure's Vega-Lite spec (with its rows) to a Vega spec. */
export function compileFigure(spec: TopLevelSpec, rows: Row[]): vega.Spec {
  return compile({ ...spec, datasets: { [DATA_NAME]: rows } } as TopLevelSpec).spec;
}

/** Renders one metric variant of a figure to SVG text (declared size: figure.width × figure.height). */
export async function figureToSvg(figure: Figure, metric?: Metric): Promise<string> {
  const m = metric ?? (Object.keys(figure.specs)[0] as Metric);
  const spec = figure.specs[m];
  if (!spec) throw new Error(`figure ${figure.id} has no ${m} variant`);
  useFontMetrics();
  const view = new vega.View(vega.parse(compileFigure(spec, figure.rows)), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG to PNG bytes, `scale` × its size. */
export function svgToPng(svg: string, scale = PNG_SCALE): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}

export interface FigureFile {
  figure: string;
  metric: Metric;
  svg: string;
  png: string;
  width: number;
  height: number;
}

/**
 * Writes every figure of a report as `<id>.svg` and `<id>.png` (R², or the figure's only metric) and,
 * for figures that can show Pearson r, `<id>-r.svg` and `<id>-r.png`.
 */
export async function writeFigureFiles(model: ReportModel, dir: string): Promise<FigureFile[]> {
  mkdirSync(dir, { recursive: true });
  const out: FigureFile[] = [];
  for (const figure of model.figures) {
    const metrics = Object.keys(figure.specs) as Metric[];
    for (const [k, metric] of metrics.entries()) {
      const name = k === 0 ? figure.id : `${figure.id}-${metric}`;
      const svgText = await figureToSvg(figure, metric);
      const svg = join(dir, `${name}.svg`);
      const png = join(dir, `${name}.png`);
      writeFileSync(svg, svgText);
      writeFileSync(png, svgToPng(svgText));
      out.push({ figure: figure.id, metric, svg, png, width: figure.width * PNG_SCALE, height: figure.height * PNG_SCALE });
    }
  }
  return out;
}
