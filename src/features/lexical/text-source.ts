/**
 * Which text the lexical features (word, sense, synt) read for each sample:
 *
 *  - default: the dataset's own text (what `--stimuli` gave, for the readers that take it);
 *  - `deref=<dir>` (Pereira2018): the pronoun-dereferenced sentences. For each experiment e of the
 *    dataset (243, 384), `<dir>/stimuli_<e>sentences.txt` is aligned to the dataset's sentences
 *    (exactly, else by word overlap, as pereira-glove does) and the same line of
 *    `<dir>/stimuli_<e>sentences_dereferencedpronouns.txt` is taken;
 *  - `text=<file>`: any dataset; one line per sample, in the dataset's row order.
 */
import { join } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { inputError, InputError } from '../../data/errors.js';
import { readText } from '../../io/fsutil.js';
import { alignSentences } from '../embeddings.js';
import type { FeatureTerm } from '../spec.js';

/** The term parameters that choose the text. */
export const TEXT_PARAMS = ['deref', 'text'] as const;

function readLines(path: string, field: string): string[] {
  const lines = readText(path, field).replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The dereferenced Pereira sentences in the dataset's row order (see the module comment). */
export function dereferencedTexts(dataset: Pick<Dataset, 'samples' | 'source'>, dir: string): string[] {
  const exps = [...new Set(dataset.samples.experiment)];
  const bad = exps.filter((e) => e !== '243' && e !== '384');
  if (bad.length) {
    throw new InputError(`${dataset.source}: experiment: deref= needs Pereira2018 experiments 243/384; found ${bad.map((e) => JSON.stringify(e)).join(', ')} (give text=<file> with one line per sample instead)`);
  }
  const out = dataset.samples.text.slice();
  for (const exp of exps) {
    const origPath = join(dir, `stimuli_${exp}sentences.txt`);
    const derefPath = join(dir, `stimuli_${exp}sentences_dereferencedpronouns.txt`);
    const orig = readLines(origPath, 'sentences');
    const deref = readLines(derefPath, 'sentences');
    if (deref.length !== orig.length) throw inputError(derefPath, 'lines', `has ${deref.length} sentences; expected ${orig.length}, one per line of ${origPath}`);
    const rows: number[] = [];
    dataset.samples.experiment.forEach((e, i) => { if (e === exp) rows.push(i); });
    const order = alignSentences(rows.map((r) => dataset.samples.text[r]), orig, origPath);
    rows.forEach((r, k) => {
      const line = deref[order[k]];
      if (line.trim() === '') throw inputError(derefPath, `line ${order[k] + 1}`, 'is empty; expected the dereferenced sentence');
      out[r] = line;
    });
  }
  return out;
}

/** One line per sample from `path` (dataset row order). */
export function textFileTexts(dataset: Pick<Dataset, 'samples' | 'name'>, path: string): string[] {
  const lines = readLines(path, 'text');
  const n = dataset.samples.text.length;
  if (lines.length !== n) throw inputError(path, 'lines', `has ${lines.length} lines; expected ${n}, one per sample of ${dataset.name} in its row order`);
  return lines;
}

/** The texts a lexical term reads (deref=, text= or the dataset's own), checked non-empty. */
export function lexicalTexts(term: FeatureTerm, dataset: Pick<Dataset, 'samples' | 'source' | 'name'>): string[] {
  const { deref, text } = term.params;
  if (deref !== undefined && text !== undefined) throw new InputError(`--features: "${term.text}": give deref=<dir> or text=<file>, not both`);
  const texts = deref !== undefined ? dereferencedTexts(dataset, deref) : text !== undefined ? textFileTexts(dataset, text) : dataset.samples.text;
  const where = deref !== undefined ? `${deref} (dereferenced sentences)` : text ?? dataset.source;
  texts.forEach((t, i) => {
    if (t.trim() === '') throw inputError(where, 'text', `sample ${i} has no text; ${term.name} features need each sample's words (give --stimuli or text=<file>)`);
  });
  return texts;
}
