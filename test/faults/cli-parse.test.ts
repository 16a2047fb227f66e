/**
 * Issue 12 point 11: no silent clamps or lenient number parses. Empty grid items, zero counts,
 * empty and hexadecimal numbers are errors naming the option or term and what was expected.
 */
import { test } from 'node:test';
import { assertUsageError, brainmap } from './cli-helpers.js';

test('an empty grid item (oasm:sigma=1,) is an error, not σ = 0', async () => {
  const [trailing, middle] = await Promise.all([
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'oasm:sigma=1,']),
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'oasm:sigma=1,,2']),
  ]);
  assertUsageError(trailing, /^error: --features: "oasm:sigma=1,": sigma=1, has an empty item \(position 2\); expected a comma-separated list of numbers such as sigma=0\.5,1,2$/);
  assertUsageError(middle, /^error: --features: "oasm:sigma=1,,2": sigma=1,,2 has an empty item \(position 2\)/);
});

test('--unit-batch 0 and --n-iter 0 are errors, not 1', async () => {
  const [batch, iter, threads, chunk] = await Promise.all([
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--unit-batch', '0']),
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'sl|sl', '--n-iter', '0']),
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--threads', '0']),
    brainmap(['partition', '--dataset', 'sim:fedorenko', '--a', 'sl', '--b', 'sl', '--block-chunk', '0']),
  ]);
  assertUsageError(batch, /^error: --unit-batch: '0' is invalid; expected an integer ≥ 1 \(see brainmap score --help\)$/);
  assertUsageError(iter, /^error: --n-iter: '0' is invalid; expected an integer ≥ 1 \(see brainmap score --help\)$/);
  assertUsageError(threads, /^error: --threads: '0' is invalid; expected an integer ≥ 1 \(see brainmap score --help\)$/);
  assertUsageError(chunk, /^error: --block-chunk: '0' is invalid; expected an integer ≥ 1 \(see brainmap partition --help\)$/);
});

test('--seed "" is not 0 and --seed 0x10 is not 16; nor are they in feature terms, grids or sim: specs', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--seed', ''], /^error: --seed: '' is invalid; expected an integer in 0…4294967295 \(see brainmap score --help\)$/],
    [['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--seed', '0x10'], /^error: --seed: '0x10' is invalid; expected an integer in 0…4294967295 \(see brainmap score --help\)$/],
    [['audit', '--dataset', 'sim:fedorenko', '--features', 'sl', '--seed', '1e3'], /^error: --seed: '1e3' is invalid; expected an integer in 0…4294967295 \(see brainmap audit --help\)$/],
    [['run', 'x.yaml', '--workers', '0x2'], /^error: --workers: '0x2' is invalid; expected an integer ≥ 1 \(see brainmap run --help\)$/],
    [['score', '--dataset', 'sim:fedorenko', '--features', 'oasm:sigma=0x10'], /^error: --features: "oasm:sigma=0x10": sigma=0x10 is not a number in 0…/],
    [['score', '--dataset', 'sim:fedorenko', '--features', 'oasm:sigma=0x1,2'], /^error: --features: "oasm:sigma=0x1,2": sigma=0x1,2: '0x1' is not a decimal number; expected a comma-separated list of numbers/],
    [['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--protocol', 'brainscore', '--ceiling', '0x1'], /^error: --ceiling: '0x1' is not 'published', 'none' or a decimal number in \(0, 1\]$/],
    [['inspect', 'sim:pereira:units=0x10'], /^error: sim:pereira:units=0x10: dataset: "units=0x10" is not key=number with key one of /],
    [['inspect', 'sim:pereira:seed='], /^error: sim:pereira:seed=: dataset: "seed=" is not key=number with key one of /],
  ];
  const results = await Promise.all(cases.map(([args]) => brainmap(args)));
  results.forEach((r, i) => assertUsageError(r, cases[i][1]));
});
