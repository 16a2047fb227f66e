/**
 * Resolving a model spec (a Hugging Face folder, or an untrained name such as `gpt2-xl-untrained`)
 * to weights, tokenizer and a content key for caches.
 */
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError } from '../../data/errors.js';
import { describeFsError, hashFileInto } from '../../io/fsutil.js';
import { type Gpt2Config, readGpt2Config, untrainedConfig, untrainedShapeName } from './config.js';
import { type Gpt2Weights, SafetensorsGpt2Weights } from './gpt2.js';
import { UntrainedGpt2Weights } from './init.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';

/** A model ready for extraction. */
export interface LmModel {
  /** The spec as given (folder path or untrained name). */
  spec: string;
  kind: 'pretrained' | 'untrained';
  config: Gpt2Config;
  weights: Gpt2Weights;
  tokenizer: Tokenizer;
  /** Untrained: the seed; pretrained: null. */
  seed: number | null;
  /**
   * What identifies the weights: sha256 over config.json, the weight files and the tokenizer files
   * (pretrained), or `untrained:<shape>:seed=<n>:init=v1` (untrained).
   */
  weightsHash: string;
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

/** The config of a model spec without loading weights (for `layer=all` grids). */
export function lmModelConfig(spec: string): Gpt2Config {
  return isUntrainedName(spec) ? untrainedConfig(spec) : readGpt2Config(spec);
}

/**
 * Opens a model: an untrained name (seeded initialisation, r50k_base tokenizer) or a Hugging
 * Face GPT-2 folder (safetensors weights; its tokenizer files, else r50k_base). `seed` only
 * applies to untrained models (InputError otherwise).
 */
export function openLmModel(spec: string, seed?: number): LmModel {
  if (isUntrainedName(spec)) {
    const s = seed ?? 0;
    const config = untrainedConfig(spec);
    return {
      spec,
      kind: 'untrained',
      config,
      weights: new UntrainedGpt2Weights(config, s),
      tokenizer: loadTokenizer(null),
      seed: s,
      weightsHash: `untrained:${untrainedShapeName(spec)}:seed=${s}:init=v1`,
    };
  }
  if (seed !== undefined) throw inputError(spec, 'seed', 'seed applies only to untrained models (gpt2-untrained, gpt2-medium-untrained, gpt2-large-untrained, gpt2-xl-untrained)');
  const weights = new SafetensorsGpt2Weights(spec);
  const tokenizer = loadTokenizer(spec);
  const tokFiles = ['tokenizer.json', 'vocab.json', 'merges.txt'].map((f) => join(spec, f)).filter((p) => existsSync(p));
  const weightsHash = hashFiles([join(spec, 'config.json'), ...weights.st.files, ...tokFiles]);
  if (tokenizer.kind === 'r50k_base' && weights.config.vocabSize < 50257) {
    throw inputError(spec, 'tokenizer', `no tokenizer.json or vocab.json + merges.txt, and the fallback r50k_base needs vocab_size ≥ 50257 (config has ${weights.config.vocabSize})`);
  }
  return { spec, kind: 'pretrained', config: weights.config, weights, tokenizer, seed: null, weightsHash };
}
