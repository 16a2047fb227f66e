/**
 * NIfTI-1 single-file (.nii) writer for per-unit score maps: a 348-byte header, the 4-byte
 * extension flag (no extensions) and float32 voxels from byte 352, little-endian (NIfTI-1 spec,
 * nifti1.h). Only the sform is set (code 2, aligned anatomy; 4 when the coordinates are MNI152);
 * qform_code is 0. Missing voxels are NaN.
 */
import { InputError } from '../data/errors.js';

/** A 4 × 4 voxel-to-mm affine, row-major (the last row 0 0 0 1). */
export type Affine = readonly number[];

export interface NiftiVolume {
  /** Voxels per axis: [nx, ny, nz] or [nx, ny, nz, nt]. */
  dims: readonly number[];
  /** float32 voxels, x fastest (Fortran order, as NIfTI stores them): length = product of dims. */
  data: Float32Array;
  affine: Affine;
  /** sform_code: 2 aligned anatomy (default), 4 MNI152. */
  sformCode?: number;
  /** descrip (at most 79 ASCII characters). */
  description?: string;
}

/** Encodes a volume as a NIfTI-1 .nii file. */
export function encodeNifti1(v: NiftiVolume): Uint8Array {
  const n = v.dims.reduce((a, b) => a * b, 1);
  if (v.dims.length < 3 || v.dims.length > 4 || v.dims.some((d) => !Number.isInteger(d) || d < 1 || d > 32767)) throw new Error(`nifti: dims ${v.dims.join('×')}: expected 3 or 4 sizes in 1…32767`);
  if (v.data.length !== n) throw new Error(`nifti: ${v.data.length} voxels for dims ${v.dims.join('×')}`);
  if (v.affine.length !== 16) throw new Error('nifti: affine needs 16 numbers');
  const buf = new ArrayBuffer(352 + 4 * n);
  const dv = new DataView(buf);
  const bytes = new Uint8Array(buf);
  dv.setInt32(0, 348, true); // sizeof_hdr
  bytes[38] = 'r'.charCodeAt(0); // regular (legacy Analyze field, set as nibabel does)
  dv.setInt16(40, v.dims.length, true); // dim[0]
  for (let k = 0; k < 7; k++) dv.setInt16(42 + 2 * k, k < v.dims.length ? v.dims[k] : 1, true);
  dv.setInt16(70, 16, true); // datatype: NIFTI_TYPE_FLOAT32
  dv.setInt16(72, 32, true); // bitpix
  const a = v.affine;
  const col = (j: number) => Math.hypot(a[j], a[4 + j], a[8 + j]);
  const det = a[0] * (a[5] * a[10] - a[6] * a[9]) - a[1] * (a[4] * a[10] - a[6] * a[8]) + a[2] * (a[4] * a[9] - a[5] * a[8]);
  dv.setFloat32(76, det < 0 ? -1 : 1, true); // pixdim[0] = qfac: −1 for a left-handed affine, as nibabel writes it
  for (let k = 0; k < 3; k++) dv.setFloat32(80 + 4 * k, col(k), true); // pixdim[1..3]: voxel sizes (mm)
  for (let k = 3; k < 7; k++) dv.setFloat32(80 + 4 * k, 1, true);
  dv.setFloat32(108, 352, true); // vox_offset
  dv.setFloat32(112, 1, true); // scl_slope
  dv.setFloat32(116, 0, true); // scl_inter
  bytes[123] = 2 | 8; // xyzt_units: mm, seconds
  const desc = (v.description ?? '').slice(0, 79);
  for (let k = 0; k < desc.length; k++) bytes[148 + k] = desc.charCodeAt(k) & 0x7f;
  dv.setInt16(252, 0, true); // qform_code
  dv.setInt16(254, v.sformCode ?? 2, true); // sform_code
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) dv.setFloat32(280 + 16 * r + 4 * c, a[4 * r + c], true); // srow_x/y/z
  bytes.set([0x6e, 0x2b, 0x31, 0x00], 344); // magic "n+1\0"
  // Bytes 348–351: extension flag 0 (none). Voxels from 352.
  for (let i = 0; i < n; i++) dv.setFloat32(352 + 4 * i, v.data[i], true);
  return bytes;
}

/** Inverse of a 4 × 4 affine (row-major), by its 3 × 3 block. */
export function invertAffine(a: Affine): number[] {
  const [m00, m01, m02, t0, m10, m11, m12, t1, m20, m21, m22, t2] = a;
  const det = m00 * (m11 * m22 - m12 * m21) - m01 * (m10 * m22 - m12 * m20) + m02 * (m10 * m21 - m11 * m20);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new InputError('--affine: matrix: is singular; expected an invertible voxel-to-mm affine');
  const i = [
    (m11 * m22 - m12 * m21) / det, (m02 * m21 - m01 * m22) / det, (m01 * m12 - m02 * m11) / det,
    (m12 * m20 - m10 * m22) / det, (m00 * m22 - m02 * m20) / det, (m02 * m10 - m00 * m12) / det,
    (m10 * m21 - m11 * m20) / det, (m01 * m20 - m00 * m21) / det, (m00 * m11 - m01 * m10) / det,
  ];
  return [
    i[0], i[1], i[2], -(i[0] * t0 + i[1] * t1 + i[2] * t2),
    i[3], i[4], i[5], -(i[3] * t0 + i[4] * t1 + i[5] * t2),
    i[6], i[7], i[8], -(i[6] * t0 + i[7] * t1 + i[8] * t2),
    0, 0, 0, 1,
  ];
}

/**
 * Places unit values at their voxels: mm coordinates (n × 3, row-major) through the inverse affine,
 * rounded to the nearest voxel. Volumes: one per group (`groups[k]` in 0…nGroups−1, e.g. the
 * subject), NaN where no unit is; units in the same voxel and group are averaged. `dims` default:
 * the smallest grid from voxel 0 that holds every unit. A unit outside `dims` or at a negative
 * index is an InputError naming the unit.
 */
export function unitsToVolume(coords: Float64Array, values: ArrayLike<number>, groups: ArrayLike<number>, nGroups: number, affine: Affine, ids: readonly string[], dims?: readonly [number, number, number]): { dims: number[]; data: Float32Array } {
  const inv = invertAffine(affine);
  const n = values.length;
  const ijk = new Int32Array(n * 3);
  const hi = [0, 0, 0];
  for (let u = 0; u < n; u++) {
    const [x, y, z] = [coords[3 * u], coords[3 * u + 1], coords[3 * u + 2]];
    for (let r = 0; r < 3; r++) {
      const v = Math.round(inv[4 * r] * x + inv[4 * r + 1] * y + inv[4 * r + 2] * z + inv[4 * r + 3]);
      if (v < 0 || (dims && v >= dims[r])) throw new InputError(`--affine: unit ${ids[u]}: (${x}, ${y}, ${z}) mm is voxel ${'ijk'[r]} = ${v}, outside 0…${dims ? dims[r] - 1 : '∞'}; expected the affine of the grid the coordinates come from`);
      ijk[3 * u + r] = v;
      hi[r] = Math.max(hi[r], v + 1);
    }
  }
  const d = dims ? [...dims] : hi;
  const vol = d[0] * d[1] * d[2];
  const sum = new Float64Array(vol * nGroups);
  const count = new Uint32Array(vol * nGroups);
  for (let u = 0; u < n; u++) {
    if (!Number.isFinite(values[u])) continue;
    const at = groups[u] * vol + ijk[3 * u] + d[0] * (ijk[3 * u + 1] + d[1] * ijk[3 * u + 2]);
    sum[at] += values[u];
    count[at]++;
  }
  const data = new Float32Array(vol * nGroups);
  for (let i = 0; i < data.length; i++) data[i] = count[i] > 0 ? sum[i] / count[i] : NaN;
  return { dims: nGroups > 1 ? [...d, nGroups] : d, data };
}
