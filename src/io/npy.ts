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
 *
 * Files are read with positioned reads (header, then data), never as one whole-file buffer, so
 * their size is not limited to fs.readFile's 2 GiB; readMatrixNpy converts piece by piece into
 * its float64 result.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { inputError, InputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { describeFsError, readBytes, writeBytes } from './fsutil.js';

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

/** What the header of a `.npy` file says, and where its data lies. */
interface NpyHeader {
  shape: number[];
  descr: string;
  t: DtypeInfo;
  fortran: boolean;
  /** Byte offset of the data. */
  dataStart: number;
  /** Elements (product of the shape). */
  count: number;
  /** Data bytes the shape and dtype need. */
  need: number;
}

/**
 * Parses the header of a `.npy` file from its first bytes (`head` holds at least the magic,
 * version, length and header dict when the file is long enough) and checks that the file's
 * length, `fileLength` bytes, is exactly the header plus the data.
 */
function parseNpyHeader(head: Uint8Array, fileLength: number, fail: (what: string) => Error): NpyHeader {
  if (fileLength < 10 || head.length < 10 || MAGIC.some((b, i) => head[i] !== b)) {
    throw fail('not a .npy file (missing the \\x93NUMPY magic string)');
  }
  const major = head[6];
  const minor = head[7];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = head[8] | (head[9] << 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (fileLength < 12 || head.length < 12) throw fail('file is truncated inside the header');
    headerLen = (head[8] | (head[9] << 8) | (head[10] << 16)) + head[11] * 0x1000000;
    headerStart = 12;
  } else {
    throw fail(`unsupported .npy format version ${major}.${minor}, expected 1.0, 2.0 or 3.0`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > fileLength || dataStart > head.length) throw fail('file is truncated inside the header');
  const headerBytes = head.subarray(headerStart, dataStart);
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
  const need = count * elementBytes(t);
  const have = fileLength - dataStart;
  if (have < need) {
    throw fail(`file is truncated: shape ${shapeText(shape)} of '${descr}' needs ${need} data bytes, found ${have}`);
  }
  if (have > need) {
    throw fail(`file has ${have - need} unexpected bytes after the data of shape ${shapeText(shape)} '${descr}'`);
  }
  return { shape, descr, t, fortran, dataStart, count, need };
}

/** Reverses the bytes of every `w`-byte element in place (big ↔ little endian). */
function swapBytes(b: Uint8Array, w: number): void {
  for (let off = 0; off < b.length; off += w) {
    for (let a = off, c = off + w - 1; a < c; a++, c--) { const x = b[a]; b[a] = b[c]; b[c] = x; }
  }
}

/** True when elements of this dtype must be byte-swapped on this host. */
function needsSwap(t: DtypeInfo): boolean {
  return t.itemsize > 1 && t.bigEndian === LITTLE_ENDIAN_HOST;
}

/**
 * Decodes the data of a `.npy` array. `data` holds exactly `h.need` bytes, starts an ArrayBuffer
 * of its own (numeric views are made on it) and may be modified (byte swaps are done in place).
 */
function decodeNpyData(h: NpyHeader, data: Uint8Array, fail: (what: string) => Error): NpyArray {
  const { t, shape, count, descr } = h;
  const eb = elementBytes(t);
  let out: NpyTypedArray | string[];
  if (t.kind === 'U' || t.kind === 'S') {
    const strs: string[] = new Array(count);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
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
        const base = k * eb;
        while (end > 0 && data[base + end - 1] === 0) end--;
        s = latin1(data.subarray(base, base + end));
      }
      strs[k] = s;
    }
    out = strs;
  } else {
    if (needsSwap(t)) swapBytes(data, t.itemsize);
    out = makeTyped(t, data.buffer as ArrayBuffer);
    if (t.kind === 'b') {
      for (let k = 0; k < out.length; k++) {
        if ((out as Uint8Array)[k] > 1) throw fail(`boolean element ${k} has byte value ${(out as Uint8Array)[k]}, expected 0 or 1`);
      }
    }
  }
  if (h.fortran && shape.length > 1) {
    if (Array.isArray(out)) {
      out = fortranToC(out, shape, (n) => new Array<string>(n)) as string[];
    } else {
      const ctor = out.constructor as { new (n: number): NpyTypedArray };
      out = fortranToC(out as ArrayLike<number | bigint>, shape, (n) => new ctor(n) as unknown as { [i: number]: number | bigint }) as unknown as NpyTypedArray;
    }
  }
  return { shape, dtype: descr, data: out };
}

/**
 * Parses the bytes of a `.npy` file. `source` and `field` name the file and the array in error
 * messages ("<source>: <field>: <problem>").
 */
export function parseNpy(bytes: Uint8Array, source: string, field = 'file'): NpyArray {
  const fail = (what: string) => inputError(source, field, what);
  const h = parseNpyHeader(bytes, bytes.length, fail);
  return decodeNpyData(h, bytes.slice(h.dataStart, h.dataStart + h.need), fail); // aligned private copy
}

/** Largest single read (fs.readSync takes at most 2³¹ − 1 bytes per call). */
const MAX_READ_BYTES = 1 << 30;

/** An open `.npy` file and its parsed header (close `fd` when done). */
interface OpenNpy {
  fd: number;
  header: NpyHeader;
}

/** Fills `buf` from `fd` at byte `position` (positioned reads, no size limit on the file). */
function readAt(fd: number, buf: Uint8Array, position: number, fail: (what: string) => Error): void {
  let done = 0;
  while (done < buf.length) {
    let got: number;
    try {
      got = readSync(fd, buf, done, Math.min(buf.length - done, MAX_READ_BYTES), position + done);
    } catch (err) {
      throw fail(`cannot read file (${describeFsError(err)})`);
    }
    if (got === 0) throw fail(`file ended at byte ${position + done} while reading (it changed while being read?)`);
    done += got;
  }
}

/** Opens a `.npy` file and parses its header (errors as readBytes and parseNpy word them). */
function openNpy(path: string, field: string): OpenNpy {
  const fail = (what: string) => inputError(path, field, what);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw fail('is a directory, expected a file');
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fail(describeFsError(err));
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fail(`cannot read file (${describeFsError(err)})`);
  }
  try {
    const prefix = new Uint8Array(Math.min(size, 12));
    readAt(fd, prefix, 0, fail);
    let head = prefix;
    if (prefix.length >= 10 && MAGIC.every((b, i) => prefix[i] === b)) {
      const major = prefix[6];
      const len = major === 1 ? 10 + (prefix[8] | (prefix[9] << 8))
        : prefix.length >= 12 ? 12 + (prefix[8] | (prefix[9] << 8) | (prefix[10] << 16)) + prefix[11] * 0x1000000 : 0;
      if (len > prefix.length && len <= size) {
        head = new Uint8Array(len);
        readAt(fd, head, 0, fail);
      }
    }
    return { fd, header: parseNpyHeader(head, size, fail) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Reads a `.npy` file of any size: the header first, then the data straight into the array's own
 * buffer with positioned reads (no whole-file buffer, no 2 GiB limit).
 */
export function readNpy(path: string, field = 'file'): NpyArray {
  const fail = (what: string) => inputError(path, field, what);
  const { fd, header } = openNpy(path, field);
  try {
    const data = new Uint8Array(header.need);
    readAt(fd, data, header.dataStart, fail);
    return decodeNpyData(header, data, fail);
  } finally {
    closeSync(fd);
  }
}

function describeCell(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** The 2-D numeric checks of npyToMatrix64 (same wording), on a header. */
function checkMatrixHeader(shape: readonly number[], descr: string, fail: (what: string) => Error): DtypeInfo {
  if (shape.length !== 2) {
    throw fail(`expected a 2-D array, found a ${shape.length}-D array of shape ${shapeText(shape)}`);
  }
  const t = parseDescr(descr);
  if (!t || t.kind === 'b' || t.kind === 'U' || t.kind === 'S') {
    throw fail(`expected a numeric (float or integer) array, found dtype '${descr}'`);
  }
  return t;
}

/** Throws at the first non-finite value of a C-order rows × cols matrix. */
function checkFinite(out: Float64Array, cols: number, fail: (what: string) => Error): void {
  for (let k = 0; k < out.length; k++) {
    const v = out[k];
    if (v - v !== 0) {
      throw fail(`row ${Math.floor(k / cols)}, column ${k % cols} is ${describeCell(v)}; expected finite values (rows and columns count from 0)`);
    }
  }
}

/**
 * Converts a numeric NpyArray to a float64 matrix: it must be 2-D, numeric (float or integer;
 * 64-bit integers must be exactly representable) and every value finite.
 */
export function npyToMatrix64(arr: NpyArray, source: string, field: string): Matrix64 {
  const fail = (what: string) => inputError(source, field, what);
  checkMatrixHeader(arr.shape, arr.dtype, fail);
  if (Array.isArray(arr.data)) throw fail(`expected a numeric (float or integer) array, found dtype '${arr.dtype}'`);
  const [rows, cols] = arr.shape;
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
    out[k] = v;
  }
  checkFinite(out, cols, fail);
  return { rows, cols, data: out };
}

/** Bytes read per piece by readMatrixNpy (the only buffer besides the result). */
export const NPY_CHUNK_BYTES = 8 << 20;

/**
 * Reads a `.npy` file holding a 2-D numeric array of finite values as a float64 matrix. Errors
 * name the file, `field`, and the first bad row/column (0-based).
 *
 * The file is read in pieces of `chunkBytes` (default NPY_CHUNK_BYTES; rounded down to whole
 * elements, at least one) with positioned reads and converted straight into the result, so any
 * file size works (no 2 GiB limit) and the memory used is the float64 result plus one piece
 * (row-major float64 files are read into the result itself).
 */
export function readMatrixNpy(path: string, opts: { field: string; chunkBytes?: number }): Matrix64 {
  const field = opts.field;
  const fail = (what: string) => inputError(path, field, what);
  const { fd, header: h } = openNpy(path, field);
  try {
    const t = checkMatrixHeader(h.shape, h.descr, fail);
    const [rows, cols] = h.shape;
    const count = h.count;
    const out = new Float64Array(count);
    const eb = t.itemsize;
    const per = Math.max(1, Math.floor((opts.chunkBytes ?? NPY_CHUNK_BYTES) / eb));
    const swap = needsSwap(t);
    const fortran = h.fortran;
    let badInt = -1; // smallest C index of a 64-bit integer that is not exactly representable
    let badRaw = 0n;
    if (t.kind === 'f' && eb === 8 && !fortran) {
      // float64 in row-major order: read straight into the result, piece by piece.
      const bytes = new Uint8Array(out.buffer);
      for (let e0 = 0; e0 < count; e0 += per) {
        const piece = bytes.subarray(e0 * 8, Math.min(count, e0 + per) * 8);
        readAt(fd, piece, h.dataStart + e0 * 8, fail);
        if (swap) swapBytes(piece, 8);
      }
      checkFinite(out, cols, fail);
      return { rows, cols, data: out };
    }
    const buf = new Uint8Array(Math.min(per, Math.max(count, 1)) * eb);
    for (let e0 = 0; e0 < count; e0 += per) {
      const n = Math.min(per, count - e0);
      const piece = buf.subarray(0, n * eb);
      readAt(fd, piece, h.dataStart + e0 * eb, fail);
      if (swap) swapBytes(piece, eb);
      const src = makeTyped(t, buf.buffer as ArrayBuffer);
      if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
        for (let i = 0; i < n; i++) {
          const e = e0 + i;
          const k = fortran ? (e % rows) * cols + Math.floor(e / rows) : e;
          const v = Number(src[i]);
          if (!Number.isSafeInteger(v) && (badInt < 0 || k < badInt)) { badInt = k; badRaw = src[i]; }
          out[k] = v;
        }
      } else if (!fortran) {
        out.set(n === src.length ? src : src.subarray(0, n), e0);
      } else {
        for (let i = 0; i < n; i++) {
          const e = e0 + i;
          const r = e % rows;
          out[r * cols + (e - r) / rows] = src[i];
        }
      }
    }
    if (badInt >= 0) {
      throw fail(`row ${Math.floor(badInt / cols)}, column ${badInt % cols}: integer ${badRaw} is too large to represent exactly`);
    }
    checkFinite(out, cols, fail);
    return { rows, cols, data: out };
  } finally {
    closeSync(fd);
  }
}

/**
 * A 2-D numeric `.npy` file read in pieces: ranges of columns (unit batches of a samples × units
 * response matrix) or of rows, each converted to float64 on its own, so that the whole matrix is
 * never held in memory (a 10,000 × 100,000 float32 y.npy is 4 GB on disk, 8 GB as float64).
 *
 * Row-major (C-order) files: a column range [u0, u1) is read with one positioned read per row of
 * its (u1 − u0) elements (or whole rows, `chunkBytes` at a time, when the range is at least half a
 * row wide); Fortran-order files: one read per column. Values are checked as readMatrixNpy checks
 * them (finite; 64-bit integers exactly representable), with the same error wording. The file is
 * opened for each read and closed after it (no descriptor is held between reads).
 */
export class NpyMatrixReader {
  readonly rows: number;
  readonly cols: number;
  /** The dtype descriptor as stored, e.g. '<f4'. */
  readonly dtype: string;
  private readonly t: DtypeInfo;
  private readonly chunkBytes: number;
  private readonly header: NpyHeader;

  private constructor(readonly path: string, readonly field: string, h: NpyHeader, t: DtypeInfo, chunkBytes: number) {
    this.rows = h.shape[0];
    this.cols = h.shape[1];
    this.dtype = h.descr;
    this.t = t;
    this.header = h;
    this.chunkBytes = chunkBytes;
  }

  /** Opens `path` and checks its header (2-D, numeric); errors name the file and `field`. */
  static open(path: string, opts: { field: string; chunkBytes?: number }): NpyMatrixReader {
    const fail = (what: string) => inputError(path, opts.field, what);
    const { fd, header } = openNpy(path, opts.field);
    closeSync(fd);
    const t = checkMatrixHeader(header.shape, header.descr, fail);
    return new NpyMatrixReader(path, opts.field, header, t, Math.max(t.itemsize, opts.chunkBytes ?? NPY_CHUNK_BYTES));
  }

  /** Bytes of one element in the file. */
  get itemsize(): number {
    return this.t.itemsize;
  }

  private fail(what: string): InputError {
    return inputError(this.path, this.field, what);
  }

  private withFd<T>(f: (fd: number) => T): T {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      throw this.fail(`cannot read file (${describeFsError(err)})`);
    }
    try {
      return f(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Decodes the first n elements of `raw` (file bytes, its own ArrayBuffer from offset 0; swapped
   * in place if needed) into dst[at + k·step] for k < n, checking values; `where(k)` gives the
   * (row, column) of element k for error messages.
   */
  private decode(raw: Uint8Array, n: number, dst: Float64Array, at: number, step: number, where: (k: number) => [number, number]): void {
    const eb = this.t.itemsize;
    if (needsSwap(this.t)) swapBytes(raw.subarray(0, n * eb), eb);
    const src = makeTyped(this.t, raw.buffer as ArrayBuffer);
    for (let k = 0; k < n; k++) {
      const e = src[k];
      let v: number;
      if (typeof e === 'bigint') {
        v = Number(e);
        if (!Number.isSafeInteger(v)) {
          const [r, c] = where(k);
          throw this.fail(`row ${r}, column ${c}: integer ${e} is too large to represent exactly`);
        }
      } else v = e;
      if (v - v !== 0) {
        const [r, c] = where(k);
        throw this.fail(`row ${r}, column ${c} is ${describeCell(v)}; expected finite values (rows and columns count from 0)`);
      }
      dst[at + k * step] = v;
    }
  }

  /** Rows [r0, r1) as float64, row-major ((r1 − r0) × cols). */
  readRows(r0: number, r1: number): Float64Array {
    if (!(Number.isInteger(r0) && Number.isInteger(r1) && 0 <= r0 && r0 <= r1 && r1 <= this.rows)) throw new RangeError(`readRows: rows [${r0}, ${r1}) outside 0 … ${this.rows}`);
    const { cols, rows } = this;
    const nr = r1 - r0;
    const out = new Float64Array(nr * cols);
    if (nr === 0 || cols === 0) return out;
    const eb = this.t.itemsize;
    const start = this.header.dataStart;
    const fail = (w: string) => this.fail(w);
    this.withFd((fd) => {
      if (!this.header.fortran) {
        const perRows = Math.max(1, Math.floor(this.chunkBytes / (cols * eb)));
        const buf = new Uint8Array(Math.min(perRows, nr) * cols * eb);
        for (let a = r0; a < r1; a += perRows) {
          const b = Math.min(r1, a + perRows);
          const n = (b - a) * cols;
          readAt(fd, buf.subarray(0, n * eb), start + a * cols * eb, fail);
          this.decode(buf, n, out, (a - r0) * cols, 1, (k) => [a + Math.floor(k / cols), k % cols]);
        }
      } else {
        const buf = new Uint8Array(nr * eb);
        for (let c = 0; c < cols; c++) {
          readAt(fd, buf, start + (c * rows + r0) * eb, fail);
          this.decode(buf, nr, out, c, cols, (k) => [r0 + k, c]);
        }
      }
    });
    return out;
  }

  /** Columns [u0, u1) of every row as a float64 matrix (rows × (u1 − u0)). */
  readColumns(u0: number, u1: number): Matrix64 {
    if (!(Number.isInteger(u0) && Number.isInteger(u1) && 0 <= u0 && u0 <= u1 && u1 <= this.cols)) throw new RangeError(`readColumns: columns [${u0}, ${u1}) outside 0 … ${this.cols}`);
    const { rows, cols } = this;
    const b = u1 - u0;
    const out = new Float64Array(rows * b);
    if (rows === 0 || b === 0) return { rows, cols: b, data: out };
    const eb = this.t.itemsize;
    const start = this.header.dataStart;
    const fail = (w: string) => this.fail(w);
    this.withFd((fd) => {
      if (this.header.fortran) {
        const buf = new Uint8Array(rows * eb);
        for (let c = u0; c < u1; c++) {
          readAt(fd, buf, start + c * rows * eb, fail);
          this.decode(buf, rows, out, c - u0, b, (k) => [k, c]);
        }
      } else if (2 * b >= cols) {
        // Wide range: whole rows, chunkBytes at a time, then the range of each.
        const perRows = Math.max(1, Math.floor(this.chunkBytes / (cols * eb)));
        const buf = new Uint8Array(Math.min(perRows, rows) * cols * eb);
        const row = new Uint8Array(b * eb);
        for (let a = 0; a < rows; a += perRows) {
          const e = Math.min(rows, a + perRows);
          readAt(fd, buf.subarray(0, (e - a) * cols * eb), start + a * cols * eb, fail);
          for (let i = a; i < e; i++) {
            const off = ((i - a) * cols + u0) * eb;
            row.set(buf.subarray(off, off + b * eb));
            this.decode(row, b, out, i * b, 1, (k) => [i, u0 + k]);
          }
        }
      } else {
        const buf = new Uint8Array(b * eb);
        for (let i = 0; i < rows; i++) {
          readAt(fd, buf, start + (i * cols + u0) * eb, fail);
          this.decode(buf, b, out, i * b, 1, (k) => [i, u0 + k]);
        }
      }
    });
    return { rows, cols: b, data: out };
  }

  /**
   * Reads the whole file once, `chunkBytes` at a time, and throws readMatrixNpy's error at the first
   * value that is not finite (or a 64-bit integer that is not exact), in row-major order.
   */
  checkValues(): void {
    const per = Math.max(1, Math.floor(this.chunkBytes / (Math.max(1, this.cols) * 8)));
    for (let r = 0; r < this.rows; r += per) this.readRows(r, Math.min(this.rows, r + per));
  }
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
 * The `.npy` header (magic, version, length, dict) numpy.save writes for an array of dtype `descr`
 * (e.g. '<f4') and `shape`, C order: version 1.0 (2.0 if the dict does not fit 65535 bytes), padded
 * with spaces and a newline to a multiple of 64 bytes. The data follow it (streamed writers: bench,
 * scripts).
 */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`encodeNpy: invalid shape ${shapeText(shape)}`);
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
  const out = new Uint8Array(total);
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
  return out;
}

/**
 * Encodes an array as `.npy` bytes exactly as numpy.save writes it: version 1.0 (2.0 if the header
 * does not fit 65535 bytes), little-endian, C order, header padded to a multiple of 64 bytes.
 */
export function encodeNpy(data: NpyWritable, shape: readonly number[]): Uint8Array {
  const head = npyHeader(descrOf(data), shape);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`encodeNpy: shape ${shapeText(shape)} holds ${count} values, data has ${data.length}`);
  }
  const total = head.length;
  const out = new Uint8Array(total + data.byteLength);
  out.set(head, 0);
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
