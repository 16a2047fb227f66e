import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { applyThreads, computeOptions } from './options.js';
import { getBackend } from '../linalg/index.js';
import { runDemo, DEMO_ANALYSES, DEMO_DATASETS, type DemoPartition } from '../pipeline/demo.js';
import { table } from './format.js';
import { formatPercent, formatScore, formatScoreSem } from '../report/numbers.js';
import { headlineRows } from '../pipeline/demo-headline.js';
import { DelayedProgress } from './progress.js';
import { checkOutputDir } from './outpath.js';
import { InputError } from '../data/errors.js';
import { writeReport } from '../report/index.js';
import { helpAfter } from './help.js';

export interface DemoCommandOptions {
  out: string;
  dataset?: string[];
  backend: 'auto' | 'native' | 'portable';
  threads?: number;
  unitBatch: number;
  alphas?: number[];
  nIter: number;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description("the paper's first findings end to end on built-in simulated datasets (no files needed)")
    .option('--out <dir>', 'where to write the results', 'brainmap-demo')
    .option('--dataset <spec...>', `simulated datasets to use (default: ${DEMO_DATASETS.join(' ')})`)
    .addOption(computeOptions.alphas())
    .addOption(computeOptions.nIter('band-weight samples of the banded untrained-GPT-2 partition', 1000, 30))
    .addOption(computeOptions.backend())
    .addOption(computeOptions.threads())
    .addOption(computeOptions.unitBatch())
    .addHelpText('after', helpAfter('demo'))
    .action(runDemoCommand);
}

export async function runDemoCommand(opts: DemoCommandOptions): Promise<void> {
  const backend = getBackend(opts.backend);
  applyThreads(backend, opts.threads);
  const datasets = opts.dataset ?? [...DEMO_DATASETS];
  for (const d of datasets) if (!d.startsWith('sim:')) throw new InputError(`--dataset: ${d}: the demo runs on the built-in simulated datasets (${DEMO_DATASETS.join(', ')}); use brainmap score for your own data`);
  const outDir = resolve(opts.out);
  // An unusable --out fails now, not after the fits.
  checkOutputDir(outDir, '--out');
  // Language-model features are cached with the results, not in the working directory.
  process.env.BRAINMAP_CACHE ??= join(outDir, '.cache');
  process.stderr.write(`brainmap demo: ${datasets.length} simulated dataset(s) × ${DEMO_ANALYSES.length} analyses, results in ${outDir}\n`);
  const progress = new DelayedProgress('demo', 0);
  const t0 = Date.now();
  let rows;
  let partitions;
  try {
    ({ rows, partitions } = await runDemo({ backend, outDir, datasets, alphas: opts.alphas, unitBatch: opts.unitBatch, bandedIter: opts.nIter, onProgress: (d, t, label) => progress.update(d, t, `${Math.min(t, Math.floor(d) + 1)}/${t}: ${label}`) }));
  } finally {
    progress.stop();
  }
  const out: string[] = [];
  // The headline first: OASM and a language model under shuffled and contiguous folds (the report opens with the same table).
  const headline = headlineRows(rows.map((r) => ({ ...r, r2Sem: r.r2_sem })));
  out.push('');
  out.push('Headline: no language at all (OASM) versus a language model, shuffled versus contiguous folds (R², mean ± SEM over subjects)');
  out.push(table(['dataset', 'features', 'shuffled', 'contiguous'], headline.map((h) => [h.dataset, h.label, formatScoreSem(h.shuffled.r2, h.shuffled.r2Sem), formatScoreSem(h.contiguous.r2, h.contiguous.r2Sem)]), ['l', 'l', 'r', 'r']));
  for (const p of partitions) out.push(partitionSentence(p));
  for (const ds of datasets) {
    out.push('');
    out.push(`${ds}  (responses simulated from known components; see README "Simulated datasets")`);
    out.push(table(['analysis', 'features', 'split', 'R²', 'r'], rows.filter((r) => r.dataset === ds).map((r) => [r.analysis, r.features, r.split, formatScoreSem(r.r2, r.r2_sem), formatScore(r.r)]), ['l', 'l', 'l', 'r', 'r']));
  }
  out.push('');
  out.push('What each row means:');
  const seen = new Set<string>();
  for (const r of rows) if (!seen.has(r.analysis)) { seen.add(r.analysis); out.push(`  ${r.analysis}: ${r.meaning}.`); }
  out.push('');
  out.push('R² is pooled out-of-sample R² and r the Pearson correlation of held-out predictions, averaged over a subject\'s units, clipped at 0, then mean ± SEM over subjects.');
  out.push(`Finished in ${((Date.now() - t0) / 1000).toFixed(1)} s. Results (score.json and units.csv per analysis, summary.json, summary.csv): ${outDir}`);
  const { html } = await writeReport(outDir, { title: 'brainmap demo' });
  out.push(`Report with every figure (one HTML file, opens offline): ${html}`);
  process.stdout.write(out.join('\n') + '\n');
}

/** The Ω sentence of a demo partition (the report shows the same numbers: report/numbers.ts). */
export function partitionSentence(p: DemoPartition): string {
  return `${p.dataset}: ${p.b} versus ${p.a} (banded, contiguous folds): Ω ${formatPercent(p.omega_mean)} of its explained variance is explained by position alone; it adds significant variance (BH p < .05) in ${formatPercent(p.percent_significant)} of units.`;
}
