/** Typed access to the coordinates of a NetcdfAssembly, with "<file>: <coordinate>: …" errors. */
import { inputError } from '../data/errors.js';
import { findCoord, type AssemblyCoord, type NetcdfAssembly } from './netcdf.js';

function checkLength(a: NetcdfAssembly, dim: string, c: AssemblyCoord): AssemblyCoord {
  const want = dim === a.dims[0] ? a.data.rows : dim === a.dims[1] ? a.data.cols : c.values.length;
  if (c.values.length !== want) {
    throw inputError(a.path, c.name, `has ${c.values.length} values, expected ${want} (one per ${dim})`);
  }
  return c;
}

/** The coordinate, or an error naming what it should hold and which coordinates the file has. */
export function requireCoord(a: NetcdfAssembly, dim: string, name: string, expected: string): AssemblyCoord {
  const c = findCoord(a, dim, name);
  if (c === undefined) {
    const have = (a.coords[dim] ?? []).map((x) => x.name);
    throw inputError(a.path, name, `missing ${dim} coordinate (${expected}); the file's ${dim} coordinates are: ${have.length ? have.join(', ') : 'none'}`);
  }
  return checkLength(a, dim, c);
}

/** The first of `names` that exists, or undefined. */
export function optionalCoord(a: NetcdfAssembly, dim: string, ...names: string[]): AssemblyCoord | undefined {
  for (const n of names) {
    const c = findCoord(a, dim, n);
    if (c !== undefined) return checkLength(a, dim, c);
  }
  return undefined;
}

/** Integer values (int64 coordinates come back as exact numbers). */
export function intValues(a: NetcdfAssembly, c: AssemblyCoord, what: string): number[] {
  return c.values.map((v, k) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw inputError(a.path, c.name, `value ${JSON.stringify(v)} at index ${k} is not an integer; expected ${what}`);
    }
    return v;
  });
}

/** String values; integers are accepted and written in decimal (ids stored as int64). */
export function textValues(a: NetcdfAssembly, c: AssemblyCoord, what: string, allowEmpty = false): string[] {
  return c.values.map((v, k) => {
    if (typeof v === 'number' && Number.isInteger(v)) return String(v);
    if (typeof v !== 'string') throw inputError(a.path, c.name, `value ${JSON.stringify(v)} at index ${k} is not a string; expected ${what}`);
    if (!allowEmpty && v === '') throw inputError(a.path, c.name, `value at index ${k} is empty; expected ${what}`);
    return v;
  });
}

/** String values with NaN (an all-missing or partly missing object column) read as ''. */
export function optionalTextValues(c: AssemblyCoord): string[] {
  return c.values.map((v) => (typeof v === 'string' ? v : Number.isNaN(v) ? '' : String(v)));
}

export function requirePresentationNeuroid(a: NetcdfAssembly): void {
  if (a.dims[0] !== 'presentation' || a.dims[1] !== 'neuroid') {
    throw inputError(a.path, a.dataName, `has dimensions (${a.dims.join(', ')}), expected presentation and neuroid`);
  }
}
