"""Tiny seeded causal LMs with heads (transformers' *ForCausalLM) and their perplexity on a few Pereira
sentences under the paper's context rules, for test/lm/perplexity.test.ts.

Models (test/fixtures/lm/perplexity/<name>/config.json + model.safetensors; the tokenizer is the
tokenizer fixture named in expected.json, test/fixtures/lm/tokenizers/<tok>/):
  gpt2         GPT2LMHeadModel, lm_head tied to wte               (gpt2 tokenizer: no special tokens)
  llama        LlamaForCausalLM, separate lm_head                  (llama3 tokenizer: <|begin_of_text|>)
  llama-tied   LlamaForCausalLM, tie_word_embeddings true (no lm_head stored)
  gpt_neox     GPTNeoXForCausalLM, separate embed_out
  rwkv         RwkvForCausalLM, separate head (eval mode: rescale_every 2)

Reference (independent of brainmap): per sample, the input is built as the paper's LLM_v2.py does
(context = the block's previous texts, current = txt.rstrip() or ' ' + txt.rstrip(), tokenised
separately without special tokens, the last window − len(tokenizer('')) tokens kept, tokenizer('')'s
ids in front), labels = the input ids at the current text's kept positions and -100 elsewhere, and
transformers' own loss model(ids, labels=labels).loss (mean NLL of the shifted labels) times the
number of labels scored gives the sample's Σ NLL; perplexity = exp(Σ NLL / Σ scored) over all samples.
Windows 512 and 12 (truncation into the current text). Run: .venv/bin/python scripts/make-lm-perplexity-fixtures.py
"""
import json
import os
import shutil

import torch
import transformers
from transformers import AutoTokenizer

ROOT = os.path.join(os.path.dirname(__file__), '..')
DATA = os.environ.get('BRAINMAP_DATA', os.path.join(ROOT, '..', 'shared', 'data'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'lm', 'perplexity')
TOKS = os.path.join(ROOT, 'test', 'fixtures', 'lm', 'tokenizers')

LLAMA = dict(vocab_size=400, hidden_size=16, intermediate_size=24, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5, initializer_range=0.2,
             hidden_act='silu', bos_token_id=0, eos_token_id=1, rope_theta=10000.0)
MODELS = {
    'gpt2': ('gpt2', lambda: transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=400, n_positions=512, n_embd=16, n_layer=2, n_head=4, initializer_range=0.2))),
    'llama': ('llama3', lambda: transformers.LlamaForCausalLM(transformers.LlamaConfig(**LLAMA, tie_word_embeddings=False))),
    'llama-tied': ('llama3', lambda: transformers.LlamaForCausalLM(transformers.LlamaConfig(**LLAMA, tie_word_embeddings=True))),
    'gpt_neox': ('llama3', lambda: transformers.GPTNeoXForCausalLM(transformers.GPTNeoXConfig(
        vocab_size=400, hidden_size=16, intermediate_size=24, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=512, rotary_pct=0.5, initializer_range=0.2, tie_word_embeddings=False,
        bos_token_id=0, eos_token_id=1))),
    'rwkv': ('llama3', lambda: transformers.RwkvForCausalLM(transformers.RwkvConfig(
        vocab_size=400, hidden_size=16, attention_hidden_size=16, intermediate_size=24, num_hidden_layers=3,
        context_length=512, rescale_every=2, tie_word_embeddings=False, bos_token_id=0, eos_token_id=1))),
}


def samples():
    with open(os.path.join(DATA, 'pereira2018', 'stimuli_384sentences.txt'), encoding='utf-8') as f:
        per = [l.strip() for l in f if l.strip()]
    return per[:5], ['a', 'a', 'a', 'b', 'b']


def inputs(tok, texts, blocks, window):
    """(ids, labels) per sample under the paper's rules."""
    prefix = tok('')['input_ids']
    keep = window - len(prefix)
    out = []
    context = ''
    for i, txt in enumerate(texts):
        if i > 0 and blocks[i] != blocks[i - 1]:
            context = ''
        txt = txt.rstrip()
        cur = txt if context == '' else ' ' + txt
        ctx_ids = tok(context, add_special_tokens=False)['input_ids'] if context else []
        cur_ids = tok(cur, add_special_tokens=False)['input_ids']
        all_ids = ctx_ids + cur_ids
        kept = all_ids[-keep:]
        ids = prefix + kept
        n_cur = min(len(cur_ids), len(kept))
        labels = [-100] * (len(ids) - n_cur) + ids[len(ids) - n_cur:]
        out.append((ids, labels))
        context += cur
    return out


def main():
    texts, blocks = samples()
    for i, (name, (tokname, make)) in enumerate(MODELS.items()):
        torch.manual_seed(100 + i)
        model = make().float().eval()
        with torch.no_grad():  # random biases / norms so that every parameter matters
            g = torch.Generator().manual_seed(200 + i)
            for pname, p in model.named_parameters():
                if pname.endswith('.bias') or 'norm' in pname or '.ln' in pname or pname.startswith('ln'):
                    p.add_(0.3 * torch.randn(p.shape, generator=g))
                elif 'embeddings.weight' in pname and p.abs().max() < 1e-2:
                    p.mul_(1000)
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        model.save_pretrained(d, safe_serialization=True)
        tok = AutoTokenizer.from_pretrained(os.path.join(TOKS, tokname))
        expected = {'transformers': transformers.__version__, 'torch': torch.__version__, 'tokenizer': tokname,
                    'texts': texts, 'blocks': blocks, 'windows': {}}
        for window in (512, 12):
            nll, scored, all_ids = [], [], []
            for ids, labels in inputs(tok, texts, blocks, window):
                n = sum(1 for l in labels[1:] if l != -100)
                with torch.no_grad():
                    loss = model(torch.tensor([ids]), labels=torch.tensor([labels])).loss.item() if n > 0 else 0.0
                nll.append(loss * n)
                scored.append(n)
                all_ids.append(ids)
            ppl = float(torch.exp(torch.tensor(sum(nll) / sum(scored), dtype=torch.float64)))
            expected['windows'][str(window)] = {'input_ids': all_ids, 'nll': nll, 'scored': scored, 'perplexity': ppl}
            print(name, window, 'ppl', ppl, 'scored', scored)
        with open(os.path.join(d, 'expected.json'), 'w') as f:
            json.dump(expected, f, indent=1)


if __name__ == '__main__':
    main()
