"""Experiments: spec validation, outputs, resume, no-model peers, the compare API, the CLI."""
import json
import shutil

import pytest

from ghostwriter.cli import main
from ghostwriter.data.build import build_dataset, load_dataset
from ghostwriter.demo import demo_source
from ghostwriter.errors import ConfigError, GhostwriterError
from ghostwriter.evaluate import compare
from ghostwriter.evaluate.experiment import run_experiment, sample_examples
from ghostwriter.evaluate.peers import CopyBestDocument, RepeatContext
from ghostwriter.evaluate.spec import load_spec

SPEC = """
[experiment]
title = "test"
compare_to = ["Echo"]

[evaluate]
limit = 12
bootstrap_samples = 100
metrics = ["bleu", "rouge"]

[[variant]]
name = "Echo"
variant = "immed_ctx"

[[variant]]
name = "Echo BM25"
variant = "rank_bm25"
run_dir = "RUN_DIR"

[[variant]]
name = "Repeat"
variant = "immed_ctx"
generator = "repeat_context"

[[variant]]
name = "Copy best"
variant = "lamp_bm25"
generator = "copy_best"
"""


class EchoGenerator:
    """Deterministic fake LM: the prompt's last eight words, counting every prompt it is given."""

    def __init__(self, calls):
        self.calls = calls

    def generate(self, prompts):
        self.calls.extend(prompts)
        return [" ".join(p.split()[-8:]) for p in prompts]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "ds"
    build_dataset(demo_source(), out)
    return out


@pytest.fixture
def spec_file(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "loss.jsonl").write_text("".join(json.dumps({"step": s, "split": "train", "loss": 3.0 / s}) + "\n"
                                                for s in range(1, 6)) + json.dumps({"step": 5, "val_loss": 1.1}) + "\n")
    path = tmp_path / "exp.toml"
    path.write_text(SPEC.replace("RUN_DIR", str(run_dir)))
    return path


def _run(spec_file, dataset_dir, out, calls, **kwargs):
    return run_experiment(str(spec_file), dataset_dir, out, generator_factory=lambda config: EchoGenerator(calls),
                          log=lambda line: None, **kwargs)


def test_outputs_and_intermediates(spec_file, dataset_dir, tmp_path):
    calls = []
    out = tmp_path / "out"
    results = _run(spec_file, dataset_dir, out, calls)
    assert [r["name"] for r in results["rows"]] == ["Echo", "Echo BM25", "Repeat", "Copy best"]
    assert results["n_examples"] == 12 and len(calls) == 24  # two model rows share one generator
    for name in ("results.json", "results.csv", "results.md", "per_example.csv", "config.json", "examples.jsonl"):
        assert (out / name).stat().st_size > 0
    md = (out / "results.md").read_text()
    assert "| Copy best |" in md and "95% bootstrap CI" in md and "-a" in (md + " -a")
    rows = [json.loads(line) for line in (out / "variants" / "Echo_BM25" / "generations.jsonl").open()]
    assert len(rows) == 12 and all(r["prepared"]["ranked_ids"] and r["prepared"]["prompt"] for r in rows)
    # no-model peers: repeat copies the context, copy_best the best-ranked document's full text
    dataset = load_dataset(dataset_dir)
    repeat = {json.loads(l)["example_id"]: json.loads(l) for l in (out / "variants" / "Repeat" / "generations.jsonl").open()}
    copy = [json.loads(l) for l in (out / "variants" / "Copy_best" / "generations.jsonl").open()]
    assert all(r["text"] == r["prepared"]["context"] for r in repeat.values())
    assert all(c["text"] == dataset.documents[c["prepared"]["ranked_ids"][0]].full_text for c in copy)
    example_ids = {e.example_id for e in dataset.split("test")}
    assert set(results["example_ids"]) <= example_ids
    # repeating the context is scored against the reference with exactly the library metrics
    repeat_row = results["rows"][2]
    assert repeat_row["metrics"]["rouge1"]["ci_mean"][0] <= repeat_row["metrics"]["rouge1"]["mean"]
    assert repeat_row["tests"]["Echo"]["rouge1"]["n"] == 12
    config = json.loads((out / "config.json").read_text())
    assert config["variants"]["Echo BM25"]["rank"]["ranker"] == "bm25"
    assert config["variants"]["Echo BM25"]["model"]["name"].endswith("run")


def test_resume_skips_finished_rows_and_cached_generations(spec_file, dataset_dir, tmp_path):
    out = tmp_path / "out"
    first = _run(spec_file, dataset_dir, out, [])
    # finished rows are read back without building a generator at all
    def refuse(config):
        raise AssertionError("a finished row built a generator")
    again = run_experiment(str(spec_file), dataset_dir, out, generator_factory=refuse, log=lambda line: None)
    assert again["rows"] == first["rows"]
    # a killed run: done marker gone, three generations kept and a half-written line
    folder = out / "variants" / "Echo_BM25"
    (folder / "done.json").unlink()
    lines = (folder / "generations.jsonl").read_text().splitlines(keepends=True)
    (folder / "generations.jsonl").write_text("".join(lines[:3]) + lines[3][:40])
    calls = []
    resumed = _run(spec_file, dataset_dir, out, calls)
    assert len(calls) == 9 and resumed["rows"] == first["rows"]
    # a change that alters the prompts invalidates the cache; one that only alters scoring does not
    calls = []
    _run(spec_file, dataset_dir, out, calls, overrides=["evaluate.bootstrap_samples=50"])
    assert calls == []
    _run(spec_file, dataset_dir, out, calls, overrides=["rank.budget_chars=300"])
    assert len(calls) == 24


def test_seeded_sample_is_stable_and_ordered():
    items = list(range(100))
    a = sample_examples(items, 10, seed=0)
    assert a == sample_examples(items, 10, seed=0) and a == sorted(a) and len(set(a)) == 10
    assert sample_examples(items, 10, seed=1) != a and sample_examples(items, 0, 0) == items


@pytest.mark.parametrize("body, message", [
    ('[[variant]]\nname = "A"\nvariant = "nope"\n', "unknown variant 'nope'; choose from immed_ctx"),
    ('[[variant]]\nname = "A"\nvariant = "immed_ctx"\ncolour = 1\n', "unknown key 'colour'; valid keys: name"),
    ('[[variant]]\nname = "A"\nvariant = "immed_ctx"\ngenerator = "gpt"\n', "choose from model, repeat_context"),
    ('[[variant]]\nname = "A"\nvariant = "immed_ctx"\n[[variant]]\nname = "A"\nvariant = "rank_bm25"\n',
     "two variants are named 'A'"),
    ('[experiment]\ncompare_to = ["B"]\n[[variant]]\nname = "A"\nvariant = "immed_ctx"\n', "compare_to must list"),
    ('[rank]\nrankr = "bm25"\n[[variant]]\nname = "A"\nvariant = "immed_ctx"\n', "unknown key 'rank.rankr'"),
    ('[[variant]]\nname = "A"\nvariant = "immed_ctx"\nset = ["rank.nope=1"]\n', "variant 'A': set"),
    ('[[variant]]\nname = "A"\nvariant = "immed_ctx"\ngenerator = "copy_best"\nmodel = "x"\n', "uses no model"),
    ('[experiment]\ntitle = "x"\n', "no [[variant]] tables"),
    ('[experiment\n', "not valid TOML"),
])
def test_spec_errors_name_file_and_key(tmp_path, body, message):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_spec(str(path))
    assert str(path) in str(info.value) and message in str(info.value)


@pytest.mark.parametrize("name", ["seed-table", "paper-ablations", "peers"])
def test_presets_are_valid(name):
    spec = load_spec(name)
    assert spec.variants and all(spec.variant_config(v) for v in spec.variants)


def test_finetuned_ablations_preset_needs_its_authorpred_run(tmp_path, monkeypatch):
    """+AuthorPred reads its own multitask run; without it the preset is refused, never silently zero-shot."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="run_dir 'runs/gen-mix-ap' is not a folder"):
        load_spec("paper-ablations-finetuned")
    (tmp_path / "runs" / "gen-mix-ap").mkdir(parents=True)
    (tmp_path / "runs" / "gen-mix").mkdir()
    spec = load_spec("paper-ablations-finetuned", run_dir="runs/gen-mix")
    runs = {v.name: v.run_dir for v in spec.variants}
    assert runs["+AuthorPred"] == "runs/gen-mix-ap" and runs["Baseline"] == "runs/gen-mix"
    assert len(spec.variants) == len(load_spec("paper-ablations").variants)


def test_compare_api_accepts_texts_pairs_and_generations(dataset_dir):
    from ghostwriter.pipeline import Pipeline

    dataset = load_dataset(dataset_dir)
    examples = dataset.split("test")[:6]
    pipeline = Pipeline.from_config(dataset.config, dataset, variant="immed_ctx")
    generations = pipeline.run(examples, EchoGenerator([]))
    table = compare({"contexts": [e.context for e in examples], "pair": (pipeline, EchoGenerator([])),
                     "generations": generations}, examples, ["rouge"])
    assert table.systems == ["contexts", "pair", "generations"]
    assert table.results["pair"]["rouge1"].per_example == table.results["generations"]["rouge1"].per_example
    assert table.paired("pair", "generations", "rouge1").p_bootstrap == 1.0
    assert "| contexts |" in table.markdown(compare_to=["contexts"])
    with pytest.raises(GhostwriterError, match="gave 1 texts for 6 examples"):
        compare({"short": ["x"]}, examples, ["rouge"])


def test_no_model_generators_need_prepared_inputs():
    with pytest.raises(GhostwriterError, match="prepared="):
        RepeatContext().generate(["a prompt"])
    with pytest.raises(GhostwriterError, match="prepared="):
        CopyBestDocument({}).generate(["a prompt"])


def test_cli_runs_and_reports_errors_without_traceback(spec_file, dataset_dir, tmp_path, capsys):
    no_model = tmp_path / "peers.toml"
    no_model.write_text(SPEC.split("[[variant]]\nname = \"Echo\"")[0].replace('compare_to = ["Echo"]', "")
                        + '[[variant]]\nname = "Repeat"\nvariant = "immed_ctx"\ngenerator = "repeat_context"\n')
    assert main(["experiment", str(no_model), "--dataset", str(dataset_dir), "--out", str(tmp_path / "o"),
                 "--limit", "5"]) == 0
    assert "| Repeat |" in capsys.readouterr().out
    shutil.copy(spec_file, tmp_path / "broken.toml")
    (tmp_path / "broken.toml").write_text(spec_file.read_text().replace('"lamp_bm25"', '"lamp_bm99"'))
    assert main(["experiment", str(tmp_path / "broken.toml"), "--dataset", str(dataset_dir), "--out",
                 str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "broken.toml" in err and "lamp_bm99" in err and "Traceback" not in err


def test_lamp_prompt_has_top_k_documents_within_budget_and_never_the_target(dataset_dir):
    from ghostwriter.config import Config
    from ghostwriter.evaluate.peers import LampPipeline
    from ghostwriter.rank import get_ranker

    dataset = load_dataset(dataset_dir)
    examples = [e for e in dataset.split("test") if len(e.profile) >= 5][:4]
    words = lambda text: len(text.split())  # noqa: E731 - a stand-in token counter
    pipeline = LampPipeline(get_ranker("bm25", Config()), k=2, budget_chars=100_000, count_tokens=words,
                            max_tokens=200)
    for example, prepared in zip(examples, pipeline.prepare(examples)):
        assert prepared.prompt_tokens == words(prepared.prompt) <= 200
        assert prepared.prompt.endswith(example.context) and not prepared.summary and not prepared.words
        assert example.target not in prepared.prompt
        top = {d.doc_id: d for d in example.profile}[prepared.ranking.entries[0].doc_id]
        assert prepared.prompt.startswith(top.full_text[:50])
    roomy = LampPipeline(get_ranker("bm25", Config()), k=2, budget_chars=100_000, count_tokens=words,
                         max_tokens=100_000).prepare(examples[:1])[0]
    ranked = list(dict.fromkeys(e.doc_id for e in roomy.ranking.entries))[:2]
    by_id = {d.doc_id: d for d in examples[0].profile}
    assert all(by_id[i].full_text in roomy.prompt for i in ranked)
    assert roomy.prompt.count("\n\n") >= 1


def test_time_budget_leaves_unfinished_rows_out_and_resumes(spec_file, dataset_dir, tmp_path):
    out = tmp_path / "out"
    _run(spec_file, dataset_dir, out, [])
    folder = out / "variants" / "Echo_BM25"
    (folder / "done.json").unlink()
    (folder / "generations.jsonl").unlink()
    calls = []
    partial = _run(spec_file, dataset_dir, out, calls, time_budget_s=1e-9)
    assert calls == [] and partial["unfinished"] == ["Echo BM25"]
    assert [r["name"] for r in partial["rows"]] == ["Echo", "Repeat", "Copy best"]
    assert "Not finished within the time budget (re-run to resume): Echo BM25" in (out / "results.md").read_text()
    resumed = _run(spec_file, dataset_dir, out, calls)
    assert resumed["unfinished"] == [] and len(calls) == 12
    shutil.rmtree(out)
    with pytest.raises(GhostwriterError, match="no row finished within the time budget"):
        _run(spec_file, dataset_dir, out, [], time_budget_s=1e-9)


def test_run_dir_gives_every_model_row_without_its_own_model_that_run(spec_file, tmp_path):
    other = tmp_path / "other-run"
    (other / "best").mkdir(parents=True)
    spec = load_spec(str(spec_file), run_dir=str(other))
    rows = {v.name: v for v in spec.variants}
    assert rows["Echo"].run_dir == str(other)  # a model row with no model of its own
    assert rows["Echo BM25"].run_dir == str(tmp_path / "run")  # its own run_dir stands
    assert rows["Repeat"].run_dir == rows["Copy best"].run_dir == ""  # rows with no model stay so
    assert spec.variant_config(rows["Echo"]).model.name == str(other / "best")
    with pytest.raises(ConfigError, match="--run-dir .* is not a folder"):
        load_spec(str(spec_file), run_dir=str(tmp_path / "missing"))
