"""What transformers' `_init_weights` gives each tensor of an untrained model, for
test/lm/untrained.test.ts: per architecture (the zoo configs in test/fixtures/lm/zoo/<name>/config.json,
with initializer_range / initializer_factor as written there), the model is built from its config
(AutoModel.from_config, T5EncoderModel for t5) 100 times with torch seeds 0..99, and per parameter the
values of all 100 draws are summarised:
  {"kind": "const", "value": v}                      every element of every draw equals v;
  {"kind": "normal", "mean": m, "std": s, "n": n,     otherwise: mean and standard deviation over the n
   "zero_rows": [...]}                                elements outside the rows that are 0 in every draw
                                                      (an embedding's padding_idx);
  {"kind": "exact", "values": [...]}                 every draw equal, elements not all equal (RWKV's
                                                      time_decay / time_mix_*: deterministic);
  "orthogonal_gain": g on a 2-D "normal" tensor        when every draw's W·Wᵀ (rows ≤ cols) or Wᵀ·W is g²·I
                                                      (RWKV's orthogonal_ init).
ONLY=name,name remakes those models and keeps the others' entries from the existing file.
Output: test/fixtures/lm/untrained-init.json. Run: .venv/bin/python scripts/make-lm-untrained-fixtures.py
"""
import json
import os

import torch
import transformers
from transformers import AutoModel

ROOT = os.path.join(os.path.dirname(__file__), '..')
ZOO = os.path.join(ROOT, 'test', 'fixtures', 'lm', 'zoo')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'lm', 'untrained-init.json')
MODELS = ['llama', 'mistral', 'qwen2', 'qwen3', 'gpt_neox', 'bert', 'roberta', 'xlm-roberta', 't5', 't5-gated', 'rwkv']
DRAWS = 100


def build(cfg):
    if cfg.model_type == 't5':
        return transformers.T5EncoderModel(cfg)
    return AutoModel.from_config(cfg)


def main():
    out = {'transformers': transformers.__version__, 'torch': torch.__version__, 'draws': DRAWS, 'models': {}}
    only = os.environ.get('ONLY')
    if only:
        with open(OUT) as f:
            out['models'] = json.load(f)['models']
    for name in MODELS:
        if only and name not in only.split(','):
            continue
        cfg = transformers.AutoConfig.from_pretrained(os.path.join(ZOO, name))
        draws = {}
        for seed in range(DRAWS):
            torch.manual_seed(seed)
            model = build(cfg)
            for pname, p in model.named_parameters():
                draws.setdefault(pname, []).append(p.detach().float().clone())
        tensors = {}
        for pname, vals in draws.items():
            x = torch.stack(vals)  # draws x shape
            first = x.reshape(-1)[0].item()
            if bool((x == first).all()):
                tensors[pname] = {'kind': 'const', 'value': first, 'shape': list(vals[0].shape)}
                continue
            if bool((x == x[0]).all()):
                tensors[pname] = {'kind': 'exact', 'values': x[0].reshape(-1).tolist(), 'shape': list(vals[0].shape)}
                continue
            zero_rows = []
            if x.dim() == 3:
                zero_rows = [r for r in range(x.shape[1]) if bool((x[:, r] == 0).all())]
                keep = [r for r in range(x.shape[1]) if r not in zero_rows]
                y = x[:, keep].double().reshape(-1)
            else:
                y = x.double().reshape(-1)
            tensors[pname] = {'kind': 'normal', 'mean': y.mean().item(), 'std': y.std().item(), 'n': y.numel(),
                              'zero_rows': zero_rows, 'shape': list(vals[0].shape)}
            if x.dim() == 3:
                w = x.double()
                g = w @ w.transpose(1, 2) if w.shape[1] <= w.shape[2] else w.transpose(1, 2) @ w
                c = g[0, 0, 0].item()
                if torch.allclose(g, c * torch.eye(g.shape[1], dtype=g.dtype).expand_as(g), rtol=1e-5, atol=1e-5 * c):
                    tensors[pname]['orthogonal_gain'] = c ** 0.5
        out['models'][name] = tensors
        print(name, len(tensors), 'tensors;', sorted({(t['kind'], round(t.get('std', t.get('value', 0)), 4), t.get('orthogonal_gain')) for t in tensors.values()}))
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=0)


if __name__ == '__main__':
    main()
