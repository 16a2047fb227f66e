/**
 * The architecture registry: a Hugging Face folder's config.json `model_type` → the forward pass
 * that returns every hidden state as transformers' `output_hidden_states=True`.
 *
 * Per family, what the states are (L blocks → L + 1 states):
 *  - gpt2: embeddings (token + position), then the output of blocks 1 … L − 1, and last the
 *    final layer norm's output (`ln_f`), as transformers' GPT2Model;
 *  - llama, mistral, qwen2, qwen3: embeddings, blocks 1 … L − 1, and last the final RMSNorm's
 *    output (`norm`) (src/features/lm/llama.ts);
 *  - gpt_neox (Pythia): embeddings, blocks 1 … L − 1, and last the final LayerNorm's output
 *    (`final_layer_norm`) (src/features/lm/gpt-neox.ts);
 *  - bert, roberta, xlm-roberta (bidirectional encoders, post-LayerNorm): the embedding output
 *    after its LayerNorm, then every block's output; no final norm (src/features/lm/bert.ts);
 *  - t5 (the encoder only, as T5EncoderModel): embeddings, blocks 1 … L − 1, and last the final
 *    RMS layer norm's output (src/features/lm/t5.ts);
 *  - rwkv (RWKV-4, recurrent): NOT the embeddings but the output of blocks 1 … L (in eval mode's
 *    rescaling, halved after every rescale_every-th block), and last ln_out's output
 *    (src/features/lm/rwkv.ts).
 * Every other model_type is refused in one line naming it and the supported list.
 */
import { join } from 'node:path';
import { InputError, inputError } from '../../data/errors.js';
import type { Backend } from '../../linalg/backend.js';
import { BERT_MODEL_TYPES, BertModel, parseBertConfig } from './bert.js';
import { readConfigJson, parseGpt2Config } from './config.js';
import { GptNeoxModel, parseGptNeoxConfig } from './gpt-neox.js';
import { parseT5Config, T5EncoderModel } from './t5.js';
import { Gpt2Model, SafetensorsGpt2Weights } from './gpt2.js';
import { LLAMA_MODEL_TYPES, LlamaModel, parseLlamaConfig } from './llama.js';
import { parseRwkvConfig, RwkvModel } from './rwkv.js';
import type { TensorSource } from './untrained.js';
import { headTensorName, tiedEmbeddings } from './perplexity.js';

/** model_type values brainmap runs. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = ['gpt2', 'gpt_neox', ...LLAMA_MODEL_TYPES, ...BERT_MODEL_TYPES, 't5', 'rwkv'];

/** A loaded model of any supported architecture. */
export interface ArchitectureModel {
  readonly modelType: string;
  /** Number of blocks L (L + 1 hidden states). */
  readonly nLayer: number;
  /** Width of the hidden states. */
  readonly hiddenSize: number;
  /** Causal (decoder) models see only earlier tokens. */
  readonly causal: boolean;
  /** The safetensors files the weights come from (what a weights hash covers). */
  readonly weightFiles: readonly string[];
  /** result[s][l]: hidden state l of sequence s, T_s × hiddenSize row-major float32. */
  hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]>;
  /**
   * The LM head of a causal model (perplexity.ts: separate or tied per family), applied to the
   * last hidden state; null when the folder has none (a base model, not tied) or the model is
   * bidirectional.
   */
  head?(): ArchitectureHead | null;
}

/** An LM head's shape and weight (vocab × d, read when called). */
export interface ArchitectureHead {
  vocabSize: number;
  weight: () => Float32Array;
}

/** The head of a causal model: the first present of headNames, or of embedNames when tied. */
function headOf(st: TensorSource, dir: string, vocabSize: number, d: number, headNames: readonly string[], embedNames: readonly string[]): ArchitectureHead | null {
  const name = headTensorName(st, tiedEmbeddings(dir), headNames, embedNames);
  return name === null ? null : { vocabSize, weight: () => st.get(name, [vocabSize, d]) };
}

/** Reads `model_type` from `<dir>/config.json` (InputError naming the file when missing). */
export function readModelType(dir: string): string {
  const { raw, path } = readConfigJson(dir);
  const mt = (raw as { model_type?: unknown } | null)?.model_type;
  if (typeof mt !== 'string' || mt === '') throw inputError(path, 'model_type', `missing; expected one of ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  return mt;
}

/** What the lm feature needs to know of a model before running it. */
export interface ArchitectureShape {
  modelType: string;
  /** Blocks L (L + 1 hidden states). */
  nLayer: number;
  /** Width of the hidden states. */
  hiddenSize: number;
  nHead: number;
  vocabSize: number;
  causal: boolean;
}

/**
 * The shape of a Hugging Face folder's model from its config.json alone (no weights read); an
 * unsupported model_type is the one-line error of `checkModelType`.
 */
export function readArchitectureShape(dir: string): ArchitectureShape {
  const modelType = readModelType(dir);
  const { raw, path } = readConfigJson(dir);
  checkModelType(modelType, path);
  if (modelType === 'gpt2') {
    const c = parseGpt2Config(raw, path);
    return { modelType, nLayer: c.nLayer, hiddenSize: c.nEmbd, nHead: c.nHead, vocabSize: c.vocabSize, causal: true };
  }
  if (modelType === 'gpt_neox') {
    const c = parseGptNeoxConfig(raw, path);
    return { modelType, nLayer: c.nLayer, hiddenSize: c.hiddenSize, nHead: c.nHead, vocabSize: c.vocabSize, causal: true };
  }
  if ((BERT_MODEL_TYPES as readonly string[]).includes(modelType)) {
    const c = parseBertConfig(raw, path);
    return { modelType, nLayer: c.nLayer, hiddenSize: c.hiddenSize, nHead: c.nHead, vocabSize: c.vocabSize, causal: false };
  }
  if (modelType === 't5') {
    const c = parseT5Config(raw, path);
    return { modelType, nLayer: c.nLayer, hiddenSize: c.dModel, nHead: c.nHead, vocabSize: c.vocabSize, causal: false };
  }
  if (modelType === 'rwkv') {
    const c = parseRwkvConfig(raw, path);
    return { modelType, nLayer: c.nLayer, hiddenSize: c.hiddenSize, nHead: 1, vocabSize: c.vocabSize, causal: true };
  }
  const c = parseLlamaConfig(raw, path);
  return { modelType, nLayer: c.nLayer, hiddenSize: c.hiddenSize, nHead: c.nHead, vocabSize: c.vocabSize, causal: true };
}

/** Throws the one-line error for a model_type brainmap does not run. */
export function checkModelType(modelType: string, source: string): void {
  if (!SUPPORTED_MODEL_TYPES.includes(modelType)) {
    throw inputError(source, 'model_type', `${JSON.stringify(modelType)} is not supported; expected one of ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
}

class Gpt2Architecture implements ArchitectureModel {
  readonly modelType = 'gpt2';
  readonly causal = true;
  private readonly weights: SafetensorsGpt2Weights;
  constructor(dir: string) {
    this.weights = new SafetensorsGpt2Weights(dir);
  }
  get nLayer(): number { return this.weights.config.nLayer; }
  get hiddenSize(): number { return this.weights.config.nEmbd; }
  get weightFiles(): readonly string[] { return this.weights.st.files; }
  async hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]> {
    const d = this.hiddenSize;
    const offsets = [0];
    for (const s of sequences) offsets.push(offsets[offsets.length - 1] + s.length);
    const out: Float32Array[][] = sequences.map(() => []);
    await new Gpt2Model(this.weights, backend).forwardBatch(sequences, (_layer, state) => {
      sequences.forEach((_, s) => out[s].push(state.slice(offsets[s] * d, offsets[s + 1] * d)));
    });
    return out;
  }
}

/** What `adapt` reads of a family's model class (llama.ts, gpt-neox.ts, bert.ts, t5.ts, rwkv.ts). */
interface FamilyModel {
  readonly dir: string;
  readonly st: TensorSource;
  hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]>;
}

/** Where a causal family keeps its LM head: its own tensor, or the (tied) input embeddings. */
interface HeadNames { vocabSize: number; head: readonly string[]; embeddings: readonly string[] }

/** A family's loaded model as an ArchitectureModel (with its LM head where `head` says where it is). */
function adapt(model: FamilyModel, shape: { modelType: string; causal: boolean; nLayer: number; hiddenSize: number }, head?: HeadNames): ArchitectureModel {
  return {
    ...shape,
    weightFiles: model.st.files,
    hiddenStates: (sequences, backend) => model.hiddenStates(sequences, backend),
    ...(head ? { head: () => headOf(model.st, model.dir, head.vocabSize, shape.hiddenSize, head.head, head.embeddings) } : {}),
  };
}

/**
 * Opens a Hugging Face model folder with the forward pass of its model_type; `source` replaces
 * the folder's safetensors weights (untrained models; not for gpt2, see init.ts).
 */
export function openArchitecture(dir: string, source?: TensorSource): ArchitectureModel {
  const modelType = readModelType(dir);
  checkModelType(modelType, join(dir, 'config.json'));
  if (modelType === 'gpt2') {
    if (source) throw new RangeError('openArchitecture: gpt2 weights come from SafetensorsGpt2Weights or UntrainedGpt2Weights');
    return new Gpt2Architecture(dir);
  }
  if (modelType === 'gpt_neox') {
    const m = new GptNeoxModel(dir, source);
    const c = m.config;
    return adapt(m, { modelType, causal: true, nLayer: c.nLayer, hiddenSize: c.hiddenSize }, { vocabSize: c.vocabSize, head: ['embed_out.weight'], embeddings: ['embed_in.weight', 'gpt_neox.embed_in.weight'] });
  }
  if ((BERT_MODEL_TYPES as readonly string[]).includes(modelType)) {
    const m = new BertModel(dir, source);
    return adapt(m, { modelType: m.config.modelType, causal: false, nLayer: m.config.nLayer, hiddenSize: m.config.hiddenSize });
  }
  if (modelType === 't5') {
    const m = new T5EncoderModel(dir, source);
    return adapt(m, { modelType, causal: false, nLayer: m.config.nLayer, hiddenSize: m.config.dModel });
  }
  if (modelType === 'rwkv') {
    const m = new RwkvModel(dir, source);
    const c = m.config;
    return adapt(m, { modelType, causal: true, nLayer: c.nLayer, hiddenSize: c.hiddenSize }, { vocabSize: c.vocabSize, head: ['head.weight'], embeddings: ['embeddings.weight', 'rwkv.embeddings.weight'] });
  }
  const m = new LlamaModel(dir, source);
  const c = m.config;
  return adapt(m, { modelType: c.modelType, causal: true, nLayer: c.nLayer, hiddenSize: c.hiddenSize }, { vocabSize: c.vocabSize, head: ['lm_head.weight'], embeddings: ['embed_tokens.weight', 'model.embed_tokens.weight'] });
}
