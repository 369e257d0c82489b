"""Rankers: order each example's profile using only its immediate context (Li et al. 2023, sec. 4.1).

``get_ranker(name, config).rank(examples) -> list[Ranking]``; names in :data:`RANKERS`.
"""
from ghostwriter.rank.registry import RANKER_NAMES, RANKERS, UnknownRankerError, get_ranker

__all__ = ["RANKERS", "RANKER_NAMES", "UnknownRankerError", "get_ranker"]
