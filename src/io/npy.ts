/**
 * NumPy `.npy` / `.npz` reading and writing (format versions 1.0, 2.0 and 3.0).
 *
 * Format (numpy/lib/format.py, "NEP 1"): magic `\x93NUMPY`, major and minor version bytes,
 * header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0), then an ASCII (3.0: UTF-8) Python
 * dict literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces
 * and a final '\n' so that the data starts at a multiple of 64 (older writers: 16), then the raw
 * array data in C or Fortran order.
 *
 * Arrays come back in C (row-major) order in native-endian typed arrays whatever the file's
 * order and byte order; `dtype` keeps the descriptor as stored (e.g. '>f4').
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { inputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { readBytes, writeBytes } from './fsutil.js';

export type NpyTypedArray =
  | Float64Array | Float32Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export interface NpyArray {
  /** Array shape ([] for a 0-d array). */
  shape: number[];
  /** The dtype descriptor as stored in the file, e.g. '<f8', '>f4', '|b1', '<U12'. */
  dtype: string;
  /**
   * Elements in C (row-major) order, native byte order. Booleans ('b1') come as Uint8Array of
   * 0/1; fixed-width unicode ('U') and byte strings ('S') as string[] (trailing NULs removed).
   */
  data: NpyTypedArray | string[];
}

/** The kinds of data `writeNpy` accepts. */
export type NpyWritable = Float64Array | Float32Array | Int32Array;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

// ---------------------------------------------------------------------------------------------
// Header literal parser (a tiny subset of Python literal syntax: dict, tuple, list, str, int,
// True/False/None).

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

class PyLiteralParser {
  private i = 0;
  constructor(private readonly s: string, private readonly fail: (what: string) => Error) {}

  parseTop(): PyValue {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw this.fail(`unexpected text after the header dict at character ${this.i}`);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) throw this.fail('header ends unexpectedly');
    if (c === '{') return this.dict();
    if (c === '(') return this.seq('(', ')');
    if (c === '[') return this.seq('[', ']');
    if (c === "'" || c === '"') return this.str();
    if (/[-+0-9]/.test(c)) return this.int();
    for (const [word, val] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.s.startsWith(word, this.i)) { this.i += word.length; return val; }
    }
    throw this.fail(`unexpected character '${c}' in the header at character ${this.i}`);
  }

  private dict(): Map<string, PyValue> {
    const out = new Map<string, PyValue>();
    this.i++; // {
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') { this.i++; return out; }
      const k = this.value();
      if (typeof k !== 'string') throw this.fail('header dict keys must be strings');
      this.ws();
      if (this.s[this.i] !== ':') throw this.fail(`expected ':' after key '${k}' in the header`);
      this.i++;
      out.set(k, this.value());
      this.ws();
      if (this.s[this.i] === ',') { this.i++; continue; }
      if (this.s[this.i] === '}') { this.i++; return out; }
      throw this.fail(`expected ',' or '}' in the header at character ${this.i}`);
    }
  }

  private seq(open: string, close: string): PyValue[] {
    const out: PyValue[] = [];
    this.i++; // open
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) { this.i++; return out; }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') { this.i++; continue; }
      if (this.s[this.i] === close) { this.i++; return out; }
      throw this.fail(`expected ',' or '${close}' in the header at character ${this.i}`);
    }
  }

  private str(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++];
      if (c === q) return out;
      if (c === '\\') {
        const n = this.s[this.i++];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      } else out += c;
    }
    throw this.fail('unterminated string in the header');
  }

  private int(): number {
    const m = /^[-+]?[0-9]+L?/.exec(this.s.slice(this.i));
    if (!m) throw this.fail(`bad number in the header at character ${this.i}`);
    this.i += m[0].length;
    return Number(m[0].replace('L', ''));
  }
}

// ---------------------------------------------------------------------------------------------
// dtypes

interface DtypeInfo {
  kind: 'f' | 'i' | 'u' | 'b' | 'U' | 'S';
  itemsize: number;
  bigEndian: boolean;
}

function parseDescr(descr: string): DtypeInfo | null {
  const m = /^([<>|=]?)([fiubUS?])(\d+)$/.exec(descr);
  if (!m) return null;
  const order = m[1];
  let kind = m[2];
  if (kind === '?') kind = 'b';
  const itemsize = Number(m[3]);
  const bigEndian = order === '>';
  const k = kind as DtypeInfo['kind'];
  const ok =
    (k === 'f' && (itemsize === 4 || itemsize === 8)) ||
    ((k === 'i' || k === 'u') && [1, 2, 4, 8].includes(itemsize)) ||
    (k === 'b' && itemsize === 1) ||
    ((k === 'U' || k === 'S') && itemsize >= 0);
  return ok ? { kind: k, itemsize, bigEndian } : null;
}

/** Bytes per element (U is stored as UTF-32: 4 bytes per character). */
function elementBytes(t: DtypeInfo): number {
  return t.kind === 'U' ? 4 * t.itemsize : t.itemsize;
}

function makeTyped(t: DtypeInfo, buf: ArrayBuffer): NpyTypedArray {
  switch (t.kind) {
    case 'f': return t.itemsize === 4 ? new Float32Array(buf) : new Float64Array(buf);
    case 'i':
      return t.itemsize === 1 ? new Int8Array(buf) : t.itemsize === 2 ? new Int16Array(buf)
        : t.itemsize === 4 ? new Int32Array(buf) : new BigInt64Array(buf);
    case 'u':
      return t.itemsize === 1 ? new Uint8Array(buf) : t.itemsize === 2 ? new Uint16Array(buf)
        : t.itemsize === 4 ? new Uint32Array(buf) : new BigUint64Array(buf);
    case 'b': return new Uint8Array(buf);
    default: throw new Error('unreachable');
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function latin1(b: Uint8Array): string {
  let s = '';
  for (let k = 0; k < b.length; k++) s += String.fromCharCode(b[k]);
  return s;
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Permutes an n-D Fortran-order element list into C order. */
function fortranToC<T>(src: ArrayLike<T>, shape: readonly number[], make: (n: number) => { [i: number]: T }): { [i: number]: T } {
  const n = src.length;
  const out = make(n);
  const nd = shape.length;
  // Fortran strides (in elements).
  const fstride = new Array<number>(nd);
  let s = 1;
  for (let d = 0; d < nd; d++) { fstride[d] = s; s *= shape[d]; }
  const idx = new Array<number>(nd).fill(0);
  let off = 0; // Fortran offset of the current C-order index
  for (let k = 0; k < n; k++) {
    out[k] = src[off];
    // increment the C-order multi-index (last axis fastest)
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += fstride[d];
      if (idx[d] < shape[d]) break;
      off -= fstride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses the bytes of a `.npy` file. `source` and `field` name the file and the array in error
 * messages ("<source>: <field>: <problem>").
 */
export function parseNpy(bytes: Uint8Array, source: string, field = 'file'): NpyArray {
  const fail = (what: string) => inputError(source, field, what);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw fail('not a .npy file (missing the \\x93NUMPY magic string)');
  }
  const major = bytes[6];
  const minor = bytes[7];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail('file is truncated inside the header');
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 0x1000000;
    headerStart = 12;
  } else {
    throw fail(`unsupported .npy format version ${major}.${minor}, expected 1.0, 2.0 or 3.0`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw fail('file is truncated inside the header');
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const headerText = major === 3
    ? new TextDecoder('utf-8').decode(headerBytes)
    : latin1(headerBytes);
  const header = new PyLiteralParser(headerText, (w) => fail(`bad header: ${w}`)).parseTop();
  if (!(header instanceof Map)) throw fail('bad header: expected a dict literal');
  const descr = header.get('descr');
  const fortran = header.get('fortran_order');
  const shapeV = header.get('shape');
  if (typeof descr !== 'string') {
    throw fail(`unsupported dtype ${JSON.stringify(descr)} (structured dtypes are not supported)`);
  }
  if (typeof fortran !== 'boolean') throw fail("bad header: 'fortran_order' must be True or False");
  if (!Array.isArray(shapeV) || !shapeV.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw fail("bad header: 'shape' must be a tuple of non-negative integers");
  }
  const shape = shapeV as number[];
  const t = parseDescr(descr);
  if (!t) throw fail(`unsupported dtype '${descr}' (supported: f4, f8, i1-i8, u1-u8, b1, U, S; object arrays are not)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const eb = elementBytes(t);
  const need = count * eb;
  const have = bytes.length - dataStart;
  if (have < need) {
    throw fail(`file is truncated: shape ${shapeText(shape)} of '${descr}' needs ${need} data bytes, found ${have}`);
  }
  if (have > need) {
    throw fail(`file has ${have - need} unexpected bytes after the data of shape ${shapeText(shape)} '${descr}'`);
  }

  let data: NpyTypedArray | string[];
  if (t.kind === 'U' || t.kind === 'S') {
    const strs: string[] = new Array(count);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart, need);
    const le = !t.bigEndian;
    for (let k = 0; k < count; k++) {
      let s = '';
      if (t.kind === 'U') {
        const cps: number[] = [];
        for (let c = 0; c < t.itemsize; c++) cps.push(dv.getUint32(k * eb + 4 * c, le));
        let end = cps.length;
        while (end > 0 && cps[end - 1] === 0) end--;
        s = String.fromCodePoint(...cps.slice(0, end));
      } else {
        let end = t.itemsize;
        const base = dataStart + k * eb;
        while (end > 0 && bytes[base + end - 1] === 0) end--;
        s = latin1(bytes.subarray(base, base + end));
      }
      strs[k] = s;
    }
    data = strs;
  } else {
    const copy = bytes.slice(dataStart, dataStart + need); // aligned private copy
    const swap = t.itemsize > 1 && (t.bigEndian === LITTLE_ENDIAN_HOST);
    if (swap) {
      const w = t.itemsize;
      for (let off = 0; off < copy.length; off += w) {
        for (let a = off, b = off + w - 1; a < b; a++, b--) { const x = copy[a]; copy[a] = copy[b]; copy[b] = x; }
      }
    }
    data = makeTyped(t, copy.buffer);
    if (t.kind === 'b') {
      for (let k = 0; k < data.length; k++) {
        if ((data as Uint8Array)[k] > 1) throw fail(`boolean element ${k} has byte value ${(data as Uint8Array)[k]}, expected 0 or 1`);
      }
    }
  }
  if (fortran && shape.length > 1) {
    if (Array.isArray(data)) {
      data = fortranToC(data, shape, (n) => new Array<string>(n)) as string[];
    } else {
      const ctor = data.constructor as { new (n: number): NpyTypedArray };
      data = fortranToC(data as ArrayLike<number | bigint>, shape, (n) => new ctor(n) as unknown as { [i: number]: number | bigint }) as unknown as NpyTypedArray;
    }
  }
  return { shape, dtype: descr, data };
}

/** Reads a `.npy` file. */
export function readNpy(path: string, field = 'file'): NpyArray {
  return parseNpy(readBytes(path, field), path, field);
}

function describeCell(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/**
 * Converts a numeric NpyArray to a float64 matrix: it must be 2-D, numeric (float or integer;
 * 64-bit integers must be exactly representable) and every value finite.
 */
export function npyToMatrix64(arr: NpyArray, source: string, field: string): Matrix64 {
  const fail = (what: string) => inputError(source, field, what);
  if (arr.shape.length !== 2) {
    throw fail(`expected a 2-D array, found a ${arr.shape.length}-D array of shape ${shapeText(arr.shape)}`);
  }
  const [rows, cols] = arr.shape;
  const t = parseDescr(arr.dtype);
  if (!t || t.kind === 'b' || t.kind === 'U' || t.kind === 'S' || Array.isArray(arr.data)) {
    throw fail(`expected a numeric (float or integer) array, found dtype '${arr.dtype}'`);
  }
  const src = arr.data;
  const out = new Float64Array(rows * cols);
  for (let k = 0; k < out.length; k++) {
    const raw = src[k];
    let v: number;
    if (typeof raw === 'bigint') {
      v = Number(raw);
      if (!Number.isSafeInteger(v)) {
        throw fail(`row ${Math.floor(k / cols)}, column ${k % cols}: integer ${raw} is too large to represent exactly`);
      }
    } else v = raw;
    if (!Number.isFinite(v)) {
      throw fail(`row ${Math.floor(k / cols)}, column ${k % cols} is ${describeCell(v)}; expected finite values (rows and columns count from 0)`);
    }
    out[k] = v;
  }
  return { rows, cols, data: out };
}

/**
 * Reads a `.npy` file holding a 2-D numeric array of finite values as a float64 matrix. Errors
 * name the file, `field`, and the first bad row/column (0-based).
 */
export function readMatrixNpy(path: string, opts: { field: string }): Matrix64 {
  return npyToMatrix64(readNpy(path, opts.field), path, opts.field);
}

// ---------------------------------------------------------------------------------------------
// Writing

function descrOf(data: NpyWritable): string {
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Int32Array) return '<i4';
  throw new TypeError('writeNpy: data must be a Float64Array, Float32Array or Int32Array');
}

/**
 * Encodes an array as `.npy` bytes exactly as numpy.save writes it: version 1.0 (2.0 if the header
 * does not fit 65535 bytes), little-endian, C order, header padded to a multiple of 64 bytes.
 */
export function encodeNpy(data: NpyWritable, shape: readonly number[]): Uint8Array {
  const descr = descrOf(data);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`encodeNpy: invalid shape ${shapeText(shape)}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`encodeNpy: shape ${shapeText(shape)} holds ${count} values, data has ${data.length}`);
  }
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  let major = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefix;
  const header = dict + ' '.repeat(headerLen - dict.length - 1) + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) {
    out[8] = headerLen & 0xff;
    out[9] = headerLen >> 8;
  } else {
    new DataView(out.buffer).setUint32(8, headerLen, true);
  }
  for (let k = 0; k < header.length; k++) out[prefix + k] = header.charCodeAt(k);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(body, total);
  if (!LITTLE_ENDIAN_HOST) {
    const w = data.BYTES_PER_ELEMENT;
    for (let off = total; off < out.length; off += w) out.subarray(off, off + w).reverse();
  }
  return out;
}

/** Writes an array to a `.npy` file (see encodeNpy). */
export function writeNpy(path: string, data: NpyWritable, shape: readonly number[]): void {
  writeBytes(path, 'file', encodeNpy(data, shape));
}

// ---------------------------------------------------------------------------------------------
// .npz (a zip archive of .npy members, stored or deflated)

/** Parses `.npz` bytes: member name (without '.npy') → array, in archive order. */
export function parseNpz(bytes: Uint8Array, source: string): Map<string, NpyArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw inputError(source, 'file', `not a readable zip archive (${err instanceof Error ? err.message : String(err)})`);
  }
  const out = new Map<string, NpyArray>();
  for (const [member, content] of Object.entries(files)) {
    if (member.endsWith('/')) continue; // directory entry
    const name = member.endsWith('.npy') ? member.slice(0, -4) : member;
    out.set(name, parseNpy(content, source, name));
  }
  return out;
}

/** Reads a `.npz` archive. */
export function readNpz(path: string): Map<string, NpyArray> {
  return parseNpz(readBytes(path, 'file'), path);
}

export interface NpzEntry {
  data: NpyWritable;
  shape: readonly number[];
}

/** Encodes arrays as `.npz` bytes; `compress` deflates members (numpy.savez_compressed), otherwise stored. */
export function encodeNpz(
  arrays: Record<string, NpzEntry> | Map<string, NpzEntry>,
  opts: { compress?: boolean } = {},
): Uint8Array {
  const entries = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
  const zip: Zippable = {};
  for (const [name, e] of entries) {
    zip[`${name}.npy`] = [encodeNpy(e.data, e.shape), { level: opts.compress ? 6 : 0 }];
  }
  return zipSync(zip, { mtime: new Date('1980-01-01T00:00:00Z') });
}

/** Writes arrays to a `.npz` archive. */
export function writeNpz(
  path: string,
  arrays: Record<string, NpzEntry> | Map<string, NpzEntry>,
  opts: { compress?: boolean } = {},
): void {
  writeBytes(path, 'file', encodeNpz(arrays, opts));
}
