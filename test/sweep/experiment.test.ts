import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment, readExperiment } from '../../src/pipeline/sweep/experiment.js';
import { datasetHash, planExperiment } from '../../src/pipeline/sweep/plan.js';
import { ResultStore, storeError } from '../../src/pipeline/sweep/store.js';
import { parallelism } from '../../src/pipeline/sweep/local.js';
import { loadDataset } from '../../src/io/dataset.js';
import { writeNpy } from '../../src/io/npy.js';
import { brainmap, parseError, root, tmp, writeExperiment } from './helpers.js';

const KEYS = 'name, description, datasets, features, splits, estimators, seeds, select, alphas, store, gap, normalise, ceiling_method, unit_chunk';

test('experiment files: malformed files fail with the file, the field path and what was expected', { timeout: 10_000 }, () => {
  assert.equal(parseError('name: x\ndatasets: [sim:fedorenko\nfeatures: [sl]\n'),
    'exp.yaml: line 3, column 1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: sl\nfeatures: wp\n'), 'exp.yaml: line 3, column 1: YAML syntax error: Map keys must be unique');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [sl]\nsplitz: [shuffled]\n'), `exp.yaml: splitz: unknown key; expected one of ${KEYS}`);
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [{spec: sl, expnd: true}]\n'), 'exp.yaml: features[0].expnd: unknown key; expected spec or expand');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [sl]\nseeds: [1, "x"]\n'), 'exp.yaml: seeds[1]: expected an integer in 0…4294967295, got the string "x"');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [sl]\nseeds: 3.5\n'), 'exp.yaml: seeds: expected an integer in 0…4294967295, got the number 3.5');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [sl]\nsplits: [random]\n'), 'exp.yaml: splits[0]: expected one of contiguous, shuffled, got the string "random"');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [{spec: sl, expand: yes please}]\n'), 'exp.yaml: features[0].expand: expected true or false, got the string "yes please"');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: []\n'), 'exp.yaml: features: empty list; expected at least one feature spec');
  assert.equal(parseError('datasets: []\nfeatures: [sl]\n'), 'exp.yaml: datasets: empty list; expected at least one dataset spec');
  assert.equal(parseError('datasets: [sim:fedorenko]\n'), 'exp.yaml: features: missing; expected a list of feature specs (e.g. oasm:sigma=grid)');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [sl, sl]\n'), 'exp.yaml: features[1]: duplicate of an earlier entry (sl, expand false); each value must appear once');
  assert.equal(parseError('datasets: [sim:fedorenko]\nfeatures: [oasm:sigma=grid+wp:sigma=grid]\n'),
    'exp.yaml: features[0]: "oasm:sigma=grid+wp:sigma=grid": only one grid per spec (found sigma=grid besides sigma=…)');
  assert.equal(parseError('- a\n- b\n'), `exp.yaml: (top level): expected a mapping with keys ${KEYS}, got a list`);
  assert.equal(parseError('name: "my experiment"\ndatasets: [sim:fedorenko]\nfeatures: [sl]\n'),
    `exp.yaml: name: expected letters, digits, '.', '_' and '-' (it names a file in the store), got "my experiment"`);
});

test('experiment files: defaults, JSON, scalars for lists, and paths relative to the file', { timeout: 10_000 }, () => {
  const e = parseExperiment('{"datasets": "sim:fedorenko", "features": ["sl", {"spec": "file:x.npy"}, "glove:path=v.txt"], "seeds": 3}', 'dir/exp.json', '/base/dir');
  assert.deepEqual(e, {
    name: 'exp', description: '', file: 'dir/exp.json', datasets: ['sim:fedorenko'],
    features: [{ spec: 'sl', expand: false }, { spec: 'file:/base/dir/x.npy', expand: false }, { spec: 'glove:path=/base/dir/v.txt', expand: false }],
    splits: ['contiguous'], estimators: ['ridge'], seeds: [3], select: ['validation'], alphas: null, store: null,
  });
  const f = parseExperiment('name: f\ndatasets: [data/folder, "fedorenko2016:f.nc", /abs/d]\nfeatures: [sl]\nstore: ../s\n', 'f.yaml', '/base/dir');
  assert.deepEqual(f.datasets, ['/base/dir/data/folder', 'fedorenko2016:/base/dir/f.nc', '/abs/d']);
  assert.equal(f.store, '/base/s');
  // The shipped example is valid and plans the Figure 1 grid.
  const ex = readExperiment(join(root, 'examples/figure1-fedorenko.yaml'));
  assert.equal(ex.name, 'figure1-fedorenko');
  assert.deepEqual(ex.splits, ['shuffled', 'contiguous']);
  assert.ok(ex.features.some((x) => x.spec === 'oasm:sigma=grid'));
});

test('brainmap run: a malformed experiment exits 2 with one error line; a missing file names the path', { timeout: 60_000 }, () => {
  const dir = tmp('bad');
  const bad = writeExperiment(dir, 'bad.yaml', 'datasets: [sim:fedorenko]\nfeatures: [sl]\nestimators: [lasso]\n');
  const r = brainmap(['run', bad, '--dry-run', '--store', join(dir, 'store')]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `error: ${bad}: estimators[0]: expected one of ridge, ols, got the string "lasso"\n`);
  const m = brainmap(['run', join(dir, 'nope.yaml'), '--dry-run']);
  assert.equal(m.status, 2);
  assert.equal(m.stderr, `error: ${join(dir, 'nope.yaml')}: experiment: no such file or directory\n`);
  const d = writeExperiment(dir, 'ds.yaml', 'datasets: [sim:pereira, sim:nope]\nfeatures: [sl]\n');
  const e = brainmap(['run', d, '--dry-run', '--store', join(dir, 'store')]);
  assert.equal(e.status, 2);
  assert.equal(e.stderr, `error: ${d}: datasets[1]: sim:nope: dataset: unknown simulated dataset "nope"; expected sim:pereira, sim:fedorenko or sim:blank\n`);
});

const GRID = `
name: grid
datasets: [sim:fedorenko:units=0.2, sim:blank:units=0.2]
features:
  - sl
  - spec: wp:sigma=0,1,2
    expand: true
  - sp:sigma=0,2
splits: [shuffled, contiguous]
estimators: [ridge, ols]
seeds: [1, 2]
select: [validation, test]
`;

test('planning: the job count is the grid product and keys are stable across processes', { timeout: 60_000 }, async () => {
  const plan = await planExperiment(parseExperiment(GRID, 'grid.yaml', '/base'));
  // datasets 2 × (sl + 3 expanded wp + sp grid × 2 select modes) × splits 2 × estimators 2 × seeds 2
  assert.equal(plan.jobs.length, 2 * (1 + 3 + 2) * 2 * 2 * 2);
  assert.equal(new Set(plan.jobs.map((j) => j.key)).size, plan.jobs.length);
  for (const j of plan.jobs) assert.match(j.key, /^[0-9a-f]{32}$/);
  assert.deepEqual(plan.jobs.filter((j) => j.select !== null).map((j) => j.features), Array(2 * 2 * 2 * 2 * 2).fill('sp:sigma=0,2'));
  const again = await planExperiment(parseExperiment(GRID, 'grid.yaml', '/base'));
  assert.deepEqual(again.jobs.map((j) => j.key), plan.jobs.map((j) => j.key));
  // Another process (the CLI's dry run) derives the same keys.
  const dir = tmp('plan');
  const file = writeExperiment(dir, 'grid.yaml', GRID);
  const r = brainmap(['run', file, '--dry-run', '--store', join(dir, 'store')]);
  assert.equal(r.status, 0, r.stderr);
  const keys = [...r.stdout.matchAll(/^([0-9a-f]{32}) /gm)].map((m) => m[1]);
  assert.deepEqual(keys, plan.jobs.map((j) => j.key));
  assert.match(r.stdout, /^job key +dataset +features +split +estimator +seed +select +status$/m);
  assert.match(r.stdout, /grid: 96 jobs, 0 done, 96 pending  ·  store /);
});

test('planning: a key changes with the dataset content, the spec, the seed, the estimator, alphas and file contents — not with the path', { timeout: 60_000 }, async () => {
  const dir = tmp('keys');
  const x = new Float64Array(416 * 2).map((_, i) => Math.sin(i));
  writeNpy(join(dir, 'x.npy'), x, [416, 2]);
  const key = async (over: Record<string, string>) => {
    const o = { datasets: 'sim:fedorenko:units=0.2', features: 'wp:sigma=1', splits: 'shuffled', estimators: 'ridge', seeds: '42', ...over };
    const text = Object.entries(o).map(([k, v]) => `${k}: ${v}`).join('\n');
    const plan = await planExperiment(parseExperiment(text, 'k.yaml', dir));
    assert.equal(plan.jobs.length, 1);
    return plan.jobs[0].key;
  };
  const base = await key({});
  assert.equal(await key({}), base);
  assert.equal(await key({ datasets: 'sim:fedorenko:units=0.2:seed=1' }), base, 'same content (seed 1 is the default) → same key');
  const changed = {
    'dataset content': await key({ datasets: 'sim:fedorenko:units=0.2:seed=2' }),
    spec: await key({ features: 'wp:sigma=2' }),
    seed: await key({ seeds: '43' }),
    estimator: await key({ estimators: 'ols' }),
    split: await key({ splits: 'contiguous' }),
    alphas: await key({ alphas: '[1, 10, 100]' }),
    select: await key({ features: 'wp:sigma=1,2', select: 'test' }),
  };
  for (const [what, k] of Object.entries(changed)) assert.notEqual(k, base, what);
  assert.notEqual(changed.select, await key({ features: 'wp:sigma=1,2', select: 'validation' }));
  const withFile = await key({ features: 'file:x.npy' });
  assert.equal(await key({ features: `file:${join(dir, 'x.npy')}` }), withFile);
  x[0] += 1;
  writeNpy(join(dir, 'x.npy'), x, [416, 2]);
  assert.notEqual(await key({ features: 'file:x.npy' }), withFile, 'file content changed → new key');
  // The dataset hash covers y and the tables.
  const d = await loadDataset('sim:fedorenko:units=0.2');
  const h = datasetHash(d);
  d.samples.text[0] += ' more';
  const h2 = datasetHash(d);
  assert.notEqual(h2, h);
  // Repeat labels (split-half ceilings) are part of the content when a dataset has them.
  d.samples.repeat = d.samples.text.map(() => '1');
  const h3 = datasetHash(d);
  assert.notEqual(h3, h2);
  d.samples.repeat[1] = '2';
  assert.notEqual(datasetHash(d), h3);
});

test('parallelism: workers × BLAS threads ≤ cores', () => {
  assert.deepEqual(parallelism({ cores: 8 }), { workers: 8, blasThreads: 1 });
  assert.deepEqual(parallelism({ cores: 8, workers: 3 }), { workers: 3, blasThreads: 2 });
  assert.deepEqual(parallelism({ cores: 2, workers: 4 }), { workers: 4, blasThreads: 1 });
  assert.deepEqual(parallelism({ cores: 16, workers: 4, jobs: 2 }), { workers: 2, blasThreads: 8 }, "fewer jobs than workers: the cores go to BLAS");
  assert.deepEqual(parallelism({ cores: 16, workers: 2, threads: 3 }), { workers: 2, blasThreads: 3 });
});

test('store: a path that cannot be a store fails fast with a clear message; EACCES is worded for the user', { timeout: 60_000 }, () => {
  const dir = tmp('store');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  // Fails even for root: a parent of the store is a regular file.
  assert.throws(() => ResultStore.open(join(file, 'store')), {
    name: 'InputError',
    message: `${join(file, 'store')}: store: cannot be used as a results store: a file is in the way (a parent of this path, or the path itself, is not a directory) (ENOTDIR)`,
  });
  assert.throws(() => ResultStore.open(file), { name: 'InputError', message: `${file}: store: cannot be used as a results store: a file is in the way (a parent of this path, or the path itself, is not a directory) (ENOTDIR)` });
  const eacces = Object.assign(new Error("EACCES: permission denied, mkdir '/data/store/jobs'"), { code: 'EACCES' });
  assert.equal(storeError('/data/store', eacces).message, '/data/store: store: cannot be used as a results store: permission denied; the store must be writable by every worker (EACCES)');
  assert.equal(storeError('/data/store', Object.assign(new Error('x'), { code: 'EROFS' })).message, '/data/store: store: cannot be used as a results store: read-only file system (EROFS)');
  // A real read-only folder (meaningful only when not running as root).
  if (process.getuid?.() !== 0) {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    assert.throws(() => ResultStore.open(join(ro, 'store')), /permission denied; the store must be writable by every worker \(EACCES\)/);
  }
  // The CLI: exit 2, one line, before any planning or computing.
  const exp = writeExperiment(dir, 'e.yaml', 'datasets: [sim:fedorenko]\nfeatures: [sl]\n');
  const r = brainmap(['run', exp, '--store', join(file, 'store')]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `error: ${join(file, 'store')}: store: cannot be used as a results store: a file is in the way (a parent of this path, or the path itself, is not a directory) (ENOTDIR)\n`);
});

test('store: claims are exclusive, stale claims of dead processes are taken over, commits are all-or-nothing', { timeout: 30_000 }, () => {
  const dir = tmp('claims');
  const store = ResultStore.open(join(dir, 's'));
  const key = 'a'.repeat(32);
  const c1 = store.tryClaim(key, 60_000);
  assert.ok(c1);
  assert.equal(store.tryClaim(key, 60_000), null, 'a live claim is exclusive');
  c1.release();
  const c2 = store.tryClaim(key, 60_000);
  assert.ok(c2);
  c2.release();
  // A lock left by a process that no longer exists on this host is stale at once.
  writeFileSync(join(dir, 's', 'locks', `${key}.lock`), JSON.stringify({ pid: 2 ** 22 + 12345, host: store.host, time: new Date().toISOString(), token: 'x' }));
  const c3 = store.tryClaim(key, 60_000);
  assert.ok(c3, 'dead owner → taken over');
  // A lock from another host is stale only once its heartbeat is older than the timeout.
  c3.release();
  const otherHost = join(dir, 's', 'locks', `${key}.lock`);
  writeFileSync(otherHost, JSON.stringify({ pid: 1, host: 'elsewhere', time: new Date(Date.now() - 10_000).toISOString(), token: 'y' }));
  const past = new Date(Date.now() - 10_000);
  utimesSync(otherHost, past, past); // its last heartbeat was 10 s ago
  assert.equal(store.tryClaim(key, 60_000), null);
  assert.ok(store.tryClaim(key, 5_000) ?? (() => { throw new Error('expected takeover'); })());
  // Commits: the first wins, the second is discarded; the folder is complete with `done`.
  assert.equal(store.commit(key, { 'score.json': '{"a":1}\n', 'job.json': '{}\n', 'units.csv': 'unit\n' }), true);
  assert.equal(store.commit(key, { 'score.json': '{"a":2}\n', 'job.json': '{}\n', 'units.csv': 'unit\n' }), false);
  assert.equal(readFileSync(join(dir, 's', 'jobs', key, 'score.json'), 'utf8'), '{"a":1}\n');
  assert.ok(existsSync(join(dir, 's', 'jobs', key, 'done')));
  assert.deepEqual([...store.doneKeys()], [key]);
  // A process killed after committing but before releasing leaves a lock on a finished job; the next run removes it.
  writeFileSync(join(dir, 's', 'locks', `${key}.lock`), JSON.stringify({ pid: 2 ** 22 + 12345, host: store.host, time: new Date().toISOString(), token: 'z' }));
  const live = 'b'.repeat(32);
  const held = store.tryClaim(live, 60_000);
  assert.ok(held);
  assert.equal(store.removeStaleLocksOfDoneJobs(60_000), 1);
  assert.deepEqual(readdirSync(join(dir, 's', 'locks')), [`${live}.lock`], 'a live claim of an unfinished job stays');
  held.release();
});
