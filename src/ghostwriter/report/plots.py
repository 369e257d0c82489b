"""The report's figures (matplotlib, Agg): metric bars, loss curves, the centroid plots.

Each function draws one figure, saves it as PNG and returns the path; no figure stays open.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from ghostwriter.errors import require
from ghostwriter.evaluate.compare import LABELS


def _pyplot():
    matplotlib = require("matplotlib", "eval")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def metric_bars(results: dict, path: Path, metrics=("rouge1", "rouge2", "rougeL", "bleu")) -> Path:
    """Mean per-example score of every row with its 95% CI, one panel per metric."""
    plt = _pyplot()
    rows = results["rows"]
    metrics = [m for m in metrics if rows and m in rows[0]["metrics"]]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 0.35 * len(rows) + 1.6), sharey=True,
                             squeeze=False)
    names = [r["name"] for r in rows]
    for ax, metric in zip(axes[0], metrics):
        means = np.array([r["metrics"][metric]["mean"] for r in rows])
        lows = np.array([r["metrics"][metric]["ci_mean"][0] for r in rows])
        highs = np.array([r["metrics"][metric]["ci_mean"][1] for r in rows])
        y = np.arange(len(rows))
        ax.barh(y, means, xerr=[means - lows, highs - means], color="#4C72B0", ecolor="#333", capsize=2)
        ax.set_yticks(y, names, fontsize=8)
        ax.set_title(f"{LABELS.get(metric, metric)} (avg, 95% CI)", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].invert_yaxis()  # once: the axes share y, so inverting each would cancel out
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def read_loss_curves(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Loss series from a training run's JSONL logs: ``{"train": [(step, loss)...], "val": [...]}``.

    Reads every ``*.jsonl`` in ``run_dir`` (not recursively). A row counts when it has a
    ``step`` and either ``loss`` with a ``split``/``kind`` field naming the series, or keys ending
    in ``loss`` (``train_loss``, ``val_loss``) that name it.
    """
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for path in sorted(Path(run_dir).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(row, dict) or not isinstance(row.get("step"), (int, float)):
                continue
            if isinstance(row.get("loss"), (int, float)):
                name = str(row.get("split") or row.get("kind") or row.get("phase") or "train")
                series[name].append((int(row["step"]), float(row["loss"])))
            for key, value in row.items():
                if key != "loss" and key.endswith("loss") and isinstance(value, (int, float)):
                    series[key.removesuffix("_loss").removesuffix("loss") or key].append((int(row["step"]), float(value)))
    return {k: sorted(v) for k, v in series.items()}


def loss_curves(curves: dict[str, dict[str, list]], path: Path) -> Path:
    """Training and validation loss per step, one line per (generator, series)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for generator, series in curves.items():
        for name, points in series.items():
            steps, losses = zip(*points)
            ax.plot(steps, losses, marker="o" if len(points) < 30 else None, markersize=3,
                    linestyle="--" if name.startswith("val") else "-", label=f"{generator}: {name}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def centroid_projection(explained, method: str, path: Path, seed: int = 0, shown: int = 40) -> Path:
    """A context's centroid with its context words, chosen and rejected candidates, in 2-D.

    ``explained`` is a :class:`ghostwriter.synthesize.centroid.CentroidWords`; ``method`` is
    ``pca`` or ``tsne``. Shown candidates: the ``shown`` nearest to the centroid.
    """
    plt = _pyplot()
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    chosen = {w for w, _ in explained.chosen}
    rejected = {w for w, _ in explained.rejected}
    candidates = list(explained.candidates[:shown])
    index = {w: i for i, w in enumerate(explained.candidates)}
    cand_vectors = explained.candidate_vectors[[index[w] for w in candidates]]
    points = np.vstack([explained.centroid[None, :], explained.context_vectors, cand_vectors]).astype(np.float64)
    if method == "pca":
        xy = PCA(n_components=2, random_state=seed).fit_transform(points)
    else:
        perplexity = max(2.0, min(30.0, (len(points) - 1) / 3))
        xy = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(points)
    n_ctx = len(explained.context_words)
    fig, ax = plt.subplots(figsize=(7, 5.2))
    groups = [("context word", list(range(1, 1 + n_ctx)), list(explained.context_words), "#888888", "s"),
              ("chosen", [], [], "#2ca02c", "o"), ("rejected (near-duplicate)", [], [], "#d62728", "x"),
              ("candidate not chosen", [], [], "#1f77b4", "."),]
    for offset, word in enumerate(candidates):
        slot = 1 if word in chosen else 2 if word in rejected else 3
        groups[slot][1].append(1 + n_ctx + offset)
        groups[slot][2].append(word)
    for label, rows, words, color, marker in groups:
        if not rows:
            continue
        ax.scatter(xy[rows, 0], xy[rows, 1], c=color, marker=marker, s=28, label=label)
        for row, word in zip(rows, words):
            ax.annotate(word, xy[row], fontsize=7, color=color, xytext=(3, 2), textcoords="offset points")
    ax.scatter(xy[0, 0], xy[0, 1], c="black", marker="*", s=220, label="centroid")
    ax.set_title(f"{'PCA' if method == 'pca' else 't-SNE'} of the context centroid and candidate words", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
