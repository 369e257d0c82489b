"""Importers: each real schema on small fixture files, and bad input named by file, line and field."""
import gzip
import json
import subprocess
from pathlib import Path

import pytest

from ghostwriter.data.amazon import read_amazon_reviews
from ghostwriter.data.build import import_documents
from ghostwriter.data.cnn_dm import read_cnn_dailymail
from ghostwriter.data.documents import read_documents
from ghostwriter.data.git import pseudonym, read_git_history, strip_trailers
from ghostwriter.data.lamp import read_lamp
from ghostwriter.errors import BadInputError, BadRecords, GhostwriterError
from ghostwriter.records import Document, SummaryPair

FIXTURES = Path(__file__).parent / "fixtures"


def write_lines(path: Path, lines: list[str], gz: bool = False) -> Path:
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


DOC = {"user_id": "u1", "doc_id": "d1", "timestamp": 100, "title": "Title", "text": "Body"}


@pytest.mark.parametrize("gz", [False, True])
def test_documents_jsonl_plain_and_gzip(tmp_path, gz):
    path = write_lines(tmp_path / ("docs.jsonl.gz" if gz else "docs.jsonl"),
                       [json.dumps(DOC), "", json.dumps({**DOC, "doc_id": "d2", "timestamp": "101"})], gz=gz)
    docs = list(read_documents(path))
    assert docs == [Document("u1", "d1", 100, "Title", "Body"), Document("u1", "d2", 101, "Title", "Body")]


def test_shared_corpus_reads_whole():
    docs = list(read_documents(Path(__file__).parents[1] / "src/ghostwriter/resources/openzfs-slice.jsonl.gz"))
    assert len(docs) == 893 and len({d.user_id for d in docs}) == 30


@pytest.mark.parametrize("line, field, reason", [
    ('{"user_id": "u1", "doc_id": "d9", "title": "t", "text": "x"}', "timestamp", "missing_timestamp"),
    ('{"user_id": "u1", "doc_id": "d9", "timestamp": "soon", "title": "t", "text": "x"}', "timestamp", "bad_timestamp"),
    ('{"user_id": "", "doc_id": "d9", "timestamp": 1, "text": "x"}', "user_id", "bad_user_id"),
    ('{"user_id": "u1", "doc_id": "d9", "timestamp": 1, "text": 5}', "text", "bad_text"),
    ('{"user_id": "u1", "doc_id": "d9", "timestamp": 1}', "text", "missing_text"),
    ('{"user_id": "u1", "doc_id": ', "<line>", "invalid_json"),
    ('["not", "an", "object"]', "<line>", "not_an_object"),
])
def test_bad_line_names_file_line_and_field(tmp_path, line, field, reason):
    path = write_lines(tmp_path / "docs.jsonl", [json.dumps(DOC), line])
    with pytest.raises(BadInputError) as info:
        list(read_documents(path))
    assert (info.value.source, info.value.line, info.value.field_name) == (str(path), 2, field)
    assert f"{path}:2: field {field!r}" in str(info.value)
    bad = BadRecords(skip=True)
    assert [d.doc_id for d in read_documents(path, bad)] == ["d1"]
    assert dict(bad.counts) == {reason: 1}


def test_non_utf8_is_reported_with_its_byte():
    with pytest.raises(BadInputError, match=r"bad_utf8.jsonl:2: field '<line>': non-UTF-8 byte 0xe9"):
        list(read_documents(FIXTURES / "bad_utf8.jsonl"))
    bad = BadRecords(skip=True)
    assert len(list(read_documents(FIXTURES / "bad_utf8.jsonl", bad))) == 1
    assert bad.summary()["by_reason"] == {"non_utf8": 1}


def test_amazon_reviews():
    docs = list(read_amazon_reviews(FIXTURES / "amazon_reviews.jsonl"))
    assert [(d.user_id, d.timestamp, d.title) for d in docs] == [
        ("A1EXAMPLEREVIEWER", 1405296000, "Lovely pictures"),
        ("A1EXAMPLEREVIEWER", 1420156800, "No text at all"),
        ("A2SECONDREVIEWER", 1457481600, "Good, not great")]
    assert docs[0].text.startswith("I bought this") and docs[1].text == ""  # empty: counted later by the build
    assert len({d.doc_id for d in docs}) == 3


@pytest.mark.parametrize("name", ["cnn_dm.csv", "cnn_dm.jsonl"])
def test_cnn_dailymail_pairs(name):
    pairs = list(read_cnn_dailymail(FIXTURES / name))
    assert len(pairs) == 2 and all(isinstance(p, SummaryPair) for p in pairs)
    assert all(p.article and p.summary for p in pairs)
    if name.endswith(".csv"):
        assert "broken ankle" in pairs[0].article and pairs[0].summary.endswith("He had a broken ankle .")


def test_cnn_dailymail_csv_missing_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,story\n1,hello\n")
    with pytest.raises(BadInputError, match="missing columns"):
        list(read_cnn_dailymail(path))


def test_lamp4_with_outputs_file():
    docs = list(read_lamp(FIXTURES / "lamp4_questions.json", "LaMP_4", FIXTURES / "lamp4_outputs.json"))
    user310 = [d for d in docs if d.user_id == "310"]
    assert [d.doc_id for d in user310] == ["310-p3100", "310-p3101", "310"]
    assert [d.timestamp for d in user310] == [0, 1, 2]  # profile order stands in for time; current doc last
    current = user310[-1]
    assert current.title == "Council expands downtown bike lanes"
    assert current.text.startswith("The city council voted")  # the input's instruction prefix is removed


def test_longlamp_product_review_inline_output():
    docs = list(read_lamp(FIXTURES / "longlamp_product_review.jsonl", "LongLaMP_product_review"))
    assert {d.user_id for d in docs} == {"AREVIEWER1"}
    assert [d.title for d in docs[:2]] == ["Great pan", "Flimsy"]
    assert docs[-1].text.startswith("This kettle boils water")


def test_lamp_unknown_task_lists_choices():
    with pytest.raises(BadInputError, match="LaMP_4"):
        list(read_lamp(FIXTURES / "lamp4_questions.json", "LaMP_99"))


def test_lamp_missing_output_is_reported(tmp_path):
    outputs = tmp_path / "out.json"
    outputs.write_text(json.dumps({"task": "LaMP_4", "golds": [{"id": "310", "output": "x"}]}))
    with pytest.raises(BadInputError, match="no output for question '311'"):
        list(read_lamp(FIXTURES / "lamp4_questions.json", "LaMP_4", outputs))


def git(repo: Path, *args: str, env: dict | None = None) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_git_history(tmp_path):
    import os

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    base_env = {**os.environ, "GIT_COMMITTER_NAME": "C", "GIT_COMMITTER_EMAIL": "c@example.org"}

    def commit(message: str, email: str, when: int, name: str) -> None:
        (repo / name).write_text(message)
        git(repo, "add", name)
        env = {**base_env, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": email,
               "GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
        git(repo, "commit", "-q", "-m", message, env=env)

    commit("Fix the frobnicator\n\nIt broke when alice@example.org ran it.\n\n"
           "Signed-off-by: Alice <alice@example.org>\nCloses #12", "Alice@Example.org", 1_000_000_000, "a")
    commit("Add tests\n\nCovers the fix.\nReviewed-by: Bob <bob@example.org>", "bob@example.org", 1_000_002_000, "b")
    git(repo, "checkout", "-q", "-b", "side", "HEAD~1")
    commit("Side work\n\nOn a branch.", "bob@example.org", 1_000_003_000, "c")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge side", "side", env={**base_env, "GIT_AUTHOR_NAME": "A",
                                                                         "GIT_AUTHOR_EMAIL": "m@example.org"})
    docs = {d.title: d for d in read_git_history(repo)}
    assert set(docs) == {"Fix the frobnicator", "Add tests", "Side work"}  # the merge is left out
    fix = docs["Fix the frobnicator"]
    assert fix.text == "It broke when <email> ran it."
    assert fix.user_id == pseudonym("alice@example.org") and fix.timestamp == 1_000_000_000
    assert docs["Add tests"].text == "Covers the fix."
    assert list(import_documents(repo)) and pseudonym("x@y.org") == pseudonym(" X@Y.org ")


@pytest.mark.parametrize("body, expected", [
    ("Line one.\n\nSigned-off-by: A <a@b.c>", "Line one."),
    ("Line one.\n\nAcked-by: X\nCo-authored-by: Y", "Line one."),
    ("Explain: why this matters.\nMore text.", "Explain: why this matters.\nMore text."),  # prose keeps its colon
    ("Body.\n\nFunded-for: Corp\nReviewed-by: Z", "Body."),  # a whole trailer block at the end
    ("Body.\n\nSponsored by: Corp", "Body.\n\nSponsored by: Corp"),  # "Key with space:" is prose
    ("Body.\nCloses #4242\nMore.", "Body.\nMore."),
])
def test_strip_trailers(body, expected):
    assert strip_trailers(body) == expected


def test_not_a_git_repo(tmp_path):
    with pytest.raises(GhostwriterError, match="not a git repository"):
        list(read_git_history(tmp_path))
