/**
 * Vector files of the lexical features (METHODS §3.5), read keeping only the keys a dataset needs:
 *
 *  - static word vectors (WORD): a text file, one `word v1 … vd` per line (GloVe; word2vec's text
 *    format with its "<count> <dim>" first line), or a `.npy` matrix (V × d, float) with a
 *    vocabulary file of V lines, line k naming row k;
 *  - LMMS sense vectors (SENSE): a text file of `sensekey v1 … vd` lines, sensekey as WordNet's
 *    `lemma%ss_type:lex_filenum:lex_id:head_word:head_id` (e.g. `bank%1:14:00::`). The ss_type
 *    digit is the POS: 1 noun, 2 verb, 3 adjective, 4 adverb, 5 adjective satellite.
 *
 * Text files are streamed (the LMMS-SP files are several GB). A word containing spaces (GloVe
 * 840B has a few) is read as everything before the last d values. Every error names the file, the
 * line or field, and what was expected.
 */
import { inputError } from '../../data/errors.js';
import { readText } from '../../io/fsutil.js';
import { forEachLine } from '../../io/lines.js';
import { readNpy } from '../../io/npy.js';
import type { WordVectors } from '../../io/glove.js';

/** One parsed `key v1 … vd` line, or null for a blank line; `dim` is fixed by the first vector line. */
function parseVectorLine(path: string, line: string, lineNo: number, dim: number, what: string, spacedKeys: boolean): { key: string; values: string[] } | null {
  const t = line.trim();
  if (t === '') return null;
  const parts = t.split(/[ \t]+/);
  if (parts.length < 2) throw inputError(path, `line ${lineNo}`, `"${t.slice(0, 40)}" has no values; expected "<${what}> <v1> … <vd>"`);
  if (dim > 0 && (parts.length - 1 < dim || (!spacedKeys && parts.length - 1 > dim))) {
    throw inputError(path, `line ${lineNo}`, `${what} "${parts[0]}" has ${parts.length - 1} values; expected ${dim} (as the file's first vector)`);
  }
  const nWord = dim > 0 ? parts.length - dim : 1;
  return { key: parts.slice(0, nWord).join(' '), values: parts.slice(nWord) };
}

function toFloats(path: string, lineNo: number, key: string, values: string[], into: Float32Array, offset: number): void {
  for (let k = 0; k < values.length; k++) {
    const x = Number(values[k]);
    if (values[k] === '' || !Number.isFinite(x)) throw inputError(path, `line ${lineNo}`, `value ${k + 1} of "${key}" is "${values[k]}"; expected a finite number`);
    into[offset + k] = x;
  }
}

/**
 * Streams `key v1 … vd` lines: `keep(key)` says whether to store a vector; returns the stored
 * vectors in file order with their keys, the dimension and the number of vector lines.
 */
function readKeyedVectors(path: string, what: string, keep: (key: string, lineNo: number) => boolean, opts: { header: boolean; spacedKeys: boolean }): { dim: number; keys: string[]; vectors: Float32Array; count: number } {
  let dim = -1;
  let declared = -1;
  let count = 0;
  const keys: string[] = [];
  const rows: Float32Array[] = [];
  forEachLine(path, 'vectors', (line, lineNo) => {
    if (lineNo === 1 && opts.header) {
      const head = line.trim().split(/\s+/);
      if (head.length === 2 && /^\d+$/.test(head[0]) && /^\d+$/.test(head[1])) {
        declared = Number(head[0]);
        dim = Number(head[1]);
        if (dim < 1) throw inputError(path, 'header', `declares dimension ${dim}; expected at least 1`);
        return;
      }
    }
    // Lines of keys not wanted are only counted (the files have 10^5–10^6 lines), once the
    // dimension is known from the first vector line.
    if (dim > 0) {
      const t = line.trimStart();
      if (t === '') return;
      const sp = t.search(/[ \t]/);
      const first = sp < 0 ? t : t.slice(0, sp);
      if (!keep(first, lineNo)) { count++; return; }
    }
    const p = parseVectorLine(path, line, lineNo, dim, what, opts.spacedKeys);
    if (p === null) return;
    if (dim < 0) dim = p.values.length;
    count++;
    if (!keep(p.key, lineNo)) return;
    const v = new Float32Array(dim);
    toFloats(path, lineNo, p.key, p.values, v, 0);
    keys.push(p.key);
    rows.push(v);
  });
  if (dim <= 0 || count === 0) throw inputError(path, 'vectors', `no vectors found; expected lines of "<${what}> <v1> … <vd>"`);
  if (declared >= 0 && declared !== count) throw inputError(path, 'header', `declares ${declared} vectors, the file has ${count}`);
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => vectors.set(r, i * dim));
  return { dim, keys, vectors, count };
}

/**
 * Static word vectors from a text file, or from `.npy` + `vocab` (one word per line). `only`:
 * keep just these words. The first occurrence of a repeated word wins.
 */
export function readStaticVectors(path: string, opts: { vocab?: string; only?: ReadonlySet<string> } = {}): WordVectors & { total: number } {
  const keep = (w: string): boolean => !opts.only || opts.only.has(w);
  if (/\.npy$/i.test(path)) {
    if (opts.vocab === undefined) throw inputError(path, 'vocab', 'a .npy vectors file needs vocab=<file> (one word per line, line k naming row k)');
    const arr = readNpy(path, 'vectors');
    if (arr.shape.length !== 2 || arr.shape[0] < 1 || arr.shape[1] < 1) throw inputError(path, 'vectors', `has shape (${arr.shape.join(', ')}); expected a 2-D words × dimensions array`);
    if (!(arr.data instanceof Float32Array || arr.data instanceof Float64Array)) throw inputError(path, 'vectors', `has dtype ${arr.dtype}; expected float32 or float64`);
    const [V, d] = arr.shape;
    const lines = readText(opts.vocab, 'vocab').replace(/^\uFEFF/, '').split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length !== V) throw inputError(opts.vocab, 'lines', `has ${lines.length} words; expected ${V}, one per row of ${path}`);
    const index = new Map<string, number>();
    const picked: number[] = [];
    lines.forEach((raw, k) => {
      const w = raw.trim();
      if (w === '') throw inputError(opts.vocab!, `line ${k + 1}`, 'is empty; expected the word of that row');
      if (index.has(w) || !keep(w)) return;
      index.set(w, picked.length);
      picked.push(k);
    });
    const vectors = new Float32Array(picked.length * d);
    picked.forEach((row, i) => {
      for (let j = 0; j < d; j++) {
        const x = arr.data[row * d + j] as number;
        if (!Number.isFinite(x)) throw inputError(path, 'vectors', `row ${row} ("${lines[row].trim()}"), column ${j} is ${x}; expected finite values`);
        vectors[i * d + j] = x;
      }
    });
    return { dim: d, index, vectors, path, total: V };
  }
  if (opts.vocab !== undefined) throw inputError(opts.vocab, 'vocab', `applies to .npy vectors; ${path} is read as a text file of "<word> <v1> … <vd>" lines`);
  const r = readKeyedVectors(path, 'word', keep, { header: true, spacedKeys: true });
  const index = new Map<string, number>();
  const firstRows: number[] = [];
  r.keys.forEach((k, i) => { if (!index.has(k)) { index.set(k, firstRows.length); firstRows.push(i); } });
  const vectors = firstRows.length === r.keys.length ? r.vectors : new Float32Array(firstRows.length * r.dim);
  if (vectors !== r.vectors) firstRows.forEach((row, i) => vectors.set(r.vectors.subarray(row * r.dim, (row + 1) * r.dim), i * r.dim));
  return { dim: r.dim, index, vectors, path, total: r.count };
}

/** WordNet POS letter of an LMMS sense key's ss_type (5, the adjective satellite, is an adjective). */
export type SensePos = 'n' | 'v' | 'a' | 'r';

/** One sense of the inventory. */
export interface Sense {
  key: string;
  lemma: string;
  pos: SensePos;
}

/** A sense inventory: sense vectors grouped by (lemma, POS). */
export interface SenseInventory {
  dim: number;
  senses: Sense[];
  /** senses × d, row-major. */
  vectors: Float32Array;
  /** `${lemma}|${pos}` → rows of `senses`. */
  byLemma: Map<string, number[]>;
  path: string;
  /** Vector lines in the file (all lemmas). */
  total: number;
}

const SS_TYPE: Record<string, SensePos> = { 1: 'n', 2: 'v', 3: 'a', 4: 'r', 5: 'a' };

/** Parses `lemma%ss_type:lex_filenum:lex_id:head_word:head_id` (lemma lower-cased); null when malformed. */
export function parseSenseKey(key: string): { lemma: string; pos: SensePos } | null {
  const m = /^(.+)%([1-5]):(\d{2}):(\d{2}):([^:]*):(\d{2})?$/.exec(key);
  if (!m) return null;
  return { lemma: m[1].toLowerCase(), pos: SS_TYPE[m[2]] };
}

/** Lookup key of the inventory: a lemma (spaces as '_', lower case) and a POS. */
export const senseLookupKey = (lemma: string, pos: SensePos): string => `${lemma.toLowerCase().replace(/ /g, '_')}|${pos}`;

/**
 * Reads an LMMS-format sense vectors file, keeping the senses of `lemmas` (lower case, multiword
 * lemmas with '_'; all when absent). Every line's key must be a sense key.
 */
export function readSenseInventory(path: string, lemmas?: ReadonlySet<string>): SenseInventory {
  const r = readKeyedVectors(path, 'sensekey', (key, lineNo) => {
    const s = parseSenseKey(key);
    if (s === null) {
      throw inputError(path, `line ${lineNo}`, `"${key}" is not a WordNet sense key; expected lemma%ss_type:lex_filenum:lex_id:head_word:head_id (e.g. bank%1:14:00::), ss_type 1–5`);
    }
    return !lemmas || lemmas.has(s.lemma);
  }, { header: false, spacedKeys: false });
  const senses: Sense[] = r.keys.map((key) => ({ key, ...parseSenseKey(key)! }));
  const byLemma = new Map<string, number[]>();
  senses.forEach((s, i) => {
    const k = senseLookupKey(s.lemma, s.pos);
    const list = byLemma.get(k);
    if (list) list.push(i); else byLemma.set(k, [i]);
  });
  return { dim: r.dim, senses, vectors: r.vectors, byLemma, path, total: r.count };
}
