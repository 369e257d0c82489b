"""``none``: empty rankings, for the no-personalization baseline."""
from __future__ import annotations

from collections.abc import Sequence

from ghostwriter.records import Example, Ranking


class NoRanker:
    name = "none"

    def __init__(self, config=None):
        self.config = config

    def rank(self, examples: Sequence[Example]) -> list[Ranking]:
        return [Ranking(e.example_id, self.name, ()) for e in examples]
