/**
 * `npm run bench`: prints figures (never pass/fail on time).
 *   npm run bench              linalg kernels + the issue's ridge workload on the default backend
 *   npm run bench -- --repeat=N   N back-to-back (brainmap, numpy) pairs of each ridge row (default 1)
 *   npm run bench -- --no-numpy   skip the numpy reference of the ridge rows (then the recorded figure is shown)
 *   npm run bench -- --ridge-record   write this run's numpy figures to bench/ridge-reference.json
 *   (the ridge rows compare with numpy from $BRAINMAP_PYTHON, ./.venv/bin/python or python3; see bench/ridge.ts)
 *   npm run bench -- --small   a 10× smaller ridge workload (quick check)
 *   npm run bench -- --no-lm   skip the language-model forward-pass figures
 *   npm run bench -- --lm-xl-passes=all   GPT2-XL on all 168 Pereira passes (default: the first 40)
 *   npm run bench -- --lm-record          write this run's PyTorch figures to bench/lm-reference.json
 *   npm run bench -- --lm-threads=N       brainmap and PyTorch on N threads (default: all cores)
 *   (the LM rows compare with PyTorch from $BRAINMAP_PYTHON, ./.venv/bin/python or python3; see bench/lm.ts)
 *   npm run bench -- --no-banded          skip row 5 (banded ridge)
 *   npm run bench -- --no-himalaya        row 5 without himalaya (the recorded figure is shown)
 *   npm run bench -- --no-banded-wide     row 5 without its two-wide-band part (no himalaya either)
 *   npm run bench -- --himalaya-iter=N    γ samples of row 5's two-wide-band comparison (default 20, as the issue's table)
 *   npm run bench -- --himalaya-unpinned  row 5b: also himalaya without OPENBLAS_CORETYPE (where it is set; OpenBLAS's own kernels)
 *   npm run bench -- --banded-record      write this run's himalaya figure to bench/banded-reference.json
 *   npm run bench -- --banded-units=N     row 5 on N units (quick check; the reported row is 13,500)
 *   (row 5 compares with himalaya from $BRAINMAP_PYTHON, ./.venv/bin/python or python3; see bench/banded.ts)
 *   npm run bench -- --scale              also the issue 17 scale row (10,000 × 100,000 y.npy generated in a temp
 *                                         folder, brainmap score vs himalaya RidgeCV; long: opt-in; --no-scale skips it)
 *   npm run bench -- --scale --scale-units=5000 [--scale-samples=N] [--himalaya-units=N|all]   a quick scale row
 *   (the scale row alone: node --import tsx bench/scale.ts [options]; see bench/scale.ts)
 *   npm run bench -- --deconstruct         also issue 15's deconstruct row (6 spaces, 63 sub-models, Pereira-sized;
 *                                         93 min at full size on 2 cores: opt-in, like --scale)
 *   npm run bench -- --deconstruct-units=N the deconstruct row on N units (implies --deconstruct; its time is also shown scaled to 13,500)
 */
import { getBackend } from '../src/linalg/index.js';
import { benchLinalg } from './linalg.js';
import { benchRidge, ISSUE_WORKLOAD } from './ridge.js';
import { benchLm } from './lm.js';
import { benchBanded } from './banded.js';
import { benchScale, scaleConfigFromArgs } from './scale.js';
import { benchDeconstruct } from './deconstruct.js';

const args = new Set(process.argv.slice(2));
const backend = getBackend('auto');
console.log(`brainmap bench — backend ${backend.name}, ${backend.getThreads()} BLAS threads, node ${process.version}`);
await benchLinalg();
const cfg = args.has('--small') ? { ...ISSUE_WORKLOAD, units: 1350 } : ISSUE_WORKLOAD;
const repeatArg = process.argv.find((a) => a.startsWith('--repeat='));
console.log('issue 13 rows 1–2: nested-CV ridge');
await benchRidge(backend, cfg, { repeat: repeatArg ? Number(repeatArg.slice('--repeat='.length)) : 1, noReference: args.has('--no-numpy'), record: args.has('--ridge-record') });
if (!args.has('--no-lm')) await benchLm();
if (!args.has('--no-banded')) {
  const value = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const units = value('banded-units');
  const iter = value('himalaya-iter');
  console.log('issue 13 row 5: banded ridge');
  await benchBanded(backend, units ? { ...cfg, units: Number(units) } : cfg, { noHimalaya: args.has('--no-himalaya'), record: args.has('--banded-record'), himalayaIter: iter ? Number(iter) : undefined, wide: !args.has('--no-banded-wide'), himalayaUnpinned: args.has('--himalaya-unpinned') });
}
if (args.has('--scale') && !args.has('--no-scale')) {
  console.log('issue 17: data at scale');
  await benchScale(backend, scaleConfigFromArgs(process.argv.slice(2)));
}
if (args.has('--deconstruct') || process.argv.some((a) => a.startsWith('--deconstruct-units='))) {
  const units = process.argv.find((a) => a.startsWith('--deconstruct-units='))?.slice('--deconstruct-units='.length);
  console.log('issue 15: deconstruct (6 spaces, 63 banded sub-models, Pereira-sized)');
  await benchDeconstruct(backend, units ? { units: Number(units) } : {});
}
