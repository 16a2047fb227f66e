import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodeNpy, encodeNpz, npyHeader, parseNpy, parseNpz, readMatrixNpy, readNpy, readNpz, writeNpy, writeNpz,
} from '../../src/io/npy.js';
import { InputError } from '../../src/data/errors.js';
import { tempDir } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/io/', import.meta.url));
const BLANK_NPZ = fileURLToPath(new URL('../../../shared/data/blank2014/story_data_dict.npz', import.meta.url));
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));

/**
 * Builds a .npy file by hand from the published format: "\x93NUMPY", major, minor, header length
 * (uint16 LE for 1.0, uint32 LE for 2.0/3.0), the header dict padded with spaces and ended by
 * '\n' so that the data starts at a multiple of 64, then the raw data.
 */
function npyFile(dict: string, body: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const dictBytes = new TextEncoder().encode(dict);
  const total = Math.ceil((prefix + dictBytes.length + 1) / 64) * 64;
  const hlen = total - prefix;
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  if (major === 1) { out[8] = hlen & 0xff; out[9] = hlen >> 8; } else new DataView(out.buffer).setUint32(8, hlen, true);
  out.set(dictBytes, prefix);
  out.fill(0x20, prefix + dictBytes.length, total - 1);
  out[total - 1] = 0x0a;
  out.set(body, total);
  return out;
}

function floats(values: number[], size: 4 | 8, littleEndian: boolean): Uint8Array {
  const dv = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, k) => (size === 8 ? dv.setFloat64(k * 8, v, littleEndian) : dv.setFloat32(k * 4, v, littleEndian)));
  return new Uint8Array(dv.buffer);
}

// The 2 × 3 matrix every fixture holds: [[1.5, -2, 3], [4, 5.25, -0.006]].
const C_ORDER = [1.5, -2, 3, 4, 5.25, -0.006];
const F_ORDER = [1.5, 4, -2, 5.25, 3, -0.006];

test('npy: C-order <f8 from hand-built bytes; encodeNpy reproduces them and numpy\'s file byte for byte', () => {
  const bytes = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", floats(C_ORDER, 8, true));
  const a = parseNpy(bytes, 'mem');
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, '<f8');
  assert.ok(a.data instanceof Float64Array);
  assert.deepEqual(Array.from(a.data as Float64Array), C_ORDER);
  assert.deepEqual(encodeNpy(Float64Array.from(C_ORDER), [2, 3]), bytes);
  assert.deepEqual(fixture('f8_c.npy'), bytes);
});

test('npy: C-order <f4 round trip matches numpy', () => {
  const f32 = Float32Array.from(C_ORDER);
  const bytes = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats(Array.from(f32), 4, true));
  assert.deepEqual(encodeNpy(f32, [2, 3]), bytes);
  assert.deepEqual(fixture('f4_c.npy'), bytes);
  const a = parseNpy(bytes, 'mem');
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual(Array.from(a.data as Float32Array), Array.from(f32));
});

test('npyHeader (what streamed writers put before their data) is numpy\'s header byte for byte', () => {
  for (const [name, descr, eb] of [['f4_c.npy', '<f4', 4], ['f8_c.npy', '<f8', 8]] as const) {
    const file = fixture(name);
    assert.deepEqual(npyHeader(descr, [2, 3]), file.subarray(0, file.length - 6 * eb), name);
  }
});

test('npy: Fortran order is converted to row-major (hand-built and numpy)', () => {
  const bytes = npyFile("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", floats(F_ORDER, 8, true));
  for (const a of [parseNpy(bytes, 'mem'), readNpy(join(FIX, 'f8_fortran.npy'))]) {
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.data as Float64Array), C_ORDER);
  }
  const a3 = readNpy(join(FIX, 'f8_3d_fortran.npy'));
  assert.deepEqual(a3.shape, [2, 3, 4]);
  assert.deepEqual(Array.from(a3.data as Float64Array), Array.from({ length: 24 }, (_, k) => k));
});

test('npy: big-endian >f8 (C) and >f4 (Fortran), hand-built and numpy', () => {
  const be8 = npyFile("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", floats(C_ORDER, 8, false));
  for (const a of [parseNpy(be8, 'mem'), readNpy(join(FIX, 'f8_be.npy'))]) {
    assert.equal(a.dtype, '>f8');
    assert.deepEqual(Array.from(a.data as Float64Array), C_ORDER);
  }
  const f32 = Array.from(Float32Array.from(C_ORDER));
  const f32F = Array.from(Float32Array.from(F_ORDER));
  const be4 = npyFile("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }", floats(f32F, 4, false));
  for (const a of [parseNpy(be4, 'mem'), readNpy(join(FIX, 'f4_be_fortran.npy'))]) {
    assert.equal(a.dtype, '>f4');
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual(Array.from(a.data as Float32Array), f32);
  }
  assert.deepEqual(readMatrixNpy(join(FIX, 'f4_be_fortran.npy'), { field: 'y' }), { rows: 2, cols: 3, data: Float64Array.from(f32) });
});

test('npy: format versions 2.0 and 3.0 (UTF-8 header)', () => {
  const v2 = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", floats(C_ORDER, 8, true), 2);
  assert.deepEqual(fixture('f8_v2.npy'), v2);
  assert.deepEqual(Array.from(parseNpy(v2, 'mem').data as Float64Array), C_ORDER);
  assert.deepEqual(Array.from(readNpy(join(FIX, 'f8_v3.npy')).data as Float64Array), C_ORDER);
  const v3 = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'note': 'naïve', }", floats([2.5], 8, true), 3);
  assert.deepEqual(Array.from(parseNpy(v3, 'mem').data as Float64Array), [2.5]);
});

test('npy: integer, unsigned, boolean and unicode dtypes written by numpy', () => {
  const i4 = readNpy(join(FIX, 'i4_1d.npy'));
  assert.equal(i4.dtype, '<i4');
  assert.ok(i4.data instanceof Int32Array);
  assert.deepEqual(Array.from(i4.data as Int32Array), [1, -2, 3, 2147483647]);
  const i8 = readNpy(join(FIX, 'i8_be_1d.npy'));
  assert.equal(i8.dtype, '>i8');
  assert.deepEqual(Array.from(i8.data as BigInt64Array), [1n, -2n, 3n, 2n ** 40n]);
  assert.deepEqual(Array.from(readNpy(join(FIX, 'u1_1d.npy')).data as Uint8Array), [0, 7, 255]);
  const b = readNpy(join(FIX, 'b1_1d.npy'));
  assert.equal(b.dtype, '|b1');
  assert.deepEqual(Array.from(b.data as Uint8Array), [1, 0, 1]);
  const u = readNpy(join(FIX, 'unicode_1d.npy'));
  assert.equal(u.dtype, '<U12');
  assert.deepEqual(u.data, ['a', 'Zoë', 'If you were ']);
});

test('npy: writeNpy → readNpy/readMatrixNpy round trips (f4, f8, 1-D, 2-D)', () => {
  const dir = tempDir();
  const f64 = Float64Array.from([0.1, -1e300, 5e-324, Math.PI, -0, 42]);
  writeNpy(join(dir, 'a.npy'), f64, [3, 2]);
  const m = readMatrixNpy(join(dir, 'a.npy'), { field: 'x' });
  assert.equal(m.rows, 3);
  assert.equal(m.cols, 2);
  assert.deepEqual(Array.from(m.data), Array.from(f64));
  assert.ok(Object.is(m.data[4], -0));
  const f32 = Float32Array.from([1.25, -3, 7]);
  writeNpy(join(dir, 'b.npy'), f32, [3]);
  const b = readNpy(join(dir, 'b.npy'));
  assert.deepEqual(b.shape, [3]);
  assert.equal(b.dtype, '<f4');
  assert.deepEqual(b.data, f32);
  // Empty and 0-d shapes.
  writeNpy(join(dir, 'c.npy'), new Float64Array(0), [0, 4]);
  assert.deepEqual(readNpy(join(dir, 'c.npy')).shape, [0, 4]);
  writeNpy(join(dir, 'd.npy'), Float64Array.from([7]), []);
  assert.deepEqual(readNpy(join(dir, 'd.npy')), { shape: [], dtype: '<f8', data: Float64Array.from([7]) });
});

test('npz: numpy savez (stored) and savez_compressed (deflated) archives', () => {
  const stored = readNpz(join(FIX, 'arrays.npz'));
  assert.deepEqual([...stored.keys()].sort(), ['ids', 'y']);
  assert.deepEqual(Array.from(stored.get('y')!.data as Float64Array), C_ORDER);
  assert.deepEqual(stored.get('y')!.shape, [2, 3]);
  assert.deepEqual(Array.from(stored.get('ids')!.data as BigInt64Array), [3n, 1n, 2n]);
  const comp = readNpz(join(FIX, 'arrays_compressed.npz'));
  assert.deepEqual(Array.from(comp.get('y')!.data as Float32Array), Array.from(Float32Array.from(C_ORDER)));
  assert.deepEqual(Array.from(comp.get('ids')!.data as BigInt64Array), [3n, 1n, 2n]);
});

test('npz: the real Blank2014 story text archive', () => {
  const z = readNpz(BLANK_NPZ);
  assert.deepEqual([...z.keys()], ['Aqua', 'Boar', 'Elvis', 'HighSchool', 'KingOfBirds', 'MatchstickSeller', 'MrSticky', 'Tulips']);
  const lengths = [...z.values()].map((a) => (a.data as string[]).length);
  assert.deepEqual(lengths, [143, 153, 135, 157, 181, 181, 189, 178]);
  assert.ok([...z.values()].every((a) => (a.data as string[]).every((s) => s.length > 0)));
});

test('npz: writeNpz round trips, stored and compressed', () => {
  const dir = tempDir();
  const arrays = { y: { data: Float64Array.from(C_ORDER), shape: [2, 3] }, w: { data: Float32Array.from([1, 2]), shape: [2] } };
  for (const compress of [false, true]) {
    const p = join(dir, `a${compress}.npz`);
    writeNpz(p, arrays, { compress });
    const z = readNpz(p);
    assert.deepEqual(z.get('y'), { shape: [2, 3], dtype: '<f8', data: Float64Array.from(C_ORDER) });
    assert.deepEqual(z.get('w'), { shape: [2], dtype: '<f4', data: Float32Array.from([1, 2]) });
  }
  assert.deepEqual(parseNpz(encodeNpz(new Map([['k', { data: Int32Array.from([5]), shape: [1] }]])), 'mem').get('k')!.data, Int32Array.from([5]));
});

test('npy: malformed files are InputErrors naming file and field', () => {
  const dir = tempDir();
  const p = join(dir, 'bad.npy');
  const expect = (bytes: Uint8Array, message: string) => {
    writeFileSync(p, bytes);
    assert.throws(() => readMatrixNpy(p, { field: 'y' }), (e: unknown) => e instanceof InputError && e.message === message);
  };
  expect(new TextEncoder().encode('hello world, not numpy'), `${p}: y: not a .npy file (missing the \\x93NUMPY magic string)`);
  const good = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", floats(C_ORDER, 8, true));
  expect(good.subarray(0, good.length - 8), `${p}: y: file is truncated: shape (2, 3) of '<f8' needs 48 data bytes, found 40`);
  expect(npyFile("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)),
    `${p}: y: unsupported dtype '|O' (supported: f4, f8, i1-i8, u1-u8, b1, U, S; object arrays are not)`);
  expect(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", floats([1, 2, 3], 8, true)),
    `${p}: y: expected a 2-D array, found a 1-D array of shape (3,)`);
  expect(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2), }", floats([1, 2], 8, true)),
    `${p}: y: expected a 2-D array, found a 3-D array of shape (1, 1, 2)`);
  expect(npyFile("{'descr': '<U1', 'fortran_order': False, 'shape': (1, 1), }", new Uint8Array([65, 0, 0, 0])),
    `${p}: y: expected a numeric (float or integer) array, found dtype '<U1'`);
  expect(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", floats([1, 2, 3, 4, 5, NaN], 8, true)),
    `${p}: y: row 1, column 2 is NaN; expected finite values (rows and columns count from 0)`);
  expect(npyFile("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 2), }", floats([1, -Infinity, 3, 4], 4, false)),
    `${p}: y: row 1, column 0 is -Infinity; expected finite values (rows and columns count from 0)`);
  const missing = join(dir, 'nope.npy');
  assert.throws(() => readMatrixNpy(missing, { field: 'y' }), { message: `${missing}: y: no such file or directory` });
});
