/**
 * Caching of LLM features: ALL layers under all three poolings are extracted once per
 * (model weights, dataset texts and blocks, rules) and kept
 *
 *  - on disk under `$BRAINMAP_CACHE/lm/<key>/` (default `./.brainmap-cache/lm/<key>/`):
 *    `layer<k>_<pool>.npy` (samples × d, float32) and `manifest.json`, each written to a temporary
 *    file and renamed into place, the manifest last (a folder without it is ignored). The manifest
 *    holds the sha256 of every file; a file that does not match is reported in one line and the
 *    entry recomputed (never used);
 *  - in process, a memo of layer matrices bounded by bytes ($BRAINMAP_LM_MEMO_MB, default 1024;
 *    least recently used dropped first), so a layer sweep (`layer=all`) extracts once and reads
 *    each layer back from memory or one file, and a sweep worker's memory stays flat across jobs.
 *
 * The model's weights are held only while an extraction runs (each extraction opens them afresh);
 * between extractions only what identifies the model (config, tokenizer, weights hash) is kept.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { inputError } from '../../data/errors.js';
import { ByteLru } from './memo.js';
import { describeFsError, readBytes } from '../../io/fsutil.js';
import { encodeNpy, parseNpy } from '../../io/npy.js';
import { getBackend } from '../../linalg/index.js';
import type { Backend } from '../../linalg/backend.js';
import { DEFAULT_LM_RULES, extractLmFeatures, LM_POOLINGS, specialTokensOf, type LmFeatures, type LmPooling, type LmRules } from './extract.js';
import { openLmModel, type LmModel } from './model.js';

/**
 * Bumped whenever extraction would give different numbers for the same inputs, or the cache
 * layout changes (2: sha256 of every file in the manifest; 3: causal models' perplexity in the
 * manifest).
 */
export const LM_CACHE_VERSION = 3;

/** What `manifest.json` holds (in the cache and in `brainmap features lm --out`). */
export interface LmManifest {
  format: 'brainmap-lm-features';
  version: number;
  key: string;
  model: { spec: string; kind: 'pretrained' | 'untrained'; weightsHash: string; seed: number | null; modelType?: string; nLayer: number; nEmbd: number; nHead: number; vocabSize: number };
  tokenizer: { kind: string; source: string };
  dataset: { name: string; source: string; nSamples: number; textHash: string };
  rules: {
    context: LmRules['context']; window: number; currentText: string; bos: false; poolings: readonly LmPooling[];
    /** The tokenizer's special tokens around each input (absent: none, as GPT-2): removed before pooling. */
    specialTokens?: { prefix: number[]; suffix: number[] };
  };
  layers: number;
  dim: number;
  /** `files[layer][pool]` = file name inside the folder. */
  files: Array<Record<LmPooling, string>>;
  /**
   * `checksums[layer][pool]` = sha256 (hex) of that .npy file's bytes; set when the files are
   * written (writeLmFeatures), checked on every read of the cache.
   */
  checksums?: Array<Partial<Record<LmPooling, string>>>;
  tokens: { context: number[]; current: number[]; truncated: number[]; passes: number; processed: number };
  /**
   * Causal models with an LM head: perplexity on the samples' own text (exp of the mean NLL per
   * scored token, docs/method.md), with each sample's Σ NLL (nats) and number of scored tokens.
   */
  perplexity?: { value: number | null; tokens: number; nll: number[]; scored: number[] };
  created: string;
}

/** The cache root: $BRAINMAP_CACHE, else ./.brainmap-cache (resolved against the working directory). */
export function lmCacheRoot(): string {
  const env = process.env.BRAINMAP_CACHE;
  return join(env !== undefined && env !== '' ? env : '.brainmap-cache', 'lm');
}

/** sha256 of the dataset's texts and block labels (what the features depend on). */
export function datasetTextHash(texts: readonly string[], blocks: readonly string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ texts, blocks }));
  return h.digest('hex');
}

export function lmCacheKey(weightsHash: string, textHash: string, rules: LmRules): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: LM_CACHE_VERSION, weightsHash, textHash, context: rules.context, window: rules.window }));
  return h.digest('hex').slice(0, 32);
}

export const layerFileName = (layer: number, pool: LmPooling): string => `layer${layer}_${pool}.npy`;

function atomicWrite(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    throw inputError(path, 'cache', `cannot write (${describeFsError(err)})`);
  }
}

/** The manifest's record of the special tokens (only when the tokenizer adds some). */
function specialsOf(model: LmModel): { currentText?: string; specialTokens?: { prefix: number[]; suffix: number[] } } {
  const sp = specialTokensOf(model.tokenizer);
  if (sp.prefix.length + sp.suffix.length === 0) return {};
  return {
    currentText: "txt.rstrip() if the context is empty else ' ' + txt.rstrip(); context and current tokenised separately; last `window` − (number of special tokens) tokens kept, special tokens added around them as the tokenizer's post-processor does and removed before pooling",
    specialTokens: { prefix: [...sp.prefix], suffix: [...sp.suffix] },
  };
}

/** The manifest describing extracted features. */
export function lmManifest(key: string, model: LmModel, dataset: Pick<Dataset, 'name' | 'source'>, textHash: string, rules: LmRules, f: LmFeatures): LmManifest {
  return {
    format: 'brainmap-lm-features',
    version: LM_CACHE_VERSION,
    key,
    model: {
      spec: model.spec, kind: model.kind, weightsHash: model.weightsHash, seed: model.seed, modelType: model.config.modelType,
      nLayer: model.config.nLayer, nEmbd: model.config.nEmbd, nHead: model.config.nHead, vocabSize: model.config.vocabSize,
    },
    tokenizer: { kind: model.tokenizer.kind, source: model.tokenizer.source },
    dataset: { name: dataset.name, source: dataset.source, nSamples: f.nSamples, textHash },
    rules: {
      context: rules.context,
      window: rules.window,
      currentText: "txt.rstrip() if the context is empty else ' ' + txt.rstrip(); context and current tokenised separately; last `window` tokens kept",
      bos: false,
      poolings: LM_POOLINGS,
      ...specialsOf(model),
    },
    layers: f.nLayers,
    dim: f.dim,
    files: Array.from({ length: f.nLayers }, (_, k) => ({ last: layerFileName(k, 'last'), mean: layerFileName(k, 'mean'), sum: layerFileName(k, 'sum') })),
    tokens: {
      context: Array.from(f.tokens.context), current: Array.from(f.tokens.current), truncated: Array.from(f.tokens.truncated),
      passes: f.passes, processed: f.tokensProcessed,
    },
    ...(f.perplexity ? {
      perplexity: {
        value: Number.isFinite(f.perplexity.value) ? f.perplexity.value : null,
        tokens: f.perplexity.tokens.reduce((a, b) => a + b, 0),
        nll: Array.from(f.perplexity.nll), scored: Array.from(f.perplexity.tokens),
      },
    } : {}),
    created: new Date().toISOString(),
  };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes every layer × pooling as .npy plus manifest.json into `dir` (atomically, manifest last),
 * the manifest with the sha256 of every file; returns that manifest.
 */
export function writeLmFeatures(dir: string, f: LmFeatures, manifest: LmManifest): LmManifest {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw inputError(dir, 'out', `cannot create folder (${describeFsError(err)})`);
  }
  const checksums: Array<Record<LmPooling, string>> = [];
  for (let k = 0; k < f.nLayers; k++) {
    const row = {} as Record<LmPooling, string>;
    for (const p of LM_POOLINGS) {
      const bytes = encodeNpy(f.pooled[p][k], [f.nSamples, f.dim]);
      row[p] = sha256(bytes);
      atomicWrite(join(dir, layerFileName(k, p)), bytes);
    }
    checksums.push(row);
  }
  const out: LmManifest = { ...manifest, checksums };
  atomicWrite(join(dir, 'manifest.json'), JSON.stringify(out, null, 1) + '\n');
  return out;
}

/** The features' perplexity as the manifest records it (none when absent). */
function perplexityFromManifest(m: LmManifest): Pick<LmFeatures, 'perplexity'> {
  const p = m.perplexity;
  if (!p || !Array.isArray(p.nll) || !Array.isArray(p.scored)) return {};
  return { perplexity: { nll: Float64Array.from(p.nll), tokens: Int32Array.from(p.scored), value: p.value ?? Number.NaN } };
}

/** Reports one line about a cache entry that cannot be used (default: stderr). */
export type LmCacheWarn = (line: string) => void;

const warnStderr: LmCacheWarn = (line) => { process.stderr.write(`${line}\n`); };

/**
 * One layer × pooling file of a cache folder, checked against the manifest's sha256 and shape.
 * A missing or damaged file is reported through `warn` and gives null (the entry is recomputed).
 */
function readCheckedLayer(dir: string, manifest: LmManifest, layer: number, pool: LmPooling, warn: LmCacheWarn): Float32Array | null {
  const name = manifest.files[layer]?.[pool];
  const want = manifest.checksums?.[layer]?.[pool];
  const path = join(dir, typeof name === 'string' ? name : layerFileName(layer, pool));
  const bad = (what: string): null => {
    warn(`warning: ${path}: lm feature cache: ${what}; recomputing the features instead of using it`);
    return null;
  };
  if (typeof name !== 'string' || typeof want !== 'string') return bad('manifest.json lists no file and checksum for it');
  let bytes: Uint8Array;
  try {
    bytes = readBytes(path, 'cache');
  } catch (err) {
    return bad(err instanceof Error ? err.message.replace(`${path}: cache: `, '') : String(err));
  }
  const got = sha256(bytes);
  if (got !== want) return bad(`content does not match its sha256 in manifest.json (${got.slice(0, 12)}…, expected ${want.slice(0, 12)}…)`);
  try {
    const arr = parseNpy(bytes, path);
    if (!(arr.data instanceof Float32Array) || arr.shape.length !== 2 || arr.shape[0] !== manifest.dataset.nSamples || arr.shape[1] !== manifest.dim) {
      return bad(`holds ${arr.dtype} of shape (${arr.shape.join(', ')}), expected float32 (${manifest.dataset.nSamples}, ${manifest.dim})`);
    }
    return arr.data;
  } catch (err) {
    return bad(err instanceof Error ? err.message : String(err));
  }
}

/**
 * The manifest of a folder written by writeLmFeatures: null when absent or written by another
 * cache version, and, reported through `warn`, when unreadable or not the expected entry.
 */
function readManifest(dir: string, key: string | undefined, warn: LmCacheWarn): LmManifest | null {
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(mpath)) return null;
  const bad = (what: string): null => {
    warn(`warning: ${mpath}: lm feature cache: ${what}; recomputing the features instead of using it`);
    return null;
  };
  let manifest: LmManifest;
  try {
    manifest = JSON.parse(readFileSync(mpath, 'utf8')) as LmManifest;
  } catch (err) {
    return bad(`not readable JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== 'brainmap-lm-features') return bad('not a brainmap-lm-features manifest');
  if (manifest.version !== LM_CACHE_VERSION) return null;
  if (key !== undefined && manifest.key !== key) return bad(`is for key ${String(manifest.key)}, expected ${key}`);
  if (!Array.isArray(manifest.files) || !Array.isArray(manifest.checksums) || !Number.isInteger(manifest.layers) || manifest.files.length !== manifest.layers) return bad('lists no file and checksum for every layer');
  return manifest;
}

/**
 * Reads features written by writeLmFeatures: null when the folder has no complete, matching
 * manifest, or when a file is missing or does not match its sha256 (reported through `warn`,
 * default stderr, in one line).
 */
export function readLmFeatures(dir: string, key?: string, warn: LmCacheWarn = warnStderr): { features: LmFeatures; manifest: LmManifest } | null {
  const manifest = readManifest(dir, key, warn);
  if (manifest === null) return null;
  const n = manifest.dataset.nSamples;
  const d = manifest.dim;
  const pooled = { last: [], mean: [], sum: [] } as Record<LmPooling, Float32Array[]>;
  for (let k = 0; k < manifest.layers; k++) {
    for (const p of LM_POOLINGS) {
      const a = readCheckedLayer(dir, manifest, k, p, warn);
      if (a === null) return null;
      pooled[p].push(a);
    }
  }
  const features: LmFeatures = {
    nSamples: n, nLayers: manifest.layers, dim: d, pooled,
    tokens: { context: Int32Array.from(manifest.tokens.context), current: Int32Array.from(manifest.tokens.current), truncated: Uint8Array.from(manifest.tokens.truncated) },
    passes: manifest.tokens.passes, tokensProcessed: manifest.tokens.processed,
    ...perplexityFromManifest(manifest),
  };
  return { features, manifest };
}

export interface GetLmFeaturesOptions {
  /** Initialisation seed (untrained models only). */
  seed?: number;
  rules?: LmRules;
  backend?: Backend;
  /** Read and write the disk cache (default true). */
  diskCache?: boolean;
  /** Cache root (default lmCacheRoot()). */
  cacheRoot?: string;
  onProgress?: (doneTokens: number, totalTokens: number) => void;
  /** Where a damaged cache entry is reported (one line; default stderr). */
  onWarning?: LmCacheWarn;
}

export interface LmFeaturesResult {
  features: LmFeatures;
  manifest: LmManifest;
  /** 'memory', 'disk' or 'extracted'. */
  from: 'memory' | 'disk' | 'extracted';
}

/** Default bound of the in-process memo: $BRAINMAP_LM_MEMO_MB megabytes (MiB), else 1024. */
export function defaultLmMemoBytes(): number {
  const env = process.env.BRAINMAP_LM_MEMO_MB;
  if (env === undefined || env.trim() === '') return 1024 * 2 ** 20;
  if (!/^\s*[0-9]+(\.[0-9]*)?\s*$/.test(env)) throw inputError('environment', 'BRAINMAP_LM_MEMO_MB', `'${env}' is not a number of megabytes ≥ 0 (the in-process memo of lm features; 0 keeps none)`);
  return Math.floor(Number(env) * 2 ** 20);
}

type Extraction = { features: LmFeatures; manifest: LmManifest };

/** Layer matrices (`<key>/<layer>/<pool>`), bounded by bytes; created on first use. */
let layerMemo: ByteLru<Float32Array> | undefined;
/** Manifests of the extractions whose layers may be in layerMemo (a few kB each). */
const manifestMemo = new ByteLru<LmManifest>(64 * 2 ** 20);
/** Extractions running now (concurrent requests for one key share one). */
const inflight = new Map<string, Promise<Extraction>>();
/** What identifies the last model asked for (config, tokenizer, weights hash); its weights are never loaded. */
let lastModel: { id: string; model: LmModel } | undefined;

function layers(): ByteLru<Float32Array> {
  layerMemo ??= new ByteLru<Float32Array>(defaultLmMemoBytes());
  return layerMemo;
}

const layerKey = (key: string, layer: number, pool: LmPooling): string => `${key}/${layer}/${pool}`;

function modelFor(spec: string, seed: number | undefined): LmModel {
  const id = `${spec}\0${seed ?? ''}`;
  if (lastModel?.id !== id) lastModel = { id, model: openLmModel(spec, seed) };
  return lastModel.model;
}

/** Sets the bound of the in-process memo in bytes (0: keep nothing), evicting beyond it. */
export function setLmMemoLimit(bytes: number): void {
  layers().setLimit(bytes);
}

/** What the in-process memo holds now. */
export interface LmMemoStats {
  /** Bytes of layer matrices held (≤ limitBytes). */
  bytes: number;
  /** Layer matrices held. */
  entries: number;
  limitBytes: number;
  /** Extractions running (the only time model weights are held). */
  extracting: number;
}

export function lmMemoStats(): LmMemoStats {
  const m = layers();
  return { bytes: m.bytes, entries: m.size, limitBytes: m.limit, extracting: inflight.size };
}

/** Forgets the in-process memo and the kept model identity (frees memory; the limit stays). */
export function clearLmMemo(): void {
  layerMemo?.clear();
  manifestMemo.clear();
  lastModel = undefined;
}

function manifestBytes(m: LmManifest): number {
  return 4096 + 24 * m.tokens.context.length;
}

/**
 * Puts an extraction's layers into the memo, highest layer first, so that when not all fit, the
 * low layers (asked first by a layer sweep) are the ones kept.
 */
function remember(key: string, f: LmFeatures, manifest: LmManifest): void {
  manifestMemo.set(key, manifest, manifestBytes(manifest));
  const memo = layers();
  for (let k = f.nLayers - 1; k >= 0; k--) {
    for (const p of LM_POOLINGS) {
      const a = f.pooled[p][k];
      if (a !== undefined) memo.set(layerKey(key, k, p), a, a.byteLength);
    }
  }
}

/** The whole extraction from the memo, when its manifest and every layer × pooling are there. */
function fromMemo(key: string): Extraction | null {
  const manifest = manifestMemo.get(key);
  if (manifest === undefined) return null;
  const memo = layers();
  const pooled = { last: [], mean: [], sum: [] } as Record<LmPooling, Float32Array[]>;
  for (let k = 0; k < manifest.layers; k++) {
    for (const p of LM_POOLINGS) {
      const a = memo.get(layerKey(key, k, p));
      if (a === undefined) return null;
      pooled[p].push(a);
    }
  }
  const features: LmFeatures = {
    nSamples: manifest.dataset.nSamples, nLayers: manifest.layers, dim: manifest.dim, pooled,
    tokens: { context: Int32Array.from(manifest.tokens.context), current: Int32Array.from(manifest.tokens.current), truncated: Uint8Array.from(manifest.tokens.truncated) },
    passes: manifest.tokens.passes, tokensProcessed: manifest.tokens.processed,
    ...perplexityFromManifest(manifest),
  };
  return { features, manifest };
}

/** Everything that names one cache entry. */
interface EntryContext {
  modelSpec: string;
  seed: number | undefined;
  model: LmModel;
  dataset: Pick<Dataset, 'name' | 'source' | 'samples'>;
  rules: LmRules;
  textHash: string;
  key: string;
  dir: string;
  useDisk: boolean;
}

function entryContext(modelSpec: string, dataset: Pick<Dataset, 'name' | 'source' | 'samples'>, opts: GetLmFeaturesOptions): EntryContext {
  const rules = opts.rules ?? DEFAULT_LM_RULES;
  const model = modelFor(modelSpec, opts.seed);
  const textHash = datasetTextHash(dataset.samples.text, dataset.samples.block);
  const key = lmCacheKey(model.weightsHash, textHash, rules);
  return { modelSpec, seed: opts.seed, model, dataset, rules, textHash, key, dir: join(opts.cacheRoot ?? lmCacheRoot(), key), useDisk: opts.diskCache ?? true };
}

/**
 * Runs the extraction of an entry (or joins the one running for it): the weights are opened for
 * this extraction only and dropped when it ends; the result goes to disk (when enabled) and to the
 * memo.
 */
function extract(c: EntryContext, opts: GetLmFeaturesOptions): Promise<Extraction> {
  const running = inflight.get(c.key);
  if (running) return running;
  const job = (async () => {
    const runner = openLmModel(c.modelSpec, c.seed).open(opts.backend ?? getBackend());
    const features = await extractLmFeatures(runner, c.model.tokenizer, c.dataset.samples.text, c.dataset.samples.block, { rules: c.rules, onProgress: opts.onProgress });
    let manifest = lmManifest(c.key, c.model, c.dataset, c.textHash, c.rules, features);
    if (c.useDisk) manifest = writeLmFeatures(c.dir, features, manifest);
    remember(c.key, features, manifest);
    return { features, manifest };
  })();
  inflight.set(c.key, job);
  const done = (): void => { inflight.delete(c.key); };
  job.then(done, done);
  return job;
}

/**
 * All layers × poolings of `modelSpec` on `dataset` (rows in dataset order), from the in-process
 * memo, the disk cache, or a fresh extraction (then stored in both).
 */
export async function getLmFeatures(modelSpec: string, dataset: Pick<Dataset, 'name' | 'source' | 'samples'>, opts: GetLmFeaturesOptions = {}): Promise<LmFeaturesResult> {
  const c = entryContext(modelSpec, dataset, opts);
  const hit = fromMemo(c.key);
  if (hit) return { ...hit, from: 'memory' };
  if (c.useDisk && !inflight.has(c.key)) {
    const onDisk = readLmFeatures(c.dir, c.key, opts.onWarning);
    if (onDisk) {
      remember(c.key, onDisk.features, onDisk.manifest);
      return { ...onDisk, from: 'disk' };
    }
  }
  return { ...(await extract(c, opts)), from: 'extracted' };
}

/** One layer × pooling (samples × dim, row-major float32) and where it came from. */
export interface LmLayerResult {
  data: Float32Array;
  nSamples: number;
  dim: number;
  from: LmFeaturesResult['from'];
}

/** One layer × pooling of an entry on disk, checked (null when absent, incomplete, not matching or damaged). */
function readLmLayer(dir: string, key: string, layer: number, pool: LmPooling, warn: LmCacheWarn): { data: Float32Array; manifest: LmManifest } | null {
  const manifest = readManifest(dir, key, warn);
  if (manifest === null || layer >= manifest.layers) return null;
  const data = readCheckedLayer(dir, manifest, layer, pool, warn);
  return data === null ? null : { data, manifest };
}

/**
 * One layer × pooling of `modelSpec` on `dataset`: from the memo, else that one file of the disk
 * cache, else a fresh extraction of all layers (stored on disk and, within the bound, in the memo).
 * What the `lm` feature builds on.
 */
export async function getLmLayer(modelSpec: string, dataset: Pick<Dataset, 'name' | 'source' | 'samples'>, layer: number, pool: LmPooling, opts: GetLmFeaturesOptions = {}): Promise<LmLayerResult> {
  const c = entryContext(modelSpec, dataset, opts);
  const memo = layers();
  const manifest = manifestMemo.get(c.key);
  const hit = manifest === undefined ? undefined : memo.get(layerKey(c.key, layer, pool));
  if (manifest !== undefined && hit !== undefined) return { data: hit, nSamples: manifest.dataset.nSamples, dim: manifest.dim, from: 'memory' };
  if (c.useDisk && !inflight.has(c.key)) {
    const one = readLmLayer(c.dir, c.key, layer, pool, opts.onWarning ?? warnStderr);
    if (one) {
      manifestMemo.set(c.key, one.manifest, manifestBytes(one.manifest));
      memo.set(layerKey(c.key, layer, pool), one.data, one.data.byteLength);
      return { data: one.data, nSamples: one.manifest.dataset.nSamples, dim: one.manifest.dim, from: 'disk' };
    }
  }
  const { features } = await extract(c, opts);
  const data = features.pooled[pool][layer];
  if (data === undefined) throw new RangeError(`lm: layer ${layer} is not among the ${features.nLayers} hidden states of ${modelSpec}`);
  return { data, nSamples: features.nSamples, dim: features.dim, from: 'extracted' };
}

/**
 * The manifest of an entry already extracted (in the memo or the disk cache), without extracting;
 * null when there is none. What reports use to show the perplexity stored with the features.
 */
export function lmStoredManifest(modelSpec: string, dataset: Pick<Dataset, 'name' | 'source' | 'samples'>, opts: GetLmFeaturesOptions = {}): LmManifest | null {
  const c = entryContext(modelSpec, dataset, opts);
  const hit = manifestMemo.get(c.key);
  if (hit !== undefined) return hit;
  return c.useDisk ? readManifest(c.dir, c.key, opts.onWarning ?? warnStderr) : null;
}
