/**
 * Issue 17 row: data at scale. A dataset folder of naturalistic-fMRI size — 10,000 samples (5 runs
 * of 2,000 TRs) × 100,000 units, y.npy float32 (4 GB), features X.npy 10,000 × 500 — is generated
 * on the fly in a temporary folder (removed afterwards; nothing is committed) with a planted linear
 * signal, so that R² is meaningful (units' signal-to-noise ratios spread from 0 to 1). Then:
 *
 *   brainmap:  `brainmap score --dataset DIR --features file:DIR/X.npy --split contiguous
 *              --alphas 0.1,1,…,1e8 --compat paper --out OUT` in a child process (y.npy is read in
 *              unit batches of 4,096 columns, the fold decompositions computed once and shared; the
 *              child runs with $BRAINMAP_BATCHED_Y_BYTES=0 unless set, so that quick runs on smaller
 *              y also take the batched path), and
 *   himalaya:  bench/scale_himalaya.py — what a himalaya user runs for n = 10,000, p = 500:
 *              `RidgeCV(alphas, fit_intercept=True, cv=<leave-one-run-out>)` per outer fold
 *              (n_targets_batch 5,000 to bound its prediction buffers), on the same files.
 *
 * Same setup in both: 5 contiguous outer folds (leave one run out), inner leave-one-run-out over the
 * 4 training runs, X z-scored on each outer training set only (`--compat paper`: brainmap's default
 * re-z-scores in every inner fold as well, which RidgeCV does not), intercepts from the training
 * means, the 10 penalties 10^-1 … 10^8, per-unit α by inner-CV (pooled R² in brainmap, mean
 * negative MSE over equal-size splits in himalaya: the same argmax), pooled out-of-sample R².
 *
 * Printed: each program's wall time and peak memory (the child's maximum resident set size from
 * /usr/bin/time -v), the ratio, and the largest per-unit |R² difference| (as the ridge rows do).
 * himalaya's RidgeCV forms an (n_alphas · n_val × n_train) map per inner split and multiplies every
 * target by it (≈ 9× brainmap's multiply-adds at this size), so on the full 100,000 units it runs
 * for hours: `--himalaya-units=N` (default 5,000) fits it on the first N units only and its time is
 * extrapolated linearly in units (its decompositions, the part that does not scale with units, take
 * seconds; printed as such). `--himalaya-units=all` runs it on every unit.
 *
 *   npm run bench -- --scale                      the full row (minutes to hours; needs ~9 GB free disk)
 *   npm run bench -- --scale --scale-units=5000   a quick run (also --scale-samples=N, --scale-features=N)
 *   node --import tsx bench/scale.ts [same options]   this row alone
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npyHeader, writeNpy } from '../src/io/npy.js';
import type { Backend } from '../src/linalg/backend.js';
import { MT19937 } from '../src/random/mt19937.js';
import { referenceEnv } from './env.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ScaleConfig {
  samples: number;
  units: number;
  features: number;
  /** Runs (contiguous blocks = outer folds). */
  runs: number;
  alphas: number[];
  /** Units himalaya fits (null: all). */
  himalayaUnits: number | null;
}

export const SCALE_WORKLOAD: ScaleConfig = {
  samples: 10_000,
  units: 100_000,
  features: 500,
  runs: 5,
  alphas: Array.from({ length: 10 }, (_, k) => 10 ** (k - 1)),
  himalayaUnits: 5000,
};

/** Latent dimensions of the planted signal (y's signal = X · A · B, A: features × K, B: K × units). */
const LATENT = 16;

/** Standard normals for the noise from a 32-bit xorshift and Box–Muller: 10⁹ of them take seconds, not minutes. */
class FastNormal {
  private x = 2463534242;
  private spare: number | null = null;
  seed(s: number): void {
    this.x = s >>> 0 || 2463534242;
    this.spare = null;
  }
  private uniform(): number {
    let x = this.x;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.x = x;
    return (x + 0.5) / 4294967296;
  }
  next(): number {
    if (this.spare !== null) { const v = this.spare; this.spare = null; return v; }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}

/**
 * Writes the dataset folder: X.npy (samples × features, float64, standard normal), y.npy (float32,
 * written a block of rows at a time: y = c_u · X A B_u / ‖A B_u‖ + ε, ε ~ N(0, 1), c_u² = u mod 11 / 10
 * so that the signal's variance share runs from 0 to 0.5), samples.csv (block = run) and folds.npy
 * (int32 run per sample, for the Python side).
 */
export async function generateScaleFolder(backend: Backend, dir: string, cfg: ScaleConfig): Promise<void> {
  const { samples: n, units: u, features: p, runs } = cfg;
  const rng = new MT19937(20261130);
  const x = Float64Array.from({ length: n * p }, () => rng.standardNormal());
  writeNpy(join(dir, 'X.npy'), x, [n, p]);
  const a = Float64Array.from({ length: p * LATENT }, () => rng.standardNormal());
  const b = Float64Array.from({ length: LATENT * u }, () => rng.standardNormal());
  // Per unit: scale so that var(signal) = c_u² (X iid standard normal: var = ‖A B_u‖²).
  // ‖A B_u‖² = B_uᵀ (AᵀA) B_u.
  const g = (await backend.gemm({ rows: p, cols: LATENT, data: a }, { rows: p, cols: LATENT, data: a }, { transA: true })).data;
  const norm = new Float64Array(u);
  for (let k = 0; k < LATENT; k++) for (let l = 0; l < LATENT; l++) for (let j = 0; j < u; j++) norm[j] += b[k * u + j] * g[k * LATENT + l] * b[l * u + j];
  for (let j = 0; j < u; j++) {
    const c = Math.sqrt((j % 11) / 10);
    const f = norm[j] > 0 ? c / Math.sqrt(norm[j]) : 0;
    for (let k = 0; k < LATENT; k++) b[k * u + j] *= f;
  }
  const xa = await backend.gemm({ rows: n, cols: p, data: x }, { rows: p, cols: LATENT, data: a });
  const fd = openSync(join(dir, 'y.npy'), 'w');
  try {
    writeSync(fd, npyHeader('<f4', [n, u]));
    const block = Math.max(1, Math.floor((64 << 20) / (8 * u)));
    const noise = new FastNormal();
    for (let r0 = 0; r0 < n; r0 += block) {
      const r1 = Math.min(n, r0 + block);
      const sig = await backend.gemm({ rows: r1 - r0, cols: LATENT, data: xa.data.subarray(r0 * LATENT, r1 * LATENT) }, { rows: LATENT, cols: u, data: b });
      const out = new Float32Array((r1 - r0) * u);
      noise.seed(r0 + 1);
      for (let k = 0; k < out.length; k++) out[k] = sig.data[k] + noise.next();
      writeSync(fd, new Uint8Array(out.buffer));
    }
  } finally {
    closeSync(fd);
  }
  const perRun = Math.ceil(n / runs);
  const run = Int32Array.from({ length: n }, (_, i) => Math.floor(i / perRun));
  writeFileSync(join(dir, 'samples.csv'), 'block\n' + Array.from(run, (r) => `run${r}`).join('\n') + '\n');
  writeNpy(join(dir, 'folds.npy'), run, [n]);
}

/** Wall seconds and peak resident memory (MiB) of a child run under /usr/bin/time -v. */
interface ChildRun { seconds: number; cpuSeconds: number | null; peakMiB: number | null; status: number | null; stdout: string }

/**
 * Runs a child under `/usr/bin/time -v -o <file>` (its report goes to a file; the child's stderr —
 * brainmap's progress lines — passes through to ours, so a long run shows where it is).
 */
function timed(cmd: string, args: string[], timeFile: string, env?: NodeJS.ProcessEnv): ChildRun {
  const t0 = process.hrtime.bigint();
  const useTime = existsSync('/usr/bin/time');
  const opts = { encoding: 'utf8' as const, env: env ?? process.env, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] as ('ignore' | 'pipe' | 'inherit')[] };
  const r = useTime ? spawnSync('/usr/bin/time', ['-v', '-o', timeFile, cmd, ...args], opts) : spawnSync(cmd, args, opts);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const report = useTime && existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
  const user = /User time \(seconds\): ([0-9.]+)/.exec(report);
  const sys = /System time \(seconds\): ([0-9.]+)/.exec(report);
  const cpuSeconds = user && sys ? Number(user[1]) + Number(sys[1]) : null;
  return { seconds, cpuSeconds, peakMiB: m ? Number(m[1]) / 1024 : null, status: r.status, stdout: r.stdout ?? '' };
}

/** A python where himalaya imports ($BRAINMAP_PYTHON, ./.venv/bin/python, python3), or null. */
function himalayaPython(): string | null {
  const env = process.env.BRAINMAP_PYTHON;
  for (const py of env ? [env] : [join(ROOT, '.venv', 'bin', 'python'), 'python3']) {
    if (py.includes('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import himalaya'], { stdio: 'ignore' });
    if (!r.error && r.status === 0) return py;
  }
  return null;
}

/** Column `name` of a CSV without quoted commas (units.csv's numeric columns). */
function csvColumn(text: string, name: string): number[] {
  const lines = text.trimEnd().split('\n');
  const k = lines[0].split(',').indexOf(name);
  return lines.slice(1).map((l) => Number(l.split(',')[k]));
}

const cpu = (r: ChildRun) => (r.cpuSeconds === null ? 'n/a' : `${r.cpuSeconds.toFixed(1)} s`);
const gib = (mib: number | null) => (mib === null ? 'n/a' : `${(mib / 1024).toFixed(2)} GiB`);

export async function benchScale(backend: Backend, cfg: ScaleConfig, opts: { keep?: boolean } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-scale-'));
  const label = `${cfg.samples.toLocaleString('en')} samples × ${cfg.units.toLocaleString('en')} units (y float32, ${(cfg.samples * cfg.units * 4 / 2 ** 30).toFixed(2)} GiB), ${cfg.features} features, ${cfg.runs} runs`;
  console.log(`  scale row: ${label}; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  try {
    const tg = Date.now();
    await generateScaleFolder(backend, dir, cfg);
    console.log(`  generated ${dir} in ${((Date.now() - tg) / 1000).toFixed(1)} s`);
    const out = join(dir, 'out');
    const alphas = cfg.alphas.map((a) => String(a)).join(',');
    const bm = timed(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'score', '--dataset', dir, '--features', `file:${join(dir, 'X.npy')}`, '--split', 'contiguous', '--alphas', alphas, '--compat', 'paper', '--out', out], join(dir, 'time-brainmap.txt'), { ...process.env, BRAINMAP_BATCHED_Y_BYTES: process.env.BRAINMAP_BATCHED_Y_BYTES ?? '0' });
    if (bm.status !== 0) {
      console.log(`  brainmap score failed (exit ${bm.status}; its messages are above)`);
      return;
    }
    const r2 = csvColumn(readFileSync(join(out, 'units.csv'), 'utf8'), 'r2');
    const meanR2 = r2.reduce((s, v) => s + (Number.isFinite(v) ? v : 0), 0) / r2.length;
    console.log(`  brainmap score: ${bm.seconds.toFixed(1)} s wall, ${cpu(bm)} CPU, peak RSS ${gib(bm.peakMiB)} (mean unit R² ${meanR2.toFixed(4)}; load after ${loadavg()[0].toFixed(2)})`);
    const py = himalayaPython();
    if (py === null) {
      console.log('  himalaya: not importable ($BRAINMAP_PYTHON, ./.venv/bin/python, python3); no ratio');
      return;
    }
    const hUnits = cfg.himalayaUnits === null ? cfg.units : Math.min(cfg.units, cfg.himalayaUnits);
    const r2File = join(dir, 'himalaya_r2.npy');
    const hm = timed(py, [join(ROOT, 'bench', 'scale_himalaya.py'), '--folder', dir, '--alphas', alphas, '--units', String(hUnits), '--out', r2File], join(dir, 'time-himalaya.txt'), referenceEnv());
    if (hm.status !== 0) {
      console.log(`  himalaya failed (exit ${hm.status}; its messages are above)`);
      return;
    }
    const fitLine = /himalaya: ([0-9.]+) s fit/.exec(hm.stdout);
    const { readNpy } = await import('../src/io/npy.js');
    const hr2 = readNpy(r2File).data as Float64Array;
    let maxDiff = 0;
    for (let j = 0; j < hUnits; j++) maxDiff = Math.max(maxDiff, Math.abs(hr2[j] - r2[j]));
    const scale = cfg.units / hUnits;
    const fit = fitLine ? Number(fitLine[1]) : hm.seconds;
    const extrapolated = hm.seconds - fit + fit * scale;
    const what = hUnits === cfg.units ? `${hm.seconds.toFixed(1)} s` : `${hm.seconds.toFixed(1)} s on the first ${hUnits.toLocaleString('en')} units (fit ${fit.toFixed(1)} s), ${extrapolated.toFixed(0)} s extrapolated to ${cfg.units.toLocaleString('en')} (fit time × ${scale.toFixed(1)})`;
    console.log(`  himalaya RidgeCV: ${what}, ${cpu(hm)} CPU (whole run), peak RSS ${gib(hm.peakMiB)}${hUnits === cfg.units ? '' : ` (on ${hUnits.toLocaleString('en')} units)`}`);
    // CPU ratio: himalaya's CPU time scaled like its wall time when it ran on part of the units
    // (the fairer figure when other jobs share the machine).
    const hCpu = hm.cpuSeconds === null ? null : hm.cpuSeconds * (extrapolated / hm.seconds);
    const cpuRatio = hCpu !== null && bm.cpuSeconds ? `, ${(hCpu / bm.cpuSeconds).toFixed(2)}× CPU${hUnits === cfg.units ? '' : ' (extrapolated)'}` : '';
    console.log(`  ratio himalaya / brainmap: ${(extrapolated / bm.seconds).toFixed(2)}× wall time${cpuRatio}${hUnits === cfg.units && hm.peakMiB && bm.peakMiB ? `, ${(hm.peakMiB / bm.peakMiB).toFixed(2)}× peak memory` : ''}; max |ΔR²| per unit ${maxDiff.toExponential(2)} (${hUnits.toLocaleString('en')} units)`);
  } finally {
    if (opts.keep) console.log(`  kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** `--scale-units=N` etc. from argv over SCALE_WORKLOAD. */
export function scaleConfigFromArgs(argv: readonly string[]): ScaleConfig {
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const int = (name: string, d: number) => { const v = value(name); return v === undefined ? d : Number(v); };
  const h = value('himalaya-units');
  return {
    ...SCALE_WORKLOAD,
    samples: int('scale-samples', SCALE_WORKLOAD.samples),
    units: int('scale-units', SCALE_WORKLOAD.units),
    features: int('scale-features', SCALE_WORKLOAD.features),
    himalayaUnits: h === 'all' ? null : h !== undefined ? Number(h) : SCALE_WORKLOAD.himalayaUnits,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { getBackend } = await import('../src/linalg/index.js');
  const backend = getBackend('auto');
  console.log(`brainmap bench, scale row — backend ${backend.name}, ${backend.getThreads()} BLAS threads, node ${process.version}`);
  await benchScale(backend, scaleConfigFromArgs(process.argv.slice(2)), { keep: process.argv.includes('--keep') });
}
