#!/usr/bin/env python3
"""PyTorch reference of `npm run bench`'s language-model rows (bench/lm.ts).

What a user would run instead of brainmap: Hugging Face `GPT2Model(config)` (untrained, the GPT-2
or GPT2-XL shape), eval mode, one forward pass per planned pass (the same token ids as brainmap's
passes, batch size 1, no padding), `output_hidden_states=True`, under `torch.inference_mode()`.

usage: lm_torch.py <passes.json> <gpt2|gpt2-xl> <threads>
  passes.json: {"passes": [[token ids], ...]}
Prints one JSON line: torch/transformers versions, threads, init_s (GPT2Model(config)), tokens,
forward_s, and the process CPU seconds of both (init_cpu_s, forward_cpu_s).
"""
import json
import sys
import time

import torch
import transformers
from transformers import GPT2Config, GPT2Model

SHAPES = {
    "gpt2": dict(n_layer=12, n_embd=768, n_head=12),
    "gpt2-xl": dict(n_layer=48, n_embd=1600, n_head=25),
}


def main() -> None:
    path, shape, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    with open(path) as f:
        passes = json.load(f)["passes"]
    cfg = GPT2Config(**SHAPES[shape])  # vocab 50257, n_positions 1024, gelu_new, as brainmap's untrained shapes
    torch.manual_seed(0)
    t0, c0 = time.perf_counter(), time.process_time()
    model = GPT2Model(cfg)
    init_s, init_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    model.eval()
    tokens = 0
    with torch.inference_mode():
        t0, c0 = time.perf_counter(), time.process_time()
        for ids in passes:
            out = model(torch.tensor([ids], dtype=torch.long), output_hidden_states=True)
            assert len(out.hidden_states) == cfg.n_layer + 1
            tokens += len(ids)
        forward_s, forward_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "threads": torch.get_num_threads(),
        "init_s": init_s,
        "init_cpu_s": init_cpu_s,
        "tokens": tokens,
        "forward_s": forward_s,
        "forward_cpu_s": forward_cpu_s,
    }))


if __name__ == "__main__":
    main()
