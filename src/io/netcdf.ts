/**
 * Generic reader for Brain-Score assembly files (NetCDF-4 = HDF5, written by xarray/netCDF-C),
 * following shared/DATASETS.md §1.5:
 *
 * 1. list the root links in creation order;
 * 2. dimension scales are the datasets with CLASS == "DIMENSION_SCALE"; a dimension's name is the
 *    scale's link name (its NAME attribute is netCDF boilerplate);
 * 3. the data variable is `data`, else `__xarray_dataarray_variable__`, else the one non-scale
 *    dataset with ≥ 2 dimensions;
 * 4. dimension names come from DIMENSION_LIST (h5wasm get_attached_scales), falling back to
 *    `_Netcdf4Coordinates` ↔ `_Netcdf4Dimid`, then to matching lengths;
 * 5. every other non-scale dataset is a coordinate of its (single) dimension, or a scalar;
 * 6. coordinates are grouped by dimension in link creation order (the MultiIndex level order).
 *
 * Accepts writer profiles A, B and C (§1.2). int64 values become numbers (they must be exact),
 * strings come back as JS strings. NaN in `data` is kept (it means "missing"); dataset-specific
 * readers decide what to do with it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Dataset as H5Dataset, File as H5File } from 'h5wasm/node';
import { inputError, InputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { transpose } from '../linalg/matrix.js';
import { describeFsError } from './fsutil.js';

export interface AssemblyCoord {
  name: string;
  values: string[] | number[];
}

export interface NetcdfAssembly {
  /** The path as given. */
  path: string;
  /**
   * String-valued (and numeric, stringified) attributes of the root group and of the data
   * variable (the data variable's win), without the netCDF/HDF5 bookkeeping attributes.
   */
  attrs: Record<string, string>;
  /** Name of the data variable ('data' or '__xarray_dataarray_variable__' or other). */
  dataName: string;
  /** Dimension names of `data` as returned (rows, columns). */
  dims: [string, string];
  /**
   * The data, presentation × neuroid: transposed when the file stores (neuroid, presentation).
   * For other dimension names the stored order is kept.
   */
  data: Matrix64;
  /** One-dimensional coordinates per dimension name, in link creation order. */
  coords: Record<string, AssemblyCoord[]>;
  /** 0-d (scalar) coordinates, in link creation order. */
  scalars: Array<{ name: string; value: string | number }>;
}

/** Attributes that belong to netCDF/HDF5 machinery rather than to the assembly. */
const BOOKKEEPING = new Set([
  '_NCProperties', '_Netcdf4Coordinates', '_Netcdf4Dimid', '_FillValue', 'coordinates',
  'DIMENSION_LIST', 'REFERENCE_LIST', 'CLASS', 'NAME', '_nc3_strict', '_IsNetcdf4',
  'DIMENSION_LABELS',
]);

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Checks that `path` exists and is an HDF5 file (signature at offset 0, 512, 1024, …).
 * Returns nothing; throws an InputError naming the path otherwise.
 */
function checkHdf5File(path: string, field: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw inputError(path, field, 'is a directory, expected a NetCDF-4 (.nc) file');
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, field, describeFsError(err));
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw inputError(path, field, `cannot read file (${describeFsError(err)})`);
  }
  try {
    const buf = new Uint8Array(8);
    const head = (off: number): boolean => readSync(fd, buf, 0, 8, off) === 8;
    if (head(0) && buf[0] === 0x43 && buf[1] === 0x44 && buf[2] === 0x46 && [1, 2, 5].includes(buf[3])) {
      throw inputError(path, field, 'is a NetCDF-3 (classic) file; only NetCDF-4 (HDF5-based) files are supported, re-save it with format="NETCDF4"');
    }
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      if (head(off) && HDF5_SIGNATURE.every((b, k) => buf[k] === b)) return;
    }
    throw inputError(path, field, `not an HDF5/NetCDF-4 file (no HDF5 signature found${size === 0 ? '; the file is empty' : ''})`);
  } finally {
    closeSync(fd);
  }
}

/** Last "minor:" line of an HDF5 diagnostic, or the first line. */
function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const minors = [...text.matchAll(/minor:\s*(.+)/g)].map((m) => m[1].trim());
  if (minors.length > 0) return minors[minors.length - 1];
  return text.split('\n')[0].replace(/^Error:\s*/, '');
}

function basename(p: string): string {
  const k = p.lastIndexOf('/');
  return k < 0 ? p : p.slice(k + 1);
}

function attrValue(obj: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  const a = obj.attrs[name];
  return a === undefined ? undefined : a.value;
}

function attrString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => String(x)).join(',');
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.join(',');
  return null;
}

function firstNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && (v as unknown as ArrayLike<number>).length > 0) {
    return Number((v as unknown as ArrayLike<number | bigint>)[0]);
  }
  return null;
}

function numberList(v: unknown): number[] | null {
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => Number(x));
  }
  return null;
}

/** Converts a coordinate variable's value to string[] or number[]. */
function coordValues(path: string, name: string, value: unknown): string[] | number[] {
  const fail = (what: string) => inputError(path, name, what);
  if (Array.isArray(value)) {
    if (value.every((x) => typeof x === 'string')) return value as string[];
    if (value.every((x) => typeof x === 'number')) return value as number[];
    if (value.every((x) => typeof x === 'bigint')) return bigintsToNumbers(path, name, value as bigint[]);
    throw fail('unsupported coordinate type (expected numbers or strings)');
  }
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    return bigintsToNumbers(path, name, Array.from(value as ArrayLike<bigint>));
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>);
  }
  throw fail('unsupported coordinate type (expected numbers or strings)');
}

function bigintsToNumbers(path: string, name: string, xs: readonly bigint[]): number[] {
  const out = new Array<number>(xs.length);
  for (let k = 0; k < xs.length; k++) {
    const v = Number(xs[k]);
    if (!Number.isSafeInteger(v)) {
      throw inputError(path, name, `value ${xs[k]} at index ${k} is too large to represent exactly (|v| must be < 2^53)`);
    }
    out[k] = v;
  }
  return out;
}

function toFloat64(path: string, name: string, value: unknown): Float64Array {
  if (value instanceof Float64Array) return value;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    return Float64Array.from(bigintsToNumbers(path, name, Array.from(value as ArrayLike<bigint>)));
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Float64Array.from(value as unknown as ArrayLike<number>);
  }
  throw inputError(path, name, 'expected a numeric (float or integer) variable');
}

/** The h5wasm module (its `default` export and `Module`). */
export type H5Lib = typeof import('h5wasm/node');

let lib: H5Lib | null = null;
let ready: Promise<H5Lib> | null = null;

/**
 * Loads and initialises h5wasm on first use, once per process. It is imported here rather than at
 * the top of the module: starting its WebAssembly runtime costs ~0.4 s, which commands that read no
 * HDF5 file (dataset folders, simulated data) should not pay.
 */
export async function h5Ready(): Promise<H5Lib> {
  ready ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    lib = m;
    return m;
  });
  return ready;
}

/** The loaded h5wasm, for code that runs after h5Ready() (inside withHdf5File's `read`). */
export function h5(): H5Lib {
  if (lib === null) throw new Error('h5wasm is used before h5Ready() loaded it');
  return lib;
}

/**
 * Reads a Brain-Score assembly (.nc) file. Throws InputError for: a missing file, a file that is
 * not HDF5, no data variable, data that is not 2-D, dimensions that cannot be identified, a
 * coordinate whose length differs from its dimension's, unsupported coordinate types.
 */
export async function readNetcdfAssembly(path: string): Promise<NetcdfAssembly> {
  checkHdf5File(path, 'file');
  return withHdf5File(path, 'HDF5/NetCDF-4', 'the assembly', (file) => {
    if (file.file_id < 0n) throw inputError(path, 'file', 'cannot open as HDF5/NetCDF-4');
    return readOpenFile(path, file);
  });
}

/**
 * Opens an HDF5 file read-only with h5wasm's throwing error handler on, runs `read`, and always
 * closes it. Failures become InputErrors "<path>: file: cannot open as <kind> (…)" or
 * "cannot read <what> (…)"; InputErrors from `read` pass through.
 */
export async function withHdf5File<T>(path: string, kind: string, what: string, read: (file: H5File) => T): Promise<T> {
  const { default: h5wasm, Module } = await h5Ready();
  Module.activate_throwing_error_handler();
  let file: H5File | null = null;
  try {
    try {
      file = new h5wasm.File(resolve(path), 'r');
    } catch (err) {
      throw inputError(path, 'file', `cannot open as ${kind} (${hdf5Reason(err)})`);
    }
    return read(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, 'file', `cannot read ${what} (${hdf5Reason(err)})`);
  } finally {
    try {
      file?.close();
    } finally {
      Module.deactivate_throwing_error_handler();
    }
  }
}

interface ScaleInfo { name: string; length: number; dimid: number | null }

function readOpenFile(path: string, file: H5File): NetcdfAssembly {
  const keys = file.keys();
  const scales = new Map<string, ScaleInfo>();
  const variables: Array<{ name: string; ds: H5Dataset }> = [];
  for (const key of keys) {
    const obj = file.get(key);
    if (!(obj instanceof h5().default.Dataset)) continue; // groups, links, committed types
    const ds = obj;
    const cls = attrValue(ds, 'CLASS');
    if (cls === 'DIMENSION_SCALE') {
      const shape = ds.shape ?? [];
      if (shape.length !== 1) throw inputError(path, key, `dimension scale has ${shape.length} dimensions, expected 1`);
      scales.set(key, { name: key, length: shape[0], dimid: firstNumber(attrValue(ds, '_Netcdf4Dimid')) });
    } else {
      variables.push({ name: key, ds });
    }
  }

  // The data variable.
  let dataVar = variables.find((v) => v.name === 'data') ?? variables.find((v) => v.name === '__xarray_dataarray_variable__');
  if (dataVar === undefined) {
    const multi = variables.filter((v) => (v.ds.shape ?? []).length >= 2);
    if (multi.length === 1) dataVar = multi[0];
    else if (multi.length > 1) {
      throw inputError(path, 'data', `no variable named 'data' or '__xarray_dataarray_variable__', and several multi-dimensional variables (${multi.map((v) => v.name).join(', ')}); cannot tell which is the data`);
    }
  }
  if (dataVar === undefined) {
    throw inputError(path, 'data', "no data variable: expected a 2-D variable named 'data' or '__xarray_dataarray_variable__'");
  }
  const dataName = dataVar.name;
  const dshape = dataVar.ds.shape ?? [];
  if (dshape.length !== 2) {
    throw inputError(path, dataName, `has ${dshape.length} dimension${dshape.length === 1 ? '' : 's'} (shape ${dshape.length === 0 ? 'scalar' : dshape.join(' × ')}), expected 2 (presentation × neuroid)`);
  }

  const scaleByDimid = (id: number): ScaleInfo | undefined => [...scales.values()].find((sc) => sc.dimid === id);
  /**
   * Resolves the dimension name of axis `axis` (length `len`) of variable `name`: DIMENSION_LIST,
   * then _Netcdf4Coordinates ↔ _Netcdf4Dimid, then a unique length match within `pool`.
   */
  const dimName = (name: string, ds: H5Dataset, axis: number, len: number, pool: ReadonlyArray<{ name: string; length: number }>): string | null => {
    let attached: string[] = [];
    try {
      attached = ds.get_attached_scales(axis);
    } catch {
      attached = [];
    }
    if (attached.length > 0) return basename(attached[0]);
    const coordIds = numberList(attrValue(ds, '_Netcdf4Coordinates'));
    if (coordIds !== null && coordIds.length > axis) {
      const sc = scaleByDimid(coordIds[axis]);
      if (sc !== undefined) return sc.name;
    }
    const byLen = pool.filter((p) => p.length === len);
    if (byLen.length === 1) return byLen[0].name;
    if (byLen.length > 1) {
      throw inputError(path, name, `cannot tell the dimension of axis ${axis}: no DIMENSION_LIST, and dimensions ${byLen.map((p) => `'${p.name}'`).join(' and ')} both have length ${len}`);
    }
    return null;
  };

  const allScales = [...scales.values()];
  let d0 = dimName(dataName, dataVar.ds, 0, dshape[0], allScales);
  let d1 = dimName(dataName, dataVar.ds, 1, dshape[1], allScales);
  if (scales.size === 0 && d0 === null && d1 === null) {
    // A plain HDF5 file without dimension scales: assume xarray's usual order.
    d0 = 'presentation';
    d1 = 'neuroid';
  }
  if (d0 === null || d1 === null) {
    const axis = d0 === null ? 0 : 1;
    throw inputError(path, dataName, `cannot tell the dimension of axis ${axis} (length ${dshape[axis]}): no DIMENSION_LIST and no dimension of that length`);
  }
  if (d0 === d1) throw inputError(path, dataName, `both axes are attached to dimension '${d0}'`);
  const dimLen = new Map<string, number>([[d0, dshape[0]], [d1, dshape[1]]]);
  for (const [nm, len] of dimLen) {
    const sc = scales.get(nm);
    if (sc !== undefined && sc.length !== len) {
      throw inputError(path, dataName, `has length ${len} along dimension '${nm}', but that dimension has length ${sc.length}`);
    }
  }
  for (const sc of scales.values()) if (!dimLen.has(sc.name)) dimLen.set(sc.name, sc.length);

  // Data, oriented presentation × neuroid.
  let data: Matrix64 = { rows: dshape[0], cols: dshape[1], data: toFloat64(path, dataName, dataVar.ds.value) };
  if (data.data.length !== dshape[0] * dshape[1]) {
    throw inputError(path, dataName, `holds ${data.data.length} values, expected ${dshape[0]} × ${dshape[1]}`);
  }
  let dims: [string, string] = [d0, d1];
  if (d1 === 'presentation' || (d0 === 'neuroid' && d1 !== 'presentation')) {
    data = transpose(data);
    dims = [d1, d0];
  }

  // Coordinates.
  const coords: Record<string, AssemblyCoord[]> = {};
  for (const dn of dimLen.keys()) coords[dn] = [];
  const scalars: Array<{ name: string; value: string | number }> = [];
  const dataDims = [{ name: d0, length: dshape[0] }, { name: d1, length: dshape[1] }];
  for (const v of variables) {
    if (v === dataVar) continue;
    const shape = v.ds.shape ?? [];
    if (shape.length === 0) {
      const vals = coordValues(path, v.name, [v.ds.value].flat());
      scalars.push({ name: v.name, value: vals[0] });
      continue;
    }
    if (shape.length !== 1) {
      throw inputError(path, v.name, `has ${shape.length} dimensions (shape ${shape.join(' × ')}); only the data variable may have more than one`);
    }
    const dn = dimName(v.name, v.ds, 0, shape[0], dataDims);
    if (dn === null) {
      throw inputError(path, v.name, `has ${shape[0]} values, which matches neither dimension ('${d0}' has ${dshape[0]}, '${d1}' has ${dshape[1]}), and no DIMENSION_LIST says which it belongs to`);
    }
    const want = dimLen.get(dn);
    if (want === undefined) {
      throw inputError(path, v.name, `is attached to dimension '${dn}', which is not a dimension of the file`);
    }
    if (shape[0] !== want) {
      throw inputError(path, v.name, `has ${shape[0]} values, but its dimension '${dn}' has length ${want}`);
    }
    const values = coordValues(path, v.name, v.ds.value);
    if (values.length !== want) {
      throw inputError(path, v.name, `has ${values.length} values, but its dimension '${dn}' has length ${want}`);
    }
    coords[dn].push({ name: v.name, values });
  }

  // Attributes: root first, then the data variable's (which take precedence).
  const attrs: Record<string, string> = {};
  for (const src of [file, dataVar.ds]) {
    for (const name of Object.keys(src.attrs)) {
      if (BOOKKEEPING.has(name)) continue;
      let v: unknown;
      try {
        v = attrValue(src, name);
      } catch {
        continue; // attribute types we cannot decode are not assembly metadata
      }
      const s = attrString(v);
      if (s !== null) attrs[name] = s;
    }
  }

  return { path, attrs, dataName, dims, data, coords, scalars };
}

/** The coordinate `name` of dimension `dim`, or undefined. */
export function findCoord(a: NetcdfAssembly, dim: string, name: string): AssemblyCoord | undefined {
  return (a.coords[dim] ?? []).find((c) => c.name === name);
}
