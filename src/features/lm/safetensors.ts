/**
 * safetensors reader (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
 * then the raw little-endian tensor bytes (offsets relative to the end of the header).
 *
 * Files are read by position (never whole), so multi-gigabyte checkpoints (gpt2-xl: 6.4 GB) work
 * and only the tensors asked for are read. F32, F16, BF16 and F64 tensors are converted to f32.
 * A sharded checkpoint (`model.safetensors.index.json` with a `weight_map`) reads as one model.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, inputError } from '../../data/errors.js';
import { describeFsError, readText } from '../../io/fsutil.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** Every dtype of the format (for messages), the supported ones first. */
const KNOWN_DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2', 'U16', 'U32', 'U64'];

/** Where one tensor lives. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The file holding it. */
  file: string;
  /** Absolute byte offset of its data in the file. */
  offset: number;
  byteLength: number;
}

/** The largest header accepted (the format's own limit is 100 MB). */
const MAX_HEADER = 100_000_000;

/**
 * Parses the header of a safetensors file from its bytes (`fileSize`: the size of the whole file,
 * to check that every tensor lies inside it). Throws InputError "<file>: header: …" or
 * "<file>: <tensor>: …". Tensors of unsupported dtypes are kept out of the map but listed in
 * `unsupported` (an error only when one of them is read).
 */
export function parseSafetensorsHeader(head: Uint8Array, fileSize: number, file: string): { tensors: Map<string, TensorInfo>; unsupported: Map<string, string>; dataStart: number; metadata: Record<string, string> } {
  if (fileSize < 8 || head.length < 8) throw inputError(file, 'header', `file has ${fileSize} bytes; a safetensors file starts with an 8-byte header length`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER || 8 + n > fileSize) {
    throw inputError(file, 'header', `header length ${n} is impossible for a file of ${fileSize} bytes; expected a safetensors file (8-byte little-endian length + JSON header + data)`);
  }
  if (head.length < 8 + n) throw inputError(file, 'header', `truncated header (${head.length - 8} of ${n} bytes)`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + n)));
  } catch (err) {
    throw inputError(file, 'header', `is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw inputError(file, 'header', 'expected a JSON object of tensors');
  const dataStart = 8 + n;
  const dataLength = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  const unsupported = new Map<string, string>();
  let metadata: Record<string, string> = {};
  for (const [name, rawInfo] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (rawInfo !== null && typeof rawInfo === 'object') metadata = rawInfo as Record<string, string>;
      continue;
    }
    if (rawInfo === null || typeof rawInfo !== 'object') throw inputError(file, name, 'expected {dtype, shape, data_offsets}');
    const info = rawInfo as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info.dtype !== 'string' || !KNOWN_DTYPES.includes(info.dtype)) throw inputError(file, name, `dtype ${JSON.stringify(info.dtype)} is not a safetensors dtype`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) throw inputError(file, name, `shape ${JSON.stringify(info.shape)} is not a list of non-negative integers`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw inputError(file, name, `data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLength) throw inputError(file, name, `data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes); the file is truncated`);
    const shape = info.shape as number[];
    if (!(info.dtype in DTYPE_BYTES)) {
      unsupported.set(name, info.dtype);
      continue;
    }
    const dtype = info.dtype as SafetensorsDtype;
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel * DTYPE_BYTES[dtype] !== end - begin) {
      throw inputError(file, name, `data_offsets [${begin}, ${end}] hold ${end - begin} bytes; shape [${shape.join(', ')}] of ${dtype} needs ${numel * DTYPE_BYTES[dtype]}`);
    }
    tensors.set(name, { name, dtype, shape, file, offset: dataStart + begin, byteLength: end - begin });
  }
  return { tensors, unsupported, dataStart, metadata };
}

/** Reads `length` bytes at `position` into `dst` (chunked: one readSync moves at most 1 GiB). */
function readAt(fd: number, dst: Uint8Array, position: number, file: string, field: string): void {
  let done = 0;
  while (done < dst.length) {
    const want = Math.min(dst.length - done, 1 << 30);
    let got: number;
    try {
      got = readSync(fd, dst, done, want, position + done);
    } catch (err) {
      throw inputError(file, field, `cannot read (${describeFsError(err)})`);
    }
    if (got === 0) throw inputError(file, field, `unexpected end of file at byte ${position + done}`);
    done += got;
  }
}

let f16Table: Float32Array | undefined;

/** IEEE half → float lookup table (65536 entries, built once). */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m === 0 ? s * Infinity : NaN;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  f16Table = t;
  return t;
}

/** Converts raw little-endian tensor bytes to f32. */
export function toFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  switch (dtype) {
    case 'F32': {
      if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      return new Float32Array(bytes.slice().buffer);
    }
    case 'F64': {
      const src = bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8) : new Float64Array(bytes.slice().buffer);
      return Float32Array.from(src);
    }
    case 'F16': {
      const n = bytes.byteLength / 2;
      const src = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(bytes.slice().buffer);
      const t = halfTable();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = t[src[i]];
      return out;
    }
    case 'BF16': {
      const n = bytes.byteLength / 2;
      const src = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(bytes.slice().buffer);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
      return out;
    }
  }
}

/** One open safetensors file (the descriptor is opened per read; nothing stays open). */
export class SafetensorsFile {
  readonly path: string;
  readonly tensors: Map<string, TensorInfo>;
  readonly unsupported: Map<string, string>;
  readonly metadata: Record<string, string>;
  readonly size: number;

  private constructor(path: string, parsed: ReturnType<typeof parseSafetensorsHeader>, size: number) {
    this.path = path;
    this.tensors = parsed.tensors;
    this.unsupported = parsed.unsupported;
    this.metadata = parsed.metadata;
    this.size = size;
  }

  /** Opens a file and parses its header (InputError for a missing file or a bad header). */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw inputError(path, 'weights', describeFsError(err));
    }
    try {
      const size = fstatSync(fd).size;
      const lenBytes = new Uint8Array(8);
      if (size < 8) throw inputError(path, 'header', `file has ${size} bytes; a safetensors file starts with an 8-byte header length`);
      readAt(fd, lenBytes, 0, path, 'header');
      const n = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
      if (n < 2 || n > MAX_HEADER || 8 + n > size) {
        throw inputError(path, 'header', `header length ${n} is impossible for a file of ${size} bytes; expected a safetensors file (8-byte little-endian length + JSON header + data)`);
      }
      const head = new Uint8Array(8 + n);
      readAt(fd, head, 0, path, 'header');
      return new SafetensorsFile(path, parseSafetensorsHeader(head, size, path), size);
    } finally {
      closeSync(fd);
    }
  }

  /** Reads a tensor as f32 (row-major in its stored shape). */
  read(name: string): Float32Array {
    const info = this.tensors.get(name);
    if (!info) {
      const dt = this.unsupported.get(name);
      if (dt !== undefined) throw inputError(this.path, name, `dtype ${dt} is not supported; expected F32, F16, BF16 or F64`);
      throw inputError(this.path, name, 'missing tensor');
    }
    return readTensor(info);
  }
}

/** Reads the bytes of one tensor and converts them to f32. */
export function readTensor(info: TensorInfo): Float32Array {
  const bytes = new Uint8Array(info.byteLength);
  if (info.byteLength > 0) {
    let fd: number;
    try {
      fd = openSync(info.file, 'r');
    } catch (err) {
      throw inputError(info.file, info.name, `cannot open (${describeFsError(err)})`);
    }
    try {
      readAt(fd, bytes, info.offset, info.file, info.name);
    } finally {
      closeSync(fd);
    }
  }
  return toFloat32(bytes, info.dtype);
}

/**
 * The weights of a model folder: `model.safetensors`, or the shards named by
 * `model.safetensors.index.json`. Tensor lookups go through `get`, which also tries the names with
 * and without a `transformer.` prefix.
 */
export class SafetensorsModel {
  readonly dir: string;
  /** The weight files, in a stable order (what the weights hash covers). */
  readonly files: string[];
  private readonly byName = new Map<string, TensorInfo>();
  private readonly unsupported = new Map<string, { file: string; dtype: string }>();

  private constructor(dir: string, files: SafetensorsFile[]) {
    this.dir = dir;
    this.files = files.map((f) => f.path);
    for (const f of files) {
      for (const [k, v] of f.tensors) this.byName.set(k, v);
      for (const [k, v] of f.unsupported) this.unsupported.set(k, { file: f.path, dtype: v });
    }
  }

  /** Opens the weights of a Hugging Face folder (InputError naming what is missing). */
  static open(dir: string): SafetensorsModel {
    const single = join(dir, 'model.safetensors');
    const index = join(dir, 'model.safetensors.index.json');
    if (existsSync(single)) return new SafetensorsModel(dir, [SafetensorsFile.open(single)]);
    if (existsSync(index)) {
      let raw: unknown;
      try {
        raw = JSON.parse(readText(index, 'weight_map'));
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw inputError(index, 'weight_map', `is not valid JSON (${(err as Error).message})`);
      }
      const map = (raw as { weight_map?: unknown } | null)?.weight_map;
      if (map === null || typeof map !== 'object' || Array.isArray(map)) throw inputError(index, 'weight_map', 'missing; expected {"weight_map": {tensor: shard file}}');
      const shardNames = [...new Set(Object.values(map as Record<string, unknown>))];
      if (shardNames.length === 0 || !shardNames.every((s) => typeof s === 'string' && s !== '' && !s.includes('..'))) {
        throw inputError(index, 'weight_map', 'expected shard file names (strings) as values');
      }
      const files = (shardNames as string[]).sort().map((s) => SafetensorsFile.open(join(dirname(index), s)));
      const model = new SafetensorsModel(dir, files);
      for (const [name, shard] of Object.entries(map as Record<string, string>)) {
        const info = model.byName.get(name);
        if (info && info.file !== join(dirname(index), shard)) throw inputError(index, name, `mapped to ${shard} but found in ${info.file}`);
        if (!info && !model.unsupported.has(name)) throw inputError(join(dirname(index), shard), name, `missing tensor (listed in ${index})`);
      }
      return model;
    }
    throw inputError(dir, 'weights', 'no model.safetensors or model.safetensors.index.json; expected Hugging Face safetensors weights (convert .bin checkpoints with transformers\' save_pretrained(safe_serialization=True))');
  }

  /** All tensor names as stored. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The stored tensor for `name` or `transformer.<name>` (or `name` without that prefix), else null. */
  find(name: string): TensorInfo | null {
    const alt = name.startsWith('transformer.') ? name.slice('transformer.'.length) : `transformer.${name}`;
    return this.byName.get(name) ?? this.byName.get(alt) ?? null;
  }

  /**
   * Reads tensor `name` as f32, checking its shape; a missing tensor or a wrong shape is an
   * InputError naming the file(s) and the tensor.
   */
  get(name: string, shape: readonly number[]): Float32Array {
    const info = this.find(name);
    if (!info) {
      const alt = name.startsWith('transformer.') ? name.slice('transformer.'.length) : `transformer.${name}`;
      const un = this.unsupported.get(name) ?? this.unsupported.get(alt);
      if (un) throw inputError(un.file, name, `dtype ${un.dtype} is not supported; expected F32, F16, BF16 or F64`);
      const where = this.files.length === 1 ? this.files[0] : `${this.dir} (${this.files.length} shards)`;
      throw inputError(where, name, `missing tensor (expected shape [${shape.join(', ')}])`);
    }
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw inputError(info.file, info.name, `has shape [${info.shape.join(', ')}]; expected [${shape.join(', ')}] from config.json`);
    }
    return readTensor(info);
  }

  /**
   * Reads only some rows of a matrix tensor `name` (shape [n, d], checked), as f32:
   * result row i is stored row rows[i] (an embedding lookup without reading the whole table).
   * Each distinct row is read once, by position.
   */
  getRows(name: string, shape: readonly [number, number], rows: readonly number[]): Float32Array {
    const info = this.find(name);
    if (!info || info.shape.length !== 2 || info.shape[0] !== shape[0] || info.shape[1] !== shape[1]) {
      this.get(name, shape); // throws the missing-tensor / wrong-shape error
      throw inputError(this.dir, name, 'unreachable');
    }
    const d = shape[1];
    const rowBytes = d * DTYPE_BYTES[info.dtype];
    const out = new Float32Array(rows.length * d);
    const read = new Map<number, Float32Array>();
    let fd: number;
    try {
      fd = openSync(info.file, 'r');
    } catch (err) {
      throw inputError(info.file, info.name, `cannot open (${describeFsError(err)})`);
    }
    try {
      rows.forEach((r, i) => {
        if (!Number.isInteger(r) || r < 0 || r >= shape[0]) throw new RangeError(`${info.name}: row ${r} is outside 0 … ${shape[0] - 1}`);
        let v = read.get(r);
        if (!v) {
          const bytes = new Uint8Array(rowBytes);
          readAt(fd, bytes, info.offset + r * rowBytes, info.file, info.name);
          v = toFloat32(bytes, info.dtype);
          read.set(r, v);
        }
        out.set(v, i * d);
      });
    } finally {
      closeSync(fd);
    }
    return out;
  }
}
