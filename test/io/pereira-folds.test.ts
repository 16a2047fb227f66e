/**
 * Issue 11 point 16: what README "Method notes → Splits" says is and is not the paper's for
 * Pereira2018, checked on the Pereira2018.language fixture and the authors' sentences_ordered.txt.
 * References: METHODS §1.1 (the exp-243 fh group recovered from the authors' saved first fold;
 * row order: categories alphabetical, passages, sentences) and §2.1 (fold sizes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/io/dataset.js';
import { foldLabels, planFolds } from '../../src/regression/splits.js';

const LANG = fileURLToPath(new URL('../fixtures/datasets/pereira2018-language-profileB.nc', import.meta.url));
const ORDERED = fileURLToPath(new URL('../../../shared/data/pereira2018/sentences_ordered.txt', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** METHODS §1.1: the exp-243 fh group, recovered from the authors' X_test_OASM.npy (commit 43a8da8). */
const FH_243 = ['astronaut', 'beekeeping', 'blindness', 'computer_graphics', 'hurricane', 'ice_cream', 'law_school', 'lawn_mower', 'opera', 'pharmacist', 'pyramid', 'stress'];
/** README: the exp-384 categories whose passages the authors order differently from passage_index. */
const MOVED_384 = ['crime', 'fruit', 'furniture', 'insect', 'vehicles_transport', 'weapon'];

/** Per experiment, the test rows of each outer fold (as sets of stimulus ids), contiguous or shuffled. */
function folds(d: Dataset, exp: string, scheme: 'contiguous' | 'shuffled'): string[][] {
  const { rows, labels } = foldLabels(d, scheme, 42).get(exp)!;
  return planFolds(d.design, labels, exp).map((f) => Array.from(f.test, (k) => d.samples.stimulusId[rows[k]]).sort());
}

const category = (block: string): string => block.split('-').slice(1, -1).join('-');

test('pereira folds: exp 243 is the paper\'s either way; exp 384 differs in exactly the 6 categories README names', async () => {
  const plain = await loadDataset(`pereira2018:${LANG}`);
  const authors = await loadDataset(`pereira2018:${LANG}`, { stimuli: ORDERED });
  const lines = readFileSync(ORDERED, 'utf8').split('\n').filter((l) => l !== '');
  assert.deepEqual(authors.samples.text, lines);

  // Exp 243: first contiguous fold = passage 0 of the recovered fh group (47 sentences), the same
  // rows and folds with or without the authors' file, contiguous and shuffled.
  const rows243 = plain.samples.experiment.map((e, r) => (e === '243' ? r : -1)).filter((r) => r >= 0);
  const fold0 = rows243.filter((r) => plain.samples.block[r].endsWith('-0') && FH_243.includes(category(plain.samples.block[r])));
  assert.equal(fold0.length, 47);
  assert.deepEqual(folds(plain, '243', 'contiguous')[0], fold0.map((r) => plain.samples.stimulusId[r]).sort());
  assert.deepEqual(folds(plain, '243', 'contiguous').map((f) => f.length), [47, 46, 38, 38, 37, 37]);
  for (const scheme of ['contiguous', 'shuffled'] as const) assert.deepEqual(folds(plain, '243', scheme), folds(authors, '243', scheme), scheme);

  // Exp 384: the rows of a category are in the same order either way except in the 6 categories.
  const order = (d: Dataset): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    d.samples.block.forEach((b, r) => {
      if (d.samples.experiment[r] !== '384') return;
      const c = category(b);
      if (!m.has(c)) m.set(c, []);
      m.get(c)!.push(d.samples.stimulusId[r]);
    });
    return m;
  };
  const a = order(plain);
  const b = order(authors);
  assert.equal(a.size, 24);
  assert.deepEqual([...a.keys()].filter((c) => JSON.stringify(a.get(c)) !== JSON.stringify(b.get(c))).sort(), MOVED_384);
  // Sizes match either way; membership moves (contiguous: passages of those categories; shuffled: every fold).
  for (const scheme of ['contiguous', 'shuffled'] as const) {
    assert.deepEqual(folds(plain, '384', scheme).map((f) => f.length), Array(8).fill(48));
    assert.notDeepEqual(folds(plain, '384', scheme), folds(authors, '384', scheme), scheme);
  }
  // README states the same.
  const readme = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
  assert.ok(readme.includes(`6 categories (${MOVED_384.join(', ')})`), 'README names the 6 exp-384 categories');
  assert.ok(readme.includes('**Pereira exp 384**: fold *sizes* only'), 'README says exp 384 folds are exact in size only');
});
