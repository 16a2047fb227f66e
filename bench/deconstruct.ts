/**
 * Issue 15's bench row: `deconstruct` with 6 spaces (63 banded sub-models) on a Pereira-sized
 * simulated dataset — sim:pereira (627 samples in experiments 243 and 384), 1,350 voxels per
 * subject (13,500 units), planted spaces len (1), pos (1), word (8), sense (8), synt (8) and an
 * LLM band of 1,600 columns — with deconstruct's defaults (DECONSTRUCT_DEFAULT_ITER γ samples,
 * 25 penalties, contiguous folds).
 *
 * `--deconstruct-units=N` runs N units in all (N/10 per subject) and prints the time scaled to
 * 13,500 units (the work per unit is the same; the per-fold decompositions are a small part).
 */
import type { Backend } from '../src/linalg/backend.js';
import { simulateDataset } from '../src/data/simulate.js';
import { deconstructFeatures, DECONSTRUCT_DEFAULT_ITER } from '../src/pipeline/deconstruct.js';

export const DECONSTRUCT_FULL_UNITS = 13_500;

export async function benchDeconstruct(backend: Backend, opts: { units?: number } = {}): Promise<void> {
  const units = Math.max(10, opts.units ?? DECONSTRUCT_FULL_UNITS);
  const perSubject = Math.round(units / 10);
  const dataset = simulateDataset('pereira', { units: perSubject, content: 0, word: 0.5, sense: 0.5, synt: 0.3, llm: 1600 });
  const spaces = ['len', 'pos', 'word', 'sense', 'synt', 'llm'].map((name) => ({ name, spec: `planted:${name}` }));
  const t0 = performance.now();
  const d = await deconstructFeatures(dataset, spaces, { split: 'contiguous', backend });
  const secs = (performance.now() - t0) / 1000;
  const n = perSubject * 10;
  const full = (secs * DECONSTRUCT_FULL_UNITS) / n;
  console.log(`  deconstruct, 6 spaces / ${d.models.length} sub-models, 627 samples × ${n} units, LLM band 1600 columns, ${DECONSTRUCT_DEFAULT_ITER} γ samples, ${backend.getThreads()} BLAS threads: ${secs.toFixed(1)} s${n < DECONSTRUCT_FULL_UNITS ? ` (scaled to 13,500 units: ~${(full / 60).toFixed(0)} min)` : ''}`);
  console.log(`    best per level: ${d.levels.map((l) => `${l.nSpaces}: ${l.model} ${l.r2.toFixed(3)}`).join(' · ')}; LLM adds in ${d.llmBeyond.significance.meanPercentSignificant.toFixed(1)} % of units, Ω ${d.omega.mean.toFixed(1)} %`);
}
