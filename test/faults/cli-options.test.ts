/**
 * Issue 12 point 10: option errors are the documented one line `error: <option>: …` with exit
 * status 2 and a hint to --help — not commander's message, the full usage and status 1 — on every
 * command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertUsageError, brainmap } from './cli-helpers.js';

test('score: --split bogus names the option, the value and the choices', async () => {
  const r = await brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--split', 'bogus']);
  assertUsageError(r, /^error: --split: 'bogus' is invalid; expected one of contiguous, shuffled \(see brainmap score --help\)$/);
  assert.doesNotMatch(r.stderr, /Usage:/);
});

test('score: --seed -1 and a missing --features are one line each, exit 2', async () => {
  const [seed, features] = await Promise.all([
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--seed', '-1']),
    brainmap(['score', '--dataset', 'sim:fedorenko']),
  ]);
  assertUsageError(seed, /^error: --seed: '-1' is invalid; expected an integer in 0…4294967295 \(see brainmap score --help\)$/);
  assertUsageError(features, /^error: --features: required option not given; expected --features <spec> \(see brainmap score --help\)$/);
});

test('run --workers 0, worker --workers 0: a positive count is expected', async () => {
  const [run, worker] = await Promise.all([
    brainmap(['run', 'experiment.yaml', '--workers', '0']),
    brainmap(['worker', '--queue', 'redis://127.0.0.1:1', '--store', 'x', '--workers', '0']),
  ]);
  assertUsageError(run, /^error: --workers: '0' is invalid; expected an integer ≥ 1 \(see brainmap run --help\)$/);
  assertUsageError(worker, /^error: --workers: '0' is invalid; expected an integer ≥ 1 \(see brainmap worker --help\)$/);
});

test('every command: unknown options, missing values and arguments, unknown commands', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['partition', '--dataset', 'sim:fedorenko', '--a', 'sl', '--b', 'sl', '--blocking', 'x'], /^error: --blocking: 'x' is invalid; expected one of none, block, paper \(see brainmap partition --help\)$/],
    [['audit', '--dataset', 'sim:fedorenko'], /^error: --features: required option not given; expected --features <spec> \(see brainmap audit --help\)$/],
    [['demo', '--backend', 'gpu'], /^error: --backend: 'gpu' is invalid; expected one of auto, native, portable \(see brainmap demo --help\)$/],
    [['report'], /^error: <results-dir>: required argument not given \(see brainmap report --help\)$/],
    [['inspect', 'sim:fedorenko', '--bogus'], /^error: --bogus: unknown option \(see brainmap inspect --help\)$/],
    [['status', '--store'], /^error: --store: no value given; expected --store <dir> \(see brainmap status --help\)$/],
    [['features', 'lm', '--model', 'gpt2-untrained', '--dataset', 'sim:fedorenko'], /^error: --out: required option not given; expected --out <dir> \(see brainmap features lm --help\)$/],
    [['scroe'], /^error: scroe: unknown command; expected one of .*score.* \(did you mean score\?\) \(see brainmap --help\)$/],
  ];
  const results = await Promise.all(cases.map(([args]) => brainmap(args)));
  results.forEach((r, i) => assertUsageError(r, cases[i][1]));
});

test('--help and --version still print to stdout and exit 0', async () => {
  const [help, version] = await Promise.all([brainmap(['score', '--help']), brainmap(['--version'])]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: brainmap score \[options\]/);
  assert.equal(version.status, 0);
  assert.equal(version.stdout, '0.1.0\n');
});
