/**
 * Resolving a model spec (a Hugging Face folder of any supported architecture, or an untrained
 * GPT-2 name such as `gpt2-untrained`) to its shape, tokenizer, a runner of its forward pass and a
 * content key for caches.
 *
 *  - GPT-2 folders and the untrained GPT-2 names run as before (src/features/lm/gpt2.ts, init.ts;
 *    tokenizer: the folder's tokenizer.json or vocab.json + merges.txt, else r50k_base);
 *  - every other folder runs the forward pass of its config.json `model_type`
 *    (src/features/lm/architectures.ts) with its tokenizer.json (@huggingface/tokenizers), whose
 *    special tokens are added and removed as the paper's LLM_v2.py does (extract.ts);
 *  - `<folder>:untrained` is the folder's architecture and tokenizer with seeded weights drawn by
 *    transformers' `_init_weights` rules (untrained.ts; GPT-2 folders: init.ts), no weight files read.
 */
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError } from '../../data/errors.js';
import { describeFsError, hashFileInto } from '../../io/fsutil.js';
import type { Backend } from '../../linalg/backend.js';
import { openArchitecture, readArchitectureShape, readModelType, type ArchitectureModel } from './architectures.js';
import { GPT2_SHAPES, type Gpt2Config, readGpt2Config, untrainedConfig, untrainedShapeName } from './config.js';
import { type LmRunner, gpt2Runner } from './extract.js';
import { Gpt2Model, SafetensorsGpt2Weights } from './gpt2.js';
import { loadHfTokenizer } from './hf-tokenizer.js';
import { UntrainedGpt2Weights } from './init.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';
import { initRules, UntrainedTensors } from './untrained.js';
import { lmHead } from './perplexity.js';

/** What the lm feature and the cache manifest need to know of a model before running it. */
export interface LmShape {
  /** config.json `model_type` ('gpt2' for the untrained GPT-2 names). */
  modelType: string;
  /** Blocks L (L + 1 hidden states). */
  nLayer: number;
  /** Width d of the hidden states. */
  nEmbd: number;
  nHead: number;
  vocabSize: number;
  /** Causal (decoder) or bidirectional (encoder). */
  causal: boolean;
}

/** A model ready for extraction. */
export interface LmModel {
  /** The spec as given (folder path or untrained name). */
  spec: string;
  kind: 'pretrained' | 'untrained';
  config: LmShape;
  tokenizer: Tokenizer;
  /** Untrained: the seed; pretrained: null. */
  seed: number | null;
  /**
   * What identifies the weights: sha256 over config.json, the weight files and the tokenizer files
   * (pretrained), or `untrained:<shape>:seed=<n>:init=v1` (untrained).
   */
  weightsHash: string;
  /** Opens the weights (read lazily, held only by the returned runner) and the forward pass on `backend`. */
  open(backend: Backend): LmRunner;
}

const hashMemo = new Map<string, string>();

/** sha256 (hex) of files' contents in order, streamed (memoised per path, size and mtime). */
export function hashFiles(paths: readonly string[]): string {
  const stats = paths.map((p) => {
    try {
      const st = statSync(p);
      return `${resolve(p)}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      throw inputError(p, 'hash', describeFsError(err));
    }
  });
  const memoKey = stats.join('|');
  const hit = hashMemo.get(memoKey);
  if (hit) return hit;
  const h = createHash('sha256');
  for (const p of paths) {
    h.update(`${p.split(/[\\/]/).pop() ?? p}\0`);
    hashFileInto(h, p, 'hash');
  }
  const hex = h.digest('hex');
  hashMemo.set(memoKey, hex);
  return hex;
}

/** Whether `spec` names an untrained model (`gpt2-untrained`, …, `gpt2-xl-untrained`). */
export function isUntrainedName(spec: string): boolean {
  return untrainedShapeName(spec) !== null;
}

const UNTRAINED_NAMES = Object.keys(GPT2_SHAPES).map((s) => `${s}-untrained`).join(', ');

const UNTRAINED_SUFFIX = ':untrained';

/** The folder of an untrained-architecture spec `<folder>:untrained`, else null. */
export function untrainedFolder(spec: string): string | null {
  return spec.endsWith(UNTRAINED_SUFFIX) && spec.length > UNTRAINED_SUFFIX.length ? spec.slice(0, -UNTRAINED_SUFFIX.length) : null;
}

/** Throws the one-line error for a spec that is neither a folder nor an untrained name. */
function checkFolder(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw inputError(dir, 'model', `no such folder, and not an untrained model name (${UNTRAINED_NAMES})`);
  }
  if (!st.isDirectory()) throw inputError(dir, 'model', 'expected a Hugging Face model folder (config.json + model.safetensors)');
}

function gpt2Shape(c: Gpt2Config): LmShape {
  return { modelType: 'gpt2', nLayer: c.nLayer, nEmbd: c.nEmbd, nHead: c.nHead, vocabSize: c.vocabSize, causal: true };
}

/** The shape of a model spec without loading weights (for `layer=all` grids and checks). */
export function lmModelConfig(spec: string): LmShape {
  if (isUntrainedName(spec)) return gpt2Shape(untrainedConfig(spec));
  const dir = untrainedFolder(spec) ?? spec;
  checkFolder(dir);
  const s = readArchitectureShape(dir);
  return { modelType: s.modelType, nLayer: s.nLayer, nEmbd: s.hiddenSize, nHead: s.nHead, vocabSize: s.vocabSize, causal: s.causal };
}

/**
 * An architecture's hidden states as an LmRunner (states of all sequences stacked per layer).
 * `withHead: false` leaves out the LM head (no perplexity), as for untrained models.
 */
export function architectureRunner(arch: ArchitectureModel, backend: Backend, withHead = true): LmRunner {
  const h = withHead && arch.causal && arch.head ? arch.head() : null;
  return {
    head: h ? lmHead(h.vocabSize, arch.hiddenSize, h.weight, backend) : null,
    nLayer: arch.nLayer,
    dim: arch.hiddenSize,
    causal: arch.causal,
    // Learned positions are checked by the forward pass itself (BERT family); the rest has none.
    maxPositions: null,
    async forwardBatch(seqs, onState): Promise<void> {
      const states = await arch.hiddenStates(seqs.map((s) => Array.from(s)), backend);
      const d = arch.hiddenSize;
      const R = seqs.reduce((a, s) => a + s.length, 0);
      for (let l = 0; l <= arch.nLayer; l++) {
        const out = new Float32Array(R * d);
        let off = 0;
        for (const st of states) { out.set(st[l], off); off += st[l].length; }
        onState(l, out);
      }
    },
  };
}

/**
 * `<folder>:untrained`: the folder's config and tokenizer, seeded weights by transformers' init
 * rules. The weights hash covers config.json and the tokenizer files (and the seed).
 */
function openUntrainedFolder(spec: string, dir: string, seed: number): LmModel {
  checkFolder(dir);
  const shape = lmModelConfig(spec);
  const base = { spec, kind: 'untrained' as const, config: shape, seed };
  const configPath = join(dir, 'config.json');
  if (shape.modelType === 'gpt2') {
    const config = readGpt2Config(dir);
    const tokenizer = loadTokenizer(dir);
    if (tokenizer.kind === 'r50k_base' && config.vocabSize < 50257) {
      throw inputError(dir, 'tokenizer', `no tokenizer.json or vocab.json + merges.txt, and the fallback r50k_base needs vocab_size ≥ 50257 (config has ${config.vocabSize})`);
    }
    const tokFiles = ['tokenizer.json', 'vocab.json', 'merges.txt'].map((f) => join(dir, f)).filter((p) => existsSync(p));
    return {
      ...base, tokenizer,
      weightsHash: `untrained:gpt2:${hashFiles([configPath, ...tokFiles])}:seed=${seed}:init=v1`,
      open: (backend) => gpt2Runner(new Gpt2Model(new UntrainedGpt2Weights(config, seed), backend), false),
    };
  }
  const tokenizer = loadHfTokenizer(dir);
  const rules = initRules(dir, shape.modelType);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw inputError(spec, 'seed', `expected an integer in 0 … 4294967295, got ${seed}`);
  const tokFiles = ['tokenizer.json', 'tokenizer_config.json'].map((f) => join(dir, f)).filter((p) => existsSync(p));
  return {
    ...base, tokenizer,
    weightsHash: `untrained:${shape.modelType}:${hashFiles([configPath, ...tokFiles])}:seed=${seed}:init=hf-v1`,
    open: (backend) => architectureRunner(openArchitecture(dir, new UntrainedTensors(rules, seed, configPath)), backend, false),
  };
}

/**
 * Opens a model: an untrained name (seeded initialisation, r50k_base tokenizer), a Hugging Face
 * GPT-2 folder (safetensors weights; its tokenizer files, else r50k_base), or a folder of another
 * supported architecture (safetensors weights and tokenizer.json). `seed` only applies to
 * untrained models (InputError otherwise).
 */
export function openLmModel(spec: string, seed?: number): LmModel {
  if (isUntrainedName(spec)) {
    const s = seed ?? 0;
    const config = untrainedConfig(spec);
    return {
      spec,
      kind: 'untrained',
      config: gpt2Shape(config),
      tokenizer: loadTokenizer(null),
      seed: s,
      weightsHash: `untrained:${untrainedShapeName(spec)}:seed=${s}:init=v1`,
      open: (backend) => gpt2Runner(new Gpt2Model(new UntrainedGpt2Weights(config, s), backend), false),
    };
  }
  const folder = untrainedFolder(spec);
  if (folder !== null) return openUntrainedFolder(spec, folder, seed ?? 0);
  if (seed !== undefined) throw inputError(spec, 'seed', `seed applies only to untrained models (${UNTRAINED_NAMES}, or <folder>:untrained)`);
  checkFolder(spec);
  if (readModelType(spec) === 'gpt2') {
    const weights = new SafetensorsGpt2Weights(spec);
    const tokenizer = loadTokenizer(spec);
    const tokFiles = ['tokenizer.json', 'vocab.json', 'merges.txt'].map((f) => join(spec, f)).filter((p) => existsSync(p));
    const weightsHash = hashFiles([join(spec, 'config.json'), ...weights.st.files, ...tokFiles]);
    if (tokenizer.kind === 'r50k_base' && weights.config.vocabSize < 50257) {
      throw inputError(spec, 'tokenizer', `no tokenizer.json or vocab.json + merges.txt, and the fallback r50k_base needs vocab_size ≥ 50257 (config has ${weights.config.vocabSize})`);
    }
    return {
      spec, kind: 'pretrained', config: gpt2Shape(weights.config), tokenizer, seed: null, weightsHash,
      open: (backend) => gpt2Runner(new Gpt2Model(new SafetensorsGpt2Weights(spec), backend)),
    };
  }
  const arch = openArchitecture(spec);
  const shape = lmModelConfig(spec);
  const tokenizer = loadHfTokenizer(spec);
  const tokFiles = ['tokenizer.json', 'tokenizer_config.json'].map((f) => join(spec, f)).filter((p) => existsSync(p));
  const weightsHash = hashFiles([join(spec, 'config.json'), ...arch.weightFiles, ...tokFiles]);
  return {
    spec, kind: 'pretrained', config: shape, tokenizer, seed: null, weightsHash,
    open: (backend) => architectureRunner(openArchitecture(spec), backend),
  };
}
