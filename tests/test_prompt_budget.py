"""The prompt format (section order, omissions, ablations) and its token budget."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostwriter.config import PromptConfig
from ghostwriter.prompt import PromptBudgetError, approx_tokens, build_prompt, render_prompt

CTX = "Fix the ARC eviction"


def test_paper_format_and_section_order():
    text = render_prompt(CTX, "He tunes the ARC.", ["arc", "evict"], ["Tune ARC size", "Evict faster"], PromptConfig())
    assert text.splitlines() == [
        "Finish the passage in the user voice.",
        "passage start: Fix the ARC eviction",
        "summary: He tunes the ARC.",
        "important words: arc, evict",
        "past passages: Tune ARC size",
        "Evict faster",
    ]


def test_empty_sections_are_omitted_and_context_can_go_last():
    cfg = PromptConfig(context_position="end")
    assert render_prompt(CTX, "", ["arc"], [], cfg).splitlines() == [
        "Finish the passage in the user voice.", "important words: arc", "passage start: Fix the ARC eviction"]


@pytest.mark.parametrize("section, missing", [("summary", "summary:"), ("important_words", "important words:"),
                                              ("past_passages", "past passages:"), ("passage_start", "passage start:")])
def test_dropping_a_section(section, missing):
    text = render_prompt(CTX, "S.", ["w"], ["P"], PromptConfig(drop=(section,)))
    assert missing not in text
    assert sum(label in text for label in ("passage start:", "summary:", "important words:", "past passages:")) == 3


def test_cut_order_passages_then_summary_then_words_never_context():
    summary = "one two three four five six seven eight"
    words = ["alpha", "beta", "gamma"]
    passages = ["p1 p2 p3 p4 p5 p6 p7 p8 p9 p10", "q1 q2 q3"]
    full = approx_tokens(render_prompt(CTX, summary, words, passages, PromptConfig()))
    # a little short: only passages are cut, from the end
    text, n = build_prompt(CTX, summary, words, passages, PromptConfig(max_tokens=full - 4))
    assert n <= full - 4 and f"summary: {summary}" in text and "q1" not in text and "p1 p2" in text
    # no room for passages at all: the summary is cut next
    no_passages = approx_tokens(render_prompt(CTX, summary, words, [], PromptConfig()))
    text, n = build_prompt(CTX, summary, words, passages, PromptConfig(max_tokens=no_passages - 3))
    assert "past passages" not in text and "summary: one two three four five" in text and "eight" not in text
    assert "important words: alpha, beta, gamma" in text
    # then the words; the passage start stays whole
    minimal = approx_tokens(render_prompt(CTX, "", [], [], PromptConfig()))
    text, n = build_prompt(CTX, summary, words, passages, PromptConfig(max_tokens=minimal + 3))
    assert "summary" not in text and "passage start: Fix the ARC eviction" in text and n <= minimal + 3
    with pytest.raises(PromptBudgetError, match="prompt.max_tokens=5 is too small"):
        build_prompt(CTX, summary, words, passages, PromptConfig(max_tokens=5))


def test_budget_counts_with_a_real_tokenizer(tiny_models):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_models["t5"])

    def count(text):
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    passages = ["The ARC is the adaptive replacement cache of ZFS, and it evicts buffers."] * 5
    text, n = build_prompt(CTX, "summary text", ["arc"], passages, PromptConfig(max_tokens=60), count)
    assert n == count(text) <= 60 and "passage start: Fix the ARC eviction" in text


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=150, deadline=None)
@given(context=texts, summary=texts, words=st.lists(st.text(min_size=1, max_size=12), max_size=25),
       passages=st.lists(texts, max_size=6), budget=st.integers(1, 400),
       position=st.sampled_from(["start", "end"]))
def test_prompts_never_exceed_the_budget(context, summary, words, passages, budget, position):
    cfg = PromptConfig(max_tokens=budget, context_position=position)
    try:
        text, n = build_prompt(context, summary, words, passages, cfg)
    except PromptBudgetError:
        assert approx_tokens(render_prompt(context, "", [], [], cfg)) > budget
        return
    assert n == approx_tokens(text) <= budget
    assert f"passage start: {context}" in text  # never cut


@pytest.mark.parametrize("override, message", [
    ("prompt.drop=bogus", "prompt.drop: unknown section(s) ['bogus']; choose from passage_start, summary"),
    ("prompt.context_position=middle", "prompt.context_position must be start or end"),
    ("synthesize.method=syn_ind+syn_ind", "several joined with '+'"),
    ("synthesize.method=none+syn_ind", "several joined with '+'"),
    ("summarize.method=sum_all", "summarize.method must be one of none, sum_ind, sum_ctx"),
])
def test_config_errors_name_the_choices(override, message):
    from ghostwriter.config import load_config
    from ghostwriter.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        load_config(overrides=[override])
    assert message in str(error.value)


def test_combined_synthesis_is_a_valid_method():
    from ghostwriter.config import load_config

    assert load_config(overrides=["synthesize.method=syn_ind+centroid_w2v"]).synthesize.method == "syn_ind+centroid_w2v"
    assert load_config(overrides=["prompt.drop=summary,past_passages"]).prompt.drop == ("summary", "past_passages")
