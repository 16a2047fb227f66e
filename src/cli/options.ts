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

/**
 * Parser for `--alphas`: ridge penalties as a comma-separated list of positive numbers, the same
 * values an experiment file's `alphas:` takes (e.g. `0.1,1,10` or `2e-5,1,2e19`); one error line
 * otherwise.
 */
export function parseAlphas(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const out = parts.map((s) => (/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN));
  const bad = parts.findIndex((s, i) => !(Number.isFinite(out[i]) && out[i] > 0));
  if (bad >= 0) throw new InvalidArgumentError(`expected a comma-separated list of positive numbers (ridge penalties, e.g. 0.1,1,10); '${parts[bad]}' is not one`);
  const seen = new Set<number>();
  for (const a of out) {
    if (seen.has(a)) throw new InvalidArgumentError(`expected each penalty once; ${a} appears twice`);
    seen.add(a);
  }
  return out;
}

/**
 * The compute options every fitting command shares (score, partition, audit, demo), defined once.
 * `nIterWhat` names what the band-weight samples are for on that command.
 */
export const computeOptions = {
  threads: (): Option => new Option('--threads <n>', 'BLAS threads (default: all cores)').argParser(positiveIntArg()),
  unitBatch: (): Option => new Option('--unit-batch <n>', 'units fitted at once (bounds memory)').argParser(positiveIntArg()).default(4096),
  estimator: (): Option => new Option('--estimator <name>', 'ridge with nested CV over the penalties (--alphas), or least squares (min-norm)').choices(['ridge', 'ols']).default('ridge'),
  alphas: (): Option => new Option('--alphas <list>', 'ridge penalties searched by the inner CV, comma-separated (as an experiment file\'s alphas; default 2^-5 … 2^19, 25 values)').argParser(parseAlphas),
  nIter: (nIterWhat: string, paper: number, dflt: number): Option => new Option('--n-iter <n>', `${nIterWhat} (the paper: ${paper})`).argParser(positiveIntArg()).default(dflt),
  backend: backendOption,
  compat: (what: string): Option => new Option('--compat <what>', `reproduce the authors' code where it differs from the method (docs/method.md §8; README: What --compat paper changes): ${what}`).choices(['paper']),
} as const;

/** Sets BLAS threads on a backend when --threads was given. */
export function applyThreads(backend: { setThreads(n: number): void }, threads: number | undefined): void {
  if (threads !== undefined) backend.setThreads(Math.max(1, threads));
}
