/**
 * GPT-2 byte-level BPE tokenisation, matching Hugging Face's GPT2Tokenizer / tokenizers ByteLevel
 * BPE (no prefix space, no BOS):
 *
 *  1. added (special) tokens such as `<|endoftext|>` are split off and map to their ids;
 *  2. the rest is cut into pre-tokens by GPT-2's regex
 *     `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
 *  3. each pre-token's UTF-8 bytes are mapped to printable characters (GPT-2's bytes→unicode map);
 *  4. adjacent symbols are merged, lowest merge rank first, until no ranked pair is left;
 *  5. symbols are looked up in the vocabulary.
 *
 * Sources, best first: a model folder's tokenizer.json (model.type BPE), its vocab.json +
 * merges.txt, else GPT-2's r50k_base from js-tiktoken (bundled, offline; the same vocabulary).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tiktoken } from 'js-tiktoken/lite';
import r50kBase from 'js-tiktoken/ranks/r50k_base';
import { InputError, inputError } from '../../data/errors.js';
import { readText } from '../../io/fsutil.js';

/** Turns text into token ids. */
export interface Tokenizer {
  /** 'tokenizer.json', 'vocab.json+merges.txt' or 'r50k_base'. */
  readonly kind: string;
  /** Where it came from (file paths, or 'js-tiktoken r50k_base'). */
  readonly source: string;
  encode(text: string): number[];
}

/** GPT-2's pre-tokenisation pattern. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte → printable character map (`bytes_to_unicode`). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map = new Array<string>(256);
  for (const b of bs) map[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === undefined) map[b] = String.fromCharCode(256 + n++);
  }
  return map;
}

/** Byte-level BPE over a vocabulary and ranked merges. */
export class ByteLevelBpe implements Tokenizer {
  readonly kind: string;
  readonly source: string;
  private readonly vocab: Map<string, number>;
  /** "left right" → rank (symbols never contain a plain space: byte 0x20 maps to 'Ġ'). */
  private readonly ranks: Map<string, number>;
  private readonly byteMap = bytesToUnicode();
  private readonly encoder = new TextEncoder();
  private readonly cache = new Map<string, number[]>();
  private readonly added: Map<string, number>;
  private readonly addedPattern: RegExp | null;

  constructor(opts: { vocab: Map<string, number>; merges: ReadonlyArray<readonly [string, string]>; added?: Map<string, number>; kind: string; source: string }) {
    this.vocab = opts.vocab;
    this.ranks = new Map();
    opts.merges.forEach(([a, b], i) => {
      const key = `${a} ${b}`;
      if (!this.ranks.has(key)) this.ranks.set(key, i);
    });
    this.added = opts.added ?? new Map();
    const specials = [...this.added.keys()].sort((a, b) => b.length - a.length);
    this.addedPattern = specials.length ? new RegExp(specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : null;
    this.kind = opts.kind;
    this.source = opts.source;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    if (!this.addedPattern) {
      this.encodeOrdinary(text, out);
      return out;
    }
    let last = 0;
    this.addedPattern.lastIndex = 0;
    for (let m = this.addedPattern.exec(text); m !== null; m = this.addedPattern.exec(text)) {
      this.encodeOrdinary(text.slice(last, m.index), out);
      out.push(this.added.get(m[0]) as number);
      last = m.index + m[0].length;
    }
    this.encodeOrdinary(text.slice(last), out);
    return out;
  }

  private encodeOrdinary(text: string, out: number[]): void {
    if (text === '') return;
    for (const m of text.matchAll(GPT2_PATTERN)) {
      const piece = m[0];
      let ids = this.cache.get(piece);
      if (!ids) {
        ids = this.bpe(piece);
        if (this.cache.size < 100_000) this.cache.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private bpe(piece: string): number[] {
    const bytes = this.encoder.encode(piece);
    let word: string[] = Array.from(bytes, (b) => this.byteMap[b]);
    while (word.length > 1) {
      let best = Infinity;
      let bestKey = '';
      for (let i = 0; i + 1 < word.length; i++) {
        const key = `${word[i]} ${word[i + 1]}`;
        const r = this.ranks.get(key);
        if (r !== undefined && r < best) { best = r; bestKey = key; }
      }
      if (best === Infinity) break;
      const sp = bestKey.indexOf(' ');
      const a = bestKey.slice(0, sp);
      const b = bestKey.slice(sp + 1);
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) { merged.push(a + b); i++; } else merged.push(word[i]);
      }
      word = merged;
    }
    return word.map((sym) => {
      const id = this.vocab.get(sym);
      if (id === undefined) throw new InputError(`${this.source}: vocab: no id for the BPE symbol ${JSON.stringify(sym)} (from ${JSON.stringify(piece)}); the vocabulary and merges do not belong together`);
      return id;
    });
  }
}

function parseJson(path: string, field: string): unknown {
  const text = readText(path, field);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw inputError(path, field, `is not valid JSON (${(err as Error).message})`);
  }
}

function vocabFrom(raw: unknown, path: string, field: string): Map<string, number> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(path, field, 'expected an object {token: id}');
  const vocab = new Map<string, number>();
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw inputError(path, field, `token ${JSON.stringify(k)} has id ${JSON.stringify(v)}; expected a non-negative integer`);
    vocab.set(k, v);
  }
  return vocab;
}

/** Reads a Hugging Face tokenizer.json (byte-level BPE). */
export function readTokenizerJson(path: string): ByteLevelBpe {
  const raw = parseJson(path, 'tokenizer') as { model?: { type?: unknown; vocab?: unknown; merges?: unknown }; added_tokens?: unknown; pre_tokenizer?: unknown } | null;
  const model = raw?.model;
  if (!model || typeof model !== 'object') throw inputError(path, 'model', 'missing; expected a BPE tokenizer model');
  if (model.type !== 'BPE') throw inputError(path, 'model.type', `${JSON.stringify(model.type)} is not supported; expected "BPE" (GPT-2 byte-level BPE)`);
  const pre = raw?.pre_tokenizer as { type?: unknown; add_prefix_space?: unknown } | null | undefined;
  if (pre && pre.type === 'ByteLevel' && pre.add_prefix_space === true) {
    throw inputError(path, 'pre_tokenizer.add_prefix_space', 'true is not supported; expected false (GPT-2)');
  }
  if (pre && pre.type !== 'ByteLevel') throw inputError(path, 'pre_tokenizer.type', `${JSON.stringify(pre.type)} is not supported; expected "ByteLevel" (GPT-2)`);
  const vocab = vocabFrom(model.vocab, path, 'model.vocab');
  if (!Array.isArray(model.merges)) throw inputError(path, 'model.merges', 'expected a list of merges');
  const merges: Array<[string, string]> = [];
  for (const m of model.merges as unknown[]) {
    if (typeof m === 'string') {
      const sp = m.indexOf(' ');
      if (sp <= 0) throw inputError(path, 'model.merges', `merge ${JSON.stringify(m)} is not "left right"`);
      merges.push([m.slice(0, sp), m.slice(sp + 1)]);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      merges.push([m[0], m[1]]);
    } else {
      throw inputError(path, 'model.merges', `merge ${JSON.stringify(m)} is neither "left right" nor [left, right]`);
    }
  }
  const added = new Map<string, number>();
  if (Array.isArray(raw?.added_tokens)) {
    for (const t of raw.added_tokens as Array<{ content?: unknown; id?: unknown }>) {
      if (typeof t?.content === 'string' && typeof t.id === 'number') added.set(t.content, t.id);
    }
  }
  return new ByteLevelBpe({ vocab, merges, added, kind: 'tokenizer.json', source: path });
}

/** Reads GPT-2's vocab.json + merges.txt (the slow tokenizer's files). */
export function readVocabMerges(vocabPath: string, mergesPath: string): ByteLevelBpe {
  const vocab = vocabFrom(parseJson(vocabPath, 'vocab'), vocabPath, 'vocab');
  const merges: Array<[string, string]> = [];
  const lines = readText(mergesPath, 'merges').split('\n');
  lines.forEach((line, i) => {
    const l = line.replace(/\r$/, '');
    if (l === '' || (i === 0 && l.startsWith('#version'))) return;
    const parts = l.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw inputError(mergesPath, `line ${i + 1}`, `${JSON.stringify(l)} is not "left right"`);
    merges.push([parts[0], parts[1]]);
  });
  const added = new Map<string, number>();
  const eot = vocab.get('<|endoftext|>');
  if (eot !== undefined) added.set('<|endoftext|>', eot);
  return new ByteLevelBpe({ vocab, merges, added, kind: 'vocab.json+merges.txt', source: `${vocabPath} + ${mergesPath}` });
}

let r50k: Tokenizer | undefined;

/** GPT-2's r50k_base from js-tiktoken (offline; `<|endoftext|>` in text maps to 50256, as in HF). */
export function r50kTokenizer(): Tokenizer {
  if (!r50k) {
    const enc = new Tiktoken(r50kBase);
    r50k = { kind: 'r50k_base', source: 'js-tiktoken r50k_base', encode: (text: string) => enc.encode(text, 'all') };
  }
  return r50k;
}

/** The tokenizer of a model folder (tokenizer.json, else vocab.json + merges.txt), else r50k_base. */
export function loadTokenizer(dir: string | null): Tokenizer {
  if (dir !== null) {
    const tj = join(dir, 'tokenizer.json');
    if (existsSync(tj)) return readTokenizerJson(tj);
    const v = join(dir, 'vocab.json');
    const m = join(dir, 'merges.txt');
    if (existsSync(v) && existsSync(m)) return readVocabMerges(v, m);
  }
  return r50kTokenizer();
}
