import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry } from '../cli-entry.js';
import { assertOasmBounds, assertPositionBounds } from '../data/sim-bounds.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fedorenko = `${root}../shared/data/fedorenko2016/fedorenko2016.nc`;

function brainmap(...args: string[]) {
  return spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: root });
}

test('input errors print one line naming file and field, exit 2, and no stack trace', () => {
  const missing = brainmap('score', '--dataset', '/nonexistent/data', '--features', 'oasm:sigma=1');
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, 'error: /nonexistent/data: dataset: no such file or directory\n');
  const badFeature = brainmap('score', '--dataset', fedorenko, '--features', 'oasm:sigma=abc');
  assert.equal(badFeature.status, 2);
  assert.equal(badFeature.stderr, 'error: --features: "oasm:sigma=abc": sigma=abc is not a number in 0…1000\n');
  const badSplit = brainmap('score', '--dataset', fedorenko, '--features', 'sl', '--split', 'random');
  assert.equal(badSplit.status, 2);
  assert.equal(badSplit.stderr, "error: --split: 'random' is invalid; expected one of contiguous, shuffled (see brainmap score --help)\n");
  assert.doesNotMatch(missing.stderr + badFeature.stderr + badSplit.stderr, /\n\s+at /);
});

test('score with a grid on the real Fedorenko data reports the whole curve and the chosen σ', () => {
  // Four σ values (the whole wp:sigma=grid is 48 fits of the same kind; its expansion is tested in test/features/spec.test.ts).
  const sigmas = ['0', '1', '2', '4.7'];
  const r = brainmap('score', '--dataset', fedorenko, '--features', `wp:sigma=${sigmas.join(',')}`, '--split', 'contiguous');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /sigma curve \(each value fitted alone; mean over subjects of per-subject unit means, unclipped as in docs\/method\.md §5\.8/);
  for (const v of sigmas) assert.match(r.stdout, new RegExp(`\\n +${v.replace('.', '\\.')} +-?0\\.\\d{4} +-?0\\.\\d{4} +0\\.\\d{4} +0\\.\\d{4}\\n`), `curve row σ = ${v}`);
  assert.match(r.stdout, /chosen sigma per outer fold \(dataset\): ([\d.]+, ){12}[\d.]+ — selected on inner-CV R² only/);
  const t = brainmap('score', '--dataset', fedorenko, '--features', 'wp:sigma=0,4.7', '--split', 'contiguous', '--select', 'test', '--json');
  assert.equal(t.status, 0, t.stderr);
  const json = JSON.parse(t.stdout) as { grid: { curve: { value: number; r2: number }[]; chosen: { values: number[] }[] } };
  assert.deepEqual(json.grid.curve.map((c) => c.value), [0, 4.7]);
  // The paper's hard-coded WP σ for R² is 4.7 (REFERENCE_VALUES); test-set selection agrees here.
  assert.equal(json.grid.chosen[0].values[0], 4.7);
});

test('brainmap demo prints its summary table and writes JSON and CSV for every analysis', () => {
  const out = mkdtempSync(join(tmpdir(), 'brainmap-demo-'));
  const r = brainmap('demo', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  for (const ds of ['sim:pereira', 'sim:fedorenko', 'sim:blank']) assert.match(r.stdout, new RegExp(`${ds}  \\(responses simulated`));
  assert.match(r.stdout, /oasm-contiguous +oasm:sigma=1\.8 +contiguous +0\.000 ± 0\.000/);
  assert.match(r.stdout, /What each row means:/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { rows: { dataset: string; analysis: string; features: string; r2: number; r2_sem: number }[]; partitions: { omega_mean: number; percent_significant: number }[] };
  assert.equal(summary.rows.length, 17);
  // The headline comes first: OASM and the language model under shuffled and contiguous folds (issue 16.4).
  const headAt = r.stdout.indexOf('Headline: no language at all (OASM) versus a language model');
  assert.ok(headAt >= 0 && headAt < r.stdout.indexOf('sim:pereira  (responses simulated'), 'headline first');
  const headLines = r.stdout.slice(headAt).split('\n').slice(3).filter((l) => /^sim:/.test(l) && / ± .* ± /.test(l));
  assert.deepEqual(headLines.map((l) => l.split(/ {2,}/).slice(0, 2)), [
    ['sim:pereira', 'OASM (no language)'], ['sim:fedorenko', 'OASM (no language)'], ['sim:fedorenko', 'untrained GPT-2, layer 4'], ['sim:blank', 'OASM (no language)'],
  ]);
  // Each headline cell is summary.json's number, printed with 3 decimals.
  const cell = (ds: string, a: string) => { const x = summary.rows.find((y) => y.dataset === ds && y.analysis === a)!; return `${x.r2.toFixed(3)} ± ${x.r2_sem.toFixed(3)}`; };
  assert.deepEqual(headLines[2].split(/ {2,}/).slice(2), [cell('sim:fedorenko', 'lm-shuffled'), cell('sim:fedorenko', 'untrained-lm')]);
  assert.deepEqual(headLines[0].split(/ {2,}/).slice(2), [cell('sim:pereira', 'oasm-shuffled'), cell('sim:pereira', 'oasm-contiguous')]);
  // The report shows the same table (same cells, same order) and the same Ω and % significant, and lists datasets in the terminal's order.
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const hAt = html.indexOf('Headline: no language at all (OASM)');
  assert.ok(hAt >= 0, 'report headline');
  const body = html.slice(html.indexOf('<tbody>', hAt), html.indexOf('</tbody>', hAt));
  const htmlRows = [...body.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]));
  assert.deepEqual(htmlRows, headLines.map((l) => l.split(/ {2,}/)));
  const omega = /Ω (\d+\.\d) % of its explained variance/.exec(r.stdout)?.[1];
  const sig = /in (\d+\.\d) % of units/.exec(r.stdout)?.[1];
  assert.equal(omega, summary.partitions[0].omega_mean.toFixed(1));
  assert.equal(sig, summary.partitions[0].percent_significant.toFixed(1));
  assert.match(html, new RegExp(`<td>${omega} %</td><td>${sig} %</td>`));
  assert.match(html, new RegExp(`dashed line: mean ${omega} %`));
  const order = [...html.matchAll(/<h2[^>]*>Scores — (sim:\w+)/g)].map((m) => m[1]);
  assert.deepEqual(order, ['sim:pereira', 'sim:fedorenko', 'sim:blank']);
  // The untrained-model finding: word position explains (almost) all of a random GPT-2's score.
  assert.match(r.stdout, /sim:fedorenko: lm:gpt2-untrained:layer=4:pool=last versus wp:sigma=4\.7 \(banded, contiguous folds\): Ω \d+\.\d %/);
  assert.ok(summary.partitions[0].omega_mean >= 80, `Ω ${summary.partitions[0].omega_mean}`);
  assert.ok(existsSync(join(out, 'report.html')));
  const get = (ds: string, a: string) => summary.rows.find((x) => x.dataset === ds && x.analysis === a)!.r2;
  const features = (ds: string, a: string) => summary.rows.find((x) => x.dataset === ds && x.analysis === a)!.features;
  // What was planted is recovered (bounds from the generative model, test/data/sim-bounds.ts). These
  // are the simulation test's default fits (OASM σ = 1.8, each design's position + length features):
  // that test leaves sim:blank's, a CPU-minute each, to this run.
  for (const kind of ['pereira', 'fedorenko', 'blank'] as const) {
    const ds = `sim:${kind}`;
    assert.ok(get(ds, 'oasm-shuffled') > 0.05 && get(ds, 'oasm-contiguous') < 0.005, ds);
    assert.deepEqual([features(ds, 'oasm-shuffled'), features(ds, 'oasm-contiguous')], ['oasm:sigma=1.8', 'oasm:sigma=1.8']);
    assertOasmBounds(kind, get(ds, 'oasm-shuffled'), get(ds, 'oasm-contiguous'));
    assertPositionBounds(kind, get(ds, 'position-length'), get(ds, 'oasm-contiguous'));
  }
  assert.equal(features('sim:blank', 'position-length'), 'ramps:len=11+wn');
  assert.equal(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0], 'dataset,analysis,features,split,r2,r2_sem,r,meaning');
  for (const kind of ['pereira', 'fedorenko', 'blank']) {
    assert.ok(existsSync(join(out, kind, 'oasm-shuffled', 'score.json')));
    assert.ok(existsSync(join(out, kind, 'position-length', 'units.csv')));
  }
});
