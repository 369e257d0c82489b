"""Snippets: sentence runs of at least min_chars, covering the document, spans into full_text."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ghostwriter.retrieve.snippets import sentence_spans, split_snippets


@pytest.mark.parametrize("text, spans", [
    ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
    ("Fix arc.c (again).\n\nThe buffer was\nwrapped at 72.", ["Fix arc.c (again).", "The buffer was\nwrapped at 72."]),
    ("Changes:\n- first\n- second", ["Changes:", "- first", "- second"]),
    ("v2.1.0 is out. e.g. this", ["v2.1.0 is out.", "e.g.", "this"]),
    ("   ", []),
])
def test_sentence_spans_golden(text, spans):
    assert [text[s:e] for s, e in sentence_spans(text)] == spans


def test_snippets_golden():
    text = "A" * 100 + ". " + "B" * 200 + ". " + "C" * 30 + "."
    assert split_snippets(text, 250) == [(0, len(text))]  # the 31-char tail joins the first snippet
    text = "A" * 300 + ". " + "B" * 260 + "."
    assert [e - s for s, e in split_snippets(text, 250)] == [301, 261]
    assert split_snippets("short one.", 250) == [(0, 10)]
    assert split_snippets("", 250) == []


sentences = st.lists(st.tuples(st.text("abc xyz", min_size=1, max_size=120), st.sampled_from([". ", "! ", "\n\n", " "])),
                     max_size=25).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=150, deadline=None)
@given(sentences, st.integers(1, 300))
def test_snippet_properties(text, min_chars):
    spans = split_snippets(text, min_chars)
    # In order, non-overlapping, and together they hold every non-space character.
    assert all(s < e for s, e in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    assert "".join(text[s:e] for s, e in spans).replace(" ", "").replace("\n", "") == \
        text.replace(" ", "").replace("\n", "")
    # Every snippet reaches min_chars, unless the document is one short snippet.
    if len(spans) > 1:
        assert all(e - s >= min_chars for s, e in spans)
    for s, e in spans:
        assert not text[s].isspace() and not text[e - 1].isspace()
