import { createHash } from 'node:crypto';
import type { Dataset } from './dataset.js';

function hashStrings(h: ReturnType<typeof createHash>, tag: string, values: readonly string[]): void {
  h.update(`${tag}:${values.length}\n`);
  for (const v of values) {
    const b = Buffer.from(v, 'utf8');
    h.update(`${b.length}:`);
    h.update(b);
  }
}

/**
 * Content hash of a dataset (sha256 hex): the y bytes (float64, row-major; read block by block when
 * the dataset has `ySource`, giving the same hash) with its shape, the
 * sample table (with repeat labels when present), the unit table (with coordinates), the fold design, the shuffle order and the
 * name (it appears in results). The source path is not included.
 */
export function datasetHash(d: Dataset): string {
  const h = createHash('sha256');
  h.update(`brainmap-dataset-v1\nname:${d.name}\ny:${d.y.rows}x${d.y.cols}\n`);
  if (d.ySource) {
    // Batched responses: the same float64 row-major bytes, a block of rows (≤ ~8 MB) at a time.
    const src = d.ySource;
    const per = Math.max(1, Math.floor((8 << 20) / (8 * Math.max(1, src.cols))));
    for (let r = 0; r < src.rows; r += per) {
      const rows = src.readRows(r, Math.min(src.rows, r + per));
      h.update(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    }
  } else {
    h.update(new Uint8Array(d.y.data.buffer, d.y.data.byteOffset, d.y.data.byteLength));
  }
  const s = d.samples;
  hashStrings(h, 'stimulus_id', s.stimulusId);
  hashStrings(h, 'text', s.text);
  hashStrings(h, 'block', s.block);
  hashStrings(h, 'position', Array.from(s.position, String));
  hashStrings(h, 'experiment', s.experiment);
  hashStrings(h, 'fold', s.fold ?? ['(none)']);
  // Only when present, so that the hashes (and store keys) of datasets without repeats stay as they were.
  if (s.repeat) hashStrings(h, 'repeat', s.repeat);
  const u = d.units;
  hashStrings(h, 'unit_id', u.id);
  hashStrings(h, 'subject', u.subject);
  hashStrings(h, 'network', u.network);
  if (u.coords) {
    h.update(`coords:${u.coords.rows}x${u.coords.cols}\n`);
    h.update(new Uint8Array(u.coords.data.buffer, u.coords.data.byteOffset, u.coords.data.byteLength));
  } else {
    h.update('coords:none\n');
  }
  h.update(`design:${JSON.stringify(d.design)}\n`);
  hashStrings(h, 'shuffle_order', d.shuffleOrder);
  return h.digest('hex');
}

