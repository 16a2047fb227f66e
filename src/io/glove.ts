/**
 * Static word vectors in the GloVe / word2vec text format: one word and its vector per line,
 * separated by spaces. A first line of exactly two integers ("<count> <dim>") is word2vec's header
 * and is checked against the file. Every error names the file, the line and what was expected.
 */
import { readFileSync } from 'node:fs';
import { inputError } from '../data/errors.js';
import { describeFsError } from './fsutil.js';

export interface WordVectors {
  /** Vector dimension d. */
  dim: number;
  /** word → row in `vectors`. The first occurrence of a repeated word wins. */
  index: Map<string, number>;
  /** vocabulary × d, row-major. */
  vectors: Float32Array;
  path: string;
}

/**
 * Reads word vectors. `only`, when given, keeps just those words (saves memory on the 400k-word
 * GloVe files when only a dataset's vocabulary is needed).
 */
export function readWordVectors(path: string, only?: ReadonlySet<string>): WordVectors {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw inputError(path, 'word vectors', describeFsError(err));
  }
  const lines = text.split('\n');
  let start = 0;
  let dim = -1;
  let declared = -1;
  const head = lines[0]?.trim().split(/\s+/) ?? [];
  if (head.length === 2 && /^\d+$/.test(head[0]) && /^\d+$/.test(head[1])) {
    declared = Number(head[0]);
    dim = Number(head[1]);
    start = 1;
  }
  const index = new Map<string, number>();
  const rows: Float32Array[] = [];
  let count = 0;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const parts = line.trimEnd().split(' ');
    const word = parts[0];
    const nValues = parts.length - 1;
    if (dim < 0) dim = nValues;
    if (nValues !== dim || dim === 0) {
      throw inputError(path, `line ${i + 1}`, `word "${word}" has ${nValues} values; expected ${dim > 0 ? dim : 'at least 1'} (format: one word then its vector, space-separated)`);
    }
    count++;
    if (index.has(word) || (only && !only.has(word))) continue;
    const v = new Float32Array(dim);
    for (let k = 0; k < dim; k++) {
      const x = Number(parts[k + 1]);
      if (!Number.isFinite(x)) throw inputError(path, `line ${i + 1}`, `value ${k + 1} of "${word}" is "${parts[k + 1]}"; expected a finite number`);
      v[k] = x;
    }
    index.set(word, rows.length);
    rows.push(v);
  }
  if (dim <= 0 || count === 0) throw inputError(path, 'word vectors', 'no vectors found; expected lines of "<word> <v1> … <vd>"');
  if (declared >= 0 && declared !== count) throw inputError(path, 'header', `declares ${declared} words, the file has ${count}`);
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => vectors.set(r, i * dim));
  return { dim, index, vectors, path };
}

/**
 * Reads a plain numeric table: one row per line, `expectedCols` space-separated numbers each (the
 * GloVe sentence vectors distributed with Pereira2018).
 */
export function readNumericRows(path: string, expectedCols?: number): { rows: number; cols: number; data: Float64Array } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw inputError(path, 'vectors', describeFsError(err));
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw inputError(path, 'vectors', 'is empty; expected one vector per line');
  const cols = expectedCols ?? lines[0].split(/\s+/).length;
  const data = new Float64Array(lines.length * cols);
  lines.forEach((l, i) => {
    const parts = l.split(/\s+/);
    if (parts.length !== cols) throw inputError(path, `line ${i + 1}`, `has ${parts.length} values; expected ${cols}`);
    parts.forEach((p, k) => {
      const x = Number(p);
      if (!Number.isFinite(x)) throw inputError(path, `line ${i + 1}`, `value ${k + 1} is "${p}"; expected a finite number`);
      data[i * cols + k] = x;
    });
  });
  return { rows: lines.length, cols, data };
}
