import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectResults, collectedCsv, ID_COLUMNS, LEVEL_COLUMNS, type CollectRow } from '../../src/report/collect.js';
import { parseCsv } from '../../src/io/csv.js';
import { cliEntry } from '../cli-entry.js';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { deconstructFeatures, deconstructJson, deconstructModelsCsv, deconstructUnitsCsv, parseSpaceArg } from '../../src/pipeline/deconstruct.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function put(dir: string, file: string, content: unknown): void {
  mkdirSync(join(dir, ...file.split('/').slice(0, -1)), { recursive: true });
  writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
}

/** Hand-written results: two scores (one with two experiments) and one partition. */
function resultsFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-collect-'));
  const settings = { split: 'shuffled', seed: 42, estimator: 'ridge', alphas: [0.5, 1], backend: 'native', bandedIter: null };
  put(dir, 'a/score.json', {
    dataset: { name: 'fed', source: '/data/fed.nc', hash: 'h1', r2: 0.15, r: 0.35, r2_sem: 0.05, r_sem: 0.04 },
    features: 'oasm:sigma=1.8', settings,
    subjects: [{ subject: '1', n_units: 2, r2: 0.1, r: 0.3, experiments: { '': { r2: 0.1, r: 0.3 } } }, { subject: '2', n_units: 1, r2: 0.2, r: 0.4, experiments: { '': { r2: 0.2, r: 0.4 } } }],
    experiments: [], grid: null, warnings: [],
  });
  put(dir, 'a/units.csv', 'experiment,unit,subject,r2,r,median_alpha\n,u1,1,0.05,0.25,4\n,u2,1,0.15,0.35,8\n,u3,2,0.2,0.4,16\n');
  put(dir, 'b/score.json', {
    dataset: { name: 'per', source: 'sim:pereira', hash: 'h2', r2: 0.02, r: null, r2_sem: null, r_sem: null },
    features: 'sl', settings: { ...settings, split: 'contiguous' },
    subjects: [{ subject: 'S1', n_units: 2, r2: 0.02, r: null, experiments: { 243: { r2: 0.01, r: 0.1 }, 384: { r2: 0.03, r: null } } }],
    experiments: [], grid: null, warnings: [],
  });
  put(dir, 'b/units.csv', 'experiment,unit,subject,r2,r,median_alpha\n243,v1,S1,0.01,0.1,2\n384,v1,S1,0.03,,2\n');
  put(dir, 'p/partition.json', {
    dataset: 'fed', split: 'contiguous',
    a: { features: 'wp:sigma=4.7', settings: { split: 'contiguous', seed: 42, estimator: 'ridge' }, dataset: { name: 'fed', hash: 'h1' } },
    b: { features: 'file:llm.npy', settings: { split: 'contiguous', seed: 42, estimator: 'ridge' }, dataset: { name: 'fed', hash: 'h1' } },
    joint: { features: 'wp:sigma=4.7 | file:llm.npy', settings: { split: 'contiguous', seed: 42, estimator: 'ridge' } },
    subjects: [{ subject: '1', r2_a: 0.1, r2_b: 0.05, r2_joint: 0.11, omega: 80 }],
    omega_mean: 80,
    significance: { alpha: 0.05, blocking: 'block', mean_percent_significant: 50, subjects: [{ subject: '1', n_units: 2, percent_significant: 50 }] },
  });
  put(dir, 'p/units.csv', 'experiment,unit,subject,r2_a,r2_b,r2_joint,p_b_beyond_a,p_b_beyond_a_bh\n,u1,1,0.1,0.05,0.12,0.01,0.02\n,u2,1,0.1,0.05,0.1,0.5,0.5\n');
  return dir;
}

const find = (rows: CollectRow[], where: CollectRow): CollectRow[] => rows.filter((r) => Object.entries(where).every(([k, v]) => r[k] === v));

test('collect: two scores and a partition → one row per level, experiment, subject, unit and metric, settings as columns', () => {
  const c = collectResults(resultsFolder());
  assert.deepEqual(c.columns, [...ID_COLUMNS, 'alphas', 'backend', 'banded_iter', 'blocking', ...LEVEL_COLUMNS]);
  assert.equal(c.analyses, 3);
  // a: 4 dataset + 2 subjects × 3 + 3 units × 3; b: 4 + 1 × 3 + 2 experiments × 2 + 2 units × 3; p: 2 + 1 × 6 + 2 units × 5.
  assert.equal(find(c.rows, { source: 'a/score.json' }).length, 4 + 6 + 9);
  assert.equal(find(c.rows, { source: 'b/score.json' }).length, 4 + 3 + 4 + 6);
  assert.equal(find(c.rows, { source: 'p/partition.json' }).length, 2 + 6 + 10);
  assert.equal(c.rows.length, 19 + 17 + 18);

  const [alpha] = find(c.rows, { source: 'a/score.json', level: 'unit', unit: 'u2', metric: 'median_alpha' });
  assert.deepEqual(
    { kind: alpha.kind, dataset: alpha.dataset, dataset_hash: alpha.dataset_hash, features: alpha.features, split: alpha.split, estimator: alpha.estimator, seed: alpha.seed, alphas: alpha.alphas, backend: alpha.backend, subject: alpha.subject, experiment: alpha.experiment, value: alpha.value },
    { kind: 'score', dataset: 'fed', dataset_hash: 'h1', features: 'oasm:sigma=1.8', split: 'shuffled', estimator: 'ridge', seed: 42, alphas: '0.5;1', backend: 'native', subject: '1', experiment: '', value: 8 },
  );
  assert.equal(find(c.rows, { source: 'a/score.json', level: 'dataset', metric: 'r_sem' })[0].value, 0.04);
  assert.equal(find(c.rows, { source: 'a/score.json', level: 'subject', subject: '2', metric: 'n_units' })[0].value, 1);
  // Subject rows: the subject's score over all its experiments, and per experiment when there are several.
  assert.equal(find(c.rows, { source: 'b/score.json', level: 'subject', experiment: 'all', metric: 'r2' })[0].value, 0.02);
  assert.equal(find(c.rows, { source: 'b/score.json', level: 'subject', experiment: '384', metric: 'r2' })[0].value, 0.03);
  assert.equal(find(c.rows, { source: 'b/score.json', level: 'subject', experiment: '384', metric: 'r' })[0].value, null);
  assert.equal(find(c.rows, { source: 'b/score.json', level: 'unit', experiment: '384', metric: 'r' })[0].value, null);
  assert.equal(find(c.rows, { source: 'b/score.json', level: 'unit', experiment: '243', metric: 'r' })[0].value, 0.1);
  // Partition rows name the joint spec and both parts.
  const om = find(c.rows, { source: 'p/partition.json', level: 'subject', metric: 'omega' });
  assert.equal(om.length, 1);
  assert.deepEqual([om[0].features, om[0].features_a, om[0].features_b, om[0].split, om[0].blocking, om[0].value], ['wp:sigma=4.7 | file:llm.npy', 'wp:sigma=4.7', 'file:llm.npy', 'contiguous', 'block', 80]);
  assert.equal(find(c.rows, { source: 'p/partition.json', level: 'unit', unit: 'u1', metric: 'p_b_beyond_a_bh' })[0].value, 0.02);
  assert.equal(find(c.rows, { source: 'p/partition.json', level: 'dataset', metric: 'percent_significant' })[0].value, 50);
  assert.deepEqual(c.notes, []);

  // The CSV: header = columns, one line per row, empty cells for null, lists in one cell.
  const t = parseCsv(collectedCsv(c), 'collect.csv');
  assert.deepEqual(t.header, c.columns);
  assert.equal(t.rows.length, c.rows.length);
  const line = t.rows.find((r) => r[c.columns.indexOf('unit')] === 'v1' && r[c.columns.indexOf('experiment')] === '384' && r[c.columns.indexOf('metric')] === 'r')!;
  assert.equal(line[c.columns.indexOf('value')], '');
  assert.equal(line[c.columns.indexOf('alphas')], '0.5;1');
});

test('collect: a results store contributes its valid jobs only (not quarantine/ or tmp/), each with its key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-collect-store-'));
  const score = JSON.parse(readFileSync(join(resultsFolder(), 'a/score.json'), 'utf8')) as unknown;
  put(dir, 'STORE.json', { format: 1 });
  for (const sub of ['jobs/k1', 'quarantine/k2.20260101', 'tmp/k3']) {
    put(dir, `${sub}/score.json`, score);
    put(dir, `${sub}/units.csv`, 'experiment,unit,subject,r2,r,median_alpha\n,u1,1,0.05,0.25,4\n');
    put(dir, `${sub}/job.json`, { key: sub });
  }
  const c = collectResults(dir);
  assert.equal(c.analyses, 1);
  assert.deepEqual([...new Set(c.rows.map((r) => r.source))], ['jobs/k1/score.json']);
  assert.ok(c.rows.every((r) => r.job === 'k1'));
});

test('brainmap collect: --out writes the CSV; a folder without results is one error line, exit 2', () => {
  const dir = resultsFolder();
  const out = join(dir, 'out', 'all.csv');
  const r = spawnSync(process.execPath, [...cliEntry(), 'collect', dir, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const t = parseCsv(readFileSync(out, 'utf8'), out);
  assert.equal(t.rows.length, 54);
  const empty = mkdtempSync(join(tmpdir(), 'brainmap-collect-empty-'));
  const e = spawnSync(process.execPath, [...cliEntry(), 'collect', empty], { encoding: 'utf8' });
  assert.equal(e.status, 2);
  assert.equal(e.stderr, `error: ${empty}: folder: no score.json, partition.json, audit.json or deconstruct.json found under it\n`);
});

test('collect: a deconstruct run (written by the library) → every sub-model, the best per level, unique variance per space, the LLM\'s % significant and Ω, its units', { timeout: 300_000 }, async () => {
  const dataset = simulateDataset('pereira', { units: 1, ac: 0, content: 0, len: 0.5, pos: 0.5, word: 0.7, sense: 0, synt: 0, noise: 1, llm: 16 });
  const d = await deconstructFeatures(dataset, ['len', 'word', 'llm'].map((s) => parseSpaceArg(`${s}=planted:${s}`)), {
    split: 'contiguous', backend: getBackend('auto'), experiments: ['384'], alphas: [1, 100, 1e4], bandedIter: 2,
  });
  const json = deconstructJson(d, 'contiguous');
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-collect-deconstruct-'));
  put(dir, 'dec/deconstruct.json', JSON.stringify(json, null, 2));
  put(dir, 'dec/models.csv', deconstructModelsCsv(d));
  put(dir, 'dec/units.csv', deconstructUnitsCsv(d));
  const c = collectResults(dir);
  assert.equal(c.analyses, 1);
  assert.deepEqual(c.notes, []);
  for (const col of ['model', 'space', 'n_spaces', 'has_llm', 'llm']) assert.ok(c.columns.includes(col), col);
  const at = (where: CollectRow) => { const r = find(c.rows, { source: 'dec/deconstruct.json', ...where }); assert.equal(r.length, 1, JSON.stringify(where)); return r[0].value; };
  assert.ok(c.rows.every((r) => r.kind === 'deconstruct' && r.dataset === json.dataset.name && r.split === 'contiguous' && r.llm === 'llm'));
  // Every sub-model: dataset R² and SEM, each subject's R².
  assert.equal(json.models.length, 7);
  for (const m of json.models) {
    assert.equal(at({ analysis: 'model', model: m.model, level: 'dataset', metric: 'r2' }), m.r2);
    assert.equal(at({ analysis: 'model', model: m.model, level: 'dataset', metric: 'r2_sem' }), m.r2_sem);
    for (const s of m.subjects) assert.equal(at({ analysis: 'model', model: m.model, level: 'subject', subject: s.subject, metric: 'r2' }), s.r2);
    assert.equal(find(c.rows, { analysis: 'model', model: m.model, metric: 'r2', level: 'dataset' })[0].features, m.features);
  }
  // The best sub-model per number of spaces (and without the LLM), the unit-wise maximum.
  for (const l of json.levels) {
    assert.equal(at({ analysis: 'best-per-level', n_spaces: l.n_spaces, metric: 'r2' }), l.r2);
    assert.equal(find(c.rows, { analysis: 'best-per-level', n_spaces: l.n_spaces, metric: 'r2' })[0].model, l.model);
    if (l.without_llm) assert.equal(at({ analysis: 'best-without-llm', n_spaces: l.n_spaces, model: l.without_llm.model, metric: 'r2' }), l.without_llm.r2);
  }
  assert.equal(at({ analysis: 'unit-max', level: 'dataset', metric: 'r2' }), json.unit_max.r2);
  // Unique variance per space, in the full model and among the spaces without the LLM.
  assert.equal(json.unique.length, 3);
  for (const u of json.unique) assert.equal(at({ analysis: 'unique', space: u.space, level: 'dataset', metric: 'unique_r2' }), u.unique);
  for (const u of json.unique_without_llm) assert.equal(at({ analysis: 'unique-without-llm', space: u.space, level: 'dataset', metric: 'unique_r2' }), u.unique);
  // The LLM beyond the best model without it, and Ω, overall and per subject.
  assert.equal(at({ analysis: 'llm-beyond', level: 'dataset', metric: 'percent_significant' }), json.llm_beyond.mean_percent_significant);
  for (const s of json.llm_beyond.subjects) assert.equal(at({ analysis: 'llm-beyond', level: 'subject', subject: s.subject, metric: 'percent_significant' }), s.percent_significant);
  assert.equal(at({ analysis: 'omega', level: 'dataset', metric: 'omega' }), json.omega.mean);
  for (const s of json.omega.subjects) assert.equal(at({ analysis: 'omega', level: 'subject', subject: s.subject, metric: 'omega' }), s.omega);
  // units.csv: every numeric column per unit (7 models' r2, the unit max and two p-values).
  const nUnits = deconstructUnitsCsv(d).trim().split('\n').length - 1;
  assert.equal(find(c.rows, { analysis: 'units', level: 'unit' }).length, nUnits * (7 + 3));
});
