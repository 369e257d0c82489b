"""What the service asks of a completion engine, and a model-free one built from real parts.

The HTTP layer only knows :class:`Completer`: batch-first ``complete`` and a ``stream`` that
reports evidence and then text pieces as they are made. :class:`ExtractiveCompleter` ranks
with the user's live BM25 index and continues the context with the best-matching past
passage; it needs no model, so tests and smoke checks run in milliseconds.
``ghostwriter.serve.pipeline_completer`` is the real one (the pipeline and a language model).
"""
from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ghostwriter.config import Config
from ghostwriter.records import Ranking, SynthesizedWord
from ghostwriter.serve.index import IndexRegistry, rank_user
from ghostwriter.text import Tokenizer

INDEX_RANKERS = ("recent", "bm25", "dense")  # rankers the live per-user index answers directly


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """One completion: finish ``title`` + ``context`` the way ``user_id`` of ``tenant_id`` would."""

    request_id: str
    tenant_id: int
    user_id: str
    title: str
    context: str
    variant: str
    max_tokens: int
    profile_size: int | None = None  # the store's document count when the request came in

    @property
    def user_key(self) -> tuple[int, str]:
        return self.tenant_id, self.user_id

    @property
    def full_context(self) -> str:
        """Title and first words joined the way a document's ``full_text`` is."""
        return f"{self.title}\n{self.context}" if self.title else self.context


@dataclass(frozen=True, slots=True)
class Completion:
    """The continuation and the evidence that shaped it."""

    request_id: str
    variant: str
    text: str
    ranking: Ranking | None
    summary: str
    words: tuple[SynthesizedWord, ...]
    prompt: str
    prompt_tokens: int
    timings_ms: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        entries = self.ranking.entries if self.ranking else ()
        return {
            "request_id": self.request_id, "variant": self.variant, "text": self.text,
            "evidence": {
                "ranker": self.ranking.ranker if self.ranking else "none",
                "entries": [{"doc_id": e.doc_id, "score": round(e.score, 6), "start": e.start, "end": e.end,
                             "text": e.text} for e in entries],
                "summary": self.summary,
                "words": [{"word": w.word, "source": w.source, "score": round(w.score, 6)} for w in self.words],
                "prompt_tokens": self.prompt_tokens,
            },
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items() if k != "batch_size"},
            "batch_size": int(self.timings_ms.get("batch_size", 1)),
        }


OnEvent = Callable[[str, object], None]  # ("evidence", Completion) then ("token", str) ...


class Completer(Protocol):
    """A completion engine. ``load()`` happens once at start-up, before any request."""

    name: str

    def load(self) -> None: ...

    def variants(self) -> list[str]: ...

    def complete(self, requests: Sequence[CompletionRequest]) -> list[Completion]: ...

    def stream(self, request: CompletionRequest, on_event: OnEvent) -> Completion: ...


class Stopwatch:
    """Milliseconds per named stage, in the order they ran."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + (now - self._last) * 1000.0
        self._last = now


def frequent_words(texts: Sequence[str], tokenizer: Tokenizer, exclude: set[str], top_k: int,
                   source: str) -> tuple[SynthesizedWord, ...]:
    """The ``top_k`` most frequent words of ``texts`` not in ``exclude``, ties alphabetical."""
    counts = Counter(w for text in texts for w in tokenizer.words(text) if w not in exclude and len(w) > 2)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top_k]
    return tuple(SynthesizedWord(word=w, source=source, score=float(c)) for w, c in ranked)


class ExtractiveCompleter:
    """Model-free completions: rank with the live index, continue with the best passage's words.

    The continuation is the top-ranked document's text after the words it shares with the end
    of the context (or its opening words when it shares none), cut at ``max_tokens`` words.
    """

    name = "extractive"

    def __init__(self, config: Config, indexes: IndexRegistry):
        self.config, self.indexes = config, indexes
        self.tokenizer = indexes.tokenizer

    def load(self) -> None:
        pass

    def variants(self) -> list[str]:
        from ghostwriter.variants import VARIANTS

        return list(VARIANTS)

    def _ranker(self, variant: str) -> str:
        """The variant's ranker when the live index has it, else bm25 (``none`` stays none)."""
        from ghostwriter.variants import variant_config

        ranker = variant_config(self.config, variant or None).rank.ranker
        return ranker if ranker in (*INDEX_RANKERS, "none") else "bm25"

    def complete(self, requests: Sequence[CompletionRequest]) -> list[Completion]:
        return [self._complete_one(r) for r in requests]

    def stream(self, request: CompletionRequest, on_event: OnEvent) -> Completion:
        result = self._complete_one(request)
        on_event("evidence", dataclasses.replace(result, text=""))  # the text follows as tokens
        for piece in _pieces(result.text):
            on_event("token", piece)
        return result

    def _complete_one(self, request: CompletionRequest) -> Completion:
        clock = Stopwatch()
        index = self.indexes.get(request.user_key, request.profile_size)
        ranker = self._ranker(request.variant)
        if ranker == "dense":
            ranker = "bm25"  # no encoder here: the extractive completer never loads a model
        ranking = (Ranking(request.request_id, "none", ()) if ranker == "none" else
                   rank_user(index, request.request_id, request.full_context, ranker, self.config.rank.budget_chars))
        clock.lap("rank")
        exclude = set(self.tokenizer.words(request.full_context))
        words = frequent_words([e.text for e in ranking.entries], self.tokenizer, exclude,
                               self.config.synthesize.top_k, source="profile_frequency")
        clock.lap("synthesize")
        prompt = "\n".join(p for p in (self.config.prompt.instruction, ranking.text,
                                       " ".join(w.word for w in words), request.full_context) if p)
        prompt_tokens = len(prompt.split())
        clock.lap("prompt")
        text = continue_from(ranking.entries[0].text if ranking.entries else "", request.full_context,
                             request.max_tokens)
        clock.lap("generate")
        return Completion(request_id=request.request_id, variant=request.variant or ranker, text=text,
                          ranking=ranking, summary="", words=words, prompt=prompt,
                          prompt_tokens=prompt_tokens, timings_ms=clock.timings)


def continue_from(passage: str, context: str, max_words: int) -> str:
    """The words of ``passage`` after the last context word it contains, at most ``max_words``."""
    words = passage.split()
    if not words:
        return ""
    tail = [w.lower() for w in context.split()[-3:]]
    start = 0
    for cue in reversed(tail):
        hits = [i for i, w in enumerate(words) if w.lower() == cue]
        if hits:
            start = hits[0] + 1
            break
    piece = words[start:start + max_words] or words[:max_words]
    return " " + " ".join(piece)


def _pieces(text: str) -> list[str]:
    """Split text into word-sized pieces that join back to it exactly."""
    pieces, current = [], ""
    for char in text:
        if char == " " and current.strip():
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces
