/**
 * `score --affine`: per-unit R² and r as NIfTI-1 maps (r2.nii, r.nii; one volume per subject) for
 * units with coordinates (units.csv x, y, z in mm, e.g. Pereira's MNI voxel coordinates), placed
 * through the inverse of the given voxel-to-mm affine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, inputError } from '../data/errors.js';
import { parseCsv } from '../io/csv.js';
import { encodeNifti1, unitsToVolume, type Affine } from '../io/nifti.js';
import { describeFsError, writeBytes } from '../io/fsutil.js';

/** Reads a 4 × 4 affine: 16 numbers (rows; whitespace, comma or JSON brackets between them). */
export function readAffine(path: string): Affine {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw inputError(path, 'affine', describeFsError(err));
  }
  const parts = text.replace(/[[\]]/g, ' ').split(/[\s,]+/).filter((t) => t !== '');
  const nums = parts.map(Number);
  if (nums.length !== 16 || nums.some((v) => !Number.isFinite(v))) throw new InputError(`${path}: affine: has ${parts.length} entries; expected 16 numbers (a 4 × 4 voxel-to-mm matrix, row by row)`);
  if (nums[12] !== 0 || nums[13] !== 0 || nums[14] !== 0 || nums[15] !== 1) throw new InputError(`${path}: affine: last row is ${nums.slice(12).join(' ')}; expected 0 0 0 1`);
  return nums;
}

/**
 * Writes `<dir>/r2.nii` and `<dir>/r.nii` from `<dir>/units.csv` (columns unit, subject, r2, r, x,
 * y, z; a unit in several experiments is averaged). Returns the files written and the volume shape.
 */
export function writeUnitNifti(dir: string, affinePath: string, opts: { mni?: boolean } = {}): { files: string[]; dims: number[]; subjects: string[] } {
  const affine = readAffine(affinePath);
  const file = join(dir, 'units.csv');
  const t = parseCsv(readFileSync(file, 'utf8'), file);
  const col = (name: string) => {
    const k = t.header.indexOf(name);
    if (k < 0) throw new InputError(`--affine: ${file}: ${name}: no such column; the units have no coordinates (x, y, z), so there is no map to write`);
    return t.rows.map((r) => r[k]);
  };
  const [unit, subject, x, y, z] = ['unit', 'subject', 'x', 'y', 'z'].map(col);
  const subjects = [...new Set(subject)];
  const coords = new Float64Array(t.rows.length * 3);
  t.rows.forEach((_, i) => { coords[3 * i] = Number(x[i]); coords[3 * i + 1] = Number(y[i]); coords[3 * i + 2] = Number(z[i]); });
  const groups = Int32Array.from(subject.map((s) => subjects.indexOf(s)));
  const files: string[] = [];
  let dims: number[] = [];
  for (const metric of ['r2', 'r'] as const) {
    const values = col(metric).map((v) => (v === '' ? NaN : Number(v)));
    const vol = unitsToVolume(coords, values, groups, subjects.length, affine, unit);
    dims = vol.dims;
    const path = join(dir, `${metric}.nii`);
    writeBytes(path, '--out', encodeNifti1({ dims: vol.dims, data: vol.data, affine, sformCode: opts.mni ? 4 : 2, description: `brainmap ${metric} per unit; volumes: ${subjects.join(' ')}` }));
    files.push(path);
  }
  return { files, dims, subjects };
}
