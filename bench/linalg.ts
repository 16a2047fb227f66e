/**
 * Linear-algebra benchmark: prints figures, never fails on a time.
 *  - native (OpenBLAS): sgemm / dgemm GFLOP/s at 1024³ and 2048³, dsyevd time at 600 × 600;
 *  - portable (TypeScript): sgemm / dgemm GFLOP/s at 256³.
 * Run alone with `node --import tsx bench/linalg.ts`.
 */
import { pathToFileURL } from 'node:url';
import { type FloatArray, type Matrix, PortableBackend, type Backend, loadNativeBackend, nativeUnavailableReason, zeros32, zeros64 } from '../src/linalg/index.js';

function filled<T extends FloatArray>(m: Matrix<T>, seed: number): Matrix<T> {
  let s = seed >>> 0;
  for (let i = 0; i < m.data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    m.data[i] = s / 4294967296 - 0.5;
  }
  return m;
}

/** Best wall time (seconds) of `reps` runs after one warm-up. */
async function best(reps: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await f();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

async function gemmRate(be: Backend, n: number, single: boolean, reps: number): Promise<number> {
  const make = (): Matrix<FloatArray> => (single ? zeros32(n, n) : zeros64(n, n));
  const a = filled(make(), 1);
  const b = filled(make(), 2);
  const c = make();
  const t = await best(reps, () => be.gemm(a, b, { c }));
  return (2 * n ** 3) / t / 1e9;
}

export async function benchLinalg(): Promise<void> {
  const nb = loadNativeBackend();
  if (nb) {
    const info = nb.info();
    console.log(`linalg native (OpenBLAS, core ${info.corename}, ${nb.getThreads()} thread${nb.getThreads() === 1 ? '' : 's'}):`);
    for (const n of [1024, 2048]) {
      for (const single of [true, false]) {
        const rate = await gemmRate(nb, n, single, n >= 2048 ? 2 : 3);
        console.log(`  ${single ? 's' : 'd'}gemm ${n}³: ${rate.toFixed(1)} GFLOP/s`);
      }
    }
    const x = filled(zeros64(600, 600), 3);
    const spd = await nb.gemm(x, x, { transB: true });
    const t = await best(3, () => nb.syevd(spd));
    console.log(`  dsyevd 600×600: ${t.toFixed(3)} s`);
  } else {
    console.log(`linalg native: not available (${nativeUnavailableReason()})`);
  }
  const pb = new PortableBackend();
  console.log('linalg portable (TypeScript, 1 thread):');
  for (const single of [true, false]) {
    const rate = await gemmRate(pb, 256, single, 3);
    console.log(`  ${single ? 's' : 'd'}gemm 256³: ${rate.toFixed(2)} GFLOP/s`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchLinalg();
}
