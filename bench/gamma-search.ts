/**
 * Band-weight (γ) search with many bands (issue 15 point 4): brainmap's searches on a synthetic
 * problem with a known answer, written out for bench/gamma_search.py, which runs himalaya's random
 * search and hyper-gradient solver on the same data and scores every method's chosen weights with
 * one float64 evaluator (pooled inner-CV R², held-out R²).
 *
 *   node --import tsx bench/gamma-search.ts --out DIR [--bands 8] [--units 300] [--n-iter 60]
 *   .venv/bin/python bench/gamma_search.py --folder DIR
 *
 * Problem: n = 400 samples (300 training rows in 5 contiguous inner folds, 100 held out), B bands
 * of sizes BAND_SIZES (8 bands: 2…64 columns, i.i.d. N(0, 1)), y = Σ_b s_b X_b β_b/√p_b + noise
 * with s = EFFECTS (half the bands irrelevant: s_b = 0), β ~ N(0, 1) per unit, noise N(0, 1).
 * Written: x_b.npy (n × p_b), y.npy (n × units), train.npy/test.npy (row indices), inner.npy
 * (inner-fold label of each training row), effects.npy, and per method <name>_w.npy (units × B:
 * the chosen effective weights γ_b/α, so that predictions are K_e(w)(K_a(w) + I)⁻¹y) and
 * <name>_time.txt (seconds).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../src/io/npy.js';
import { getBackend } from '../src/linalg/index.js';
import { takeRows, type Matrix64 } from '../src/linalg/matrix.js';
import { fitBandedFold } from '../src/regression/banded.js';
import { fitStandardizer, applyStandardizer } from '../src/regression/standardize.js';
import { MT19937 } from '../src/random/mt19937.js';

export const BAND_SIZES = [2, 4, 8, 8, 16, 16, 32, 64];
export const EFFECTS = [0.5, 0, 0.6, 0, 0.7, 0, 0, 0.8];

const arg = (name: string, dflt: number) => { const a = process.argv.find((x) => x.startsWith(`--${name}=`)) ?? (process.argv.includes(`--${name}`) ? `--${name}=${process.argv[process.argv.indexOf(`--${name}`) + 1]}` : undefined); return a ? Number(a.split('=')[1]) : dflt; };
const outArg = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : null;
if (!outArg) { console.error('usage: bench/gamma-search.ts --out DIR [--bands 8] [--units 300] [--n-iter 60]'); process.exit(2); }
const out: string = outArg;
const B = arg('bands', 8);
const units = arg('units', 300);
const nIter = arg('n-iter', 60);
const n = 400;
const nTrain = 300;
const sizes = BAND_SIZES.slice(0, B);
const effects = EFFECTS.slice(0, B);

const rng = new MT19937(2024);
const bands: Matrix64[] = sizes.map((p) => ({ rows: n, cols: p, data: Float64Array.from({ length: n * p }, () => rng.standardNormal()) }));
const y: Matrix64 = { rows: n, cols: units, data: new Float64Array(n * units) };
for (let b = 0; b < B; b++) {
  const p = sizes[b];
  for (let j = 0; j < units; j++) {
    const beta = Float64Array.from({ length: p }, () => rng.standardNormal() / Math.sqrt(p));
    for (let i = 0; i < n; i++) { let s = 0; for (let k = 0; k < p; k++) s += bands[b].data[i * p + k] * beta[k]; y.data[i * units + j] += effects[b] * s; }
  }
}
for (let i = 0; i < n * units; i++) y.data[i] += rng.standardNormal();
const train = Int32Array.from({ length: nTrain }, (_, i) => i);
const test = Int32Array.from({ length: n - nTrain }, (_, i) => nTrain + i);
const innerLabel = Int32Array.from(train, (i) => Math.floor((5 * i) / nTrain));
const inner = [0, 1, 2, 3, 4].map((v) => ({ train: Int32Array.from(train.filter((i) => innerLabel[i] !== v)), val: Int32Array.from(train.filter((i) => innerLabel[i] === v)) }));

mkdirSync(out, { recursive: true });
bands.forEach((x, b) => writeNpy(join(out, `x_${b}.npy`), x.data, [n, x.cols]));
writeNpy(join(out, 'y.npy'), y.data, [n, units]);
writeNpy(join(out, 'train.npy'), train, [nTrain]);
writeNpy(join(out, 'test.npy'), test, [n - nTrain]);
writeNpy(join(out, 'inner.npy'), innerLabel, [nTrain]);
writeNpy(join(out, 'effects.npy'), Float64Array.from(effects), [B]);

// Bands z-scored on the training rows (as scoreFeatures does per outer fold); targets centred there.
const std = bands.map((x) => { const s = fitStandardizer(x, train); return { tr: applyStandardizer(x, train, s), te: applyStandardizer(x, test, s) }; });
const ytr = takeRows(y, train);
const mean = new Float64Array(units);
for (let i = 0; i < nTrain; i++) for (let j = 0; j < units; j++) mean[j] += ytr.data[i * units + j] / nTrain;
for (let i = 0; i < nTrain; i++) for (let j = 0; j < units; j++) ytr.data[i * units + j] -= mean[j];

const backend = getBackend('auto');
const methods: { name: string; opts: { refine: boolean; nIter: number } }[] = [
  { name: 'brainmap_random', opts: { refine: false, nIter } },
  { name: 'brainmap_refined', opts: { refine: true, nIter } },
];
for (const m of methods) {
  const t0 = performance.now();
  const fit = await fitBandedFold(backend, std.map((s) => s.tr), ytr, std.map((s) => s.te), inner, { ...m.opts, seed: 0, patience: 1e9, lowRank: false });
  const secs = (performance.now() - t0) / 1000;
  const w = new Float64Array(units * B);
  for (let j = 0; j < units; j++) for (let b = 0; b < B; b++) w[j * B + b] = fit.gamma[j * B + b] / fit.alpha[j];
  writeNpy(join(out, `${m.name}_w.npy`), w, [units, B]);
  writeFileSync(join(out, `${m.name}_time.txt`), `${secs}\n`);
  let vs = 0;
  for (const v of fit.valScore) vs += v / units;
  console.log(`${m.name}: ${secs.toFixed(2)} s, ${fit.nEvaluated} γ samples, mean inner-CV R² (own) ${vs.toFixed(5)}`);
}
