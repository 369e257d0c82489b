"""Named variants: each paper (and follow-up study) configuration as a set of config overrides.

A variant only sets what it is about; everything else comes from the config it is applied
to (so ``--set rank.ranker=dense --variant sum_ind`` summarizes dense-ranked entries).

>>> from ghostwriter.config import Config
>>> variant_config(Config(), "centroid_glove").synthesize.method
'centroid_glove'
"""
from __future__ import annotations

from ghostwriter.config import Config, apply_table
from ghostwriter.errors import GhostwriterError

_NO_STAGES = {"summarize.method": "none", "synthesize.method": "none"}
_BASELINE = {"summarize.method": "sum_ind", "synthesize.method": "syn_ind"}

VARIANTS: dict[str, dict[str, object]] = {
    # Li et al. 2023, Table 2: no personalization, then each ranker alone
    "immed_ctx": {"rank.ranker": "none", **_NO_STAGES},
    "recent_doc": {"rank.ranker": "recent", **_NO_STAGES},
    "rank_bm25": {"rank.ranker": "bm25", **_NO_STAGES},
    "rank_dense": {"rank.ranker": "dense", **_NO_STAGES},
    "rank_snippet": {"rank.ranker": "snippet", **_NO_STAGES},
    "rank_doc_by_snippet": {"rank.ranker": "doc_by_snippet", **_NO_STAGES},
    "rank_fusion": {"rank.ranker": "fusion", **_NO_STAGES},
    # ranking + one summary or one synthesis (the config's ranker)
    "sum_ind": {"summarize.method": "sum_ind", "synthesize.method": "none"},
    "sum_ctx": {"summarize.method": "sum_ctx", "synthesize.method": "none"},
    "syn_ind": {"summarize.method": "none", "synthesize.method": "syn_ind"},
    "syn_ctx": {"summarize.method": "none", "synthesize.method": "syn_ctx"},
    "sum_ctx+syn_ctx": {"summarize.method": "sum_ctx", "synthesize.method": "syn_ctx"},
    # the follow-up study: Baseline = ranking + sum_ind + syn_ind; new synthesis replaces or joins syn_ind
    "baseline": dict(_BASELINE),
    "centroid_w2v": {"summarize.method": "sum_ind", "synthesize.method": "centroid_w2v"},
    "centroid_glove": {"summarize.method": "sum_ind", "synthesize.method": "centroid_glove"},
    "centroid_w2v+syn_ind": {"summarize.method": "sum_ind", "synthesize.method": "syn_ind+centroid_w2v"},
    "centroid_glove+syn_ind": {"summarize.method": "sum_ind", "synthesize.method": "syn_ind+centroid_glove"},
    # input-format ablations (Li et al. 2023, sec. 6), on the baseline
    "ablate_context_end": {**_BASELINE, "prompt.context_position": "end"},
    "ablate_no_summary": {**_BASELINE, "prompt.drop": ("summary",)},
    "ablate_no_words": {**_BASELINE, "prompt.drop": ("important_words",)},
    "ablate_no_passages": {**_BASELINE, "prompt.drop": ("past_passages",)},
    "ablate_no_passage_start": {**_BASELINE, "prompt.drop": ("passage_start",)},
}


def variant_config(config: Config, name: str | None) -> Config:
    """``config`` with the variant's overrides applied; ``None``, ``""`` or ``"config"`` returns it unchanged."""
    if not name or name == "config":
        return config
    if name not in VARIANTS:
        raise GhostwriterError(f"unknown variant {name!r}; choose from: {', '.join(VARIANTS)}")
    table: dict[str, dict] = {}
    for key, value in VARIANTS[name].items():
        section, leaf = key.split(".")
        table.setdefault(section, {})[leaf] = list(value) if isinstance(value, tuple) else value
    return apply_table(config, table, where=f"variant {name!r}")
