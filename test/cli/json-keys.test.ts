/**
 * Issue 16.5: every JSON brainmap writes uses snake_case object keys. A small run of score
 * (banded), partition, audit (with Brain-Score's protocol) and ceiling writes its files; every
 * object key in them must match /^[a-z0-9]+(_[a-z0-9]+)*$/.
 *
 * Keys that are data, not names, are excluded explicitly: `subjects[].experiments` in score.json
 * (and the scores inside partition.json and audit folders) is keyed by experiment name ("" for a
 * single-experiment dataset); demo summary.json `datasets` is keyed by dataset and analysis name
 * (its values are score.json objects, covered here); sweep job.json `job.feature_files` and
 * `job.file_stats` are keyed by file path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snakeCase, snakeKeys, snakeSettings } from '../../src/pipeline/json-keys.js';
import { cliEntry } from '../cli-entry.js';
import { tinyDataset } from '../tiny-dataset.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const KEY = /^[a-z0-9]+(_[a-z0-9]+)*$/;

function brainmap(...args: string[]) {
  return spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: root });
}

/** Paths (generic: array indices as []) of object keys that break the convention, skipping data-keyed maps. */
function badKeys(v: unknown, path: string, out: Set<string>): void {
  if (Array.isArray(v)) { v.forEach((x) => badKeys(x, `${path}[]`, out)); return; }
  if (v === null || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    const p = `${path}.${k}`;
    if (!KEY.test(k)) out.add(p);
    // subjects[].experiments: keyed by experiment name (data); its values are still checked.
    if (k === 'experiments' && path.endsWith('subjects[]') && x && typeof x === 'object' && !Array.isArray(x)) {
      for (const e of Object.values(x)) badKeys(e, `${p}.<experiment>`, out);
      continue;
    }
    badKeys(x, p, out);
  }
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}

test('every JSON file score, partition, audit and ceiling write has snake_case keys', { timeout: 900_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'brainmap-keys-'));
  // A tiny dataset folder and narrow features: the files have the same keys as for a large run.
  const ds = tinyDataset(join(out, 'data'));
  const runs = [
    ['score', '--dataset', ds, '--features', 'sp|sl', '--n-iter', '3', '--out', join(out, 'score')],
    ['partition', '--dataset', ds, '--a', 'sl', '--b', 'sp', '--n-iter', '3', '--out', join(out, 'partition')],
    ['audit', '--dataset', ds, '--features', 'sp', '--n-iter', '3', '--out', join(out, 'audit')],
    ['ceiling', '--dataset', join(root, 'test/fixtures/ceiling/split-half'), '--out', join(out, 'ceiling')],
  ];
  for (const args of runs) {
    const r = brainmap(...args);
    assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
  }
  const files = jsonFiles(out);
  for (const want of ['score/score.json', 'partition/partition.json', 'audit/audit.json', 'ceiling/ceiling.json', 'audit/oasm-shuffled/score.json']) {
    assert.ok(files.includes(join(out, want)), `${want} written`);
  }
  const audit = JSON.parse(readFileSync(join(out, 'audit/audit.json'), 'utf8')) as { brainscore: unknown };
  assert.notEqual(audit.brainscore, null, "the audit ran Brain-Score's protocol (its JSON is checked too)");
  for (const f of files) {
    const bad = new Set<string>();
    badKeys(JSON.parse(readFileSync(f, 'utf8')), '', bad);
    assert.deepEqual([...bad], [], f);
  }
});

test('snakeKeys converts names and leaves data-keyed maps alone; old camelCase settings read as snake_case', () => {
  assert.equal(snakeCase('bandedIter'), 'banded_iter');
  assert.equal(snakeCase('innerStandardize'), 'inner_standardize');
  assert.equal(snakeCase('mtimeMs'), 'mtime_ms');
  assert.equal(snakeCase('r2_sem'), 'r2_sem');
  assert.deepEqual(
    snakeKeys({ datasetHash: 'h', featureFiles: { '/a/myFile.npy': 'x' }, fileStats: { '/a/myFile.npy': { mtimeMs: 1 } } }, new Set(['featureFiles', 'fileStats'])),
    { dataset_hash: 'h', feature_files: { '/a/myFile.npy': 'x' }, file_stats: { '/a/myFile.npy': { mtime_ms: 1 } } },
  );
  assert.deepEqual(snakeSettings({ split: 'shuffled', bandedIter: 100, innerStandardize: true }), { split: 'shuffled', banded_iter: 100, inner_standardize: true });
});
