/**
 * Caching of LLM features: ALL layers under all three poolings are extracted once per
 * (model weights, dataset texts and blocks, rules) and kept
 *
 *  - in process (a memo of the extraction), so a layer sweep (`layer=all`) extracts once;
 *  - on disk under `$BRAINMAP_CACHE/lm/<key>/` (default `./.brainmap-cache/lm/<key>/`):
 *    `layer<k>_<pool>.npy` (samples × d, float32) and `manifest.json`, each written to a temporary
 *    file and renamed into place, the manifest last (a folder without it is ignored).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { inputError } from '../../data/errors.js';
import { describeFsError } from '../../io/fsutil.js';
import { encodeNpy, readNpy } from '../../io/npy.js';
import { getBackend } from '../../linalg/index.js';
import type { Backend } from '../../linalg/backend.js';
import { DEFAULT_LM_RULES, extractLmFeatures, LM_POOLINGS, type LmFeatures, type LmPooling, type LmRules } from './extract.js';
import { Gpt2Model } from './gpt2.js';
import { openLmModel, type LmModel } from './model.js';

/** Bumped whenever extraction would give different numbers for the same inputs. */
export const LM_CACHE_VERSION = 1;

/** What `manifest.json` holds (in the cache and in `brainmap features lm --out`). */
export interface LmManifest {
  format: 'brainmap-lm-features';
  version: number;
  key: string;
  model: { spec: string; kind: 'pretrained' | 'untrained'; weightsHash: string; seed: number | null; nLayer: number; nEmbd: number; nHead: number; vocabSize: number };
  tokenizer: { kind: string; source: string };
  dataset: { name: string; source: string; nSamples: number; textHash: string };
  rules: { context: LmRules['context']; window: number; currentText: string; bos: false; poolings: readonly LmPooling[] };
  layers: number;
  dim: number;
  /** `files[layer][pool]` = file name inside the folder. */
  files: Array<Record<LmPooling, string>>;
  tokens: { context: number[]; current: number[]; truncated: number[]; passes: number; processed: number };
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

/** The manifest describing extracted features. */
export function lmManifest(key: string, model: LmModel, dataset: Pick<Dataset, 'name' | 'source'>, textHash: string, rules: LmRules, f: LmFeatures): LmManifest {
  return {
    format: 'brainmap-lm-features',
    version: LM_CACHE_VERSION,
    key,
    model: {
      spec: model.spec, kind: model.kind, weightsHash: model.weightsHash, seed: model.seed,
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
    },
    layers: f.nLayers,
    dim: f.dim,
    files: Array.from({ length: f.nLayers }, (_, k) => ({ last: layerFileName(k, 'last'), mean: layerFileName(k, 'mean'), sum: layerFileName(k, 'sum') })),
    tokens: {
      context: Array.from(f.tokens.context), current: Array.from(f.tokens.current), truncated: Array.from(f.tokens.truncated),
      passes: f.passes, processed: f.tokensProcessed,
    },
    created: new Date().toISOString(),
  };
}

/** Writes every layer × pooling as .npy plus manifest.json into `dir` (atomically, manifest last). */
export function writeLmFeatures(dir: string, f: LmFeatures, manifest: LmManifest): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw inputError(dir, 'out', `cannot create folder (${describeFsError(err)})`);
  }
  for (let k = 0; k < f.nLayers; k++) {
    for (const p of LM_POOLINGS) atomicWrite(join(dir, layerFileName(k, p)), encodeNpy(f.pooled[p][k], [f.nSamples, f.dim]));
  }
  atomicWrite(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
}

/** Reads features written by writeLmFeatures (null when the folder has no complete, matching manifest). */
export function readLmFeatures(dir: string, key?: string): { features: LmFeatures; manifest: LmManifest } | null {
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(mpath)) return null;
  let manifest: LmManifest;
  try {
    manifest = JSON.parse(readFileSync(mpath, 'utf8')) as LmManifest;
  } catch {
    return null;
  }
  if (manifest.format !== 'brainmap-lm-features' || manifest.version !== LM_CACHE_VERSION || (key !== undefined && manifest.key !== key)) return null;
  const n = manifest.dataset.nSamples;
  const d = manifest.dim;
  const pooled = { last: [], mean: [], sum: [] } as Record<LmPooling, Float32Array[]>;
  try {
    for (let k = 0; k < manifest.layers; k++) {
      for (const p of LM_POOLINGS) {
        const arr = readNpy(join(dir, manifest.files[k][p]));
        if (!(arr.data instanceof Float32Array) || arr.shape.length !== 2 || arr.shape[0] !== n || arr.shape[1] !== d) return null;
        pooled[p].push(arr.data);
      }
    }
  } catch {
    return null;
  }
  const features: LmFeatures = {
    nSamples: n, nLayers: manifest.layers, dim: d, pooled,
    tokens: { context: Int32Array.from(manifest.tokens.context), current: Int32Array.from(manifest.tokens.current), truncated: Uint8Array.from(manifest.tokens.truncated) },
    passes: manifest.tokens.passes, tokensProcessed: manifest.tokens.processed,
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
}

export interface LmFeaturesResult {
  features: LmFeatures;
  manifest: LmManifest;
  /** 'memory', 'disk' or 'extracted'. */
  from: 'memory' | 'disk' | 'extracted';
}

const memo = new Map<string, Promise<{ features: LmFeatures; manifest: LmManifest }>>();
/** The last opened model (models are large: only one is kept). */
let lastModel: { id: string; model: LmModel } | undefined;

function modelFor(spec: string, seed: number | undefined): LmModel {
  const id = `${spec}\0${seed ?? ''}`;
  if (lastModel?.id !== id) lastModel = { id, model: openLmModel(spec, seed) };
  return lastModel.model;
}

/** Forgets the in-process memo and the kept model (frees memory). */
export function clearLmMemo(): void {
  memo.clear();
  lastModel = undefined;
}

/**
 * All layers × poolings of `modelSpec` on `dataset` (rows in dataset order), from the in-process
 * memo, the disk cache, or a fresh extraction (then stored in both).
 */
export async function getLmFeatures(modelSpec: string, dataset: Pick<Dataset, 'name' | 'source' | 'samples'>, opts: GetLmFeaturesOptions = {}): Promise<LmFeaturesResult> {
  const rules = opts.rules ?? DEFAULT_LM_RULES;
  const model = modelFor(modelSpec, opts.seed);
  const texts = dataset.samples.text;
  const blocks = dataset.samples.block;
  const textHash = datasetTextHash(texts, blocks);
  const key = lmCacheKey(model.weightsHash, textHash, rules);
  const useDisk = opts.diskCache ?? true;
  const dir = join(opts.cacheRoot ?? lmCacheRoot(), key);
  const hit = memo.get(key);
  if (hit) {
    try {
      return { ...(await hit), from: 'memory' };
    } catch {
      // a failed extraction is retried below
    }
  }
  if (useDisk) {
    const onDisk = readLmFeatures(dir, key);
    if (onDisk) {
      memo.set(key, Promise.resolve(onDisk));
      return { ...onDisk, from: 'disk' };
    }
  }
  const job = (async () => {
    const gm = new Gpt2Model(model.weights, opts.backend ?? getBackend());
    const features = await extractLmFeatures(gm, model.tokenizer, texts, blocks, { rules, onProgress: opts.onProgress });
    const manifest = lmManifest(key, model, dataset, textHash, rules, features);
    if (useDisk) writeLmFeatures(dir, features, manifest);
    return { features, manifest };
  })();
  memo.set(key, job);
  try {
    return { ...(await job), from: 'extracted' };
  } catch (err) {
    memo.delete(key);
    throw err;
  }
}
