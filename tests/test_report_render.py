"""The report: a self-contained HTML page and Markdown with the table, figures and examples."""
import base64
import json
import re

import pytest

from ghostwriter.cli import main
from ghostwriter.data.build import build_dataset
from ghostwriter.demo import demo_source
from ghostwriter.evaluate.experiment import run_experiment
from ghostwriter.report.plots import read_loss_curves

SPEC = """
[experiment]
title = "Report test"
compare_to = ["Repeat", "Copy best"]
[evaluate]
limit = 10
bootstrap_samples = 100
[[variant]]
name = "Repeat"
variant = "immed_ctx"
generator = "repeat_context"
[[variant]]
name = "Copy best"
variant = "lamp_bm25"
generator = "copy_best"
[[variant]]
name = "Tuned echo"
variant = "rank_bm25"
run_dir = "RUN_DIR"
"""


class Echo:
    def generate(self, prompts):
        return [" ".join(p.split()[-10:]) for p in prompts]


def test_loss_curves_read_both_log_shapes(tmp_path):
    (tmp_path / "train_log.jsonl").write_text(
        '{"step": 2, "split": "train", "loss": 2.5}\n{"step": 1, "split": "train", "loss": 3.0}\n'
        '{"step": 2, "split": "val", "loss": 2.9}\n{"step": 3, "train_loss": 2.0, "val_loss": 2.7, "lr": 0.001}\n'
        'not json\n{"no_step": 1, "loss": 9}\n')
    curves = read_loss_curves(tmp_path)
    assert curves == {"train": [(1, 3.0), (2, 2.5), (3, 2.0)], "val": [(2, 2.9), (3, 2.7)]}


@pytest.mark.slow
def test_report_is_self_contained(tmp_path, capsys):
    dataset = tmp_path / "ds"
    build_dataset(demo_source(), dataset)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "train_loss": 4 / s, "val_loss": 5 / s}) + "\n"
                                                   for s in range(1, 8)))
    spec = tmp_path / "exp.toml"
    spec.write_text(SPEC.replace("RUN_DIR", str(run_dir)))
    out = tmp_path / "out"
    run_experiment(str(spec), dataset, out, generator_factory=lambda config: Echo(), log=lambda line: None)
    assert main(["report", str(out), "--examples", "2"]) == 0
    page = (out / "report" / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4  # metrics, loss, PCA, t-SNE; nothing is fetched from elsewhere
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "http" not in page.replace("http-equiv", "")
    for text in ("Repeat", "Copy best", "Tuned echo", "95% bootstrap CI", "better / worse than Repeat",
                 "Examples side by side", "Reference (what the user wrote next)", "metric:bleu|", "by profile size"):
        assert text in page
    md = (out / "report" / "report.md").read_text()
    assert "![Training and validation loss](loss.png)" in md and "| Tuned echo |" in md
    for name in ("metrics", "loss", "centroid_pca", "centroid_tsne"):
        assert (out / "report" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_report_on_a_folder_without_results_is_a_message(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no results.json" in capsys.readouterr().err


def test_rows_sharing_a_training_run_get_one_set_of_curves(tmp_path):
    from ghostwriter.report import _loss_curves

    shared, own = tmp_path / "gen-mix", tmp_path / "gen-ap"
    for run, loss in ((shared, 3.0), (own, 2.0)):
        run.mkdir()
        (run / "log.jsonl").write_text(json.dumps({"step": 1, "loss": loss, "split": "train"}) + "\n")
    results = {"variants": [{"name": "A", "run_dir": str(shared)}, {"name": "B", "run_dir": str(shared)},
                            {"name": "C", "run_dir": str(own)}, {"name": "Copy", "run_dir": ""}]}
    curves = _loss_curves(tmp_path, results)
    assert sorted(curves) == ["C", "gen-mix (2 rows)"]
    assert curves["C"]["train"] == [(1, 2.0)] and curves["gen-mix (2 rows)"]["train"] == [(1, 3.0)]
