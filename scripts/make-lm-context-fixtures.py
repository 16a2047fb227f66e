"""The paper's context procedure for non-GPT-2 models (METHODS §3.6 "Other models", the authors'
generate_activations/LLM_v2.py), computed with transformers for a tiny BERT and a tiny Llama on three
Pereira passages (12 sentences, the context reset at each passage), for test/lm/zoo-context.test.ts.

Per sample, as LLM_v2.py's get_model_activity:
  current = txt.rstrip() if the context is empty else ' ' + txt.rstrip();
  tokens = tokenize(previous) + tokenize(current) (asserted equal to tokenize(previous + current));
  keep the last 512 - len(tokenizer('')['input_ids']) tokens; add the special tokens
  (build_inputs_with_special_tokens; transformers 5's fast tokenizers have no such method, their
  post-processor does it: tokenizers' post_process on the kept tokens' Encoding); one forward pass;
  drop every position whose id is in tokenizer.all_special_ids; the last len(tokenize(current))
  positions left are pooled: last, sum, mean.
Also with a 40-token window (max_context_size=40), so that truncation, cutting into the current text,
is covered.

Models: test/fixtures/lm/context/bert (BertModel, 2 layers, 512 positions, the bert tokenizer
fixture) and the zoo's llama (test/fixtures/lm/zoo/llama with the llama3 tokenizer fixture, whose
post-processor adds <|begin_of_text|>). Note: transformers 4's generic PreTrainedTokenizerFast (the
class of Llama-3 checkpoints) did not override build_inputs_with_special_tokens and so added no BOS;
brainmap follows the post-processor (transformers 5, and every tokenizer class of transformers 4
that defines the method).

Output: test/fixtures/lm/context/expected.json: texts, blocks, and per model and window the pooled
features (per pooling and layer: samples x d float32, little-endian, base64) and each sample's
model input ids.
Run: .venv/bin/python scripts/make-lm-context-fixtures.py
"""
import base64
import json
import os
import shutil

import numpy as np
import torch
import transformers
from transformers import AutoModel, AutoTokenizer

ROOT = os.path.join(os.path.dirname(__file__), '..')
DATA = os.environ.get('BRAINMAP_DATA', os.path.join(ROOT, '..', 'shared', 'data'))
FIX = os.path.join(ROOT, 'test', 'fixtures', 'lm')
OUT = os.path.join(FIX, 'context')


def passages(n=3):
    with open(os.path.join(DATA, 'pereira2018', 'stimuli_384sentences.txt'), encoding='utf-8') as f:
        sents = [l.strip() for l in f if l.strip()]
    texts = sents[:4 * n]
    blocks = [f'p{i // 4}' for i in range(len(texts))]
    return texts, blocks


def with_special_tokens(tok, full_text, n_keep):
    """The post-processor applied to the last n_keep tokens of full_text (no special tokens)."""
    enc = tok.backend_tokenizer.encode(full_text, add_special_tokens=False)
    enc.truncate(n_keep, direction='left')
    return tok.backend_tokenizer.post_process(enc).ids


def paper_features(model, tok, texts, labels, max_context_size):
    previous = ''
    label = labels[0]
    last, sp, mp, inputs = [], [], [], []
    for txt, dl in zip(texts, labels):
        txt = txt.rstrip()
        if dl != label:
            previous = ''
            label = dl
        current = txt if len(previous) == 0 else f' {txt}'
        curr_tokens = tok.tokenize(current)
        num_ct = len(curr_tokens)
        tokens = tok.tokenize(previous) + curr_tokens
        assert tokens == tok.tokenize(previous + current), 'separate tokenisation differs'
        effective = max_context_size - len(tok('')['input_ids'])
        tokens = tokens[-effective:]
        token_ids = with_special_tokens(tok, previous + current, len(tokens))
        kept = [i for i in token_ids if i not in tok.all_special_ids]
        assert kept == tok.convert_tokens_to_ids(tokens)
        assert len(token_ids) > 1
        with torch.no_grad():
            out = model(torch.tensor([token_ids]), output_hidden_states=True).hidden_states
        out = torch.stack(out).squeeze(1)  # layers x T x d
        nonspecial = [x not in tok.all_special_ids for x in token_ids]
        out = out[:, nonspecial, :][:, -num_ct:]
        last.append(out[:, -1].numpy())
        sp.append(out.sum(1).numpy())
        mp.append(out.mean(1).numpy())
        inputs.append(token_ids)
        previous += current
    stack = lambda xs: np.stack(xs, axis=1)  # layers x samples x d
    return {'last': stack(last), 'sum': stack(sp), 'mean': stack(mp)}, inputs


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode()


def main():
    torch.manual_seed(0)
    texts, blocks = passages()
    os.makedirs(OUT, exist_ok=True)
    bert_dir = os.path.join(OUT, 'bert')
    shutil.rmtree(bert_dir, ignore_errors=True)
    cfg = transformers.BertConfig(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                  num_attention_heads=4, max_position_embeddings=512, type_vocab_size=2,
                                  layer_norm_eps=1e-12, initializer_range=0.2, pad_token_id=0)
    bert = AutoModel.from_config(cfg, attn_implementation='eager').float().eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in bert.named_parameters():
            if 'LayerNorm' in name:
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            elif name.endswith('.bias'):
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    bert.save_pretrained(bert_dir, safe_serialization=True)
    for f in ('tokenizer.json', 'tokenizer_config.json'):
        shutil.copy(os.path.join(FIX, 'tokenizers', 'bert', f), os.path.join(bert_dir, f))
    bert_tok = AutoTokenizer.from_pretrained(bert_dir)

    llama = AutoModel.from_pretrained(os.path.join(FIX, 'zoo', 'llama'), attn_implementation='eager').float().eval()
    llama_tok = AutoTokenizer.from_pretrained(os.path.join(FIX, 'tokenizers', 'llama3'))

    expected = {'transformers': transformers.__version__, 'torch': torch.__version__, 'texts': texts, 'blocks': blocks, 'models': {}}
    for name, model, tok in (('bert', bert, bert_tok), ('llama', llama, llama_tok)):
        expected['models'][name] = {'special_count': len(tok('')['input_ids']), 'windows': {}}
        for window in (512, 40):
            pooled, inputs = paper_features(model, tok, texts, blocks, window)
            expected['models'][name]['windows'][str(window)] = {
                'input_ids': inputs,
                'pooled': {p: [b64(layer) for layer in arr] for p, arr in pooled.items()},
            }
            print(name, window, 'input lengths', [len(x) for x in inputs])
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, separators=(',', ':'))


if __name__ == '__main__':
    main()
