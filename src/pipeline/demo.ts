/**
 * `brainmap demo`: the paper's first findings, end to end, on the built-in simulated datasets
 * (no files needed). For each dataset it scores
 *   - OASM (no language: only which block a sample is in and where) under shuffled and
 *     contiguous folds;
 *   - a content feature (bag of words) under both;
 *   - position + length alone (sp+sl) under contiguous folds;
 * and writes every result (score.json, units.csv per analysis; summary.json and summary.csv).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../linalg/backend.js';
import { parseSimSpec, simulateDataset } from '../data/simulate.js';
import type { SplitScheme } from '../regression/splits.js';
import { csvCell, specScoreToJson, writeFileAtomic, writeScore, type ScoreJson } from './results.js';
import { scoreSpec } from './score-spec.js';

export interface DemoAnalysis {
  id: string;
  features: string;
  split: SplitScheme;
  /** What the row shows, in one sentence. */
  meaning: string;
}

export const DEMO_ANALYSES: readonly DemoAnalysis[] = [
  { id: 'oasm-shuffled', features: 'oasm:sigma=1.8', split: 'shuffled', meaning: 'no language at all, only block membership and order: scores because held-out samples have their block neighbours in training' },
  { id: 'oasm-contiguous', features: 'oasm:sigma=1.8', split: 'contiguous', meaning: 'the same feature with whole blocks held out: about zero — the shuffled score was temporal autocorrelation leaking across folds' },
  { id: 'content-shuffled', features: 'bow', split: 'shuffled', meaning: 'a content feature (bag of words) with shuffled folds' },
  { id: 'content-contiguous', features: 'bow', split: 'contiguous', meaning: 'the content feature with honest folds: what it predicts includes the length its word counts carry' },
  { id: 'position-length', features: 'POSITION', split: 'contiguous', meaning: 'position + length only, no content (Pereira sp+sl, Fedorenko wp, Blank ramps+wn): the trivial features behind untrained-model scores' },
];

export const DEMO_DATASETS: readonly string[] = ['sim:pereira', 'sim:fedorenko', 'sim:blank'];

/** Each design's position/length feature, as the paper uses them (METHODS §3.2–3.4). */
export const POSITION_FEATURES: Record<'pereira' | 'fedorenko' | 'blank', string> = {
  pereira: 'sp+sl',
  fedorenko: 'wp:sigma=4.7',
  blank: 'ramps:len=11+wn',
};

export interface DemoRow {
  dataset: string;
  analysis: string;
  features: string;
  split: SplitScheme;
  r2: number;
  r2_sem: number;
  r: number;
  meaning: string;
}

export interface DemoOptions {
  backend: Backend;
  outDir: string;
  datasets?: readonly string[];
  onProgress?: (done: number, total: number, label: string) => void;
}

export async function runDemo(opts: DemoOptions): Promise<{ rows: DemoRow[]; outDir: string }> {
  const datasets = opts.datasets ?? DEMO_DATASETS;
  mkdirSync(opts.outDir, { recursive: true });
  const rows: DemoRow[] = [];
  const total = datasets.length * DEMO_ANALYSES.length;
  let done = 0;
  const scores: Record<string, Record<string, ScoreJson>> = {};
  for (const spec of datasets) {
    const { kind, options } = parseSimSpec(spec);
    const dataset = simulateDataset(kind, options);
    scores[spec] = {};
    for (const a of DEMO_ANALYSES) {
      const features = a.features === 'POSITION' ? POSITION_FEATURES[kind] : a.features;
      const scored = await scoreSpec(dataset, features, {
        split: a.split,
        backend: opts.backend,
        onProgress: (d, t) => opts.onProgress?.(done + d / t, total, `${spec} ${a.id}`),
      });
      writeScore(join(opts.outDir, kind, a.id), scored);
      const json = specScoreToJson(scored);
      scores[spec][a.id] = json;
      rows.push({ dataset: spec, analysis: a.id, features, split: a.split, r2: json.dataset.r2, r2_sem: json.dataset.r2_sem, r: json.dataset.r, meaning: a.meaning });
      done++;
      opts.onProgress?.(done, total, `${spec} ${a.id}`);
    }
  }
  writeFileAtomic(join(opts.outDir, 'summary.json'), JSON.stringify({ rows, datasets: scores }, null, 2) + '\n');
  const header = 'dataset,analysis,features,split,r2,r2_sem,r,meaning';
  const lines = rows.map((r) => [r.dataset, r.analysis, r.features, r.split, r.r2, r.r2_sem, r.r, r.meaning].map(csvCell).join(','));
  writeFileAtomic(join(opts.outDir, 'summary.csv'), [header, ...lines].join('\n') + '\n');
  return { rows, outDir: opts.outDir };
}
