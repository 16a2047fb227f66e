/**
 * Tokenizers of every Hugging Face family from a model folder's `tokenizer.json` (+
 * `tokenizer_config.json`), run by `@huggingface/tokenizers` (pure JS port of the Rust library):
 * byte-level BPE (GPT-2, RoBERTa, Llama-3, Qwen2), SentencePiece-style BPE with byte fallback
 * (Llama-2, Mistral), Unigram with Metaspace (T5, XLM-R) and WordPiece (BERT).
 *
 * Special tokens are added exactly as the file's post-processor says (what transformers'
 * `tokenizer(text)` and `build_inputs_with_special_tokens` give). `add_bos_token` /
 * `add_eos_token` in tokenizer_config.json are not applied on top: transformers 5 ignores them
 * too (transformers 4's LlamaTokenizerFast rewrote its post-processor from them).
 *
 * Verified against transformers on every Pereira, Fedorenko and Blank text for tiny tokenizers of
 * each family (scripts/make-tokenizer-fixtures.py, test/lm/tokenizers-hf.test.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { InputError, inputError } from '../../data/errors.js';
import { readText } from '../../io/fsutil.js';
import type { SpecialTokens } from './extract.js';
import type { Tokenizer } from './tokenizer.js';

/** Token ids with a flag per id: added by the post-processor / a special token (true) or text (false). */
export interface SpecialEncoding {
  ids: number[];
  special: boolean[];
}

function readJson(path: string, field: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readText(path, field));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, field, `is not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(path, field, 'expected a JSON object');
  return raw as Record<string, unknown>;
}

/** A tokenizer.json tokenizer (any model type the library supports). */
export class HfTokenizer implements Tokenizer {
  readonly kind = 'tokenizer.json';
  readonly source: string;
  /** `model.type` of tokenizer.json: 'BPE', 'Unigram', 'WordPiece', … */
  readonly modelType: string;
  /** Ids of the added tokens marked `special` in tokenizer.json. */
  readonly specialIds: ReadonlySet<number>;
  private readonly impl: HfTokenizerImpl;
  private specials: SpecialTokens | undefined;

  constructor(tokenizerJson: Record<string, unknown>, config: Record<string, unknown>, source: string) {
    this.source = source;
    const model = tokenizerJson.model as { type?: unknown } | undefined;
    if (model === null || typeof model !== 'object') throw inputError(source, 'model', 'missing; expected a tokenizer.json with a "model" object');
    // Older files omit model.type; the library infers it from the fields.
    this.modelType = typeof model.type === 'string' ? model.type : 'BPE';
    const added = Array.isArray(tokenizerJson.added_tokens) ? (tokenizerJson.added_tokens as Array<{ id?: unknown; special?: unknown }>) : [];
    this.specialIds = new Set(added.filter((t) => t.special === true && typeof t.id === 'number').map((t) => t.id as number));
    try {
      this.impl = new HfTokenizerImpl(tokenizerJson, config);
    } catch (err) {
      throw inputError(source, 'model', `cannot be loaded by @huggingface/tokenizers (${(err as Error).message})`);
    }
  }

  /** Ids of the text alone (no special tokens added): `tokenizer(text, add_special_tokens=False)`. */
  encode(text: string): number[] {
    return this.impl.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Ids with the special tokens the post-processor adds (`tokenizer(text)['input_ids']`), each
   * flagged special or not (special: a post-processor token, or an added token marked special).
   */
  encodeWithSpecial(text: string): SpecialEncoding {
    const ids = this.impl.encode(text).ids;
    const plain = this.encode(text);
    // The post-processor only inserts tokens around/between the text's ids: align the plain ids
    // as a subsequence; everything else was added.
    const special = new Array<boolean>(ids.length).fill(true);
    let j = 0;
    for (let i = 0; i < ids.length && j < plain.length; i++) {
      if (ids[i] === plain[j]) {
        special[i] = this.specialIds.has(ids[i]);
        j++;
      }
    }
    if (j !== plain.length) throw new Error(`${this.source}: post-processor changed the text's ids`);
    return { ids, special };
  }

  /** Number of ids of the empty text with special tokens (`len(tokenizer('')['input_ids'])`). */
  specialCount(): number {
    return this.impl.encode('').ids.length;
  }

  /**
   * The ids the post-processor puts before and after one text (what transformers'
   * `build_inputs_with_special_tokens(ids)` adds: `[CLS] … [SEP]`, `<s> … </s>`, a BOS, an EOS, or
   * nothing), found by post-processing a placeholder token; and every special id (the added
   * tokens marked special, e.g. [UNK] and [PAD] too, as transformers' `all_special_ids`).
   */
  specialTokens(): SpecialTokens {
    if (this.specials) return this.specials;
    const pp = this.impl.post_processor;
    let prefix: number[] = [];
    let suffix: number[] = [];
    if (pp) {
      const placeholder = '\u{10FFFF}brainmap-text\u{10FFFF}';
      const out = pp.post_process([placeholder], null, true).tokens;
      const at = out.indexOf(placeholder);
      if (at < 0 || out.lastIndexOf(placeholder) !== at) throw inputError(this.source, 'post_processor', 'does not keep the text as one piece; expected special tokens before and/or after the text');
      const toId = (t: string): number => {
        const id = this.impl.token_to_id(t);
        if (id === undefined) throw inputError(this.source, 'post_processor', `adds the token ${JSON.stringify(t)}, which has no id`);
        return id;
      };
      prefix = out.slice(0, at).map(toId);
      suffix = out.slice(at + 1).map(toId);
    }
    const empty: number[] = this.impl.encode('').ids;
    const around = [...prefix, ...suffix];
    if (empty.length !== around.length || empty.some((id: number, i: number) => id !== around[i])) {
      throw inputError(this.source, 'post_processor', `adds ${JSON.stringify(around)} around a text but ${JSON.stringify(empty)} to the empty text; expected the same special tokens`);
    }
    this.specials = { prefix, suffix, ids: new Set([...this.specialIds, ...prefix, ...suffix]) };
    return this.specials;
  }
}

/**
 * Loads `<dir>/tokenizer.json` and, when present, `<dir>/tokenizer_config.json`. Errors are
 * InputErrors naming the file.
 */
export function loadHfTokenizer(dir: string): HfTokenizer {
  const path = join(dir, 'tokenizer.json');
  if (!existsSync(path)) throw inputError(path, 'tokenizer', 'no such file; expected the model\'s tokenizer.json');
  const tj = readJson(path, 'tokenizer');
  const cfgPath = join(dir, 'tokenizer_config.json');
  const cfg = existsSync(cfgPath) ? readJson(cfgPath, 'tokenizer_config') : {};
  return new HfTokenizer(tj, cfg, path);
}
