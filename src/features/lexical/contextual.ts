/**
 * Contextual word embeddings for SENSE (the LMMS recipe, Loureiro & Jorge 2019; LMMS-SP,
 * Loureiro et al. 2022): each sample's words are run through an encoder of the model zoo
 * (src/features/lm: any supported architecture, trained or `<folder>:untrained`), the hidden
 * states of a range of layers are averaged per token, and a word's vector is the mean over its
 * subword tokens.
 *
 *  - Input: the sample's text alone (LMMS embeds one sentence at a time; with `blocks`, the
 *    block's samples together, e.g. a word-by-word sentence), as its words: word k is
 *    tokenised on its own, with a leading space when whitespace precedes it in the text (LMMS-SP
 *    tokenises word by word the same way), and the ids are concatenated between the tokenizer's
 *    special tokens (`<s> … </s>`, `[CLS] … [SEP]`).
 *  - Layers: hidden states `lo … hi` (0 = the embedding output), averaged with equal weights.
 *    The default is every layer after the embeddings (1 … L; RoBERTa-large: the 24 layers the
 *    paper names). LMMS-SP weighs the layers by weights learned on a WSD probe, LMMS (2019) sums
 *    the last four (layers=L−3-L). The matching is by cosine, so a sum and a mean choose the same
 *    senses; the features themselves are LMMS's vectors, so only the choice of layers matters.
 *
 * The word vectors (all words × d, float32) are computed once per (weights, layers, inputs) and
 * kept in a bounded in-process memo and on disk next to the lm cache
 * (`$BRAINMAP_CACHE/words/<key>.npy` + `.json` with its sha256; a damaged entry is recomputed).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inputError, InputError } from '../../data/errors.js';
import { describeFsError } from '../../io/fsutil.js';
import { encodeNpy, parseNpy } from '../../io/npy.js';
import { getBackend } from '../../linalg/index.js';
import type { Backend } from '../../linalg/backend.js';
import { lmCacheRoot } from '../lm/cache.js';
import { specialTokensOf, type LmRunner } from '../lm/extract.js';
import { ByteLru } from '../lm/memo.js';
import { openLmModel } from '../lm/model.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import type { TaggedToken } from './nlp.js';

/** One sample as model input: ids with special tokens, and each token's [start, end) positions in them. */
export interface WordInput {
  ids: number[];
  /** Per token of the sample: its subword positions in `ids` (start === end: no subwords). */
  spans: Array<[number, number]>;
}

/** Longest input (with special tokens) of one sample. */
export const WORD_WINDOW = 512;

/** The ids of one sample's tokens, word by word (see the module comment). */
export function wordInputs(tokens: readonly Pick<TaggedToken, 'text' | 'space'>[], tokenizer: Tokenizer): WordInput {
  const sp = specialTokensOf(tokenizer);
  const ids: number[] = [...sp.prefix];
  const spans: Array<[number, number]> = [];
  tokens.forEach((t, k) => {
    const piece = k > 0 && t.space !== '' ? ` ${t.text}` : t.text;
    const start = ids.length;
    for (const id of tokenizer.encode(piece)) if (!sp.ids.has(id)) ids.push(id);
    spans.push([start, ids.length]);
  });
  ids.push(...sp.suffix);
  return { ids, spans };
}

/** Inclusive range of hidden states averaged (0 = embedding output, nLayer = last layer). */
export interface LayerRange { lo: number; hi: number }

/**
 * Runs `inputs` through `runner` in batches of at most `batchTokens` rows and returns, per input
 * and token, the mean over its subwords of the mean over layers lo…hi (null for a token without
 * subwords). Pure apart from the forward pass.
 */
export async function wordVectorsOf(runner: Pick<LmRunner, 'dim' | 'forwardBatch'>, inputs: readonly WordInput[], layers: LayerRange, batchTokens = 512): Promise<Array<Array<Float32Array | null>>> {
  const d = runner.dim;
  const nL = layers.hi - layers.lo + 1;
  const out: Array<Array<Float32Array | null>> = [];
  for (let b0 = 0; b0 < inputs.length;) {
    let b1 = b0 + 1;
    let rows = inputs[b0].ids.length;
    while (b1 < inputs.length && rows + inputs[b1].ids.length <= batchTokens) rows += inputs[b1++].ids.length;
    const batch = inputs.slice(b0, b1);
    const acc = new Float64Array(rows * d);
    await runner.forwardBatch(batch.map((x) => x.ids), (layer, state) => {
      if (layer < layers.lo || layer > layers.hi) return;
      for (let i = 0; i < acc.length; i++) acc[i] += state[i];
    });
    let off = 0;
    for (const x of batch) {
      out.push(x.spans.map(([s, e]) => {
        if (e <= s) return null;
        const v = new Float32Array(d);
        for (let t = s; t < e; t++) for (let j = 0; j < d; j++) v[j] += acc[(off + t) * d + j];
        const scale = 1 / (nL * (e - s));
        for (let j = 0; j < d; j++) v[j] *= scale;
        return v;
      }));
      off += x.ids.length;
    }
    b0 = b1;
  }
  return out;
}

export interface ContextualOptions {
  /** Untrained models' initialisation seed. */
  seed?: number;
  /** Hidden states averaged (default 1 … nLayer). */
  layers?: LayerRange;
  backend?: Backend;
  /** Read and write the disk cache (default true). */
  diskCache?: boolean;
  /** Cache root (default: the folder of lmCacheRoot(), i.e. $BRAINMAP_CACHE or ./.brainmap-cache). */
  cacheRoot?: string;
  /**
   * Block label per sample: when given, each block's samples go through the encoder as one input
   * (their words in order, a space between samples) instead of one input per sample.
   */
  blocks?: readonly string[];
  /** Where a damaged cache entry is reported (one line; default stderr). */
  onWarning?: (line: string) => void;
}

const memo = new ByteLru<Float32Array>(512 * 2 ** 20);

/** Forgets the in-process memo of word vectors. */
export function clearWordVectorMemo(): void {
  memo.clear();
}

function atomicWrite(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    throw inputError(path, 'cache', `cannot write (${describeFsError(err)})`);
  }
}

/** The cached flat matrix (words × d) when present and intact, else null (a damaged one is reported). */
function readCached(npyPath: string, words: number, d: number, warn: (line: string) => void): Float32Array | null {
  const metaPath = npyPath.replace(/\.npy$/, '.json');
  if (!existsSync(npyPath) || !existsSync(metaPath)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { sha256?: unknown };
    const bytes = new Uint8Array(readFileSync(npyPath));
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== meta.sha256) throw new Error('content does not match its sha256');
    const arr = parseNpy(bytes, npyPath);
    if (!(arr.data instanceof Float32Array) || arr.shape[0] !== words || arr.shape[1] !== d) throw new Error(`shape (${arr.shape.join(', ')}), expected (${words}, ${d})`);
    return arr.data;
  } catch (err) {
    warn(`warning: ${npyPath}: word vector cache: ${err instanceof Error ? err.message : String(err)}; recomputing`);
    return null;
  }
}

/**
 * Contextual vectors of every token of every sample (null for tokens without subwords), from
 * `modelSpec` (an lm model spec: folder, `<folder>:untrained`, or an untrained GPT-2 name).
 */
export async function contextualWordVectors(modelSpec: string, tagged: ReadonlyArray<readonly TaggedToken[]>, opts: ContextualOptions = {}): Promise<{ dim: number; nLayer: number; layers: LayerRange; vectors: Array<Array<Float32Array | null>> }> {
  const model = openLmModel(modelSpec, opts.seed);
  const L = model.config.nLayer;
  const layers = opts.layers ?? { lo: L > 0 ? 1 : 0, hi: L };
  if (!(Number.isInteger(layers.lo) && Number.isInteger(layers.hi) && layers.lo >= 0 && layers.lo <= layers.hi && layers.hi <= L)) {
    throw new InputError(`${modelSpec}: layers: ${layers.lo}-${layers.hi} is not a range within the model's hidden states 0-${L}`);
  }
  // One input per sample, or per block (its samples' tokens in order, a space between samples).
  const groups: Array<[number, number]> = [];
  for (let i = 0; i < tagged.length;) {
    let j = i + 1;
    if (opts.blocks) while (j < tagged.length && opts.blocks[j] === opts.blocks[i]) j++;
    groups.push([i, j]);
    i = j;
  }
  const inputs = groups.map(([a, b]) => {
    const toks = tagged.slice(a, b).flatMap((ts, k) => ts.map((t, m) => (k > 0 && m === 0 ? { text: t.text, space: ' ' } : t)));
    const x = wordInputs(toks, model.tokenizer);
    if (x.ids.length > WORD_WINDOW) {
      throw inputError(modelSpec, 'input', b - a > 1
        ? `samples ${a}–${b - 1} (block ${opts.blocks![a]}) have ${x.ids.length} tokens with the special ones; at most ${WORD_WINDOW} fit one input (use context=sample)`
        : `sample ${a} has ${x.ids.length} tokens with the special ones; sense features embed each sample in at most ${WORD_WINDOW}`);
    }
    return x;
  });
  const d = model.config.nEmbd;
  const key = createHash('sha256').update(JSON.stringify({ v: 1, w: model.weightsHash, layers, inputs })).digest('hex').slice(0, 32);
  const nWords = inputs.reduce((a, x) => a + x.spans.length, 0);
  const npyPath = join(opts.cacheRoot ?? dirname(lmCacheRoot()), 'words', `${key}.npy`);
  const useDisk = opts.diskCache ?? true;
  let flat = memo.get(key) ?? (useDisk ? readCached(npyPath, nWords, d, opts.onWarning ?? ((l) => { process.stderr.write(`${l}\n`); })) : null);
  let vectors: Array<Array<Float32Array | null>>;
  if (flat === null) {
    const runner = model.open(opts.backend ?? getBackend());
    vectors = await wordVectorsOf(runner, inputs, layers);
    flat = new Float32Array(nWords * d);
    let w = 0;
    for (const s of vectors) for (const v of s) { if (v) flat.set(v, w * d); w++; }
    if (useDisk) {
      const bytes = encodeNpy(flat, [nWords, d]);
      atomicWrite(npyPath, bytes);
      atomicWrite(npyPath.replace(/\.npy$/, '.json'), JSON.stringify({ format: 'brainmap-word-vectors', model: model.spec, weightsHash: model.weightsHash, layers, words: nWords, dim: d, sha256: createHash('sha256').update(bytes).digest('hex') }) + '\n');
    }
  } else {
    let w = 0;
    const f = flat;
    vectors = inputs.map((x) => x.spans.map(([s, e]) => { const v = e > s ? f.subarray(w * d, (w + 1) * d) : null; w++; return v; }));
  }
  memo.set(key, flat, flat.byteLength);
  // Back to one list per sample.
  const perSample: Array<Array<Float32Array | null>> = [];
  groups.forEach(([a, b], g) => {
    let k = 0;
    for (let i = a; i < b; i++) { perSample.push(vectors[g].slice(k, k + tagged[i].length)); k += tagged[i].length; }
  });
  return { dim: d, nLayer: L, layers, vectors: perSample };
}
