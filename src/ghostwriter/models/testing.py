"""Tiny real models for tests: random-initialised T5 and Llama with a real tokenizer.

The tokenizer is a SentencePiece model trained (in ~0.1 s) on the bundled openzfs slice,
converted to a transformers fast tokenizer (unigram for T5, BPE with byte fallback for
Llama), so tokenization, padding, generation, training, saving and loading all run for
real, just small. Each model is a folder that :func:`ghostwriter.models.load_lm` accepts.

>>> folders = build_tiny_models(tmp_path)              # doctest: +SKIP
>>> lm = load_lm(str(folders["llama"]), Config())      # doctest: +SKIP
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

VOCAB_SIZE = 512
SLICE = Path(__file__).resolve().parents[1] / "resources" / "openzfs-slice.jsonl.gz"


def fixture_lines(limit: int = 2000) -> list[str]:
    """Lines of real commit-message text from the bundled slice, the tokenizer's training text."""
    lines: list[str] = []
    with gzip.open(SLICE, "rt", encoding="utf-8") as handle:
        for raw in handle:
            record = json.loads(raw)
            lines.extend(line for line in f"{record.get('title', '')}\n{record.get('text', '')}".splitlines() if line)
            if len(lines) >= limit:
                break
    return lines[:limit]


def _train_sentencepiece(model_type: str, seed: int = 0):
    import sentencepiece as spm

    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(fixture_lines()), model_writer=proto, vocab_size=VOCAB_SIZE,
        model_type=model_type, pad_id=0, eos_id=1, unk_id=2, bos_id=3, byte_fallback=model_type == "bpe",
        character_coverage=1.0, normalization_rule_name="identity", minloglevel=2,
        num_threads=1)
    return spm.SentencePieceProcessor(model_proto=proto.getvalue())


def tiny_t5_tokenizer():
    """A T5 (unigram) tokenizer from a freshly trained SentencePiece model; no sentinel ids."""
    from transformers import T5Tokenizer

    sp = _train_sentencepiece("unigram")
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    return T5Tokenizer(vocab=vocab, extra_ids=0, unk_id=sp.unk_id())


def tiny_llama_tokenizer():
    """A Llama (BPE, byte fallback) tokenizer from a freshly trained SentencePiece model."""
    from transformers import LlamaTokenizer
    from transformers.convert_slow_tokenizer import generate_merges

    sp = _train_sentencepiece("bpe")
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    return LlamaTokenizer(vocab=vocab, merges=generate_merges(vocab), bos_token="<s>", eos_token="</s>",
                          unk_token="<unk>", pad_token="<pad>")


def build_tiny_t5(out: Path, seed: int = 0) -> Path:
    """A 2-layer, 64-wide random T5 saved (safetensors + tokenizer) to ``out``."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = tiny_t5_tokenizer()
    config = T5Config(vocab_size=len(tokenizer), d_model=64, d_kv=16, d_ff=128, num_layers=2,
                      num_decoder_layers=2, num_heads=4, relative_attention_num_buckets=8,
                      pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                      decoder_start_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
                      initializer_factor=20.0)  # peaked logits: varied greedy output, no near-ties
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config)
    return _save(model, tokenizer, out)


def build_tiny_llama(out: Path, seed: int = 0) -> Path:
    """A 2-layer, 64-wide random Llama saved (safetensors + tokenizer) to ``out``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tiny_llama_tokenizer()
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
                         initializer_range=0.1)  # peaked logits: varied greedy output, no near-ties
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    return _save(model, tokenizer, out)


def _save(model, tokenizer, out: Path) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_models(root: Path, seed: int = 0) -> dict[str, Path]:
    """Both tiny models under ``root`` (``root/t5``, ``root/llama``), built in about two seconds."""
    root = Path(root)
    return {"t5": build_tiny_t5(root / "t5", seed), "llama": build_tiny_llama(root / "llama", seed)}
