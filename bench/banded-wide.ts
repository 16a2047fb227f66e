/**
 * Row 5b's brainmap fit alone, for bench/banded.ts's `--himalaya-unpinned` (run in a child process
 * whose environment differs, e.g. without OPENBLAS_CORETYPE, which OpenBLAS reads when it loads):
 *   node --import tsx bench/banded-wide.ts '<RidgeBenchConfig as JSON>' <n_iter>
 * prints `brainmap: <seconds> s`.
 */
import { getBackend } from '../src/linalg/index.js';
import { oasmPassages, timeWide } from './banded.js';
import { type RidgeBenchConfig, syntheticRidgeProblem } from './ridge.js';

const cfg = JSON.parse(process.argv[2] ?? '') as RidgeBenchConfig;
const nIter = Number(process.argv[3]);
if (!Number.isInteger(nIter) || nIter < 1) throw new Error(`banded-wide: n_iter must be a positive integer, got '${process.argv[3]}'`);
const { dataset, x } = syntheticRidgeProblem(cfg);
console.log(`brainmap: ${(await timeWide(getBackend('auto'), dataset, oasmPassages(cfg.samples), x, nIter)).toFixed(2)} s`);
