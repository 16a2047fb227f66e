/**
 * NpyMatrixReader (issue 17): column ranges (unit batches) and row ranges of a 2-D .npy file read
 * piece by piece, checked against closed-form contents: element (i, j) = 1000·i + j (exact in
 * float32), in every layout the format allows (C and Fortran order, little and big endian, float32,
 * float64, int64), with pieces forced tiny so that every path (one read per row, whole rows in
 * several chunks, one read per column) runs on a small file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NpyMatrixReader, encodeNpy } from '../../src/io/npy.js';
import { rejects, tempDir } from './helpers.js';

/** .npy bytes by hand (format 1.0): magic, version, header length, dict padded to 64 bytes, data. */
function npyFile(dict: string, body: Uint8Array): Uint8Array {
  const dictBytes = new TextEncoder().encode(dict);
  const total = Math.ceil((10 + dictBytes.length + 1) / 64) * 64;
  const hlen = total - 10;
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, hlen & 0xff, hlen >> 8]);
  out.set(dictBytes, 10);
  out.fill(0x20, 10 + dictBytes.length, total - 1);
  out[total - 1] = 0x0a;
  out.set(body, total);
  return out;
}

const ROWS = 7;
const COLS = 11;
const value = (i: number, j: number) => 1000 * i + j;

/** The closed-form matrix's elements in C or Fortran order, as `size`-byte floats or int64. */
function body(kind: 'f4' | 'f8' | 'i8', fortran: boolean, littleEndian: boolean): Uint8Array {
  const size = kind === 'f4' ? 4 : 8;
  const dv = new DataView(new ArrayBuffer(ROWS * COLS * size));
  let k = 0;
  const put = (v: number) => {
    if (kind === 'f4') dv.setFloat32(k * 4, v, littleEndian);
    else if (kind === 'f8') dv.setFloat64(k * 8, v, littleEndian);
    else dv.setBigInt64(k * 8, BigInt(v), littleEndian);
    k++;
  };
  if (fortran) for (let j = 0; j < COLS; j++) for (let i = 0; i < ROWS; i++) put(value(i, j));
  else for (let i = 0; i < ROWS; i++) for (let j = 0; j < COLS; j++) put(value(i, j));
  return new Uint8Array(dv.buffer);
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(tempDir('brainmap-npyb-'), name);
  writeFileSync(p, bytes);
  return p;
}

function checkColumns(r: NpyMatrixReader, u0: number, u1: number): void {
  const m = r.readColumns(u0, u1);
  assert.equal(m.rows, ROWS);
  assert.equal(m.cols, u1 - u0);
  const want = Float64Array.from({ length: ROWS * (u1 - u0) }, (_, k) => value(Math.floor(k / (u1 - u0)), u0 + (k % (u1 - u0))));
  assert.deepEqual(m.data, want, `${r.dtype} columns [${u0}, ${u1})`);
}

const layouts = [
  { kind: 'f4', descr: '<f4', fortran: false, le: true },
  { kind: 'f8', descr: '>f8', fortran: false, le: false },
  { kind: 'f4', descr: '<f4', fortran: true, le: true },
  { kind: 'f8', descr: '>f8', fortran: true, le: false },
  { kind: 'i8', descr: '<i8', fortran: false, le: true },
] as const;

for (const l of layouts) {
  test(`NpyMatrixReader reads column and row ranges of a ${l.descr} ${l.fortran ? 'Fortran' : 'C'}-order file exactly`, () => {
    const path = write('y.npy', npyFile(`{'descr': '${l.descr}', 'fortran_order': ${l.fortran ? 'True' : 'False'}, 'shape': (${ROWS}, ${COLS}), }`, body(l.kind, l.fortran, l.le)));
    // chunkBytes of one row's worth or less: wide ranges take several whole-row chunks.
    for (const chunkBytes of [1, 3 * COLS * 8, 1 << 20]) {
      const r = NpyMatrixReader.open(path, { field: 'y', chunkBytes });
      assert.equal(r.rows, ROWS);
      assert.equal(r.cols, COLS);
      for (const [u0, u1] of [[0, 1], [3, 5], [2, 9], [0, COLS], [10, 11], [4, 4]]) checkColumns(r, u0, u1);
      const rows = r.readRows(2, 6);
      assert.deepEqual(rows, Float64Array.from({ length: 4 * COLS }, (_, k) => value(2 + Math.floor(k / COLS), k % COLS)));
      r.checkValues();
    }
  });
}

test('NpyMatrixReader of a file written like numpy.save (float32, C order) matches the values written', () => {
  const data = Float32Array.from({ length: ROWS * COLS }, (_, k) => value(Math.floor(k / COLS), k % COLS));
  const path = write('y.npy', encodeNpy(data, [ROWS, COLS]));
  const r = NpyMatrixReader.open(path, { field: 'y', chunkBytes: 16 });
  for (let u0 = 0; u0 < COLS; u0 += 4) checkColumns(r, u0, Math.min(COLS, u0 + 4));
});

test('NpyMatrixReader names the first non-finite value (row, column) as readMatrixNpy does, when it is read', async () => {
  const data = Float32Array.from({ length: ROWS * COLS }, (_, k) => k);
  data[4 * COLS + 6] = NaN;
  data[5 * COLS + 2] = -Infinity;
  const path = write('y.npy', encodeNpy(data, [ROWS, COLS]));
  const r = NpyMatrixReader.open(path, { field: 'y', chunkBytes: 40 });
  await rejects(() => r.checkValues(), `${path}: y: row 4, column 6 is NaN; expected finite values (rows and columns count from 0)`);
  await rejects(() => r.readColumns(0, 3), `${path}: y: row 5, column 2 is -Infinity; expected finite values (rows and columns count from 0)`);
  checkColumns(NpyMatrixReader.open(write('ok.npy', encodeNpy(Float32Array.from({ length: ROWS * COLS }, (_, k) => value(Math.floor(k / COLS), k % COLS)), [ROWS, COLS])), { field: 'y' }), 7, 11);
});

test('NpyMatrixReader refuses what readMatrixNpy refuses: a 1-D array, a string dtype', async () => {
  const one = write('one.npy', encodeNpy(new Float32Array(5), [5]));
  await rejects(() => NpyMatrixReader.open(one, { field: 'y' }), `${one}: y: expected a 2-D array, found a 1-D array of shape (5,)`);
  const str = write('str.npy', npyFile(`{'descr': '<U2', 'fortran_order': False, 'shape': (1, 1), }`, new Uint8Array(8)));
  await rejects(() => NpyMatrixReader.open(str, { field: 'y' }), `${str}: y: expected a numeric (float or integer) array, found dtype '<U2'`);
});
