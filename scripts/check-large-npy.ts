/**
 * Reads a y.npy larger than 2 GiB end to end (issue 12 point 12), outside `npm test` because it
 * needs a 2.15 GB result and takes tens of seconds on a busy 2-core machine:
 *
 *   node --import tsx scripts/check-large-npy.ts [folder for the temporary file, default os.tmpdir()]
 *
 * Writes a sparse float64 .npy of 16384 × 16385 (2,147,614,720 data bytes > 2^31): numpy's header
 * (npyHeader), then the raw data as a sparse file, plants values on both sides of byte 2^31 and at
 * the end, reads it with readMatrixNpy and checks every planted value and a stride of zeros. Prints
 * the time and peak memory; exits 1 on a mismatch.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npyHeader, readMatrixNpy } from '../src/io/npy.js';

const rows = 16384;
const cols = 16385;
const head = npyHeader('<f8', [rows, cols]);
const total = head.length;
const boundary = Math.floor((2 ** 31 - total) / 8);
const planted: Array<[number, number]> = [[0, 1.5], [boundary - 1, -2.25], [boundary + 1, 3.75], [rows * cols - 1, 7]];

const dir = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'brainmap-large-npy-'));
const path = join(dir, 'y.npy');
try {
  const fd = openSync(path, 'w');
  writeSync(fd, head, 0, head.length, 0);
  ftruncateSync(fd, total + rows * cols * 8);
  for (const [k, v] of planted) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    writeSync(fd, b, 0, 8, total + k * 8);
  }
  closeSync(fd);
  const t0 = process.hrtime.bigint();
  const m = readMatrixNpy(path, { field: 'y' });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  let bad = 0;
  for (const [k, v] of planted) if (m.data[k] !== v) bad++;
  const isPlanted = new Set(planted.map(([k]) => k));
  for (let k = 0; k < m.data.length; k += 4093) if (!isPlanted.has(k) && m.data[k] !== 0) bad++;
  console.log(`read ${rows} × ${cols} float64 (${(total + rows * cols * 8) / 1e9} GB) in ${secs.toFixed(1)} s; peak RSS ${(process.resourceUsage().maxRSS / 1e6).toFixed(2)} GB; ${bad === 0 ? 'all values as planted' : `${bad} wrong values`}`);
  process.exitCode = bad === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
