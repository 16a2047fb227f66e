/**
 * Issue 12 point 9: inputs that ended in a stack trace now get the one-line error (exit 2), and
 * anything unexpected is one line naming the command and asking for a bug report (exit 1), with
 * the stack only under BRAINMAP_DEBUG=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { simulateDataset } from '../../src/data/simulate.js';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { buildFeatureSpec } from '../../src/features/registry.js';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { applyStandardizer, fitStandardizer } from '../../src/regression/standardize.js';
import { fromRows } from '../../src/linalg/matrix.js';
import { describeFailure } from '../../src/cli/errors.js';
import { assertNoStack, assertUsageError, brainmap, tmp } from './cli-helpers.js';

test('--seed 4294967296 with shuffled splits (MT19937 takes 0 … 2³² − 1), and a sim: seed out of range', async () => {
  const [seed, banded, sim] = await Promise.all([
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--split', 'shuffled', '--seed', '4294967296']),
    brainmap(['partition', '--dataset', 'sim:fedorenko', '--a', 'sl', '--b', 'sl', '--banded-seed', '4294967296']),
    brainmap(['inspect', 'sim:fedorenko:seed=4294967296']),
  ]);
  assertUsageError(seed, /^error: --seed: '4294967296' is invalid; expected an integer in 0…4294967295 \(see brainmap score --help\)$/);
  assertUsageError(banded, /^error: --banded-seed: '4294967296' is invalid; expected an integer in 0…4294967295 \(see brainmap partition --help\)$/);
  assertUsageError(sim, /^error: sim:fedorenko:seed=4294967296: dataset: seed=4294967296 must be an integer in 0…4294967295$/);
});

test('a file: feature with 0 columns names the file and the columns', async () => {
  const dir = tmp('cols');
  const file = join(dir, 'empty.npy');
  writeFileSync(file, encodeNpy(new Float64Array(0), [416, 0]));
  const r = await brainmap(['score', '--dataset', 'sim:fedorenko', '--features', `file:${file}`]);
  assertUsageError(r, new RegExp(`^error: ${file}: columns: has 0 columns; expected at least one feature column$`));
});

test('standardisation is overflow-safe: columns of magnitude 1e200 and 1.5e308 get their closed-form mean and SD', () => {
  const x = fromRows([[1e200, 1.5e308], [2e200, -1.5e308], [3e200, 1.5e308], [4e200, -1.5e308]]);
  const s = fitStandardizer(x, [0, 1, 2, 3]);
  // Column 0: mean 2.5e200, population SD √1.25 · 1e200. Column 1: mean 0, SD 1.5e308.
  assert.ok(Math.abs(s.mean[0] / 2.5e200 - 1) < 1e-15);
  assert.ok(Math.abs(s.scale[0] / (Math.sqrt(1.25) * 1e200) - 1) < 1e-15);
  assert.equal(s.mean[1], 0);
  assert.equal(s.scale[1], 1.5e308);
  const z = applyStandardizer(x, [0, 1, 2, 3], s);
  const expected = [-1.5, 1, -0.5, -1, 0.5, 1, 1.5, -1].map((v, i) => (i % 2 === 0 ? v / Math.sqrt(1.25) : v));
  z.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-14, `z[${i}] = ${v}, expected ${expected[i]}`));
});

test('features × 1e200 score as the same features unscaled (z-scoring removes the scale), no syevd NaN', async () => {
  registerBuiltinFeatures();
  const dataset = simulateDataset('fedorenko');
  const [x] = await buildFeatureSpec(parseFeatureSpec('wp:sigma=4.7'), { dataset });
  const dir = tmp('big');
  const plain = join(dir, 'wp.npy');
  const huge = join(dir, 'wp-1e200.npy');
  writeFileSync(plain, encodeNpy(x.data, [x.rows, x.cols]));
  writeFileSync(huge, encodeNpy(x.data.map((v) => v * 1e200), [x.rows, x.cols]));
  const [a, b] = await Promise.all([
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', `file:${plain}`, '--json']),
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', `file:${huge}`, '--json']),
  ]);
  assertNoStack(b);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const ra = (JSON.parse(a.stdout) as { dataset: { r2: number } }).dataset.r2;
  const rb = (JSON.parse(b.stdout) as { dataset: { r2: number } }).dataset.r2;
  assert.ok(ra > 0.01, `word position should predict the simulated responses (R² ${ra})`);
  assert.ok(Math.abs(ra - rb) < 1e-9, `R² ${rb} with features × 1e200, ${ra} without`);
});

test('a YAML alias bomb and an alias without anchor in an experiment file: one line naming the file', async () => {
  const dir = tmp('yaml');
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let k = 1; k < 8; k++) {
    const p = String.fromCharCode(96 + k);
    const q = String.fromCharCode(97 + k);
    levels.push(`${q}: &${q} [${Array(9).fill(`*${p}`).join(',')}]`);
  }
  const bomb = join(dir, 'bomb.yaml');
  writeFileSync(bomb, `${levels.join('\n')}\ndatasets: *h\nfeatures: [sl]\n`);
  const dangling = join(dir, 'dangling.yaml');
  writeFileSync(dangling, 'datasets: *nope\nfeatures: [sl]\n');
  const [r1, r2, r3] = await Promise.all([
    brainmap(['run', bomb, '--dry-run']),
    brainmap(['status', bomb, '--store', dir]),
    brainmap(['run', dangling, '--dry-run']),
  ]);
  assertUsageError(r1, new RegExp(`^error: ${bomb}: YAML: aliases expand to too much data \\(more than 100 expansions`));
  assertUsageError(r2, new RegExp(`^error: ${bomb}: YAML: aliases expand to too much data`));
  assertUsageError(r3, new RegExp(`^error: ${dangling}: YAML: alias \\*nope has no anchor &nope before it$`));
});

test('unexpected errors: one line naming the command and asking for a bug report (exit 1); file-system errors name the path (exit 2)', () => {
  const bug = describeFailure(new TypeError('x.map is not a function\n    at f (a.ts:1:1)'), 'brainmap score');
  assert.equal(bug.exitCode, 1);
  assert.equal(bug.line, 'brainmap score: internal error (TypeError: x.map is not a function at f (a.ts:1:1)); this is a bug in brainmap — please report it with the command line you ran (BRAINMAP_DEBUG=1 prints the stack)');
  const disk = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/data/out/units.csv' });
  assert.deepEqual(describeFailure(disk, 'brainmap score'), { line: '/data/out/units.csv: write: no space left on device (ENOSPC)', exitCode: 2 });
});

test('a closed stdout pipe (brainmap … | head) ends the CLI quietly, not with an EPIPE stack', async () => {
  const { spawn } = await import('node:child_process');
  const { root } = await import('./cli-helpers.js');
  const { cliEntry } = await import('../cli-entry.js');
  const child = spawn(process.execPath, [...cliEntry(), 'inspect', 'sim:fedorenko'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(status, 0);
});
