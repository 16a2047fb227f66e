// Dumps `data` (416 × 97 float64) and `subject_UID` (97 int64) of the Fedorenko2016 NetCDF4/HDF5
// assembly to .npy files, so the numpy/scipy reference pipeline (paper_pipeline.py) can read
// them without h5py.  Usage: node scripts/reference/dump_fedorenko.mjs <file.nc> <outdir>
import h5wasm from 'h5wasm/node';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [ncPath, outDir] = process.argv.slice(2);
if (!ncPath || !outDir) {
  console.error('usage: node dump_fedorenko.mjs <file.nc> <outdir>');
  process.exit(2);
}

function npy(descr, shape, bytes) {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const pre = 10;
  const pad = 64 - ((pre + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const h = Buffer.alloc(pre);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = 1;
  h[7] = 0;
  h.writeUInt16LE(header.length, 8);
  return Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
}

await h5wasm.ready;
const f = new h5wasm.File(ncPath, 'r');
try {
  const data = f.get('data');
  const shape = data.shape;
  const values = Float64Array.from(data.value);
  const subj = f.get('subject_UID').value;
  const subj64 = BigInt64Array.from(Array.from(subj, (v) => BigInt(v)));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'data.npy'), npy('<f8', shape, values));
  writeFileSync(join(outDir, 'subject_UID.npy'), npy('<i8', [subj64.length], subj64));
  console.log(JSON.stringify({ shape, subjects: subj64.length }));
} finally {
  f.close();
}
