/**
 * The issue's reference workload: 627 samples × 1600 features, 13,500 units, 7 contiguous folds,
 * nested leave-one-fold-out (6 inner folds), 25 penalties. Synthetic data with a planted linear
 * signal in a third of the units, so the mean R² printed is a sanity figure, not a score.
 */
import type { Dataset } from '../src/data/dataset.js';
import type { Backend } from '../src/linalg/backend.js';
import { scoreFeatures } from '../src/pipeline/score.js';
import { MT19937 } from '../src/random/mt19937.js';

export interface RidgeBenchConfig { samples: number; features: number; units: number; folds: number }

export const ISSUE_WORKLOAD: RidgeBenchConfig = { samples: 627, features: 1600, units: 13500, folds: 7 };

export function syntheticRidgeProblem(cfg: RidgeBenchConfig, seed = 0): { dataset: Dataset; x: { rows: number; cols: number; data: Float64Array } } {
  const rng = new MT19937(seed);
  const { samples: n, features: p, units: u, folds } = cfg;
  const x = new Float64Array(n * p);
  for (let i = 0; i < x.length; i++) x[i] = rng.standardNormal();
  // y = X w (rank-8 w) in a third of the units, plus unit-variance noise everywhere.
  const k = 8;
  const basis = new Float64Array(p * k);
  for (let i = 0; i < basis.length; i++) basis[i] = rng.standardNormal() / Math.sqrt(p);
  const xb = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) {
    const v = x[i * p + j];
    for (let c = 0; c < k; c++) xb[i * k + c] += v * basis[j * k + c];
  }
  const mix = new Float64Array(k * u);
  for (let i = 0; i < mix.length; i++) mix[i] = rng.standardNormal();
  const y = new Float64Array(n * u);
  for (let i = 0; i < n; i++) for (let j = 0; j < u; j++) {
    let s = 0;
    if (j % 3 === 0) for (let c = 0; c < k; c++) s += xb[i * k + c] * mix[c * u + j];
    y[i * u + j] = s + rng.standardNormal();
  }
  const fold = Array.from({ length: n }, (_, i) => String(Math.floor((i * folds) / n)));
  const dataset: Dataset = {
    name: 'bench', source: 'synthetic',
    y: { rows: n, cols: u, data: y },
    samples: {
      stimulusId: fold.map((_, i) => String(i)), text: new Array(n).fill(''), block: fold.slice(),
      position: new Int32Array(n), experiment: new Array(n).fill(''), fold,
    },
    units: { id: Array.from({ length: u }, (_, i) => String(i)), subject: Array.from({ length: u }, (_, i) => String(i % 10)), network: new Array(u).fill(''), coords: null },
    design: { kind: 'labels' }, shuffleOrder: [],
  };
  return { dataset, x: { rows: n, cols: p, data: x } };
}

export async function benchRidge(backend: Backend, cfg: RidgeBenchConfig = ISSUE_WORKLOAD): Promise<void> {
  const t0 = performance.now();
  const { dataset, x } = syntheticRidgeProblem(cfg);
  const t1 = performance.now();
  const result = await scoreFeatures(dataset, x, { split: 'contiguous', backend });
  const t2 = performance.now();
  const e = result.experiments[0];
  let mean = 0;
  for (const v of e.r2) mean += Number.isNaN(v) ? 0 : v;
  mean /= e.r2.length;
  console.log(`ridge ${cfg.samples} samples × ${cfg.features} features, ${cfg.units} units, ${cfg.folds} contiguous folds (sizes ${e.foldSizes.join('/')}), ${e.innerFolds[0]} inner, 25 α [${backend.name}, ${backend.getThreads()} threads]`);
  console.log(`  fit ${((t2 - t1) / 1000).toFixed(2)} s (data generation ${((t1 - t0) / 1000).toFixed(2)} s); mean unit R² ${mean.toFixed(4)}`);
}
