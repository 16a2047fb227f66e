/** Test helpers: temp folders and a tiny Brain-Score-layout NetCDF writer built on h5wasm. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import h5wasm from 'h5wasm/node';
import { InputError } from '../../src/data/errors.js';
import type { NetcdfAssembly } from '../../src/io/netcdf.js';

/** Asserts that `p` (a promise, or a function run as one) fails with an InputError of exactly `message`. */
export async function rejects(p: Promise<unknown> | (() => unknown), message: string): Promise<void> {
  const run = typeof p === 'function' ? async () => p() : () => p;
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

/** A deep copy of an assembly with `edit` applied. */
export function edited(a: NetcdfAssembly, edit: (b: NetcdfAssembly) => void): NetcdfAssembly {
  const b: NetcdfAssembly = {
    ...a,
    data: { ...a.data, data: a.data.data.slice() },
    coords: Object.fromEntries(Object.entries(a.coords).map(([k, cs]) => [k, cs.map((c) => ({ name: c.name, values: c.values.slice() as string[] | number[] }))])),
  };
  edit(b);
  return b;
}

export function tempDir(prefix = 'brainmap-io-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export type CoordSpec = { name: string; values: string[] | number[]; dim: 'presentation' | 'neuroid' };

export interface AssemblySpec {
  nPresentation: number;
  nNeuroid: number;
  coords: CoordSpec[];
  /** Row-major presentation × neuroid values. */
  data: Float64Array;
  /** Attributes put on the root and on `data`. */
  attrs?: Record<string, string>;
  /** Write the dimension-scale datasets (default true). */
  scales?: boolean;
  /** Attach scales, i.e. write DIMENSION_LIST (default true; needs scales). */
  attach?: boolean;
  /** Put `_Netcdf4Coordinates` = [0, 1] on `data` (default false). */
  netcdf4Coordinates?: boolean;
}

/**
 * Writes a NetCDF-4-like file the way netCDF-C lays it out (scales first, then coordinates,
 * then `data` last, DIMENSION_LIST via scale attachment). Integer coordinates are int64.
 */
export async function writeAssembly(path: string, spec: AssemblySpec): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w', { track_order: true });
  try {
    const dims = { presentation: spec.nPresentation, neuroid: spec.nNeuroid };
    const scales = spec.scales ?? true;
    const attach = scales && (spec.attach ?? true);
    let dimid = 0;
    for (const [name, len] of scales ? Object.entries(dims) : []) {
      const s = f.create_dataset({ name, data: new Float32Array(len) });
      s.make_scale(`This is a netCDF dimension but not a netCDF variable.${String(len).padStart(10)}`);
      s.create_attribute('_Netcdf4Dimid', new Int32Array([dimid++]), []);
    }
    for (const c of spec.coords) {
      const data = typeof c.values[0] === 'string'
        ? (c.values as string[])
        : BigInt64Array.from(c.values as number[], (v) => BigInt(v));
      const ds = f.create_dataset({ name: c.name, data });
      if (attach) ds.attach_scale(0, `/${c.dim}`);
    }
    const d = f.create_dataset({ name: 'data', data: spec.data, shape: [spec.nPresentation, spec.nNeuroid] });
    for (const [k, v] of Object.entries(spec.attrs ?? {})) {
      f.create_attribute(k, v);
      d.create_attribute(k, v);
    }
    if (spec.netcdf4Coordinates) d.create_attribute('_Netcdf4Coordinates', new Int32Array([0, 1]), [2]);
    d.create_attribute('coordinates', spec.coords.map((c) => c.name).join(' '));
    if (attach) {
      d.attach_scale(0, '/presentation');
      d.attach_scale(1, '/neuroid');
    }
  } finally {
    f.close();
  }
}

export const SENTENCES = [
  'ALEX WAS TIRED SO HE TOOK A NAP',
  'ALEX WORE A WOOL SWEATER TO KEEP WARM',
  "ANN BAKED A CAKE FOR HER MOM'S BIRTHDAY",
];

/** A valid Fedorenko-like assembly spec: 3 sentences × 8 words, 7 electrodes, data[r][c] = r + c/100 - 5. */
export function fedorenkoSpec(): AssemblySpec & { coords: CoordSpec[] } {
  const words = SENTENCES.flatMap((s) => s.split(' '));
  const n = words.length;
  const m = 7;
  const data = new Float64Array(n * m);
  for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) data[r * m + c] = r + c / 100 - 5;
  return {
    nPresentation: n,
    nNeuroid: m,
    coords: [
      { name: 'stimulus_id', dim: 'presentation', values: words.map((_, r) => r) },
      { name: 'stimulus', dim: 'presentation', values: words },
      { name: 'word', dim: 'presentation', values: words },
      { name: 'word_num', dim: 'presentation', values: words.map((_, r) => r % 8) },
      { name: 'sentence_id', dim: 'presentation', values: words.map((_, r) => Math.floor(r / 8)) },
      { name: 'electrode', dim: 'neuroid', values: [0, 1, 2, 3, 4, 5, 6] },
      { name: 'neuroid_id', dim: 'neuroid', values: [0, 1, 2, 3, 4, 5, 6] },
      { name: 'subject_UID', dim: 'neuroid', values: [1, 1, 1, 2, 2, 3, 3] },
    ],
    data,
  };
}
