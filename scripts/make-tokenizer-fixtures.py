"""Tiny tokenizers of every family brainmap must read, and the token ids transformers gives for every
Pereira, Fedorenko and Blank text (test/lm/tokenizers-hf.test.ts checks @huggingface/tokenizers against them).

No downloads: each tokenizer is trained here with the `tokenizers` library on the texts themselves
(small vocabularies, so that merges/pieces really split words) and assembled like the published
checkpoints' tokenizer.json (same normalizer / pre-tokenizer / post-processor / decoder layout):

  gpt2     byte-level BPE, no special tokens added              (GPT2TokenizerFast)
  roberta  byte-level BPE, <s> $A </s>                           (RobertaTokenizerFast)
  llama3   Split(regex) + ByteLevel BPE, <|begin_of_text|> $A    (PreTrainedTokenizerFast, as Llama-3 ships)
  qwen2    NFC + Split(regex) + ByteLevel BPE, nothing added     (Qwen2TokenizerFast)
  llama2   SentencePiece BPE (Prepend/Replace ▁ normalizer, byte fallback), <s> $A  (LlamaTokenizerFast)
  mistral  SentencePiece BPE with Metaspace(prepend first), byte fallback, <s> $A   (LlamaTokenizerFast)
  t5       Unigram + Metaspace, $A </s>                          (T5TokenizerFast)
  xlmr     Unigram + Metaspace, <s> $A </s>                      (XLMRobertaTokenizerFast)
  bert     WordPiece, lower case, [CLS] $A [SEP]                 (BertTokenizerFast)

transformers 5 rebuilds some classes' pipelines instead of reading tokenizer.json as written; the
fixtures use the layout the class rebuilds, so both agree, and the script fails if any family's
loaded pipeline (normalizer, pre-tokenizer, model type) differs from its file.

Reference ids: AutoTokenizer.from_pretrained(folder)(text)['input_ids'] (with special tokens, as
brainmap's context rules need) and with add_special_tokens=False, plus tokenizer('') for the
context-window rule. Run: .venv/bin/python scripts/make-tokenizer-fixtures.py
"""
import base64
import json
import os
import struct

import numpy as np
import transformers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer

ROOT = os.path.join(os.path.dirname(__file__), '..')
DATA = os.environ.get('BRAINMAP_DATA', os.path.join(ROOT, '..', 'shared', 'data'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'lm', 'tokenizers')

LLAMA3_RE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_RE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def read_lines(path):
    with open(path, encoding='utf-8') as f:
        return [l.rstrip('\n') for l in f if l.strip() != '']


def all_texts():
    """Every text: Pereira's sentence files, Fedorenko's sentences, Blank's TR strings (trailing spaces kept) and whole stories."""
    texts = []
    p = os.path.join(DATA, 'pereira2018')
    for name in sorted(os.listdir(p)):
        if name.startswith(('stimuli_', 'sentences_')) and name.endswith('.txt'):
            texts += read_lines(os.path.join(p, name))
    texts += read_lines(os.path.join(DATA, 'fedorenko2016', 'sentences_ordered.txt'))
    d = np.load(os.path.join(DATA, 'blank2014', 'story_data_dict.npz'), allow_pickle=False)
    for story in d.files:
        trs = [str(s) for s in d[story]]
        texts += trs
        texts.append(''.join(trs))
    seen, out = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def byte_level_bpe(texts, vocab, pre, specials, normalizer=None):
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    tr = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, tr)
    return tok


def sp_bpe(texts, vocab, specials, metaspace):
    """SentencePiece-style BPE with byte fallback: <0x00>…<0xFF> in the vocabulary."""
    byte_tokens = [f'<0x{b:02X}>' for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token='<unk>', byte_fallback=True, fuse_unk=True))
    if metaspace:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement='▁', prepend_scheme='first', split=False)
        tok.decoder = decoders.Metaspace(replacement='▁', prepend_scheme='first', split=False)
    else:
        tok.normalizer = normalizers.Sequence([normalizers.Prepend('▁'), normalizers.Replace(' ', '▁')])
        tok.decoder = decoders.Sequence([decoders.Replace('▁', ' '), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(' ', 1, 0)])
    tr = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials + byte_tokens, limit_alphabet=60, show_progress=False)
    tok.train_from_iterator(texts, tr)
    spec = json.loads(tok.to_str())
    # Byte tokens are ordinary vocabulary entries in SentencePiece conversions, not added tokens.
    spec['added_tokens'] = [a for a in spec['added_tokens'] if a['content'] in specials]
    return Tokenizer.from_str(json.dumps(spec))


def unigram(texts, vocab, specials, unk):
    tok = Tokenizer(models.Unigram())
    # The layout transformers 5's T5Tokenizer / XLMRobertaTokenizer rebuild from the class (they ignore
    # the file's normalizer and pre-tokenizer): no normalizer, WhitespaceSplit then Metaspace. The
    # published files add a Precompiled (NFKC-like) normalizer, which transformers 5 drops.
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                 pre_tokenizers.Metaspace(replacement='▁', prepend_scheme='always', split=True)])
    tok.decoder = decoders.Metaspace(replacement='▁', prepend_scheme='always', split=True)
    tr = trainers.UnigramTrainer(vocab_size=vocab, special_tokens=specials, unk_token=unk, show_progress=False)
    tok.train_from_iterator(texts, tr)
    return tok


def wordpiece(texts, vocab):
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    tok = Tokenizer(models.WordPiece(unk_token='[UNK]'))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix='##')
    tr = trainers.WordPieceTrainer(vocab_size=vocab, special_tokens=specials, show_progress=False)
    tok.train_from_iterator(texts, tr)
    tok.post_processor = processors.TemplateProcessing(single='[CLS] $A [SEP]', pair='[CLS] $A [SEP] $B:1 [SEP]:1',
                                                       special_tokens=[('[CLS]', tok.token_to_id('[CLS]')), ('[SEP]', tok.token_to_id('[SEP]'))])
    return tok, {'tokenizer_class': 'BertTokenizerFast', 'do_lower_case': True, 'unk_token': '[UNK]', 'sep_token': '[SEP]',
                 'pad_token': '[PAD]', 'cls_token': '[CLS]', 'mask_token': '[MASK]', 'model_max_length': 512}


def build(texts):
    out = {}
    bl = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok = byte_level_bpe(texts, 400, bl, ['<|endoftext|>'])
    out['gpt2'] = (tok, {'tokenizer_class': 'GPT2TokenizerFast', 'bos_token': '<|endoftext|>', 'eos_token': '<|endoftext|>',
                         'unk_token': '<|endoftext|>', 'add_prefix_space': False, 'model_max_length': 1024})

    tok = byte_level_bpe(texts, 400, bl, ['<s>', '<pad>', '</s>', '<unk>', '<mask>'])
    tok.post_processor = processors.RobertaProcessing(('</s>', tok.token_to_id('</s>')), ('<s>', tok.token_to_id('<s>')), trim_offsets=True, add_prefix_space=False)
    out['roberta'] = (tok, {'tokenizer_class': 'RobertaTokenizerFast', 'bos_token': '<s>', 'eos_token': '</s>', 'sep_token': '</s>',
                            'cls_token': '<s>', 'unk_token': '<unk>', 'pad_token': '<pad>', 'mask_token': '<mask>',
                            'add_prefix_space': False, 'model_max_length': 512})

    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(LLAMA3_RE_PATTERN, behavior='isolated', invert=False),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok = byte_level_bpe(texts, 400, pre, ['<|begin_of_text|>', '<|end_of_text|>'])
    bos = tok.token_to_id('<|begin_of_text|>')
    tok.post_processor = processors.Sequence([processors.ByteLevel(trim_offsets=False),
                                              processors.TemplateProcessing(single='<|begin_of_text|> $A', pair='<|begin_of_text|> $A <|begin_of_text|>:1 $B:1',
                                                                            special_tokens=[('<|begin_of_text|>', bos)])])
    out['llama3'] = (tok, {'tokenizer_class': 'PreTrainedTokenizerFast', 'bos_token': '<|begin_of_text|>', 'eos_token': '<|end_of_text|>',
                           'model_max_length': 131072, 'clean_up_tokenization_spaces': True})

    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(QWEN2_RE_PATTERN, behavior='isolated', invert=False),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok = byte_level_bpe(texts, 400, pre, ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], normalizer=normalizers.NFC())
    out['qwen2'] = (tok, {'tokenizer_class': 'Qwen2TokenizerFast', 'bos_token': None, 'eos_token': '<|endoftext|>', 'pad_token': '<|endoftext|>',
                          'unk_token': None, 'errors': 'replace', 'model_max_length': 32768})

    for name, meta in (('llama2', False), ('mistral', True)):
        tok = sp_bpe(texts, 600, ['<unk>', '<s>', '</s>'], meta)
        bos = tok.token_to_id('<s>')
        tok.post_processor = processors.TemplateProcessing(single='<s> $A', pair='<s> $A <s>:1 $B:1', special_tokens=[('<s>', bos)])
        out[name] = (tok, {'tokenizer_class': 'LlamaTokenizerFast', 'bos_token': '<s>', 'eos_token': '</s>', 'unk_token': '<unk>',
                           'add_bos_token': True, 'add_eos_token': False, 'legacy': False, 'model_max_length': 4096})

    tok = unigram(texts, 300, ['<pad>', '</s>', '<unk>'], '<unk>')
    tok.post_processor = processors.TemplateProcessing(single='$A </s>', pair='$A </s> $B:1 </s>:1', special_tokens=[('</s>', tok.token_to_id('</s>'))])
    out['t5'] = (tok, {'tokenizer_class': 'T5TokenizerFast', 'eos_token': '</s>', 'unk_token': '<unk>', 'pad_token': '<pad>',
                       'extra_ids': 0, 'model_max_length': 512})

    tok = unigram(texts, 300, ['<s>', '<pad>', '</s>', '<unk>', '<mask>'], '<unk>')
    tok.post_processor = processors.TemplateProcessing(single='<s> $A </s>', pair='<s> $A </s> </s> $B </s>',
                                                       special_tokens=[('<s>', tok.token_to_id('<s>')), ('</s>', tok.token_to_id('</s>'))])
    out['xlmr'] = (tok, {'tokenizer_class': 'XLMRobertaTokenizerFast', 'bos_token': '<s>', 'eos_token': '</s>', 'sep_token': '</s>',
                         'cls_token': '<s>', 'unk_token': '<unk>', 'pad_token': '<pad>', 'mask_token': '<mask>', 'model_max_length': 512})

    out['bert'] = wordpiece(texts, 300)
    return out


from tokenizers import Regex  # noqa: E402
LLAMA3_RE_PATTERN = Regex(LLAMA3_RE)
QWEN2_RE_PATTERN = Regex(QWEN2_RE)


# Llama-2's published tokenizer.json (Prepend/Replace normalizer) is rebuilt by transformers 5's
# LlamaTokenizer as Metaspace(prepend first); both give the same ids, which is what this checks.
REBUILT_OK = {'llama2'}


def fnv1a(s):
    """32-bit FNV-1a over the UTF-8 bytes of s."""
    h = 0x811C9DC5
    for b in s.encode('utf-8'):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def main():
    texts = all_texts()
    os.makedirs(OUT, exist_ok=True)
    ref = {'transformers': transformers.__version__, 'texts': texts, 'families': {}, 'notes': []}
    for name, (tok, cfg) in build(texts).items():
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, 'tokenizer.json'))
        with open(os.path.join(d, 'tokenizer_config.json'), 'w') as f:
            json.dump(cfg, f, indent=1)
        hf = AutoTokenizer.from_pretrained(d)
        loaded, written = json.loads(hf.backend_tokenizer.to_str()), json.loads(tok.to_str())
        for part in ('normalizer', 'pre_tokenizer'):
            if loaded[part] != written[part] and name in REBUILT_OK:
                print(f'{name}: transformers rebuilt the {part} (ids still compared with the file as written)')
                ref['notes'].append(f'{name}: transformers {transformers.__version__} rebuilt the {part}')
            elif loaded[part] != written[part]:
                raise SystemExit(f'{name}: transformers rebuilt the {part}: {json.dumps(loaded[part])} instead of {json.dumps(written[part])}')
        assert loaded['model']['type'] == written['model']['type']
        with_sp = [hf(t)['input_ids'] for t in texts]
        without = [hf(t, add_special_tokens=False)['input_ids'] for t in texts]
        ref['families'][name] = {
            'class': type(hf).__name__,
            'empty': hf('')['input_ids'],
            # Full ids of the first texts (for messages), then one FNV-1a 32-bit hash per text of the
            # ids joined by single spaces, little-endian uint32, base64 (keeps the fixture small).
            'ids_head': with_sp[:20],
            'fnv_ids': base64.b64encode(b''.join(struct.pack('<I', fnv1a(' '.join(map(str, x)))) for x in with_sp)).decode(),
            'fnv_ids_no_special': base64.b64encode(b''.join(struct.pack('<I', fnv1a(' '.join(map(str, x)))) for x in without)).decode(),
            'n_ids': sum(map(len, with_sp)),
        }
        print(name, type(hf).__name__, 'vocab', hf.vocab_size, 'empty', hf('')['input_ids'], 'mean len', sum(map(len, without)) / len(texts))
    with open(os.path.join(OUT, 'reference.json'), 'w') as f:
        json.dump(ref, f, separators=(',', ':'))


if __name__ == '__main__':
    main()
