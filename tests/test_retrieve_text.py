"""The shared word tokenizer: golden words and terms, stopword lists, bad names."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from ghostwriter.config import ConfigError, load_config
from ghostwriter.text import STOPWORDS, TextConfigError, Tokenizer


@pytest.mark.parametrize("stemmer, stopwords, text, words, terms", [
    ("english", "en", "Fixed the ARC's eviction of dirty buffers",
     ["fixed", "arc's", "eviction", "dirty", "buffers"], ["fix", "arc", "evict", "dirti", "buffer"]),
    ("english", "en", "zfs_ioc_recv() failed: don\u2019t retry __init__",
     ["zfs_ioc_recv", "failed", "retry", "init"], ["zfs_ioc_recv", "fail", "retri", "init"]),
    ("", "", "The cat, the CAT!", ["the", "cat", "the", "cat"], ["the", "cat", "the", "cat"]),
    ("english", "lucene", "This is what they wanted", ["what", "wanted"], ["what", "want"]),
    ("porter", "en", "Running runs", ["running", "runs"], ["run", "run"]),
    ("english", "en", "  ...  !!! ", [], []),
])
def test_words_and_terms_golden(stemmer, stopwords, text, words, terms):
    tok = Tokenizer(stemmer=stemmer, stopwords=stopwords)
    assert tok.words(text) == words
    assert tok.terms(text) == terms


def test_stopword_lists():
    assert len(STOPWORDS["en"]) == 179 and len(STOPWORDS["lucene"]) == 33
    assert STOPWORDS["lucene"] <= STOPWORDS["en"] | {"such"}
    assert not STOPWORDS[""]


@given(st.text(max_size=200))
def test_words_are_lowercase_and_never_stopwords(text):
    tok = Tokenizer()
    for word in tok.words(text):
        assert word == word.lower() and word not in STOPWORDS["en"] and word.strip("_") == word and word
    assert len(tok.terms(text)) == len(tok.words(text))


def test_unknown_names_list_the_choices():
    with pytest.raises(TextConfigError, match="'en', 'lucene'"):
        Tokenizer(stopwords="klingon")
    with pytest.raises(TextConfigError, match="'english'"):
        Tokenizer(stemmer="klingon")
    with pytest.raises(ConfigError, match="retrieve: unknown stemmer"):
        load_config(overrides=["retrieve.stemmer=klingon"])


def test_from_config():
    tok = Tokenizer.from_config(load_config(overrides=["retrieve.stemmer=", "retrieve.stopwords=lucene"]).retrieve)
    assert tok.terms("They were running") == ["were", "running"]
