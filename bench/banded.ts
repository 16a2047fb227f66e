/**
 * Row 5 of issue 13: banded ridge on the ridge bench's workload (bench/ridge.ts: 627 samples,
 * 13,500 units, 7 contiguous folds, 6 inner, 25 α), measured in one run:
 *
 *   (a) narrow + wide: 3 confound-like columns | the 1600 features, the paper's search (1000 γ
 *       samples, patience 50 / 1e-4), against a single ridge fit on the 1600 features (the same
 *       scoreFeatures call as bench/ridge.ts row 2) — target ≤ 3×;
 *   (b) two wide bands: OASM (627 columns, passages of 4 samples, σ = 1) | the 1600 features, n_iter γ
 *       samples (`--himalaya-iter`, default 20: the issue's own table compares at n_iter 20; himalaya
 *       then runs ~6.5 minutes here), against himalaya's MultipleKernelRidgeCV
 *       (solver random_search, the kernel form of GroupRidgeCV; bench/banded_himalaya.py) at the same
 *       n_iter on the same data — target ≥ 5× faster. himalaya runs with the bench's environment
 *       (OPENBLAS_CORETYPE included, which this project's machine sets to Haswell);
 *       `--himalaya-unpinned` runs both once more without that setting (brainmap's fit in a child
 *       process, bench/banded-wide.ts).
 *
 * himalaya runs from $BRAINMAP_PYTHON, ./.venv/bin/python or python3 when it imports there; without
 * it (or with --no-himalaya) the last recorded figure (bench/banded-reference.json, written by
 * --banded-record) is printed with its date.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oasmFromLabels } from '../src/features/oasm.js';
import { writeNpy } from '../src/io/npy.js';
import type { Backend } from '../src/linalg/backend.js';
import { hstack, type Matrix64 } from '../src/linalg/matrix.js';
import { scoreFeatures } from '../src/pipeline/score.js';
import { PAPER_BANDED_ITER } from '../src/regression/banded-defaults.js';
import { MT19937 } from '../src/random/mt19937.js';
import { type RidgeBenchConfig, syntheticRidgeProblem } from './ridge.js';
import { referenceEnv } from './env.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REFERENCE_FILE = join(ROOT, 'bench', 'banded-reference.json');

/** Three confound-like columns (a slow drift, a within-passage position, noise), seeded. */
export function narrowBand(n: number): Matrix64 {
  const rng = new MT19937(1);
  const data = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = i / n + 0.1 * rng.standardNormal();
    data[i * 3 + 1] = i % 4;
    data[i * 3 + 2] = rng.standardNormal();
  }
  return { rows: n, cols: 3, data };
}

/** A python where himalaya imports ($BRAINMAP_PYTHON, ./.venv/bin/python, python3), or null. */
function findHimalayaPython(): string | null {
  const env = process.env.BRAINMAP_PYTHON;
  const candidates = env ? [env] : [join(ROOT, '.venv', 'bin', 'python'), 'python3'];
  for (const py of candidates) {
    if (py.includes('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import himalaya'], { stdio: 'ignore' });
    if (!r.error && r.status === 0) return py;
  }
  return null;
}

interface BandedReference { date: string; machine: string; units: number; n_iter: number; himalaya_seconds: number; brainmap_seconds: number; note: string }

function recorded(): BandedReference | null {
  try {
    return JSON.parse(readFileSync(REFERENCE_FILE, 'utf8')) as BandedReference;
  } catch {
    return null;
  }
}

export interface BandedBenchOptions {
  /** γ samples of the two-wide-band comparison with himalaya (default BANDED_HIMALAYA_ITER). */
  himalayaIter?: number;
  /** Skip himalaya (print the recorded figure). */
  noHimalaya?: boolean;
  /** Write this run's himalaya figure to bench/banded-reference.json. */
  record?: boolean;
  /** Run (b), the two-wide-band comparison (default true). */
  wide?: boolean;
  /**
   * Where OPENBLAS_CORETYPE is set (this project's machine holds OpenBLAS to its Haswell/AVX2
   * kernels), also run brainmap's fit and himalaya without it — OpenBLAS's own choice for the CPU,
   * AVX-512 where it has it, as brainmap's own product kernel uses — and print that ratio too.
   */
  himalayaUnpinned?: boolean;
}

/** Row 5b's γ samples by default: the n_iter of the issue's own table (himalaya GroupRidgeCV, n_iter = 20). */
export const BANDED_HIMALAYA_ITER = 20;

const fmt = (s: number) => `${s.toFixed(1)} s`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function timedScore(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

/** Row 5b's first band: OASM over passages of 4 samples, σ = 1. */
export function oasmPassages(n: number): Matrix64 {
  return oasmFromLabels(Array.from({ length: n }, (_, i) => Math.floor(i / 4)), 1);
}

/** Seconds of row 5b's brainmap fit: oasmBand | x, contiguous folds, nIter γ samples. */
export async function timeWide(backend: Backend, dataset: ReturnType<typeof syntheticRidgeProblem>['dataset'], oasmBand: Matrix64, x: Matrix64, nIter: number): Promise<number> {
  const wide2 = hstack([oasmBand, x]);
  return timedScore(() => scoreFeatures(dataset, wide2, { split: 'contiguous', backend, bands: [oasmBand.cols, x.cols], bandedIter: nIter }));
}

/** bench/banded_himalaya.py on the folder `dir`: its fit time in seconds, or why it failed. */
function runHimalaya(py: string, dir: string, nIter: number, env: NodeJS.ProcessEnv): number | string {
  const r = spawnSync(py, [join(ROOT, 'bench', 'banded_himalaya.py'), '--folder', dir, '--n-iter', String(nIter)], { encoding: 'utf8', maxBuffer: 1 << 26, env });
  const m = /himalaya: ([0-9.]+) s fit/.exec(r.stdout ?? '');
  if (!r.error && r.status === 0 && m) return Number(m[1]);
  return r.error ? r.error.message : (r.stderr ?? '').trim().split('\n').slice(-2).join(' | ');
}

/** Row 5 (a) and (b); see the module comment. */
export async function benchBanded(backend: Backend, cfg: RidgeBenchConfig, opts: BandedBenchOptions = {}): Promise<void> {
  const nIterH = Math.max(1, opts.himalayaIter ?? BANDED_HIMALAYA_ITER);
  const { dataset, x } = syntheticRidgeProblem(cfg);
  const n = cfg.samples;
  const narrow = narrowBand(n);
  console.log(`banded ridge: ${n} samples, ${cfg.units} units, ${cfg.folds} contiguous folds, 6 inner, 25 α [${backend.name}]; load average ${load()}`);

  // (a) narrow | wide, the paper's search, against one single ridge fit on the wide band.
  const single = await timedScore(() => scoreFeatures(dataset, x, { split: 'contiguous', backend }));
  const joint = hstack([narrow, x]);
  const banded = await timedScore(() => scoreFeatures(dataset, joint, { split: 'contiguous', backend, bands: [narrow.cols, x.cols], bandedIter: PAPER_BANDED_ITER }));
  console.log(`  (5a) banded 3 | ${x.cols} columns, ${PAPER_BANDED_ITER} γ samples (patience 50): ${fmt(banded)}; single ridge on the ${x.cols} columns: ${fmt(single)}; ratio ${(banded / single).toFixed(2)}× (target ≤ 3×); load average ${load()}`);

  // (b) two wide bands: OASM | wide, n_iter samples, against himalaya at the same n_iter.
  if (opts.wide === false) return;
  const oasmBand = oasmPassages(n);
  const ours = await timeWide(backend, dataset, oasmBand, x, nIterH);
  let line = `  (5b) banded OASM (${oasmBand.cols}) | ${x.cols} columns, n_iter ${nIterH}: brainmap ${fmt(ours)}`;
  const py = opts.noHimalaya ? null : findHimalayaPython();
  if (py) {
    const dir = mkdtempSync(join(tmpdir(), 'brainmap-bench-banded-'));
    try {
      writeNpy(join(dir, 'y.npy'), Float32Array.from(dataset.y.data), [dataset.y.rows, dataset.y.cols]);
      writeNpy(join(dir, 'band0.npy'), oasmBand.data, [n, oasmBand.cols]);
      writeNpy(join(dir, 'band1.npy'), x.data, [n, x.cols]);
      writeNpy(join(dir, 'folds.npy'), Int32Array.from(dataset.samples.fold!, Number), [n]);
      const pinned = process.env.OPENBLAS_CORETYPE;
      const h = runHimalaya(py, dir, nIterH, referenceEnv());
      if (typeof h === 'number') {
        line += `; himalaya MultipleKernelRidgeCV (random_search) ${fmt(h)}${pinned ? ` (OPENBLAS_CORETYPE=${pinned}, as set here)` : ''}; himalaya/brainmap ${(h / ours).toFixed(1)}× (target ≥ 5×); load average ${load()}`;
        if (opts.himalayaUnpinned && pinned) {
          // Both sides without the pin: brainmap's fit in a child process (OpenBLAS reads the setting at load).
          const env = { ...process.env };
          delete env.OPENBLAS_CORETYPE;
          const child = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'banded-wide.ts'), JSON.stringify(cfg), String(nIterH)], { encoding: 'utf8', maxBuffer: 1 << 26, env });
          const b = /brainmap: ([0-9.]+) s/.exec(child.stdout ?? '');
          const hEnv = referenceEnv();
          delete hEnv.OPENBLAS_CORETYPE;
          const u = runHimalaya(py, dir, nIterH, hEnv);
          line += b && typeof u === 'number'
            ? `; both with OpenBLAS's own kernel choice (OPENBLAS_CORETYPE unset): brainmap ${fmt(Number(b[1]))}, himalaya ${fmt(u)}, ${(u / Number(b[1])).toFixed(1)}×`
            : `; the unpinned runs failed: ${b ? u : (child.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`;
        }
        if (opts.record) {
          const rec: BandedReference = { date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}`, units: cfg.units, n_iter: nIterH, himalaya_seconds: h, brainmap_seconds: ours, note: 'bench/banded_himalaya.py on the generated OASM | 1600-column workload (fit + predict, all outer folds)' };
          writeFileSync(REFERENCE_FILE, JSON.stringify(rec, null, 2) + '\n');
          line += `; recorded in ${REFERENCE_FILE}`;
        }
      } else line += `; himalaya failed: ${h}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    const rec = recorded();
    line += rec
      ? `; himalaya not run (${opts.noHimalaya ? '--no-himalaya' : 'no python with himalaya; set BRAINMAP_PYTHON'}); last recorded ${rec.date} (${rec.machine}, ${rec.units} units, n_iter ${rec.n_iter}): himalaya ${fmt(rec.himalaya_seconds)}, brainmap then ${fmt(rec.brainmap_seconds)}, ${(rec.himalaya_seconds / rec.brainmap_seconds).toFixed(1)}×`
      : '; himalaya not run and none recorded (bench/banded-reference.json missing)';
  }
  console.log(line);
}
