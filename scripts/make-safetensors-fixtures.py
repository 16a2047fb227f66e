"""Tiny safetensors files written by the Python `safetensors` package (the reference writer), for
test/lm/safetensors-python.test.ts: the same tensors stored as float32, float16 and bfloat16, a single
file and a two-shard checkpoint with model.safetensors.index.json, and expected.json holding each
tensor converted to float32 by torch (`tensor.float()`), which the reader must reproduce bit for bit.

Run: .venv/bin/python scripts/make-safetensors-fixtures.py  (writes test/fixtures/lm/safetensors/)
"""
import json
import os
import struct

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'lm', 'safetensors')


def tensors():
    g = torch.Generator().manual_seed(0)
    return {
        'embed.weight': torch.randn(5, 4, generator=g) * 3,
        'layers.0.bias': torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.0e-8, 1.0e-40, 3.0e38, 1 / 3]),
        'layers.1.weight': torch.randn(2, 3, 2, generator=g),
        'scalar': torch.tensor(7.25),
        'empty': torch.zeros(0, 3),
    }


def f32_bits(t):
    """float32 values as uint32 bit patterns (exact, JSON-safe)."""
    return [struct.unpack('<I', struct.pack('<f', v))[0] for v in t.reshape(-1).tolist()]


def main():
    os.makedirs(OUT, exist_ok=True)
    base = tensors()
    expected = {}
    for name, dtype in (('f32', torch.float32), ('f16', torch.float16), ('bf16', torch.bfloat16)):
        ts = {k: v.to(dtype).contiguous() for k, v in base.items()}
        save_file(ts, os.path.join(OUT, f'{name}.safetensors'), metadata={'format': 'pt'})
        expected[name] = {k: {'shape': list(v.shape), 'bits': f32_bits(v.float())} for k, v in ts.items()}
    # A two-shard bfloat16 checkpoint in Hugging Face layout.
    shard_dir = os.path.join(OUT, 'sharded')
    os.makedirs(shard_dir, exist_ok=True)
    ts = {k: v.to(torch.bfloat16).contiguous() for k, v in base.items()}
    names = sorted(ts)
    shards = {'model-00001-of-00002.safetensors': names[:2], 'model-00002-of-00002.safetensors': names[2:]}
    weight_map = {}
    for fname, keys in shards.items():
        save_file({k: ts[k] for k in keys}, os.path.join(shard_dir, fname), metadata={'format': 'pt'})
        for k in keys:
            weight_map[k] = fname
    total = sum(v.numel() * v.element_size() for v in ts.values())
    with open(os.path.join(shard_dir, 'model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=1)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'tensors': expected}, f)


if __name__ == '__main__':
    main()
