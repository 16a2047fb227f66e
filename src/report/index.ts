/**
 * Reports of a results folder: `writeReport(dir)` scans every result under `dir` (scan.ts), builds
 * the figures and tables (figures.ts, specs.ts), writes one self-contained HTML file (html.ts) and,
 * if asked, every figure as SVG and PNG (render.ts). The report reads results, it never fits.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../pipeline/results.js';
import { buildReportModel, type ReportModel } from './figures.js';
import { renderReportHtml } from './html.js';
import { writeFigureFiles, type FigureFile } from './render.js';
import { scanResults } from './scan.js';

export { scanResults, pairKey, parseScoreUnits, parsePartitionUnits } from './scan.js';
export { buildReportModel, glassBrainRows, settingsText, type Figure, type ReportModel, type ReportSection, type ReportTable, type ManifestEntry } from './figures.js';
export { renderReportHtml, browserLibraries } from './html.js';
export { figureToSvg, svgToPng, compileFigure, writeFigureFiles, type FigureFile } from './render.js';
export { FIGURE_SIZES, FIGURE_TYPES, PNG_SCALE, SCATTER_MAX_UNITS, type FigureType } from './specs.js';
export type * from './types.js';

export interface ReportOptions {
  /** The HTML file to write (default `<dir>/report.html`). */
  out?: string;
  /** Also write every figure as SVG and PNG into this folder. */
  figuresDir?: string;
  title?: string;
}

export interface ReportOutput {
  html: string;
  figures: FigureFile[];
  model: ReportModel;
}

/** Scans `resultsDir`, writes the HTML report (and figure files); returns what was written. */
export async function writeReport(resultsDir: string, opts: ReportOptions = {}): Promise<ReportOutput> {
  const folder = scanResults(resultsDir);
  const model = buildReportModel(folder, opts.title ?? `brainmap report — ${folder.root.split(/[\\/]/).filter(Boolean).pop() ?? folder.root}`);
  const html = resolve(opts.out ?? join(folder.root, 'report.html'));
  mkdirSync(dirname(html), { recursive: true });
  writeFileAtomic(html, renderReportHtml(model));
  const figures = opts.figuresDir ? await writeFigureFiles(model, resolve(opts.figuresDir)) : [];
  return { html, figures, model };
}
