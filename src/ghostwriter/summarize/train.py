"""Training summarizers: on CNN/DailyMail pairs (``sum_ind``) or on sum_ctx weak labels.

Built on the generic trainer (:func:`ghostwriter.train.train_on_pairs`: AdamW or Adafactor,
checkpoints, resume). Inputs are laid out exactly as :class:`~ghostwriter.summarize.independent.LMSummarizer`
shows them at inference (``summarize: `` for seq2seq models, the instruction for causal ones),
so a trained folder works as ``summarize.model`` directly.

>>> result = train_summarizer("cnn_dm.csv", Path("runs/t5-sum"), config, model="t5-small")  # doctest: +SKIP
>>> load_lm(str(result.final_model), config)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ghostwriter.errors import GhostwriterError
from ghostwriter.records import SummaryPair
from ghostwriter.summarize.independent import INSTRUCTIONS, summarizer_source


def summary_pairs_to_training(pairs: Sequence[SummaryPair], is_seq2seq: bool, method: str,
                              val_fraction: float = 0.05, seed: int = 0):
    """(train, val) lists of (input, target) text pairs, split by a seeded shuffle."""
    import numpy as np

    rows = [(summarizer_source(p.article, is_seq2seq, method), p.summary) for p in pairs]
    order = np.random.default_rng(seed).permutation(len(rows))
    n_val = max(1, int(len(rows) * val_fraction)) if len(rows) >= 2 else 0
    val = [rows[i] for i in order[:n_val]]
    train = [rows[i] for i in order[n_val:]]
    return train, val


def train_summarizer(data, out_dir: Path, config, model: str | None = None, method: str = "sum_ind",
                     limit: int | None = None, resume: bool = False, progress: bool = True):
    """Fine-tune a summarizer; returns the trainer's ``TrainResult`` (``final_model`` is a load_lm folder).

    ``data`` is a CNN/DailyMail file (CSV with id/article/highlights, or JSONL; read with
    :func:`ghostwriter.data.cnn_dm.read_cnn_dailymail`), a dataset folder (then ``sum_ctx``
    weak labels of half its training users, :func:`~ghostwriter.summarize.weak_labels.sum_ctx_training_pairs`),
    or a list of :class:`SummaryPair` (give ``method="sum_ctx"`` for weak-label pairs).
    ``model`` (the starting point) defaults to ``config.summarize.model``; ``config.train`` sets the optimizer
    (adafactor or adamw), steps, batch size and checkpoints.
    """
    from ghostwriter.models import is_seq2seq_folder, resolve_model
    from ghostwriter.train import train_on_pairs

    if method not in INSTRUCTIONS:
        raise GhostwriterError(f"unknown summarizer method {method!r}; choose from {', '.join(INSTRUCTIONS)}")
    if isinstance(data, (str, Path)) and not Path(data).exists():
        raise GhostwriterError(f"{data}: no such file or dataset folder")
    if isinstance(data, (str, Path)) and (Path(data) / "manifest.json").exists():
        # a dataset folder: sum_ctx weak labels from half of its training users
        from ghostwriter.data.build import load_dataset
        from ghostwriter.summarize.weak_labels import sum_ctx_training_pairs

        pairs = sum_ctx_training_pairs(load_dataset(Path(data)), config, limit=limit)
        method = "sum_ctx"
    elif isinstance(data, (str, Path)):
        from ghostwriter.data.cnn_dm import read_cnn_dailymail

        pairs = []
        for pair in read_cnn_dailymail(Path(data)):
            pairs.append(pair)
            if limit and len(pairs) >= limit:
                break
    else:
        pairs = list(data)[:limit] if limit else list(data)
    if not pairs:
        where = data if isinstance(data, (str, Path)) else "the given pairs"
        raise GhostwriterError(f"{where}: no summary pairs to train on")
    model = model or config.summarize.model
    seq2seq = is_seq2seq_folder(resolve_model(model, config))
    train, val = summary_pairs_to_training(pairs, seq2seq, method, seed=config.run.seed)
    # a summary is short: cap the target at the summarizer's own generation length
    train_config = replace(config.train, max_target_tokens=max(config.summarize.max_new_tokens, 8))
    return train_on_pairs(model, train, val, train_config, Path(out_dir), config=config, resume=resume,
                          progress=progress)
