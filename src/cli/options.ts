import { InvalidArgumentError, Option } from 'commander';

/** Plain decimal digits only: no sign, no blanks, no hex (`0x10`), no exponent, not empty. */
const DECIMAL_INT = /^[0-9]+$/;

/**
 * Parser for an integer option in [min, max], written in decimal. Commander reports the error as
 * `--name: 'value' is invalid; expected …` (exit status 2).
 */
export function intInRange(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  const expected = max === Number.MAX_SAFE_INTEGER
    ? (min === 0 ? 'expected a non-negative integer' : `expected an integer ≥ ${min}`)
    : `expected an integer in ${min}…${max}`;
  return (v: string): number => {
    const n = DECIMAL_INT.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(expected);
    return n;
  };
}

/** Parser for a non-negative integer option (`name` is kept for callers; the error names the option). */
export function intArg(_name?: string) {
  return intInRange(0);
}

/** Parser for an integer option ≥ 1 (counts: workers, threads, batch sizes, samples). */
export function positiveIntArg(_name?: string) {
  return intInRange(1);
}

/** Largest seed of an MT19937 stream (numpy's RandomState takes seeds in 0 … 2³² − 1). */
export const MAX_SEED = 0xffffffff;

/** Parser for a seed option: an integer in 0 … 2³² − 1. */
export function seedArg(_name?: string) {
  return intInRange(0, MAX_SEED);
}

/** The shared --backend option. */
export function backendOption(): Option {
  return new Option('--backend <name>', 'linear-algebra backend').choices(['auto', 'native', 'portable']).default('auto');
}
