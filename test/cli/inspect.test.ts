import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../../src/io/npy.js';
import type { DatasetSummary } from '../../src/io/inspect.js';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const shared = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const fedorenko = join(shared, 'fedorenko2016', 'fedorenko2016.nc');
const FIX = join(root, 'test', 'fixtures', 'datasets');
const PEREIRA = join(FIX, 'pereira2018-language-profileB.nc');
const BLANK = join(FIX, 'blank2014-fROI-profileB.nc');

function brainmap(...args: string[]) {
  return spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: root });
}

function inspectJson(...args: string[]): DatasetSummary {
  const r = brainmap('inspect', ...args, '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as DatasetSummary;
}

test('inspect: the real Fedorenko2016 file: 416 words, 52 sentences, 97 electrodes in 5 subjects', () => {
  const r = brainmap('inspect', `fedorenko2016:${fedorenko}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^samples {6}416 in 52 blocks \(8 samples per block\)$/m);
  assert.match(r.stdout, /^units {8}97 in 5 subjects: 1 47, 2 8, 3 9, 4 15, 5 18$/m);
  assert.match(r.stdout, /^ {2}folds {6}13 outer: 32 ×13 samples; 8 inner per outer fold$/m);
  const j = inspectJson(`fedorenko2016:${fedorenko}`);
  // --dataset, as on every other command, gives the same summary as the positional form.
  assert.deepEqual(inspectJson('--dataset', `fedorenko2016:${fedorenko}`), j);
  assert.equal(j.samples, 416);
  assert.equal(j.blocks, 52);
  assert.equal(j.units, 97);
  assert.deepEqual(j.subjects.map((s) => [s.subject, s.units]), [['1', 47], ['2', 8], ['3', 9], ['4', 15], ['5', 18]]);
  // The paper's text: 255 distinct upper-case words, 264 once recased with final periods.
  assert.deepEqual(j.text, { withText: 416, distinct: 264 });
  assert.match(j.notes?.text ?? '', /^the paper's text \(sentences_ordered\.txt: "Alex was tired so he took a nap\."\)/);
  assert.match(r.stdout, /^ {2}text {7}the paper's text /m);
});

test('inspect: Pereira2018 (with --stimuli), Blank2014, MAT folder, simulated and folder datasets', () => {
  const p = inspectJson(PEREIRA, '--stimuli', join(shared, 'pereira2018', 'sentences_ordered.txt'));
  assert.equal(p.samples, 627);
  assert.equal(p.blocks, 168);
  assert.deepEqual(p.experiments.map((e) => [e.name, e.samples, e.unitsRecorded, e.unitsNotRecorded]), [['243', 243, 48, 32], ['384', 384, 72, 8]]);
  assert.deepEqual(p.experiments[0].folds?.map((f) => [f.label, f.size, f.inner]), [['0-fh', 47, 5], ['0-sh', 46, 5], ['1-fh', 38, 5], ['1-sh', 38, 5], ['2-fh', 37, 5], ['2-sh', 37, 5]]);
  assert.deepEqual(p.experiments[1].folds?.map((f) => f.size), Array(8).fill(48));
  assert.deepEqual(p.experiments[0].subjects.map((s) => s.subject), ['018', '215', '288', '289', '296', '426']);
  assert.equal(p.notes?.dropped.length, 2);
  const text = brainmap('inspect', `pereira2018:${PEREIRA}`);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^experiment 243: 243 samples, 72 blocks, text on 243; units recorded 48, not recorded 32$/m);
  assert.match(text.stdout, /^ {2}folds {6}6 outer: 47, 46, 38 ×2, 37 ×2 samples; 5 inner per outer fold$/m);
  assert.match(text.stdout, /^ {2}dropped {4}experiment 243: 32 units: NaN in the experiment's first row \(not recorded\)$/m);
  assert.match(text.stdout, /^ {2}note {7}passage numbers follow passage_index/m);

  const b = inspectJson(`blank2014:${BLANK}`, '--stimuli', join(shared, 'blank2014', 'story_data_dict.npz'));
  assert.equal(b.samples, 1317);
  assert.equal(b.units, 60);
  assert.deepEqual(b.experiments[0].folds?.map((f) => [f.label, f.size]), [['Aqua', 143], ['Boar', 153], ['Elvis', 135], ['HighSchool', 157], ['KingOfBirds', 181], ['MatchstickSeller', 181], ['MrSticky', 189], ['Tulips', 178]]);

  const m = inspectJson(`pereira2018-mat:${join(FIX, 'pereira-mat')}::network=all`);
  assert.equal(m.units, 18);
  assert.deepEqual(m.networks, [{ network: '', units: 18 }]);

  const s = inspectJson('sim:blank');
  assert.equal(s.samples, 1317);

  const dir = mkdtempSync(join(tmpdir(), 'brainmap-inspect-'));
  writeNpy(join(dir, 'y.npy'), Float64Array.from({ length: 12 }, (_, k) => Math.sin(k)), [6, 2]);
  writeFileSync(join(dir, 'samples.csv'), 'block,text\na,x\na,y\nb,z\nb,w\nc,v\nc,u\n');
  const f = inspectJson(dir);
  assert.equal(f.samples, 6);
  assert.deepEqual(f.experiments[0].folds?.map((x) => [x.label, x.size, x.inner]), [['a', 2, 2], ['b', 2, 2], ['c', 2, 2]]);
});

test('inspect: input errors exit 2 with one line', () => {
  const r = brainmap('inspect', 'sim:blank', '--stimuli', '/x/y.npz');
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'error: sim:blank: stimuli: a simulated dataset has its own text; --stimuli applies to fedorenko2016, pereira2018, pereira2018-mat and blank2014\n');
  const m = brainmap('inspect', `pereira2018:${PEREIRA}::network=MD,language`);
  assert.equal(m.status, 2);
  assert.equal(m.stderr, `error: pereira2018:${PEREIRA}::network=MD,language: network: ${PEREIRA} has no atlas coordinate (it holds one network), so network=MD,language cannot be selected; give one name, which labels its units\n`);
  const none = brainmap('inspect');
  assert.equal(none.status, 2);
  assert.equal(none.stderr, 'error: --dataset: missing; expected a dataset spec (brainmap inspect --dataset <spec>, or brainmap inspect <spec>)\n');
  const twice = brainmap('inspect', 'sim:blank', '--dataset', 'sim:pereira');
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /^error: --dataset: given twice/);
});

test('score runs Pereira2018 per experiment and aggregates subjects over experiments', () => {
  const r = brainmap('score', '--dataset', `pereira2018:${PEREIRA}`, '--features', 'oasm:sigma=2', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    dataset: { name: string; r2: number };
    experiments: Array<{ experiment: string }>;
    subjects: Array<{ subject: string; n_units: number; r2: number; experiments: Record<string, { r2: number }> }>;
  };
  assert.equal(j.dataset.name, 'pereira2018');
  assert.deepEqual(j.experiments.map((e) => e.experiment), ['243', '384']);
  assert.equal(j.subjects.length, 10);
  const s018 = j.subjects.find((s) => s.subject === '018')!;
  assert.deepEqual(Object.keys(s018.experiments).sort(), ['243', '384']);
  assert.equal(s018.n_units, 16);
  assert.ok(Math.abs(s018.r2 - (s018.experiments['243'].r2 + s018.experiments['384'].r2) / 2) < 1e-12);
  assert.deepEqual(Object.keys(j.subjects.find((s) => s.subject === '215')!.experiments), ['243']);
  assert.deepEqual(Object.keys(j.subjects.find((s) => s.subject === '199')!.experiments), ['384']);
  assert.ok(Number.isFinite(j.dataset.r2));
});
