"""Examples faithful to the paper: golden cases, every filter, splits, and properties over random corpora."""
import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghostwriter.config import Config, DataConfig
from ghostwriter.data.build import DATASET_FILES, build_dataset, load_dataset
from ghostwriter.data.examples import (build_examples, clean_documents, split_by_time, split_by_user,
                                       split_document)
from ghostwriter.errors import BadInputError
from ghostwriter.records import Document

LONG = "x" * 400


def doc(user: str, doc_id: str, ts: int, text: str | None = None, title: str = "Title") -> Document:
    """A document; by default a long, unique body (identical bodies would be dropped as duplicates)."""
    return Document(user, doc_id, ts, title, f"{doc_id} {LONG}" if text is None else text)


def test_context_is_first_k_chars_of_title_and_body():
    document = doc("u", "d", 1, text="abcdefghij", title="T")
    assert split_document(document, 4) == ("T\nab", "cdefghij")
    no_title = doc("u", "d", 1, text="abcdef", title="")
    assert split_document(no_title, 4) == ("abcd", "ef")


def test_profile_is_strictly_earlier_and_ordered():
    docs = [doc("u", "d3", 30), doc("u", "d1", 10), doc("u", "d2", 20), doc("u", "d2b", 20), doc("u", "d4", 40)]
    cfg = DataConfig(min_examples_per_user=1)
    examples, dropped = build_examples(clean_documents(docs)[0], cfg)
    by_id = {e.example_id: e for e in examples}
    assert set(by_id) == {"d3", "d4"}  # d2 and d2b have only one strictly earlier document
    assert dropped == {"too_few_profile_docs": 3}
    assert [d.doc_id for d in by_id["d3"].profile] == ["d1", "d2", "d2b"]  # same-time ties ordered by doc_id
    assert [d.doc_id for d in by_id["d4"].profile] == ["d1", "d2", "d2b", "d3"]


def test_each_filter_is_counted():
    short = "y" * 100
    docs = ([doc("a", f"a{i}", i) for i in range(8)]  # 6 examples (a0, a1 lack a profile)
            + [doc("b", f"b{i}", i) for i in range(4)]  # 2 examples: below min_examples_per_user
            + [doc("c", f"c{i}", i, text=short if i % 2 else LONG) for i in range(14)])  # shorts dropped
    cfg = DataConfig(min_examples_per_user=3, max_examples_per_user=4)
    examples, dropped = build_examples(docs, cfg)
    assert dropped == {"too_few_profile_docs": 2 + 2 + 1, "too_short": 7, "over_user_cap": 2 + 2,
                       "user_too_few_examples": 2}
    assert [e.example_id for e in examples if e.user_id == "a"] == ["a4", "a5", "a6", "a7"]  # the most recent
    assert {e.user_id for e in examples} == {"a", "c"}


def test_duplicates_and_empty_texts_are_counted():
    docs = [doc("u", "d1", 5), doc("u", "d1", 1, text="other"), doc("u", "d2", 3, text=LONG),
            doc("u", "d3", 4, text=LONG), doc("u", "d4", 6, text="   ")]
    kept, dropped = clean_documents(docs)
    assert dropped == {"duplicate_doc_id": 1, "duplicate_text": 1, "empty_text": 1}
    assert [(d.doc_id, d.timestamp) for d in kept] == [("d1", 1), ("d2", 3)]  # earliest copy wins, by id and by text


def test_user_split_is_seeded_and_disjoint():
    docs = [doc(f"u{u:02d}", f"u{u}-{i}", i) for u in range(40) for i in range(8)]
    examples, _ = build_examples(docs, DataConfig())
    first, again = split_by_user(examples, DataConfig(seed=3)), split_by_user(examples, DataConfig(seed=3))
    other = split_by_user(examples, DataConfig(seed=4))
    users = {name: {e.user_id for e in items} for name, items in first.items()}
    assert [len(users[n]) for n in ("train", "val", "test")] == [34, 2, 4]
    assert not (users["train"] & users["test"]) and not (users["train"] & users["val"])
    assert first == again and first != other


def test_temporal_split_puts_latest_in_test():
    docs = [doc(f"u{u}", f"u{u}-{i}", i) for u in range(3) for i in range(22)]
    examples, _ = build_examples(docs, DataConfig())
    splits = split_by_time(examples, DataConfig(split="temporal"))
    for user in ("u0", "u1", "u2"):
        times = {name: [e.timestamp for e in items if e.user_id == user] for name, items in splits.items()}
        assert max(times["train"]) < min(times["val"]) <= max(times["val"]) < min(times["test"])
        assert len(times["test"]) == 2 and len(times["val"]) == 1


# ----------------------------------------------------------------------------- the written dataset

def write_docs(path: Path, docs) -> Path:
    path.write_text("".join(json.dumps(d.to_json()) + "\n" for d in docs))
    return path


def test_build_writes_files_whose_counts_add_up(tmp_path):
    docs = [doc(f"u{u:02d}", f"u{u}-{i}", i) for u in range(20) for i in range(9)] + [doc("u00", "e", 99, text="")]
    manifest = build_dataset(write_docs(tmp_path / "docs.jsonl", docs), tmp_path / "ds")
    assert manifest["documents"]["read"] == 181
    assert manifest["documents"]["read"] - sum(manifest["documents"]["dropped"].values()) == manifest["documents"]["kept"]
    ex = manifest["examples"]
    assert ex["candidates"] - sum(ex["dropped"].values()) == ex["kept"] == 20 * 7
    assert sum(s["examples"] for s in manifest["splits"].values()) == ex["kept"]
    for name in ("train", "val", "test"):
        lines = (tmp_path / "ds" / f"{name}.jsonl").read_text().splitlines()
        assert len(lines) == manifest["splits"][name]["examples"]
    row = json.loads((tmp_path / "ds" / "train.jsonl").read_text().splitlines()[0])
    assert set(row) == {"example_id", "user_id", "timestamp", "context", "target", "profile"}
    dataset = load_dataset(tmp_path / "ds")
    assert dataset.config == Config() and len(dataset.documents) == 180
    test = dataset.split("test")
    assert all(d.timestamp < e.timestamp for e in test for d in e.profile)
    assert not list((tmp_path / "ds").glob(".*"))  # no staging leftovers


def test_bad_input_writes_nothing_and_skip_bad_reports(tmp_path):
    lines = [json.dumps(doc("u", f"d{i}", i).to_json()) for i in range(3)] + ['{"user_id": "u"}']
    source = tmp_path / "docs.jsonl"
    source.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInputError, match=r"docs.jsonl:4: field 'doc_id'"):
        build_dataset(source, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()
    manifest = build_dataset(source, tmp_path / "ds2", Config(data=DataConfig(min_examples_per_user=1)),
                             skip_bad=True)
    assert manifest["documents"]["bad_records"]["by_reason"] == {"missing_doc_id": 1}
    assert manifest["documents"]["read"] == 3


def test_building_twice_gives_identical_files(tmp_path):
    source = Path(__file__).parents[1] / "src/ghostwriter/resources/openzfs-slice.jsonl.gz"
    first = build_dataset(source, tmp_path / "a")
    second = build_dataset(source, tmp_path / "b")
    for name in (*DATASET_FILES, "config.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first["content_sha256"] == second["content_sha256"]


# ----------------------------------------------------------------------------- properties

documents = st.lists(
    st.builds(doc, user=st.sampled_from(["ua", "ub", "uc", "ud", "ue", "uf"]),
              doc_id=st.text("abcdef0123", min_size=1, max_size=6), ts=st.integers(0, 30),
              text=st.sampled_from([LONG, "s" * 150, "z" * 320, "", "q" * 900])),
    max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.integers(0, 3), st.integers(1, 4), st.sampled_from(["user", "temporal"]), st.integers(0, 5))
def test_properties_of_examples_and_splits(docs, min_profile, min_examples, split, seed):
    cfg = DataConfig(min_profile_docs=min_profile, min_examples_per_user=min_examples,
                     max_examples_per_user=min_examples + 2, split=split, seed=seed)
    kept, _ = clean_documents(docs)
    examples, dropped = build_examples(kept, cfg)
    assert len(examples) + sum(dropped.values()) == len(kept)
    per_user: dict[str, int] = {}
    for example in examples:
        # never its own or a later (or same-time) document, only the user's own
        assert all(d.timestamp < example.timestamp and d.user_id == example.user_id for d in example.profile)
        assert example.example_id not in {d.doc_id for d in example.profile}
        assert len(example.profile) >= cfg.min_profile_docs
        assert len(example.context) + len(example.target) > cfg.min_doc_chars
        assert len(example.context) == cfg.context_chars and example.target
        per_user[example.user_id] = per_user.get(example.user_id, 0) + 1
    assert all(cfg.min_examples_per_user <= n <= cfg.max_examples_per_user for n in per_user.values())
    splits = (split_by_user if split == "user" else split_by_time)(examples, cfg)
    assert sorted(e.example_id for s in splits.values() for e in s) == sorted(e.example_id for e in examples)
    if split == "user":
        users = [{e.user_id for e in s} for s in splits.values()]
        assert not (users[0] & users[1] or users[0] & users[2] or users[1] & users[2])


def test_config_is_saved_beside_the_dataset(tmp_path):
    source = Path(__file__).parents[1] / "src/ghostwriter/resources/openzfs-slice.jsonl.gz"
    config = dataclasses.replace(Config(), data=DataConfig(context_chars=120, split="temporal"))
    build_dataset(source, tmp_path / "ds", config)
    saved = json.loads((tmp_path / "ds" / "config.json").read_text())
    assert saved["data"]["context_chars"] == 120 and saved["data"]["split"] == "temporal"
    assert load_dataset(tmp_path / "ds").config == config
