"""Fine-tuning a text-to-text model on (input text, target text) pairs: full or LoRA.

The one entry point other stages reuse (the summarizer trains through it too)::

    from ghostwriter.train import train_on_pairs
    result = train_on_pairs("offline:smollm2-135m-instruct", train_pairs, val_pairs,
                            config.train, Path("runs/my-run"), config=config, resume=False)
    result.final_model   # a plain model folder: load_lm(str(result.final_model), config)

- ``train_pairs`` / ``val_pairs``: lists of ``(input_text, target_text)``. Inputs are laid out
  exactly as the generators will show them (the chat template for instruct models, see
  :mod:`ghostwriter.models.formats`); the loss covers only the target and its end token.
- ``config.train`` (:class:`ghostwriter.config.TrainConfig`): ``method`` full or lora (peft,
  all linear layers), ``optimizer`` adafactor (the paper: lr 1e-3, linear warm-up then inverse
  square-root decay, :func:`~ghostwriter.train.schedule.warmup_inverse_sqrt`) or adamw,
  ``grad_accum``, bf16 autocast where the GPU supports it, validation every ``eval_every``
  steps with optional early stopping, checkpoints every ``save_every`` steps and at the end.
- ``config.run``: ``device`` (auto uses CUDA when present) and ``seed`` (the data order).

A run folder holds::

    log.jsonl                 one line per step (train_loss, lr, seconds, tokens/s, batch hash)
                              and per validation (val_loss); a resumed run rewrites it from its checkpoint
    checkpoints/step-N/       model weights (safetensors) or LoRA adapter, tokenizer,
                              ghostwriter_config.json, optimizer.pt (optimizer, schedule, RNG;
                              read with torch.load(weights_only=True)), trainer_state.json (step, data position)
    best/  final/             plain model folders (LoRA merged) for load_lm / --model
    result.json               steps, best validation loss and step, training seconds, config

``resume=True`` continues from the last checkpoint with the same data order (batches are
a pure function of the seed and the step, :class:`~ghostwriter.train.pairs.BatchOrder`).
"""
from __future__ import annotations

from ghostwriter.train.loop import TrainError, TrainResult, latest_checkpoint, train_on_pairs
from ghostwriter.train.pairs import AUTHOR_PRED_INSTRUCTION, author_pred_pairs, mix_one_to_one

__all__ = ["train_on_pairs", "TrainResult", "TrainError", "latest_checkpoint", "author_pred_pairs",
           "mix_one_to_one", "AUTHOR_PRED_INSTRUCTION"]
