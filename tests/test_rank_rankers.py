"""Rankers: own-profile-only, never the target, budget, empty profiles, recency fallback, registry."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ghostwriter.config import ConfigError, load_config
from ghostwriter.rank import RANKER_NAMES, UnknownRankerError, get_ranker
from ghostwriter.rank.base import cut_to_budget, order_segment, rankings_from_scores
from ghostwriter.rank.fusion import reciprocal_rank_fusion
from ghostwriter.records import Document, Example
from ghostwriter.retrieve.layout import layout_profiles

FAST = ["retrieve.dense_model=hash:64"]  # a deterministic embedder: no model in the fast tests
ALL = [n for n in RANKER_NAMES if n != "none"]


def config(*overrides):
    return load_config(overrides=[*FAST, *overrides])


def doc(user, i, text, ts=None):
    return Document(user, f"{user}-{i}", ts if ts is not None else 1000 + i, f"title {i}", text)


def user_examples(user, texts, context_chars=20):
    """The dataset's shape: document i is an example whose profile is documents 0..i-1."""
    docs = tuple(doc(user, i, t) for i, t in enumerate(texts))
    return [Example(d.doc_id, user, d.timestamp, d.full_text[:context_chars], d.full_text[context_chars:], docs[:i])
            for i, d in enumerate(docs)]


WORDS = ["arc", "zfs", "pool", "scrub", "evict", "race", "fix", "the", "of", "dmu", "zio", "vdev"]
doc_text = st.lists(st.sampled_from(WORDS), min_size=0, max_size=60).map(lambda ws: ". ".join(
    " ".join(ws[i:i + 7]) for i in range(0, len(ws), 7)))


@st.composite
def batches(draw):
    """Several users' examples, some with profiles that are arbitrary subsets (not prefixes)."""
    examples = []
    for u in range(draw(st.integers(1, 3))):
        texts = draw(st.lists(doc_text, min_size=1, max_size=8))
        mine = user_examples(f"u{u}", texts, context_chars=draw(st.integers(0, 40)))
        for e in mine:
            if e.profile and draw(st.booleans()):
                keep = draw(st.lists(st.sampled_from(range(len(e.profile))), unique=True))
                e = Example(e.example_id, e.user_id, e.timestamp, e.context, e.target,
                            tuple(e.profile[i] for i in sorted(keep)))
            examples.append(e)
    return draw(st.permutations(examples))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.sampled_from(ALL), st.integers(0, 400), st.sampled_from(["dense", "bm25"]))
def test_rankings_only_hold_the_examples_own_profile_within_budget(examples, name, budget, snippet_retriever):
    cfg = config(f"rank.budget_chars={budget}", "retrieve.snippet_chars=30",
                 f"rank.snippet_retriever={snippet_retriever}")
    rankings = get_ranker(name, cfg).rank(examples)
    assert [r.example_id for r in rankings] == [e.example_id for e in examples]
    for example, ranking in zip(examples, rankings):
        profile = {d.doc_id: d for d in example.profile}
        assert ranking.ranker == name
        assert len(ranking.text) <= budget
        if name != "snippet":  # whole documents: each at most once
            assert len({e.doc_id for e in ranking.entries}) == len(ranking.entries)
        for entry in ranking.entries:
            assert entry.doc_id in profile and entry.doc_id != example.example_id
            assert entry.text == profile[entry.doc_id].full_text[entry.start:entry.end] and entry.text
        if not example.profile or budget == 0:
            assert ranking.entries == ()


@settings(max_examples=25, deadline=None)
@given(batches())
def test_a_ranking_does_not_depend_on_the_rest_of_the_batch(examples):
    for name in ("bm25", "recent", "fusion"):
        ranker = get_ranker(name, config())
        together = ranker.rank(examples)
        alone = [ranker.rank([e])[0] for e in examples]
        assert [[x.doc_id for x in r.entries] for r in together] == [[x.doc_id for x in r.entries] for r in alone]


def test_bm25_orders_by_relevance_with_golden_scores():
    texts = ["scrub the pool", "arc evict race in the arc", "zio vdev pool", "arc evict race fix: tests"]
    docs = tuple(Document("u", f"u-{i}", i, "", t) for i, t in enumerate(texts))
    last = Example("u-3", "u", 3, texts[3], "", docs[:3])
    ranking = get_ranker("bm25", config()).rank([last])[0]
    assert [e.doc_id for e in ranking.entries] == ["u-1", "u-2", "u-0"]  # u-2/u-0 tie at 0: newest first
    # Hand-checked: N = 3, |d1| = 5 terms (arc evict race arc; "in", "the" are stopwords: 4), avgdl = (2 + 4 + 3) / 3
    # arc: df 1, tf 2; evict, race: df 1, tf 1;  idf = ln(1 + 2.5 / 1.5) for each
    import math

    idf, norm = math.log(1 + 2.5 / 1.5), 1.2 * (0.25 + 0.75 * 4 / 3)
    assert ranking.entries[0].score == pytest.approx(idf * (2 / (2 + norm) + 2 * 1 / (1 + norm)), rel=1e-12)
    assert ranking.entries[1].score == 0 == ranking.entries[2].score


def test_empty_profile_gives_empty_ranking_without_breaking_the_batch():
    examples = user_examples("u", ["arc evict", "arc evict race"])
    for name in RANKER_NAMES:
        first, second = get_ranker(name, config()).rank(examples)
        assert first.entries == ()
        assert (second.entries == ()) == (name == "none")


@pytest.mark.parametrize("context", ["", "the of and", "!!! ... ???"])
def test_context_without_indexable_words_falls_back_to_recency(context):
    texts = ["arc evict", "pool scrub", "vdev zio", "dmu race"]
    e = user_examples("u", texts)[-1]
    e = Example(e.example_id, e.user_id, e.timestamp, context, e.target, e.profile)
    recent = get_ranker("recent", config()).rank([e])[0]
    assert [x.doc_id for x in recent.entries] == ["u-2", "u-1", "u-0"]
    for name in ("bm25", "doc_by_snippet", "fusion"):
        ranking = get_ranker(name, config("rank.snippet_retriever=bm25", "rank.fusion_rankers=bm25")).rank([e])[0]
        assert [x.doc_id for x in ranking.entries] == ["u-2", "u-1", "u-0"], name


def test_recency_uses_timestamps_not_profile_order():
    docs = (doc("u", 0, "a", ts=30), doc("u", 1, "b", ts=10), doc("u", 2, "c", ts=20))
    e = Example("x", "u", 99, "zzz", "", docs)
    assert [x.doc_id for x in get_ranker("recent", config()).rank([e])[0].entries] == ["u-0", "u-2", "u-1"]


def test_snippet_and_doc_by_snippet():
    long_doc = "Nothing relevant here at all. " * 3 + "The arc eviction race is fixed now."
    texts = ["pool scrub vdev zio text. " * 2, long_doc]
    e = Example("x", "u", 99, "arc eviction race", "", tuple(doc("u", i, t) for i, t in enumerate(texts)))
    cfg = config("retrieve.snippet_chars=30", "rank.snippet_retriever=bm25")
    snippets = get_ranker("snippet", cfg).rank([e])[0]
    best = snippets.entries[0]
    assert best.doc_id == "u-1" and "arc eviction race" in best.text and best.end - best.start < len(long_doc)
    docs = get_ranker("doc_by_snippet", cfg).rank([e])[0]
    assert [x.doc_id for x in docs.entries] == ["u-1", "u-0"]
    assert docs.entries[0].score == pytest.approx(best.score) and docs.entries[0].start == 0


def test_cut_to_budget_golden():
    pieces = [("a", 3.0, 0, 5, "aaaaa"), ("b", 2.0, 0, 0, ""), ("c", 1.0, 10, 16, "cccccc"), ("d", 0.5, 0, 3, "ddd")]
    entries = cut_to_budget(pieces, 9)  # "aaaaa" + "\n" + "ccc" = 9 characters
    assert [(e.doc_id, e.start, e.end, e.text) for e in entries] == [("a", 0, 5, "aaaaa"), ("c", 10, 13, "ccc")]
    assert cut_to_budget(pieces, 6) == cut_to_budget(pieces[:1], 100)
    assert cut_to_budget(pieces, 0) == ()


SCORE_KINDS = {  # ties everywhere; signed continuous (dense cosines); a few nan (the one-by-one path)
    "ties": lambda rng, n: rng.integers(0, 3, size=n).astype(float),
    "signed": lambda rng, n: rng.normal(size=n).round(2),
    "nan": lambda rng, n: np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 3, size=n).astype(float)),
}


def _fields(entries):
    """Entries as tuples with each score's repr: nan != nan, but its repr equals itself."""
    return [(e.doc_id, repr(e.score), e.start, e.end, e.text) for e in entries]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 3), st.text("ab. ", max_size=40)), max_size=45), min_size=1,
                max_size=5), st.integers(-1, 400), st.booleans(), st.sampled_from(sorted(SCORE_KINDS)))
def test_batched_budget_cut_equals_the_per_example_rule(profiles, budget, snippets, kind):
    """rankings_from_scores (all examples at once) == each example ordered alone, then cut_to_budget.

    Profiles of up to 45 short documents with budgets up to 400 characters make rankings that
    need more than 32 candidates, where the earlier per-example loop repeated entries.
    """
    examples = []
    for u, profile in enumerate(profiles):
        docs = tuple(Document(f"u{u}", f"u{u}-{i}", ts, "", text) for i, (ts, text) in enumerate(profile))
        examples.append(Example(f"e{u}", f"u{u}", 99, "ctx", "target", docs))
    layout = layout_profiles(examples)
    units = layout.snippets(10) if snippets else layout.documents()
    scores = SCORE_KINDS[kind](np.random.default_rng(budget + 1), int(units.offsets[-1]))
    batched = rankings_from_scores(examples, units, scores, "x", budget)
    for i, ranking in enumerate(batched):
        lo, a, b = units.lo[i], units.offsets[i], units.offsets[i + 1]
        order = order_segment(scores[a:b], units.recency[lo:lo + b - a])
        pieces = [(units.docs[units.doc_slot[lo + j]].doc_id, scores[a + j], int(units.start[lo + j]),
                   int(units.end[lo + j]), units.text(lo + j)) for j in order]
        expected = cut_to_budget(pieces, budget)
        assert _fields(ranking.entries) == _fields(expected)
        assert len(ranking.text) <= max(budget, 0)
        assert len({(e.doc_id, e.start) for e in ranking.entries}) == len(ranking.entries)


def test_batched_ranking_needing_many_entries_repeats_none():
    """A large budget over 60 short documents: every document once, best first (newest on ties)."""
    docs = tuple(Document("u", f"u-{i}", 1000 + i, "", f"doc {i}") for i in range(60))
    example = Example("e", "u", 2000, "ctx", "target", docs)
    units = layout_profiles([example]).documents()
    scores = np.array([float(i % 3) for i in range(60)])
    ranking = rankings_from_scores([example], units, scores, "x", 10_000)[0]
    expected = sorted(range(60), key=lambda i: (-(i % 3), -i))
    assert [e.doc_id for e in ranking.entries] == [f"u-{i}" for i in expected]


def test_reciprocal_rank_fusion_golden():
    fused = reciprocal_rank_fusion([np.array([0, 1, 2]), np.array([2, 1, 0])], 3, k=1)
    assert fused.tolist() == pytest.approx([1 / 2 + 1 / 4, 2 / 3, 1 / 4 + 1 / 2])


def test_unknown_ranker_lists_the_valid_ones():
    with pytest.raises(UnknownRankerError, match="recent, bm25, dense, snippet, doc_by_snippet, fusion, none"):
        get_ranker("bm52", config())
    with pytest.raises(ConfigError, match="rank.ranker must be one of recent, bm25"):
        load_config(overrides=["rank.ranker=bm52"])
    with pytest.raises(ConfigError, match="fusion_rankers"):
        load_config(overrides=["rank.fusion_rankers=bm25,snippet"])


def test_fusion_of_one_ranking_keeps_its_order_and_two_agreeing_rankings_too():
    texts = ["arc evict race", "pool scrub", "arc race", "vdev zio arc", "the arc evict race again"]
    e = user_examples("u", texts, context_chars=200)[-1]
    bm25 = [x.doc_id for x in get_ranker("bm25", config()).rank([e])[0].entries]
    for rankers in ("bm25", "bm25,bm25"):
        fused = get_ranker("fusion", config(f"rank.fusion_rankers={rankers}")).rank([e])[0]
        assert [x.doc_id for x in fused.entries] == bm25


def test_layout_shares_nested_profiles_and_separates_others():
    examples = user_examples("u", ["a", "b", "c", "d"])
    odd = Example("x", "u", 99, "", "", (examples[3].profile[2], examples[3].profile[0]))  # not a prefix
    layout = layout_profiles([*examples, odd])
    assert len(layout.docs) == 3 + 2  # one shared block of three, plus the odd profile's own two
    assert layout.doc_lo.tolist() == [0, 0, 0, 0, 3] and layout.doc_hi.tolist() == [0, 1, 2, 3, 5]
    assert [d.doc_id for d in layout.docs[3:]] == ["u-2", "u-0"]
