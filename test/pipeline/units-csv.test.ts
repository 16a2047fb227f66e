/**
 * Issue 16.6: units.csv names its analysis on every row (dataset, features, split, estimator, and an
 * experiment value even for single-experiment data), so that files of different runs concatenate
 * without joins; `brainmap collect` reads such files (and the older ones, test/report/collect.test.ts)
 * without taking the new text columns for metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { parseCsv } from '../../src/io/csv.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';
import { partitionCsv, partitionFeatures } from '../../src/pipeline/partition.js';
import { writeScore } from '../../src/pipeline/results.js';
import { collectResults } from '../../src/report/collect.js';

const backend = getBackend('auto');

test('score and partition units.csv carry dataset, features, split, estimator and experiment on every row', { timeout: 300_000 }, async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-units-'));
  const s = await scoreSpec(d, 'wp:sigma=4.7', { split: 'shuffled', backend });
  writeScore(join(dir, 'score'), s);
  const { readFileSync } = await import('node:fs');
  const t = parseCsv(readFileSync(join(dir, 'score', 'units.csv'), 'utf8'), 'units.csv');
  assert.deepEqual(t.header.slice(0, 7), ['dataset', 'features', 'split', 'estimator', 'experiment', 'unit', 'subject']);
  assert.equal(t.rows.length, d.y.cols);
  for (const row of t.rows) assert.deepEqual(row.slice(0, 5), [d.name, 'wp:sigma=4.7', 'shuffled', 'ridge', 'all']);

  const p = await partitionFeatures(d, 'sl', 'wp:sigma=4.7', { split: 'contiguous', backend, bandedIter: 3 });
  const pt = parseCsv(partitionCsv(p), 'units.csv');
  assert.deepEqual(pt.header.slice(0, 8), ['dataset', 'features', 'features_a', 'features_b', 'split', 'estimator', 'experiment', 'unit']);
  for (const row of pt.rows) assert.deepEqual(row.slice(0, 7), [d.name, 'sl | wp:sigma=4.7', 'sl', 'wp:sigma=4.7', 'contiguous', 'ridge', 'all']);
  mkdirSync(join(dir, 'partition'));
  writeFileSync(join(dir, 'partition', 'units.csv'), partitionCsv(p));

  // collect: the new columns are not metrics; unit rows keep the experiment value.
  const c = collectResults(dir);
  const units = c.rows.filter((r) => r.level === 'unit' && r.kind === 'score');
  assert.equal(units.length, d.y.cols * 3);
  assert.deepEqual([...new Set(units.map((r) => r.metric))].sort(), ['median_alpha', 'r', 'r2']);
  assert.ok(units.every((r) => r.experiment === 'all' && r.split === 'shuffled' && r.features === 'wp:sigma=4.7'));
});
