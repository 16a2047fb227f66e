#!/usr/bin/env python3
"""PyTorch reference of `npm run bench`'s language-model rows (bench/lm.ts).

What a user would run instead of brainmap: Hugging Face `GPT2Model(config)` (untrained, the GPT-2
or GPT2-XL shape), eval mode, one forward pass per planned pass (the same token ids as brainmap's
passes, batch size 1, no padding), `output_hidden_states=True`, under `torch.inference_mode()`.

usage: lm_torch.py <passes.json> <gpt2|gpt2-xl|llama-3.2-3b|roberta-large> <threads> [layers]
  llama-3.2-3b, roberta-large: LlamaModel / RobertaModel(config) of those checkpoints' shapes
  (float32, eager attention); layers: fewer blocks than the shape's (a shortened check)
  passes.json: {"passes": [[token ids], ...]}
Prints one JSON line: torch/transformers versions, threads, init_s (GPT2Model(config)), tokens,
forward_s, and the process CPU seconds of both (init_cpu_s, forward_cpu_s).
"""
import json
import sys
import time

import torch
import transformers
from transformers import GPT2Config, GPT2Model, LlamaConfig, LlamaModel, RobertaConfig, RobertaModel

SHAPES = {
    "gpt2": dict(n_layer=12, n_embd=768, n_head=12),
    "gpt2-xl": dict(n_layer=48, n_embd=1600, n_head=25),
}

# The shapes of meta-llama/Llama-3.2-3B-Instruct and FacebookAI/roberta-large (config.json values).
ZOO = {
    "llama-3.2-3b": (LlamaConfig, LlamaModel, dict(
        vocab_size=128256, hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
        num_key_value_heads=8, head_dim=128, max_position_embeddings=131072, rms_norm_eps=1e-5, hidden_act="silu",
        rope_theta=500000.0, rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                               original_max_position_embeddings=8192),
        tie_word_embeddings=True, bos_token_id=128000, eos_token_id=128009)),
    "roberta-large": (RobertaConfig, RobertaModel, dict(
        vocab_size=50265, hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
        max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)),
}


def main() -> None:
    path, shape, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    with open(path) as f:
        passes = json.load(f)["passes"]
    layers = int(sys.argv[4]) if len(sys.argv) > 4 else None
    torch.manual_seed(0)
    if shape in ZOO:
        config_cls, model_cls, kw = ZOO[shape]
        cfg = config_cls(**{**kw, **({"num_hidden_layers": layers} if layers else {})}, attn_implementation="eager")
        t0, c0 = time.perf_counter(), time.process_time()
        model = model_cls(cfg) if shape == "llama-3.2-3b" else model_cls(cfg, add_pooling_layer=False)
        cfg.n_layer = cfg.num_hidden_layers
    else:
        cfg = GPT2Config(**SHAPES[shape])  # vocab 50257, n_positions 1024, gelu_new, as brainmap's untrained shapes
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
