/**
 * Times one outer fold of a Pereira-like banded fit (627 rows in 7 groups → ~537 training rows,
 * 6 inner folds; narrow bands + a 1600-column band; 30 γ samples, 25 α) with the reduced γ search
 * and with the per-sample path. Usage: node --import tsx bench/reduced-wide.ts <narrow widths, e.g.
 * 1,1,8,8,8> [units=2000] [paths=reduced,per-sample] [nIter=30].
 */
import { fitBandedFold } from '../src/regression/banded.js';
import { labelFolds } from '../src/regression/splits.js';
import { getBackend } from '../src/linalg/index.js';
import { takeRows, type Matrix64 } from '../src/linalg/matrix.js';
import { MT19937 } from '../src/random/mt19937.js';

const narrow = (process.argv[2] ?? '1,1,8,8,8').split(',').map(Number);
const units = Number(process.argv[3] ?? 2000);
const paths = (process.argv[4] ?? 'reduced,per-sample').split(',');
const nIter = Number(process.argv[5] ?? 30);
const n = 627;
const rng = new MT19937(1);
const mk = (r: number, c: number): Matrix64 => ({ rows: r, cols: c, data: Float64Array.from({ length: r * c }, () => rng.standardNormal()) });
const bands = [...narrow.map((p) => mk(n, p)), mk(n, 1600)];
const y = mk(n, units);
for (let i = 0; i < n; i++) for (let j = 0; j < units; j++) y.data[i * units + j] += 0.3 * bands[j % narrow.length].data[i * narrow[j % narrow.length]] + 0.01 * bands[narrow.length].data[i * 1600 + (j % 1600)];
const labels = Array.from({ length: n }, (_, i) => String(Math.floor((i * 7) / n)));
const fold = labelFolds(labels, 't')[0];
const backend = getBackend('auto');
const tr = bands.map((x) => takeRows(x, fold.train));
const te = bands.map((x) => takeRows(x, fold.test));
const ytr = takeRows(y, fold.train);
console.log(`q = ${narrow.reduce((a, b) => a + b, 0)} (${narrow.join('+')}), ${fold.train.length} training rows, ${fold.inner.length} inner folds, ${units} units`);
const results: Record<string, Float64Array> = {};
for (const path of paths) {
  const t0 = performance.now();
  const fit = await fitBandedFold(backend, tr, ytr, te, fold.inner, { nIter, seed: 3, refine: false, reduced: path === 'reduced' });
  console.log(`${path}: ${((performance.now() - t0) / 1000).toFixed(1)} s (${fit.nEvaluated} samples)`);
  results[path] = fit.valScore;
}
if (results.reduced && results['per-sample']) {
  const a = results.reduced;
  const b = results['per-sample'];
  console.log(`max |Δ val R²| = ${Math.max(...Array.from(a, (v, j) => Math.abs(v - b[j]))).toExponential(2)}`);
}
