"""A few optimizer steps of the trainer's step, as ``ghostwriter.scale.distributed`` runs it; JSON losses out.

Run plainly for one process, or under ``accelerate launch --cpu --num_processes 2`` (gloo).
The step is the trainer's (:mod:`ghostwriter.train.loop`): BatchOrder picks the global
micro-batch, collate pads it, Adafactor with the warm-up/inverse-sqrt schedule, gradient
clipping; only the sharding, loss scaling and reductions come from the distributed module.
Dropout is switched off so one- and two-process runs compute the same function.

    python tests/scale_ddp_support.py MODEL_DIR OUT.json --steps 4 --batch-size 4
"""
from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path


def build_test_t5(out: Path) -> Path:
    """A tiny T5 with the standard initialisation and the tiny real tokenizer.

    Not :func:`ghostwriter.models.testing.build_tiny_t5`: its deliberately peaked logits make
    the loss surface so steep that float rounding alone (summing a batch in two halves instead
    of one) changes the second step's loss by 1%, whatever the number of processes.
    """
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from ghostwriter.models.testing import tiny_t5_tokenizer

    tokenizer = tiny_t5_tokenizer()
    config = T5Config(vocab_size=len(tokenizer), d_model=64, d_kv=16, d_ff=128, num_layers=2, num_decoder_layers=2,
                      num_heads=4, relative_attention_num_buckets=8, pad_token_id=tokenizer.pad_token_id,
                      eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.pad_token_id,
                      tie_word_embeddings=True)
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return Path(out)


def training_pairs(count: int) -> list[tuple[str, str]]:
    from ghostwriter.models.testing import SLICE

    pairs = []
    with gzip.open(SLICE, "rt", encoding="utf-8") as handle:
        for raw in handle:
            record = json.loads(raw)
            text = f"{record.get('title', '')}\n{record.get('text', '')}"
            if len(text) > 200:
                pairs.append((text[:150], text[150:260]))
            if len(pairs) == count:
                break
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()

    import torch
    from transformers.optimization import Adafactor

    from ghostwriter.config import Config
    from ghostwriter.models import load_folder
    from ghostwriter.scale.distributed import get_distributed
    from ghostwriter.train.pairs import BatchOrder, collate, encode_pairs
    from ghostwriter.train.schedule import warmup_inverse_sqrt

    torch.set_num_threads(1)
    dist = get_distributed(cpu=True)
    lm = load_folder(Path(args.model_dir), device="cpu", dtype="float32")
    model = lm.model
    model.eval()  # no dropout (T5 also drops out outside nn.Dropout modules); gradients flow all the same
    encoded = encode_pairs(training_pairs(64), lm.tokenizer, lm.is_seq2seq, Config().model.prompt_format, 64, 32)
    order = BatchOrder([e.length for e in encoded], args.batch_size, seed=0)
    optimizer = Adafactor([p for p in model.parameters() if p.requires_grad], lr=1e-3, relative_step=False,
                          scale_parameter=False, warmup_init=False)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: warmup_inverse_sqrt(s, 2))
    model, optimizer = dist.prepare(model, optimizer)
    losses, grad_norms = [], []
    for step in range(args.steps):
        indices = dist.shard(order.batch(step))
        batch = collate([encoded[i] for i in indices], lm.is_seq2seq, lm.tokenizer.pad_token_id)
        tokens = int((batch["labels"] != -100).sum())
        loss = dist.scale_loss(model(**batch).loss, tokens)
        dist.backward(loss)
        losses.append(dist.sum(loss.item()) / dist.world_size)  # the global micro-batch's token mean
        grad_norms.append(dist.clip_grad_norm_(model, 1.0))
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    if dist.is_main:
        Path(args.out).write_text(json.dumps({"world_size": dist.world_size, "losses": losses, "grad_norms": grad_norms}), encoding="utf-8")
    dist.wait()


if __name__ == "__main__":
    main()
