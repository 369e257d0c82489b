"""``ghostwriter report OUT``: an experiment folder as a self-contained HTML page and Markdown.

The page holds the results table (95% CIs, significance marks against the ``compare_to``
rows, e.g. ImmedCtx and the Baseline), the metric bars, the generators' training and
validation loss curves, PCA and t-SNE plots of one context's centroid with chosen and rejected
candidate words, breakdowns by profile size and user, a few examples side by side, and
every score's signature. Figures are PNGs in ``OUT/report/`` and inlined (base64) in the HTML.

>>> write_report(Path("out/peers"))  # doctest: +SKIP
[PosixPath('out/peers/report/report.html'), PosixPath('out/peers/report/report.md')]
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ghostwriter.errors import GhostwriterError
from ghostwriter.evaluate.compare import LABELS, results_markdown, table_columns
from ghostwriter.evaluate.experiment import read_cached
from ghostwriter.io import atomic_write_text, read_jsonl
from ghostwriter.report.render import html_page, markdown_page


def _load(out: Path) -> tuple[dict, dict, dict]:
    path = out / "results.json"
    if not path.exists():
        raise GhostwriterError(f"{out}: no results.json; run `ghostwriter experiment CONFIG --dataset DIR --out {out}` first")
    results = json.loads(path.read_text(encoding="utf-8"))
    examples = {row["example_id"]: row for row in read_jsonl(out / "examples.jsonl")} \
        if (out / "examples.jsonl").exists() else {}
    generations = {}
    for variant in results["variants"]:
        folder = out / variant["folder"]
        done = folder / "done.json"
        if done.exists():
            key = json.loads(done.read_text(encoding="utf-8"))["key"]
            generations[variant["name"]] = read_cached(folder / "generations.jsonl", key)
    return results, examples, generations


def _loss_curves(out: Path, results: dict) -> dict:
    """One set of curves per training run, labelled with the run and the rows that use it."""
    from ghostwriter.report.plots import read_loss_curves

    rows_of_run: dict[str, list[str]] = {}
    for variant in results["variants"]:
        if variant.get("run_dir") and Path(variant["run_dir"]).is_dir():
            rows_of_run.setdefault(variant["run_dir"], []).append(variant["name"])
    curves = {}
    for run_dir, rows in rows_of_run.items():
        series = read_loss_curves(Path(run_dir))
        if series:
            label = rows[0] if len(rows) == 1 else f"{Path(run_dir).name} ({len(rows)} rows)"
            curves[label] = series
    return curves


def _centroid_example(results: dict, examples: dict, generations: dict):
    """One sampled example's centroid computation (GloVe), preferring a row that used centroid words."""
    from ghostwriter.synthesize.centroid import centroid_words
    from ghostwriter.synthesize.vectors import load_glove

    rows = sorted(generations.items(), key=lambda kv: not any("centroid" in w.source for g in kv[1].values()
                                                               for w in g.prepared.words))
    for _, by_id in rows:
        for example_id in results["example_ids"]:
            generation = by_id.get(example_id)
            if generation is None or generation.prepared.ranking is None or not generation.prepared.ranking.entries:
                continue
            texts = [e.text for e in generation.prepared.ranking.entries]
            explained = centroid_words(generation.prepared.context, texts, load_glove())
            if explained.centroid is not None and len(explained.chosen) >= 3:
                return example_id, generation.prepared.context, explained
    return None


def _side_by_side(results: dict, examples: dict, generations: dict, count: int, seed: int) -> list[dict]:
    ids = [i for i in results["example_ids"] if i in examples]
    if not ids or count <= 0:
        return []
    chosen = sorted(np.random.default_rng(seed).choice(len(ids), size=min(count, len(ids)), replace=False))
    shown = []
    for index in chosen:
        example_id = ids[index]
        rows = []
        for name, by_id in generations.items():
            generation = by_id.get(example_id)
            if generation is not None:
                rows.append({"name": name, "text": generation.text,
                             "words": [w.word for w in generation.prepared.words],
                             "ranked": [e.doc_id for e in generation.prepared.ranking.entries]
                             if generation.prepared.ranking else [],
                             "summary": generation.prepared.summary})
        shown.append({**examples[example_id], "rows": rows})
    return shown


def breakdown_table(results: dict, metric: str, key: str) -> tuple[list[str], list[list[str]]]:
    """Rows x groups of mean ``metric`` (n in the header) for ``by_profile_size`` or ``by_user``."""
    rows = results["rows"]
    groups = sorted({g for r in rows for g in r["metrics"][metric][key]},
                    key=lambda g: (int(g.split("-")[0].rstrip("+")) if g[0].isdigit() else 0, g))
    first = rows[0]["metrics"][metric][key]
    header = ["system"] + [f"{g} (n={first[g]['n']})" if g in first else g for g in groups]
    body = [[r["name"]] + [f"{r['metrics'][metric][key][g]['mean']:.2f}" if g in r["metrics"][metric][key] else ""
                           for g in groups] for r in rows]
    return header, body


def write_report(out: Path, examples_shown: int = 3) -> list[Path]:
    """Render OUT's report into ``OUT/report/`` (``report.html``, ``report.md`` and the PNGs)."""
    from ghostwriter.report import plots

    out = Path(out)
    results, examples, generations = _load(out)
    folder = out / "report"
    folder.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, Path, str]] = []
    notes: list[str] = []
    if results["rows"]:
        figures.append(("Scores with 95% CIs", plots.metric_bars(results, folder / "metrics.png"),
                        "Mean per-example score of each row; bars are 95% bootstrap intervals."))
    curves = _loss_curves(out, results)
    if curves:
        figures.append(("Training and validation loss", plots.loss_curves(curves, folder / "loss.png"),
                        "Loss per optimizer step, read from each generator's run folder (JSONL)."))
    else:
        notes.append("No training loss curves: no row names a fine-tuned generator's run_dir with loss logs "
                     "(the generators were used zero-shot).")
    try:
        centroid = _centroid_example(results, examples, generations)
    except (GhostwriterError, ImportError, OSError) as exc:
        centroid, notes = None, notes + [f"No centroid plot: {exc}"]
    if centroid is not None:
        example_id, context, explained = centroid
        caption = (f"Example {example_id}: context \u201c{context[:90]}\u2026\u201d. GloVe 6B 50d; the star is the "
                   f"mean of the context words' vectors; chosen: {', '.join(w for w, _ in explained.chosen[:12])}.")
        for method in ("pca", "tsne"):
            path = plots.centroid_projection(explained, method, folder / f"centroid_{method}.png",
                                             seed=results.get("seed", 0))
            figures.append((f"Centroid words, {method.upper().replace('TSNE', 't-SNE')}", path, caption))
    elif not any(n.startswith("No centroid") for n in notes):
        notes.append("No centroid plot: no row ranked any profile entries.")
    metric = "rouge1" if results["rows"] and "rouge1" in results["rows"][0]["metrics"] else (table_columns(results) or [None])[0]
    breakdowns = []
    if metric:
        breakdowns.append((f"{LABELS[metric]} by profile size (documents)", *breakdown_table(results, metric, "by_profile_size")))
        breakdowns.append((f"{LABELS[metric]} by user", *breakdown_table(results, metric, "by_user")))
    side = _side_by_side(results, examples, generations, examples_shown, results.get("seed", 0))
    page = {"results": results, "table_md": results_markdown(results), "figures": figures, "notes": notes,
            "breakdowns": breakdowns, "examples": side}
    html_path, md_path = folder / "report.html", folder / "report.md"
    atomic_write_text(html_path, html_page(page))
    atomic_write_text(md_path, markdown_page(page, folder))
    return [html_path, md_path, *(p for _, p, _ in figures)]
