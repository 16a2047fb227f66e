/**
 * GPT-2 model configurations: read and validated from a Hugging Face folder's config.json, or
 * one of the four published GPT-2 shapes for untrained (randomly initialised) models.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, inputError } from '../../data/errors.js';
import { readText } from '../../io/fsutil.js';

/** Activation functions of the MLP that brainmap implements. */
export type Gpt2Activation = 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast' | 'relu';

/** The shape and numerics of a GPT-2 model (HF `GPT2Config`, the fields the forward pass needs). */
export interface Gpt2Config {
  /** Number of transformer blocks (hidden states: nLayer + 1). */
  nLayer: number;
  /** Width of the residual stream d. */
  nEmbd: number;
  /** Attention heads (nEmbd must be a multiple). */
  nHead: number;
  /** MLP width (HF `n_inner`, default 4·nEmbd). */
  nInner: number;
  vocabSize: number;
  /** Learned positions (the longest input). */
  nPositions: number;
  layerNormEpsilon: number;
  activation: Gpt2Activation;
  /** HF `scale_attn_weights` (divide scores by √head_dim; default true). */
  scaleAttnWeights: boolean;
  /** HF `scale_attn_by_inverse_layer_idx` (also divide scores by layer index + 1; default false). */
  scaleAttnByInverseLayerIdx: boolean;
  /** HF `initializer_range` (std of the untrained initialisation; default 0.02). */
  initializerRange: number;
}

/** The published GPT-2 shapes (vocabulary 50257, 1024 positions). */
export const GPT2_SHAPES: Readonly<Record<string, { nLayer: number; nEmbd: number; nHead: number }>> = {
  gpt2: { nLayer: 12, nEmbd: 768, nHead: 12 },
  'gpt2-medium': { nLayer: 24, nEmbd: 1024, nHead: 16 },
  'gpt2-large': { nLayer: 36, nEmbd: 1280, nHead: 20 },
  'gpt2-xl': { nLayer: 48, nEmbd: 1600, nHead: 25 },
};

/** A config with GPT-2's defaults for the given shape. */
export function gpt2Config(shape: { nLayer: number; nEmbd: number; nHead: number; vocabSize?: number; nPositions?: number; nInner?: number }): Gpt2Config {
  const cfg: Gpt2Config = {
    nLayer: shape.nLayer,
    nEmbd: shape.nEmbd,
    nHead: shape.nHead,
    nInner: shape.nInner ?? 4 * shape.nEmbd,
    vocabSize: shape.vocabSize ?? 50257,
    nPositions: shape.nPositions ?? 1024,
    layerNormEpsilon: 1e-5,
    activation: 'gelu_new',
    scaleAttnWeights: true,
    scaleAttnByInverseLayerIdx: false,
    initializerRange: 0.02,
  };
  checkShape(cfg, '<config>');
  return cfg;
}

function checkShape(cfg: Gpt2Config, source: string): void {
  for (const k of ['nLayer', 'nEmbd', 'nHead', 'nInner', 'vocabSize', 'nPositions'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw inputError(source, k, `expected a positive integer, got ${cfg[k]}`);
  }
  if (cfg.nEmbd % cfg.nHead !== 0) throw inputError(source, 'n_head', `n_embd ${cfg.nEmbd} is not a multiple of n_head ${cfg.nHead}`);
}

/** Untrained model names: `<shape>-untrained`, e.g. `gpt2-xl-untrained`. */
export function untrainedShapeName(model: string): string | null {
  const m = /^(gpt2(?:-medium|-large|-xl)?)-untrained$/.exec(model);
  return m ? m[1] : null;
}

export function untrainedConfig(model: string): Gpt2Config {
  const shape = untrainedShapeName(model);
  if (shape === null) {
    throw new InputError(`${model}: model: not an untrained model name; expected one of ${Object.keys(GPT2_SHAPES).map((s) => `${s}-untrained`).join(', ')}`);
  }
  return gpt2Config(GPT2_SHAPES[shape]);
}

type Json = Record<string, unknown>;

function intField(raw: Json, key: string, source: string, fallback?: number): number {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw inputError(source, key, 'missing; expected a positive integer');
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw inputError(source, key, `expected a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function boolField(raw: Json, key: string, source: string, fallback: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw inputError(source, key, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function numField(raw: Json, key: string, source: string, fallback: number): number {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw inputError(source, key, `expected a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

const ACTIVATIONS: readonly Gpt2Activation[] = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'relu'];

/** Parses and validates a GPT-2 config.json object (`source` names the file in errors). */
export function parseGpt2Config(raw: unknown, source: string): Gpt2Config {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(source, 'config', 'expected a JSON object');
  const o = raw as Json;
  const modelType = o.model_type;
  if (modelType !== 'gpt2') {
    throw inputError(source, 'model_type', `${JSON.stringify(modelType)} is not supported; expected "gpt2" (brainmap's forward pass implements GPT-2 only)`);
  }
  const arch = o.architectures;
  if (arch !== undefined && arch !== null) {
    const ok = ['GPT2Model', 'GPT2LMHeadModel', 'GPT2DoubleHeadsModel', 'GPT2ForSequenceClassification', 'GPT2ForTokenClassification', 'GPT2ForQuestionAnswering'];
    if (!Array.isArray(arch) || arch.length === 0 || !arch.every((a) => typeof a === 'string' && ok.includes(a))) {
      throw inputError(source, 'architectures', `${JSON.stringify(arch)} is not supported; expected a GPT-2 architecture (${ok.join(', ')})`);
    }
  }
  const actRaw = o.activation_function ?? 'gelu_new';
  if (typeof actRaw !== 'string' || !(ACTIVATIONS as readonly string[]).includes(actRaw)) {
    throw inputError(source, 'activation_function', `${JSON.stringify(actRaw)} is not supported; expected one of ${ACTIVATIONS.join(', ')}`);
  }
  if (o.add_cross_attention === true) throw inputError(source, 'add_cross_attention', 'true is not supported; expected false');
  if (o.reorder_and_upcast_attn === true) {
    // Only changes numerics (upcast to f32), which brainmap does anyway: accept.
  }
  const nEmbd = intField(o, 'n_embd', source);
  const cfg: Gpt2Config = {
    nLayer: intField(o, 'n_layer', source),
    nEmbd,
    nHead: intField(o, 'n_head', source),
    nInner: intField(o, 'n_inner', source, 4 * nEmbd),
    vocabSize: intField(o, 'vocab_size', source),
    nPositions: intField(o, 'n_positions', source, 1024),
    layerNormEpsilon: numField(o, 'layer_norm_epsilon', source, 1e-5),
    activation: actRaw as Gpt2Activation,
    scaleAttnWeights: boolField(o, 'scale_attn_weights', source, true),
    scaleAttnByInverseLayerIdx: boolField(o, 'scale_attn_by_inverse_layer_idx', source, false),
    initializerRange: numField(o, 'initializer_range', source, 0.02),
  };
  checkShape(cfg, source);
  return cfg;
}

/**
 * Reads and parses `<dir>/config.json` of a Hugging Face model folder: a missing file or invalid JSON
 * is an InputError naming the file. Every architecture's config reader starts here.
 */
export function readConfigJson(dir: string): { raw: unknown; path: string } {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw inputError(path, 'config', 'no such file; expected the model\'s config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readText(path, 'config'));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, 'config', `is not valid JSON (${(err as Error).message})`);
  }
  return { raw, path };
}

/** Reads `<dir>/config.json`; a missing folder or file is an InputError naming it. */
export function readGpt2Config(dir: string): Gpt2Config {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw inputError(dir, 'model', `no such folder, and not an untrained model name (${Object.keys(GPT2_SHAPES).map((s) => `${s}-untrained`).join(', ')})`);
  }
  if (!st.isDirectory()) throw inputError(dir, 'model', 'expected a Hugging Face model folder (config.json + model.safetensors)');
  const { raw, path } = readConfigJson(dir);
  return parseGpt2Config(raw, path);
}
