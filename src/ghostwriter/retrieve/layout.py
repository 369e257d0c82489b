"""Lay out all examples' profiles so each example's candidates are one contiguous slot range.

A user's examples usually have nested profiles (each is the user's earlier documents), so they
share one block of slots: the longest profile, with every other profile a prefix of it. Any
profile that is not such a prefix gets a block of its own. Scoring then works on ranges
``[lo, hi)``, never on per-example copies of the corpus.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ghostwriter.records import Document, Example
from ghostwriter.retrieve.snippets import split_snippets


@dataclass(frozen=True)
class Units:
    """Retrievable units (whole documents or snippets) in slots, with each example's range."""

    docs: Sequence[Document]  # the layout's document slots
    doc_slot: np.ndarray  # per unit: its document's slot
    start: np.ndarray  # per unit: character offsets into the document's full_text
    end: np.ndarray
    lo: np.ndarray  # per example: its first unit slot
    hi: np.ndarray  # per example: one past its last unit slot
    block_lo: np.ndarray  # per example: the unit range of the block it shares with its user's other examples
    block_hi: np.ndarray
    recency: np.ndarray  # per unit: larger is newer (timestamp, then position in the profile)

    def __len__(self) -> int:
        return len(self.doc_slot)

    def text(self, unit: int) -> str:
        return self.docs[self.doc_slot[unit]].full_text[self.start[unit]:self.end[unit]]

    @cached_property
    def texts(self) -> list[str]:
        return [self.text(u) for u in range(len(self))]

    @property
    def offsets(self) -> np.ndarray:
        """Where each example's scores start in a flat per-candidate array (see bm25.score_ranges)."""
        return np.concatenate([[0], np.cumsum(self.hi - self.lo)]).astype(np.int64)

    def pair_units(self) -> np.ndarray:
        """Per position of a flat per-candidate array (see ``offsets``): the unit slot it scores."""
        sizes = self.hi - self.lo
        return np.repeat(self.lo - self.offsets[:-1], sizes) + np.arange(int(sizes.sum()), dtype=np.int64)


@dataclass(frozen=True)
class ProfileLayout:
    """Document slots shared by examples, with each example's document range and block."""

    docs: list[Document]
    doc_lo: np.ndarray
    doc_hi: np.ndarray
    block_lo: np.ndarray  # per example, its block's document range
    block_hi: np.ndarray

    @cached_property
    def doc_recency(self) -> np.ndarray:
        timestamps = np.fromiter((d.timestamp for d in self.docs), dtype=np.int64, count=len(self.docs))
        order = np.lexsort((np.arange(len(self.docs)), timestamps))
        recency = np.empty(len(self.docs), dtype=np.int64)
        recency[order] = np.arange(len(self.docs))
        return recency

    def documents(self) -> Units:
        """Whole documents as units: unit slot == document slot."""
        n = len(self.docs)
        return Units(docs=self.docs, doc_slot=np.arange(n, dtype=np.int64), start=np.zeros(n, dtype=np.int64),
                     end=np.fromiter((len(d.full_text) for d in self.docs), dtype=np.int64, count=n),
                     lo=self.doc_lo, hi=self.doc_hi, block_lo=self.block_lo, block_hi=self.block_hi,
                     recency=self.doc_recency)

    def snippets(self, min_chars: int) -> Units:
        """Each document's snippets as units, in document order, so ranges stay contiguous."""
        doc_slot, start, end = [], [], []
        counts = np.zeros(len(self.docs), dtype=np.int64)
        memo: dict[str, list[tuple[int, int]]] = {}
        for slot, doc in enumerate(self.docs):
            text = doc.full_text
            spans = memo.get(text)
            if spans is None:
                spans = memo[text] = split_snippets(text, min_chars) or [(0, 0)]
            counts[slot] = len(spans)
            for s, e in spans:
                doc_slot.append(slot)
                start.append(s)
                end.append(e)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        doc_slot_arr = np.asarray(doc_slot, dtype=np.int64)
        # Newer document first; within a document, earlier snippets count as "newer" (read first).
        recency = self.doc_recency[doc_slot_arr] * (int(counts.max(initial=1)) + 1) + (
            counts[doc_slot_arr] - (np.arange(len(doc_slot_arr)) - ptr[doc_slot_arr]))
        return Units(docs=self.docs, doc_slot=doc_slot_arr, start=np.asarray(start, dtype=np.int64),
                     end=np.asarray(end, dtype=np.int64), lo=ptr[self.doc_lo], hi=ptr[self.doc_hi],
                     block_lo=ptr[self.block_lo], block_hi=ptr[self.block_hi], recency=recency)


def layout_profiles(examples: Sequence[Example]) -> ProfileLayout:
    """Share slots between a user's nested profiles; give any other profile its own block."""
    by_user: dict[str, list[int]] = {}
    for i, example in enumerate(examples):
        by_user.setdefault(example.user_id, []).append(i)
    n = len(examples)
    doc_lo, doc_hi = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    block_lo, block_hi = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    docs: list[Document] = []
    for indices in by_user.values():
        longest = tuple(max((examples[i].profile for i in indices), key=len))
        shared = len(docs)
        docs.extend(longest)
        for i in indices:
            profile = tuple(examples[i].profile)
            if longest[:len(profile)] == profile:  # tuple == compares by identity first: C speed
                lo = shared
            else:
                lo = len(docs)
                docs.extend(profile)
            doc_lo[i], doc_hi[i] = lo, lo + len(profile)
            block_lo[i], block_hi[i] = (shared, shared + len(longest)) if lo == shared else (lo, lo + len(profile))
    return ProfileLayout(docs=docs, doc_lo=doc_lo, doc_hi=doc_hi, block_lo=block_lo, block_hi=block_hi)
