"""Reference for the SENSE feature (test/features/sense.test.ts), independent of brainmap.

The LMMS recipe on the tiny seeded RoBERTa of the lm zoo (test/fixtures/lm/zoo/roberta, tokenizer
test/fixtures/lm/tokenizers/roberta), computed with transformers + numpy:

  - each sample's words (as wink-nlp tokenises and tags them; the tokens, lemmas and POS are written
    here by hand, and the test checks that wink gives the same) are tokenised one by one
    (`' ' + word` when whitespace precedes it), ids concatenated between <s> and </s>;
  - hidden states 1 … L averaged with equal weights, then the mean over each word's subwords;
  - a synthetic LMMS inventory (written to test/fixtures/lexical/senses.txt) where the right sense
    is known: bank%1:17:01:: is the contextual vector of "bank" in sample 0, bank%1:14:00:: that of
    "bank" in sample 1, and a verb sense bank%2:40:00:: (listed first) equals sample 0's vector too,
    so a matcher that ignored the POS would pick it; every other sense is a seeded random vector;
    "mud" has no sense (a word without candidates);
  - each content word (NOUN/PROPN → n, VERB → v, ADJ → a incl. satellites, ADV → r) takes the
    candidate of its (lemma, POS) with the largest cosine; the sample's vector is the sum.

The same with context=block (samples 0–1 and 2–3 as two inputs, a space between samples): 'block'.

Writes test/fixtures/lexical/senses.txt and test/fixtures/lexical/sense-expected.json.
Run: .venv/bin/python scripts/make-sense-fixture.py
"""
import json
import os

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModel

ROOT = os.path.join(os.path.dirname(__file__), '..')
ZOO = os.path.join(ROOT, 'test/fixtures/lm/zoo/roberta')
TOK = os.path.join(ROOT, 'test/fixtures/lm/tokenizers/roberta/tokenizer.json')
OUT = os.path.join(ROOT, 'test/fixtures/lexical')

# (text, [(token, preceding space, lemma, UD POS)])
SAMPLES = [
    ("The river bank was covered with mud.", [
        ('The', '', 'the', 'DET'), ('river', ' ', 'river', 'NOUN'), ('bank', ' ', 'bank', 'NOUN'), ('was', ' ', 'be', 'AUX'),
        ('covered', ' ', 'cover', 'VERB'), ('with', ' ', 'with', 'ADP'), ('mud', ' ', 'mud', 'NOUN'), ('.', '', '.', 'PUNCT')]),
    ("The bank approved her loan quickly.", [
        ('The', '', 'the', 'DET'), ('bank', ' ', 'bank', 'NOUN'), ('approved', ' ', 'approve', 'VERB'), ('her', ' ', 'her', 'PRON'),
        ('loan', ' ', 'loan', 'NOUN'), ('quickly', ' ', 'quickly', 'ADV'), ('.', '', '.', 'PUNCT')]),
    ("Two banks lent money to the farmers.", [
        ('Two', '', 'two', 'NUM'), ('banks', ' ', 'bank', 'NOUN'), ('lent', ' ', 'lend', 'VERB'), ('money', ' ', 'money', 'NOUN'),
        ('to', ' ', 'to', 'ADP'), ('the', ' ', 'the', 'DET'), ('farmers', ' ', 'farmer', 'NOUN'), ('.', '', '.', 'PUNCT')]),
    ("The old dogs were sleeping happily.", [
        ('The', '', 'the', 'DET'), ('old', ' ', 'old', 'ADJ'), ('dogs', ' ', 'dog', 'NOUN'), ('were', ' ', 'be', 'AUX'),
        ('sleeping', ' ', 'sleep', 'VERB'), ('happily', ' ', 'happily', 'ADV'), ('.', '', '.', 'PUNCT')]),
]
UD_TO_WN = {'NOUN': 'n', 'PROPN': 'n', 'VERB': 'v', 'ADJ': 'a', 'ADV': 'r'}
SS_TYPE = {'n': 1, 'v': 2, 'a': 3, 'r': 4}


def word_vectors(model, tok, groups):
    """Per sample, per token: the contextual vector. `groups`: runs [a, b) of samples fed as one input."""
    L = model.config.num_hidden_layers
    out = []
    ids_all = []
    for a, b in groups:
        toks = []
        for i in range(a, b):
            for m, (w, sp, _, _) in enumerate(SAMPLES[i][1]):
                toks.append((w, ' ' if i > a and m == 0 else sp))
        ids = [0]
        spans = []
        for k, (w, sp) in enumerate(toks):
            piece = ' ' + w if k > 0 and sp else w
            s = len(ids)
            ids += tok.encode(piece, add_special_tokens=False).ids
            spans.append((s, len(ids)))
        ids.append(2)
        with torch.no_grad():
            hs = model(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), output_hidden_states=True).hidden_states
        layers = torch.stack([h[0] for h in hs[1:L + 1]]).double().mean(0).numpy()  # T × d
        vecs = [layers[s:e].mean(0) for s, e in spans]
        k = 0
        for i in range(a, b):
            n = len(SAMPLES[i][1])
            out.append(vecs[k:k + n])
            k += n
        ids_all.append(ids)
    return out, ids_all


def choose(senses, vecs):
    """The LMMS choice per content word and the summed features."""
    d = senses[0][1].shape[0]

    def pos_of(key):
        return {1: 'n', 2: 'v', 3: 'a', 4: 'r', 5: 'a'}[int(key.split('%')[1][0])]

    features = np.zeros((len(SAMPLES), d))
    choices = []
    words = 0
    missing = 0
    for i, (_, toks) in enumerate(SAMPLES):
        ch = []
        for k, (w, _, lemma, ud) in enumerate(toks):
            if ud not in UD_TO_WN:
                continue
            pos = UD_TO_WN[ud]
            words += 1
            cands = [(key, v) for key, v in senses if key.split('%')[0] == lemma and pos_of(key) == pos]
            if not cands:
                missing += 1
                ch.append({'token': k, 'sense': None})
                continue
            q = vecs[i][k]
            cos = [float(np.dot(q, v) / (np.linalg.norm(q) * np.linalg.norm(v))) for _, v in cands]
            b = int(np.argmax(cos))
            features[i] += cands[b][1].astype(np.float64)
            ch.append({'token': k, 'sense': cands[b][0], 'cosine': cos[b]})
        choices.append(ch)
    return features, choices, words, missing


def main():
    torch.manual_seed(0)
    model = AutoModel.from_pretrained(ZOO, dtype=torch.float32).eval()
    tok = Tokenizer.from_file(TOK)
    vecs, ids = word_vectors(model, tok, [(i, i + 1) for i in range(len(SAMPLES))])
    d = vecs[0][0].shape[0]
    rng = np.random.RandomState(20261130)
    senses = [('bank%2:40:00::', vecs[0][2]), ('bank%1:17:01::', vecs[0][2]), ('bank%1:14:00::', vecs[1][1])]
    # Random distractor senses: (lemma, ss_type, count); 'old' gets a satellite (5) and a head adjective (3).
    for lemma, ss, n in [('river', 1, 2), ('cover', 2, 2), ('approve', 2, 1), ('loan', 1, 2), ('quickly', 4, 1), ('lend', 2, 2),
                         ('money', 1, 3), ('farmer', 1, 1), ('old', 3, 1), ('old', 5, 1), ('dog', 1, 2), ('sleep', 2, 2),
                         ('happily', 4, 1), ('zebra', 1, 1), ('bank', 4, 1)]:
        for j in range(n):
            head = 'young:00' if ss == 5 else ':'
            key = f'{lemma}%{ss}:{10 + j:02d}:{j:02d}:{head}' if ss == 5 else f'{lemma}%{ss}:{10 + j:02d}:{j:02d}::'
            senses.append((key, rng.standard_normal(d)))
    senses = [(k, np.asarray(v, dtype=np.float32)) for k, v in senses]
    with open(os.path.join(OUT, 'senses.txt'), 'w') as f:
        for k, v in senses:
            f.write(k + ' ' + ' '.join(repr(float(x)) for x in v) + '\n')

    features, choices, words, missing = choose(senses, vecs)
    # context=block with blocks p0 = samples 0-1, p1 = samples 2-3: each block is one input.
    bvecs, bids = word_vectors(model, tok, [(0, 2), (2, 4)])
    bfeatures, bchoices, _, _ = choose(senses, bvecs)
    expected = {
        'samples': [{'text': t, 'tokens': [{'text': w, 'space': sp, 'lemma': l, 'pos': p} for w, sp, l, p in toks]} for t, toks in SAMPLES],
        'input_ids': ids,
        'dim': d,
        'choices': choices,
        'words': words,
        'missing': missing,
        'features': features.tolist(),
        'block': {'blocks': ['p0', 'p0', 'p1', 'p1'], 'input_ids': bids, 'choices': bchoices, 'features': bfeatures.tolist()},
    }
    with open(os.path.join(OUT, 'sense-expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    print(json.dumps(choices))


if __name__ == '__main__':
    main()
