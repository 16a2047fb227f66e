"""Tiny seeded random decoders in Hugging Face layout, with the hidden states transformers computes
(output_hidden_states=True) for a few Pereira and Fedorenko samples, for test/lm/llama.test.ts and
test/lm/gpt-neox.test.ts.

Per model (llama with rope_scaling 'llama3', mistral, qwen2 with qkv bias, qwen3 with q/k norm — all
with grouped-query attention, 4 query heads over 2 key/value heads —; gpt_neox (Pythia layout,
parallel residual, rotary on half of each head) and gpt_neox_seq (sequential residual); the encoders
bert, roberta and xlm-roberta, and the T5 encoder (T5EncoderModel; ReLU and gated-GELU MLP), fed ids
from their own tokenizer fixtures (test/lm/bert.test.ts, test/lm/t5.test.ts)):
  test/fixtures/lm/zoo/<name>/config.json, model.safetensors (float32),
  test/fixtures/lm/zoo/<name>-bf16/config.json, model.safetensors (the same weights rounded to bfloat16;
  config.json in transformers 4's layout: rope_theta / rope_scaling, or rotary_emb_base / rotary_pct,
  instead of rope_parameters),
  test/fixtures/lm/zoo/<name>/expected.json: input ids (Llama-3-style tokenizer fixture, with its
  <|begin_of_text|>), and per sample and dtype every hidden state (float32, row-major T × d, base64),
  computed in float32 from the stored weights (bf16: from the bfloat16 weights upcast to float32).

Weights: transformers' own init with initializer_range 0.2 (larger than the default, so that every
block changes the residual stream visibly), norms' weights perturbed around 1 and biases random,
so that every parameter matters. Run: .venv/bin/python scripts/make-lm-zoo-fixtures.py
(ONLY=name,name to remake some; seeds depend only on each model's place in MODELS).
"""
import base64
import copy
import json
import os
import shutil

import torch
import transformers
from transformers import AutoModel, AutoTokenizer

ROOT = os.path.join(os.path.dirname(__file__), '..')
DATA = os.environ.get('BRAINMAP_DATA', os.path.join(ROOT, '..', 'shared', 'data'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'lm', 'zoo')
TOK = os.path.join(ROOT, 'test', 'fixtures', 'lm', 'tokenizers', 'llama3')

COMMON = dict(vocab_size=400, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5, initializer_range=0.2,
              hidden_act='silu', tie_word_embeddings=False, bos_token_id=0, eos_token_id=1, torch_dtype='float32')

MODELS = {
    # rope_scaling llama3 with thresholds that leave frequencies unchanged, scaled and smoothed (head_dim 8).
    'llama': dict(model_type='llama', architectures=['LlamaForCausalLM'], rope_theta=10000.0,
                  rope_scaling=dict(rope_type='llama3', factor=8.0, low_freq_factor=1.0, high_freq_factor=8.0,
                                    original_max_position_embeddings=256)),
    'mistral': dict(model_type='mistral', architectures=['MistralForCausalLM'], rope_theta=1000.0, sliding_window=4096),
    'qwen2': dict(model_type='qwen2', architectures=['Qwen2ForCausalLM'], rope_theta=1000000.0, use_sliding_window=False),
    'qwen3': dict(model_type='qwen3', architectures=['Qwen3ForCausalLM'], rope_theta=1000000.0, head_dim=12,
                  attention_bias=False, use_sliding_window=False),
    # Pythia layout: parallel residual, rotary on a quarter of each head, erf GELU, biases everywhere.
    'gpt_neox': dict(model_type='gpt_neox', architectures=['GPTNeoXForCausalLM'], vocab_size=400, hidden_size=32,
                     intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=512,
                     rotary_pct=0.5, rotary_emb_base=10000, layer_norm_eps=1e-5, initializer_range=0.2, hidden_act='gelu',
                     use_parallel_residual=True, tie_word_embeddings=False, bos_token_id=0, eos_token_id=1),
    # GPT-NeoX with the sequential residual (use_parallel_residual false).
    'gpt_neox_seq': dict(model_type='gpt_neox', architectures=['GPTNeoXForCausalLM'], vocab_size=400, hidden_size=32,
                         intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=512,
                         rotary_pct=0.25, rotary_emb_base=10000, layer_norm_eps=1e-5, initializer_range=0.2, hidden_act='gelu',
                         use_parallel_residual=False, tie_word_embeddings=False, bos_token_id=0, eos_token_id=1),
    # Encoders (bidirectional, post-LayerNorm); their inputs come from their own tokenizer fixtures.
    'bert': dict(model_type='bert', architectures=['BertModel'], vocab_size=300, hidden_size=32, intermediate_size=48,
                 num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=128, type_vocab_size=2,
                 layer_norm_eps=1e-12, initializer_range=0.2, hidden_act='gelu', pad_token_id=0, tok='bert'),
    'roberta': dict(model_type='roberta', architectures=['RobertaModel'], vocab_size=400, hidden_size=32, intermediate_size=48,
                    num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=130, type_vocab_size=1,
                    layer_norm_eps=1e-5, initializer_range=0.2, hidden_act='gelu', pad_token_id=1, bos_token_id=0,
                    eos_token_id=2, tok='roberta'),
    'xlm-roberta': dict(model_type='xlm-roberta', architectures=['XLMRobertaModel'], vocab_size=300, hidden_size=32,
                        intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=130,
                        type_vocab_size=1, layer_norm_eps=1e-5, initializer_range=0.2, hidden_act='gelu', pad_token_id=1,
                        bos_token_id=0, eos_token_id=2, tok='xlmr'),
    # T5 encoders (T5EncoderModel): relative position buckets, RMS layer norm, ReLU (t5) or gated GELU (v1.1) MLP.
    't5': dict(model_type='t5', architectures=['T5EncoderModel'], vocab_size=300, d_model=32, d_kv=8, d_ff=48, num_layers=2,
               num_heads=4, relative_attention_num_buckets=8, relative_attention_max_distance=20, layer_norm_epsilon=1e-6,
               initializer_factor=1.0, feed_forward_proj='relu', is_encoder_decoder=True, pad_token_id=0, eos_token_id=1, tok='t5'),
    't5-gated': dict(model_type='t5', architectures=['T5EncoderModel'], vocab_size=300, d_model=32, d_kv=8, d_ff=48, num_layers=2,
                     num_heads=4, relative_attention_num_buckets=8, relative_attention_max_distance=20, layer_norm_epsilon=1e-6,
                     initializer_factor=1.0, feed_forward_proj='gated-gelu', is_encoder_decoder=True, pad_token_id=0, eos_token_id=1,
                     tie_word_embeddings=False, tok='t5'),
    # RWKV-4 (RwkvModel): 3 blocks with rescale_every=2, so that eval mode's halving of the
    # hidden state after block 2 and the 2^(block // 2) division of attention.output / feed_forward.value
    # of block 3 both occur; fed the Llama-3-style ids like the other decoders.
    'rwkv': dict(model_type='rwkv', architectures=['RwkvModel'], vocab_size=400, hidden_size=32, attention_hidden_size=32,
                 intermediate_size=48, num_hidden_layers=3, context_length=512, layer_norm_epsilon=1e-5, rescale_every=2,
                 tie_word_embeddings=False, bos_token_id=0, eos_token_id=1),
}

ENCODERS = ('bert', 'roberta', 'xlm-roberta')


def samples():
    """A Pereira sentence with its preceding one as context, and a Fedorenko sentence."""
    with open(os.path.join(DATA, 'pereira2018', 'stimuli_384sentences.txt'), encoding='utf-8') as f:
        per = [l.strip() for l in f if l.strip()]
    with open(os.path.join(DATA, 'fedorenko2016', 'sentences_ordered.txt'), encoding='utf-8') as f:
        fed = [l.strip() for l in f if l.strip()]
    return [per[0] + ' ' + per[1], fed[0]]


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if 'norm' in name.lower():
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            elif name.endswith('.bias'):
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
            elif '.ln' in name or name.startswith('ln') or 'pre_ln' in name:  # RWKV's LayerNorms
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            elif 'time_' in name:  # RWKV's decay, bonus and token-shift mixes
                p.add_(0.3 * torch.randn(p.shape, generator=g))
            elif name.endswith('embeddings.weight') and p.abs().max() < 1e-2:
                # RWKV's embeddings (orthogonal, gain 1e-4·√vocab): scaled up so that pre_ln's eps does not dominate.
                p.mul_(1000)


def hidden_states(model, ids):
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True, attention_mask=torch.ones(1, len(ids), dtype=torch.long))
    hs = [h[0].float().contiguous() for h in out.hidden_states]
    return hs, out.last_hidden_state[0].float()


def main():
    texts = samples()
    only = os.environ.get('ONLY')
    for i, (name, extra) in enumerate(MODELS.items()):
        if only and name not in only.split(','):
            continue
        torch.manual_seed(i)
        extra = dict(extra)
        tok = AutoTokenizer.from_pretrained(os.path.join(os.path.dirname(TOK), extra.pop('tok', 'llama3')))
        ids = [tok(t)['input_ids'] for t in texts]
        decoder_like_llama = extra['model_type'] in ('llama', 'mistral', 'qwen2', 'qwen3')
        cfg = transformers.AutoConfig.for_model(**({**COMMON, **extra} if decoder_like_llama else extra))
        def make():
            if extra['model_type'] == 't5':
                return transformers.T5EncoderModel(cfg)
            return AutoModel.from_config(cfg, attn_implementation='eager')
        model = make().float().eval()
        perturb(model, i)
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        model.save_pretrained(d, safe_serialization=True)
        model_bf16 = make().float().eval()
        model_bf16.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in model.state_dict().items()})
        d16 = os.path.join(OUT, f'{name}-bf16')
        shutil.rmtree(d16, ignore_errors=True)
        copy.deepcopy(model).to(torch.bfloat16).save_pretrained(d16, safe_serialization=True)
        if 'rope_parameters' in (c16 := json.load(open(os.path.join(d16, 'config.json')))):
            # The bfloat16 copy keeps transformers 4's layout (what published checkpoints have):
            # rope_theta at the top and rope_scaling with the llama3 parameters.
            rp = c16.pop('rope_parameters')
            c16['rope_theta'] = rp.pop('rope_theta')
            if extra['model_type'] == 'gpt_neox':
                c16['rotary_emb_base'] = c16.pop('rope_theta')
                c16['rotary_pct'] = rp.pop('partial_rotary_factor')
            elif rp.get('rope_type', 'default') != 'default':
                c16['rope_scaling'] = rp
            with open(os.path.join(d16, 'config.json'), 'w') as f:
                json.dump(c16, f, indent=2)
        expected = {'transformers': transformers.__version__, 'torch': torch.__version__, 'model_type': extra['model_type'],
                    'texts': texts, 'input_ids': ids, 'float32': [], 'bfloat16': []}
        for key, m in (('float32', model), ('bfloat16', model_bf16)):
            for x in ids:
                hs, last = hidden_states(m, x)
                # Whether the last hidden state is the final norm's output (as last_hidden_state).
                expected['final_norm_in_last'] = bool(torch.equal(hs[-1], last))  # encoders: no final norm, also equal
                # float32 little-endian bytes, base64 (exact and compact)
                expected[key].append([base64.b64encode(h.numpy().astype('<f4').tobytes()).decode() for h in hs])
        with open(os.path.join(d, 'expected.json'), 'w') as f:
            json.dump(expected, f, separators=(',', ':'))
        print(name, 'layers', len(expected['float32'][0]), 'tokens', [len(x) for x in ids], 'final norm in last:', expected['final_norm_in_last'])


if __name__ == '__main__':
    main()
