/**
 * Issue 16.2: the compute options are defined once (src/cli/options.ts) and every fitting command
 * lists the ones that apply to it; `--alphas` takes what an experiment file's `alphas:` takes and a
 * bad list is one error line (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAlphas } from '../../src/cli/options.js';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const brainmap = (...args: string[]) => spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: root });

// Banded fits (partition, audit, the demo's partition) are ridge only: no --estimator there.
const EXPECTED: Record<string, string[]> = {
  score: ['--threads', '--unit-batch', '--estimator', '--alphas', '--n-iter', '--backend', '--compat'],
  partition: ['--threads', '--unit-batch', '--alphas', '--n-iter', '--backend', '--compat'],
  audit: ['--threads', '--unit-batch', '--alphas', '--n-iter', '--backend', '--compat'],
  demo: ['--threads', '--unit-batch', '--alphas', '--n-iter', '--backend'],
};

test('every fitting command lists the shared compute options in --help', () => {
  for (const [cmd, options] of Object.entries(EXPECTED)) {
    const r = brainmap(cmd, '--help');
    assert.equal(r.status, 0, r.stderr);
    for (const o of options) assert.match(r.stdout, new RegExp(`\\n  ${o} `), `${cmd} --help lists ${o}`);
  }
});

test('--alphas parses a comma-separated list of positive numbers; a bad one is one error line', () => {
  assert.deepEqual(parseAlphas('0.03125,1,2e19'), [0.03125, 1, 2e19]);
  assert.deepEqual(parseAlphas('.5, 10'), [0.5, 10]);
  for (const bad of ['0', '1,-2', '1,,2', 'abc', '1,1', 'Infinity', '0x10']) assert.throws(() => parseAlphas(bad), /expected/, bad);
  const r = brainmap('score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--alphas', '1,0');
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "error: --alphas: '1,0' is invalid; expected a comma-separated list of positive numbers (ridge penalties, e.g. 0.1,1,10); '0' is not one (see brainmap score --help)\n");
});
