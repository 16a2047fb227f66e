import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Dataset } from '../data/dataset.js';
import { inputError, InputError } from '../data/errors.js';
import { describeFsError } from '../io/fsutil.js';
import { readNumericRows } from '../io/glove.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { zeros64 } from '../linalg/matrix.js';
import { alignSentences } from './embeddings.js';

/**
 * The 300-d GloVe sentence vectors distributed with Pereira2018 (`glove_sentence_vectors_{exp}.txt`,
 * rows in the order of `stimuli_{exp}sentences.txt`), put into the dataset's row order by matching
 * each sample's sentence text (METHODS §3.5). Every experiment of the dataset must be 243 or 384.
 */
export function pereiraGlove(dataset: Dataset, dir: string): Matrix64 {
  const exps = [...new Set(dataset.samples.experiment)];
  const bad = exps.filter((e) => e !== '243' && e !== '384');
  if (bad.length) {
    throw new InputError(`${dataset.source}: experiment: pereira-glove needs Pereira2018 experiments 243/384; found ${bad.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  let out: Matrix64 | null = null;
  for (const exp of exps) {
    const vecPath = join(dir, `glove_sentence_vectors_${exp}.txt`);
    const stimPath = join(dir, `stimuli_${exp}sentences.txt`);
    let stimText: string;
    try { stimText = readFileSync(stimPath, 'utf8'); } catch (err) { throw inputError(stimPath, 'sentences', describeFsError(err)); }
    const stimuli = stimText.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
    const vecs = readNumericRows(vecPath);
    if (vecs.rows !== stimuli.length) throw inputError(vecPath, 'rows', `has ${vecs.rows} vectors; expected ${stimuli.length}, one per line of ${stimPath}`);
    const rows: number[] = [];
    dataset.samples.experiment.forEach((e, i) => { if (e === exp) rows.push(i); });
    const order = alignSentences(rows.map((r) => dataset.samples.text[r]), stimuli, stimPath);
    if (!out) out = zeros64(dataset.y.rows, vecs.cols);
    if (out.cols !== vecs.cols) throw inputError(vecPath, 'columns', `has ${vecs.cols} values per row; the other experiment's file has ${out.cols}`);
    rows.forEach((r, k) => out!.data.set(vecs.data.subarray(order[k] * vecs.cols, (order[k] + 1) * vecs.cols), r * vecs.cols));
  }
  return out!;
}
