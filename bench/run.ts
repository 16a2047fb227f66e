/**
 * `npm run bench`: prints figures (never pass/fail on time).
 *   npm run bench              linalg kernels + the issue's ridge workload on the default backend
 *   npm run bench -- --numpy   also runs the plain-numpy baseline of the same workload (needs python3 + numpy)
 *   npm run bench -- --small   a 10× smaller ridge workload (quick check)
 *   npm run bench -- --no-lm   skip the language-model forward-pass figures
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/linalg/index.js';
import { benchLinalg } from './linalg.js';
import { benchRidge, ISSUE_WORKLOAD } from './ridge.js';
import { benchLm } from './lm.js';

const args = new Set(process.argv.slice(2));
const backend = getBackend('auto');
console.log(`brainmap bench — backend ${backend.name}, ${backend.getThreads()} BLAS threads, node ${process.version}`);
await benchLinalg();
const cfg = args.has('--small') ? { ...ISSUE_WORKLOAD, units: 1350 } : ISSUE_WORKLOAD;
await benchRidge(backend, cfg);
if (!args.has('--no-lm')) await benchLm();
if (args.has('--numpy')) {
  const script = fileURLToPath(new URL('./numpy_baseline.py', import.meta.url));
  const r = spawnSync('python3', [script, String(cfg.samples), String(cfg.features), String(cfg.units), String(cfg.folds)], { stdio: 'inherit' });
  if (r.error || r.status !== 0) console.log(`numpy baseline did not run (${r.error?.message ?? `exit ${r.status}`}); it needs python3 with numpy`);
}
