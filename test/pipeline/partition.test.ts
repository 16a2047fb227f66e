/**
 * partition/audit outputs (METHODS §5.7, §6.1): units.csv's joint column and Ω use the same joint
 * R²; the blocking actually used is what the JSON says; under the paper's blocking, Blank-like
 * stories are cut into chunks by global row index as the authors did (§1.3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { auditFeatures } from '../../src/pipeline/audit.js';
import { blockLabels, partitionCsv, partitionFeatures, partitionJson } from '../../src/pipeline/partition.js';

const backend = getBackend('auto');

test('units.csv joint column and Ω: the same joint R² (subject means of the csv reproduce Ω by hand)', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.2 });
  const p = await partitionFeatures(d, 'wp:sigma=4.7', 'sp:sigma=1', { split: 'contiguous', backend, bandedIter: 20 });
  const rows = partitionCsv(p).trim().split('\n').slice(1).map((l) => l.split(',').slice(6)); // after dataset, features, features_a, features_b, split, estimator
  const json = partitionJson(p, 'contiguous');
  const cell = (v: string) => (v === '' ? NaN : Number(v));
  let raisedSomewhere = false;
  for (const s of json.subjects) {
    const mine = rows.filter((r) => r[2] === s.subject);
    const mean = (k: number) => mine.reduce((acc, r) => acc + cell(r[k]), 0) / mine.length;
    const [a, b, joint] = [mean(3), mean(4), mean(5)];
    assert.ok(Math.abs(joint - s.r2_joint) < 1e-9, `subject ${s.subject}: csv joint mean ${joint}, Ω's joint ${s.r2_joint}`);
    assert.ok(Math.abs(a - s.r2_a) < 1e-9 && Math.abs(b - s.r2_b) < 1e-9);
    // Ω by hand (§5.7): joint raised to at least B's, 100·(1 − clip((joint − A)/B, 0, 1)), 100 when B = 0.
    const j = Math.max(joint, b);
    const want = b < 1e-12 ? 100 : 100 * (1 - Math.min(1, Math.max(0, (j - a) / b)));
    assert.ok(Math.abs(want - s.omega) < 1e-6, `subject ${s.subject}: Ω ${s.omega}, by hand ${want}`);
    raisedSomewhere ||= mine.some((r) => cell(r[5]) < Math.max(cell(r[3]), cell(r[4])));
  }
  assert.ok(raisedSomewhere, 'some unit has a joint fit below A or B (the case where the two differed)');
});

test('Blank-like stories under the paper\'s blocking: chunks by global row index (a new one at i % 10 == 0 or a new story)', () => {
  const d = simulateDataset('blank', { units: 0.2 });
  const rows = Int32Array.from({ length: d.y.rows }, (_, i) => i);
  // METHODS §1.3, data_labels_blank_chunked, walked literally.
  const walked: number[] = [];
  let id = -1;
  for (let i = 0; i < rows.length; i++) {
    if (i % 10 === 0 || i === 0 || d.samples.block[i] !== d.samples.block[i - 1]) id++;
    walked.push(id);
  }
  const same = (labels: readonly (string | number)[]) => {
    const first = new Map<string | number, number>();
    return labels.map((l, i) => { if (!first.has(l)) first.set(l, i); return first.get(l)!; });
  };
  const global = blockLabels(d, rows, 10, 'global');
  assert.deepEqual(same(global), same(walked));
  assert.notDeepEqual(same(blockLabels(d, rows, 10, 'position')), same(walked), 'chunks by position within a story differ (stories do not start at multiples of 10)');
});

test('partition records the blocking and chunking it used; the paper\'s blocking chunks by global index', { timeout: 300_000 }, async () => {
  const d = simulateDataset('blank', { units: 0.1 });
  // One band-weight sample: what is checked is the blocking, not the banded fit.
  const paper = await partitionFeatures(d, 'ramps:len=3', 'sp', { split: 'contiguous', backend, bandedIter: 1, blocking: 'paper', blockChunk: 10 });
  const j = partitionJson(paper, 'contiguous');
  assert.deepEqual([j.significance.blocking, j.significance.block_chunk, j.significance.chunking], ['paper', 10, 'global']);
  // The test runs on one mean per walked chunk.
  let chunks = 0;
  for (let i = 0; i < d.y.rows; i++) if (i % 10 === 0 || d.samples.block[i] !== d.samples.block[i - 1]) chunks++;
  assert.ok(paper.significance.units.every((u) => u.n === chunks), `n ${paper.significance.units[0].n}, walked chunks ${chunks}`);
});

test('audit --compat paper writes blocking "paper" into its partition.json files', { timeout: 600_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const out = mkdtempSync(join(tmpdir(), 'brainmap-audit-compat-'));
  try {
    await auditFeatures(d, 'sp:sigma=1', { backend, oasm: 'oasm:sigma=1.8', bandedIter: 1, brainscore: false, compat: 'paper', outDir: out }); // one band-weight sample: only the JSON is checked
    for (const id of ['simple', 'oasm']) {
      const pj = JSON.parse(readFileSync(join(out, `partition-${id}`, 'partition.json'), 'utf8')) as { significance: { blocking: string } };
      assert.equal(pj.significance.blocking, 'paper', id);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
