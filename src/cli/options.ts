import { InvalidArgumentError, Option } from 'commander';

/** Parser for a non-negative integer option. */
export function intArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

/** The shared --backend option. */
export function backendOption(): Option {
  return new Option('--backend <name>', 'linear-algebra backend').choices(['auto', 'native', 'portable']).default('auto');
}
