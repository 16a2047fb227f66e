/**
 * Issue 16 point 11: NIfTI-1 export. The header and voxels brainmap writes are read at the byte
 * offsets of the NIfTI-1 spec (nifti1.h) and compared with what nibabel wrote and read back for the
 * same volume (scripts/make-nifti-fixtures.py → test/fixtures/io/nifti-reference.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNifti1, invertAffine, unitsToVolume } from '../../src/io/nifti.js';
import { readAffine, writeUnitNifti } from '../../src/pipeline/nifti-export.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ref = JSON.parse(readFileSync(join(root, 'test/fixtures/io/nifti-reference.json'), 'utf8')) as {
  sizeof_hdr: number; dim: number[]; datatype: number; bitpix: number; pixdim: number[]; vox_offset: number; xyzt_units: number;
  qform_code: number; sform_code: number; srow_x: number[]; srow_y: number[]; srow_z: number[]; magic: string; descrip: string;
  affine: number[][]; file_bytes: number; voxels: (number | null)[];
};
const AFFINE = [-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1];

/** The NIfTI-1 header fields at their spec offsets, and the voxels from vox_offset. */
function readNifti(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f32 = (o: number) => dv.getFloat32(o, true);
  const str = (o: number, n: number) => String.fromCharCode(...bytes.subarray(o, o + n)).replace(/\0.*$/s, '');
  const voxOffset = f32(108);
  const dim = Array.from({ length: 8 }, (_, k) => dv.getInt16(40 + 2 * k, true));
  const n = dim.slice(1, 1 + dim[0]).reduce((a, b) => a * b, 1);
  return {
    sizeof_hdr: dv.getInt32(0, true), dim, datatype: dv.getInt16(70, true), bitpix: dv.getInt16(72, true),
    pixdim: Array.from({ length: 8 }, (_, k) => f32(76 + 4 * k)), vox_offset: voxOffset, xyzt_units: bytes[123],
    qform_code: dv.getInt16(252, true), sform_code: dv.getInt16(254, true),
    srow_x: [0, 1, 2, 3].map((k) => f32(280 + 4 * k)), srow_y: [0, 1, 2, 3].map((k) => f32(296 + 4 * k)), srow_z: [0, 1, 2, 3].map((k) => f32(312 + 4 * k)),
    magic: str(344, 4), descrip: str(148, 80), file_bytes: bytes.length,
    voxels: Array.from({ length: n }, (_, i) => { const v = f32(voxOffset + 4 * i); return Number.isNaN(v) ? null : v; }),
  };
}

test('encodeNifti1 writes the header and voxels nibabel writes for the same volume', () => {
  const data = new Float32Array(3 * 4 * 2 * 2).fill(NaN);
  const at = (i: number, j: number, k: number, t: number) => i + 3 * (j + 4 * (k + 2 * t));
  data[at(0, 0, 0, 0)] = 0.25;
  data[at(2, 1, 1, 0)] = -0.125;
  data[at(1, 3, 0, 1)] = 0.5;
  const got = readNifti(encodeNifti1({ dims: [3, 4, 2, 2], data, affine: AFFINE, description: 'brainmap r2 per subject' }));
  const { affine: _affine, ...want } = ref;
  assert.deepEqual(got, want);
});

test('unitsToVolume places units through the inverse affine, one volume per subject, NaN elsewhere', () => {
  assert.deepEqual(invertAffine(AFFINE).map((v) => v + 0), [-0.5, 0, 0, 45, 0, 0.5, 0, 63, 0, 0, 0.5, 36, 0, 0, 0, 1]);
  // mm of voxels (0,0,0), (2,1,1) for subject 0 and (1,3,0) for subject 1 under AFFINE: x = 90 − 2i, y = 2j − 126, z = 2k − 72.
  const coords = Float64Array.from([90, -126, -72, 86, -124, -70, 88, -120, -72, 86.4, -124.3, -69.8]);
  const vol = unitsToVolume(coords, [0.25, -0.125, 0.5, 0.375], [0, 0, 1, 0], 2, AFFINE, ['a', 'b', 'c', 'd'], [3, 4, 2]);
  assert.deepEqual(vol.dims, [3, 4, 2, 2]);
  const at = (i: number, j: number, k: number, t: number) => i + 3 * (j + 4 * (k + 2 * t));
  assert.equal(vol.data[at(0, 0, 0, 0)], 0.25);
  assert.equal(vol.data[at(2, 1, 1, 0)], 0.125, 'units b and d share a voxel: averaged');
  assert.equal(vol.data[at(1, 3, 0, 1)], 0.5);
  assert.equal([...vol.data].filter((v) => !Number.isNaN(v)).length, 3);
  assert.throws(() => unitsToVolume(Float64Array.from([200, 0, 0]), [1], [0], 1, AFFINE, ['far'], [3, 4, 2]), /--affine: unit far: \(200, 0, 0\) mm is voxel i = -55, outside/);
});

test('writeUnitNifti: r2.nii and r.nii from units.csv; bad affine files are one error line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-nifti-'));
  try {
    writeFileSync(join(dir, 'units.csv'), 'experiment,unit,subject,r2,r,median_alpha,x,y,z\n,a,s1,0.25,0.5,1,90,-126,-72\n,c,s2,0.5,0.7,1,88,-120,-72\n');
    writeFileSync(join(dir, 'affine.txt'), '-2 0 0 90\n0 2 0 -126\n0 0 2 -72\n0 0 0 1\n');
    const w = writeUnitNifti(dir, join(dir, 'affine.txt'));
    assert.deepEqual(w.subjects, ['s1', 's2']);
    assert.deepEqual(w.dims, [2, 4, 1, 2]);
    const r2 = readNifti(readFileSync(join(dir, 'r2.nii')));
    assert.deepEqual(r2.dim.slice(0, 5), [4, 2, 4, 1, 2]);
    assert.deepEqual(r2.voxels.filter((v) => v !== null), [0.25, 0.5]);
    assert.deepEqual(readNifti(readFileSync(join(dir, 'r.nii'))).voxels.filter((v) => v !== null).map((v) => +v!.toFixed(6)), [0.5, 0.7]);
    writeFileSync(join(dir, 'bad.txt'), '1 0 0\n0 1 0\n');
    assert.throws(() => readAffine(join(dir, 'bad.txt')), /bad\.txt: affine: has 6 entries; expected 16 numbers/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
