"""The records that flow between stages: frozen dataclasses, never loose dicts.

Every stage takes and returns these, so a result can be inspected field by field
and a test can compare two runs with ``==``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Document:
    """One past or current piece of writing by one user (an e-mail, a review, a commit message)."""

    user_id: str
    doc_id: str
    timestamp: int  # Unix seconds; orders a user's documents
    title: str
    text: str

    @property
    def full_text(self) -> str:
        """Title and body as one passage: the text the immediate context is cut from."""
        return f"{self.title}\n{self.text}" if self.title else self.text

    def to_json(self) -> dict:
        return {"user_id": self.user_id, "doc_id": self.doc_id, "timestamp": self.timestamp,
                "title": self.title, "text": self.text}


@dataclass(frozen=True, slots=True)
class Example:
    """A generation task: finish ``context`` the way ``user_id`` would, given ``profile``.

    ``profile`` holds the user's documents with a strictly earlier timestamp, oldest first.
    ``target`` is what the user actually wrote after the context; nothing that builds a
    prompt may read it.
    """

    example_id: str  # the doc_id of the current document
    user_id: str
    timestamp: int
    context: str
    target: str
    profile: tuple[Document, ...] = field(default=(), repr=False)

    def to_json(self) -> dict:
        """The on-disk form: the profile as a list of doc_ids into documents.jsonl."""
        return {"example_id": self.example_id, "user_id": self.user_id, "timestamp": self.timestamp,
                "context": self.context, "target": self.target,
                "profile": [d.doc_id for d in self.profile]}


@dataclass(frozen=True, slots=True)
class SummaryPair:
    """An article and its reference summary (CNN/DailyMail), for training a summarizer."""

    pair_id: str
    article: str
    summary: str


@dataclass(frozen=True, slots=True)
class RankedEntry:
    """One profile entry chosen for the prompt: a whole document or a snippet of one.

    ``start``/``end`` are character offsets into the document's ``full_text`` so a user
    can see exactly which span went into the prompt.
    """

    doc_id: str
    score: float
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Ranking:
    """A ranker's ordered, budget-cut entries for one example."""

    example_id: str
    ranker: str
    entries: tuple[RankedEntry, ...]

    @property
    def text(self) -> str:
        return "\n".join(e.text for e in self.entries)


@dataclass(frozen=True, slots=True)
class SynthesizedWord:
    """An important word and why it was chosen.

    ``source`` names the synthesizer (``syn_ind``, ``centroid_glove`` ...); ``score`` is that
    synthesizer's own measure (frequency for keywords, distance to the centroid for centroid words).
    """

    word: str
    source: str
    score: float


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything the generator sees for one example, and how it was made (never the target)."""

    example_id: str
    variant: str
    context: str
    ranking: Ranking | None
    summary: str
    words: tuple[SynthesizedWord, ...]
    prompt: str
    prompt_tokens: int


@dataclass(frozen=True, slots=True)
class Generation:
    """A generated continuation with the prepared input it came from."""

    example_id: str
    variant: str
    text: str
    prepared: Prepared


@dataclass(frozen=True, slots=True)
class Score:
    """A metric's value with its signature (metric, tokenizer, case, stemmer, versions, seed)."""

    metric: str
    value: float
    signature: str
