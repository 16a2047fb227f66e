/**
 * The issue's reference workload: 627 samples × 1600 features, 13,500 units, 7 contiguous folds,
 * nested leave-one-fold-out (6 inner folds), 25 penalties. Synthetic data with a planted linear
 * signal in a third of the units, so the mean R² printed is a sanity figure, not a score.
 *
 * Rows of `npm run bench` (issue 13), each timed back to back with the plain-numpy reference
 * (bench/numpy_baseline.py, float64 SVD per inner fold, all α) on the same data:
 *   1. `brainmap score` (a child process: CLI start-up, reading the folder and the file: features,
 *      the fit, writing score.json/units.csv) on a dataset folder generated into a temporary
 *      directory, against numpy reading the same files; per-unit R² compared.
 *   2. the same fit in memory (scoreFeatures), against numpy's fit alone.
 * Python: $BRAINMAP_PYTHON, else ./.venv/bin/python, else python3 (needs numpy); without one, the
 * last recorded figure (bench/ridge-reference.json, written by `--ridge-record`) with its date.
 */
import { spawnSync } from 'node:child_process';
import { cliEntry } from '../test/cli-entry.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../src/data/dataset.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import type { Backend } from '../src/linalg/backend.js';
import { scoreFeatures } from '../src/pipeline/score.js';
import { MT19937 } from '../src/random/mt19937.js';
import { referenceEnv } from './env.js';

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

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REFERENCE_FILE = join(ROOT, 'bench', 'ridge-reference.json');

/** A python with numpy: $BRAINMAP_PYTHON, ./.venv/bin/python, python3 (null if none works). */
export function findNumpyPython(): string | null {
  const env = process.env.BRAINMAP_PYTHON;
  const candidates = env ? [env] : [join(ROOT, '.venv', 'bin', 'python'), 'python3'];
  for (const py of candidates) {
    if (py.includes('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import numpy'], { stdio: 'ignore' });
    if (!r.error && r.status === 0) return py;
  }
  return null;
}

/**
 * The workload as a dataset folder (y.npy float32, samples.csv with block = fold = the contiguous
 * fold label, units.csv with id and subject) plus the features x.npy (float64), written into dir.
 */
export function writeRidgeFolder(cfg: RidgeBenchConfig, dir: string): void {
  const { dataset, x } = syntheticRidgeProblem(cfg);
  writeNpy(join(dir, 'y.npy'), Float32Array.from(dataset.y.data), [dataset.y.rows, dataset.y.cols]);
  writeNpy(join(dir, 'x.npy'), x.data, [x.rows, x.cols]);
  const fold = dataset.samples.fold!;
  writeFileSync(join(dir, 'samples.csv'), 'block,fold\n' + fold.map((f) => `${f},${f}\n`).join(''));
  writeFileSync(join(dir, 'units.csv'), 'id,subject\n' + dataset.units.id.map((id, j) => `${id},${dataset.units.subject[j]}\n`).join(''));
}

/** Wall and CPU (user + system, children included) seconds of a command, via /usr/bin/time when present. */
interface Timed { ok: boolean; wall: number; cpu: number | null; stdout: string; stderr: string }

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Timed {
  const useTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  const m = /CPU ([0-9.]+) ([0-9.]+)\s*$/.exec(r.stderr ?? '');
  return { ok: !r.error && r.status === 0, wall, cpu: m ? Number(m[1]) + Number(m[2]) : null, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').replace(/CPU [0-9.]+ [0-9.]+\s*$/, '') };
}

/** Per-unit R² column of a units.csv written by `brainmap score --out`. */
function readUnitR2(file: string): Float64Array {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const k = header.indexOf('r2');
  if (k < 0) throw new Error(`${file}: no r2 column (columns: ${header.join(', ')})`);
  return Float64Array.from(lines.slice(1), (l) => Number(l.split(',')[k]));
}

interface RecordedReference { date: string; machine: string; numpy_seconds: number; numpy_fit_seconds: number; note: string }

function recorded(): RecordedReference | null {
  try {
    return JSON.parse(readFileSync(REFERENCE_FILE, 'utf8')) as RecordedReference;
  } catch {
    return null;
  }
}

const fmt = (s: number) => `${s.toFixed(1)} s`;
const range = (v: number[]) => (v.length === 0 ? 'n/a' : v.length === 1 ? v[0].toFixed(2) : `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}`);

export interface RidgeBenchOptions {
  /** Back-to-back (brainmap, numpy) pairs per row (default 1). */
  repeat?: number;
  /** Skip the numpy reference even when a python with numpy is found. */
  noReference?: boolean;
  /** Write this run's numpy figures to bench/ridge-reference.json. */
  record?: boolean;
}

/**
 * Rows 1 (CLI on a folder) and 2 (in memory) of issue 13's table: brainmap's time, numpy's time
 * measured right after it, their ratio, and the largest per-unit R² difference from numpy.
 */
export async function benchRidge(backend: Backend, cfg: RidgeBenchConfig = ISSUE_WORKLOAD, opts: RidgeBenchOptions = {}): Promise<void> {
  const repeat = Math.max(1, opts.repeat ?? 1);
  const py = opts.noReference ? null : findNumpyPython();
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-bench-ridge-'));
  try {
    const t0 = performance.now();
    writeRidgeFolder(cfg, dir);
    const { dataset, x } = syntheticRidgeProblem(cfg);
    console.log(`ridge ${cfg.samples} samples × ${cfg.features} features, ${cfg.units} units, ${cfg.folds} contiguous folds, 6 inner, 25 α [${backend.name}, ${backend.getThreads()} BLAS threads]; data ${((performance.now() - t0) / 1000).toFixed(1)} s; reference: ${py ? `numpy (${py})` : 'none found'}; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const cliRatios: number[] = [];
    const memRatios: number[] = [];
    const numpyScript = join(ROOT, 'bench', 'numpy_baseline.py');
    let lastNumpy: { total: number; fit: number } | null = null;
    for (let rep = 0; rep < repeat; rep++) {
      lastNumpy = null;
      // (1) the CLI on the folder, default options (features re-z-scored within inner folds).
      const out = join(dir, `out${rep}`);
      // The built CLI (dist/, what `npx brainmap` runs) when it is up to date, else the sources through tsx.
      const cli = timed(process.execPath, [...cliEntry(), 'score', '--dataset', dir, '--features', `file:${join(dir, 'x.npy')}`, '--split', 'contiguous', '--backend', backend.name, '--out', out]);
      if (!cli.ok) { console.log(`  (1) brainmap score failed: ${cli.stderr.trim().split('\n').slice(-3).join(' | ')}`); break; }
      let line = `  (1) CLI  brainmap score (folder + file:${cliEntry()[0] === '--import' ? ', from the sources via tsx' : ', dist'}) ${fmt(cli.wall)}${cli.cpu !== null ? ` (CPU ${fmt(cli.cpu)})` : ''}`;
      if (py) {
        const np = timed(py, [numpyScript, '--folder', dir, '--inner-zscore', '--out', join(dir, 'r2.npy')], referenceEnv());
        const m = /numpy baseline: ([0-9.]+) s \(read \+ fit\), fit ([0-9.]+) s/.exec(np.stdout);
        if (np.ok && m) {
          lastNumpy = { total: Number(m[1]), fit: Number(m[2]) };
          const ours = readUnitR2(join(out, 'units.csv'));
          const ref = readNpy(join(dir, 'r2.npy')).data;
          let worst = 0;
          let over = 0;
          for (let j = 0; j < ours.length; j++) {
            const d = Math.abs(ours[j] - Number(ref[j]));
            if (d > worst) worst = d;
            if (d > 1e-4) over++;
          }
          cliRatios.push(cli.wall / lastNumpy.total);
          line += `; numpy ${fmt(lastNumpy.total)}${np.cpu !== null ? ` (CPU ${fmt(np.cpu)})` : ''}; ratio ${(cli.wall / lastNumpy.total).toFixed(2)}×; per-unit R² max |Δ| ${worst.toExponential(1)} (${over} units over 1e-4)`;
        } else line += `; numpy failed: ${np.stderr.trim().split('\n').slice(-2).join(' | ')}`;
      }
      console.log(line);
      // (2) in memory, the same data and options (scoreFeatures' defaults, as the CLI's).
      const t1 = performance.now();
      const result = await scoreFeatures(dataset, x, { split: 'contiguous', backend });
      const fit = (performance.now() - t1) / 1000;
      let mean = 0;
      for (const v of result.experiments[0].r2) mean += Number.isNaN(v) ? 0 : v;
      mean /= result.experiments[0].r2.length;
      line = `  (2) in memory scoreFeatures ${fmt(fit)}; mean unit R² ${mean.toFixed(4)}`;
      if (lastNumpy) {
        memRatios.push(fit / lastNumpy.fit);
        line += `; numpy fit (same run as (1)) ${fmt(lastNumpy.fit)}; ratio ${(fit / lastNumpy.fit).toFixed(2)}×`;
      }
      console.log(line);
    }
    if (py) {
      console.log(`  ratio brainmap/numpy over ${repeat} back-to-back pair(s): CLI ${range(cliRatios)}×, in memory ${range(memRatios)}× (target ≤ 0.5×)`);
      if (opts.record && lastNumpy) {
        const rec: RecordedReference = { date: new Date().toISOString().slice(0, 10), machine: `${(await import('node:os')).cpus().length} CPUs, load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`, numpy_seconds: lastNumpy.total, numpy_fit_seconds: lastNumpy.fit, note: 'bench/numpy_baseline.py --folder on the generated issue-13 workload (read + fit, and fit alone)' };
        writeFileSync(REFERENCE_FILE, JSON.stringify(rec, null, 2) + '\n');
        console.log(`  recorded the numpy figures in ${REFERENCE_FILE}`);
      }
    } else {
      const rec = recorded();
      console.log(rec
        ? `  numpy reference not run (no python with numpy; set BRAINMAP_PYTHON); last recorded ${rec.date} (${rec.machine}): ${fmt(rec.numpy_seconds)} read + fit, ${fmt(rec.numpy_fit_seconds)} fit`
        : '  numpy reference not run and none recorded (bench/ridge-reference.json missing)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
