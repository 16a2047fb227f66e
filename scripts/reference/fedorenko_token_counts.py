#!/usr/bin/env python3
"""Per-word GPT-2 token counts of the 52 Fedorenko2016 sentences as the paper fed them to GPT-2.

Reference for test/io/fedorenko-text.test.ts (issue 11 point 2): the paper ran GPT-2 on
`fedorenko_data/sentences_ordered.txt` ("Alex was tired so he took a nap."), one sample per word,
the current text being the word itself for the first word of a sentence and ' ' + word after it
(METHODS §3.6: context and current text are tokenised separately). brainmap rebuilds that text
from the assembly's upper-case words; its per-word token counts (and ids) must equal these.

Tokeniser: transformers' GPT2TokenizerFast (Hugging Face's Rust BPE, independent of brainmap's
tokenizer) over GPT-2's vocabulary and merges (the gpt2-tiny-random fixture ships GPT-2's full
50257-token vocab.json and merges.txt).

    .venv/bin/python scripts/reference/fedorenko_token_counts.py \
        [../shared/data/fedorenko2016/sentences_ordered.txt] [../shared/fixtures/gpt2-tiny-random]

Writes test/fixtures/reference/fedorenko_token_counts.json.
"""
import json
import os
import sys

from transformers import GPT2TokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
SENTENCES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '..', 'shared', 'data', 'fedorenko2016', 'sentences_ordered.txt')
TOKENIZER = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, '..', 'shared', 'fixtures', 'gpt2-tiny-random')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'reference', 'fedorenko_token_counts.json')

tok = GPT2TokenizerFast.from_pretrained(TOKENIZER)
assert len(tok) == 50257, f'expected GPT-2\'s 50257-token vocabulary, got {len(tok)}'
with open(SENTENCES, encoding='utf-8') as f:
    sentences = [line.rstrip('\n') for line in f if line.strip() != '']
assert len(sentences) == 52, len(sentences)

ids = []
for s in sentences:
    words = s.split()
    assert len(words) == 8, s
    ids.append([tok.encode(w if k == 0 else ' ' + w, add_special_tokens=False) for k, w in enumerate(words)])
counts = [[len(w) for w in sent] for sent in ids]

whole = [len(tok.encode(s, add_special_tokens=False)) for s in sentences]
out = {
    'source': 'sentences_ordered.txt (fedorenko_data/, the paper\'s repository) tokenised by transformers GPT2TokenizerFast with GPT-2\'s vocabulary',
    'script': 'scripts/reference/fedorenko_token_counts.py',
    'rule': "word k of a sentence is tokenised alone as w (k = 0) or ' ' + w (k > 0)",
    'transformers': __import__('transformers').__version__,
    'per_word': counts,
    'per_sentence': whole,
    'ids': ids,
}
with open(OUT, 'w', encoding='utf-8') as f:
    json.dump(out, f, indent=None, separators=(',', ':'))
    f.write('\n')
print(f'wrote {OUT}: {sum(map(sum, counts))} tokens; sentence 0: {counts[0]} (whole sentence {whole[0]})')
