"""Snippets: a document cut into runs of whole sentences of at least ``min_chars`` characters.

Li et al. 2023 (sec. 4.1) split each profile document into snippets by appending sentences
until a snippet reaches 250 characters. Each snippet is a ``(start, end)`` span into the
document's ``full_text`` so the prompt can show exactly where it came from. A short tail is
merged into the snippet before it, so every snippet is at least ``min_chars`` long unless
the whole document is shorter.

>>> text = "One. Two is here. " * 3
>>> [text[s:e] for s, e in split_snippets(text, 20)]
['One. Two is here. One.', 'Two is here. One. Two is here.']
"""
from __future__ import annotations

import re

# A sentence ends after . ! or ? (plus closing quotes/brackets) followed by white space, at a
# blank line, or before a list bullet on a new line (commit messages and e-mails use both).
SENTENCE_END_RE = re.compile(r"""(?<=[.!?])["')\]]*\s+|\n\s*\n\s*|\n(?=\s*(?:[-*•]|\d+[.)])\s)""")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence, white space at the edges excluded."""
    spans, start = [], 0
    for match in SENTENCE_END_RE.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_snippets(text: str, min_chars: int = 250) -> list[tuple[int, int]]:
    """Spans of consecutive sentences, each at least ``min_chars`` long (a short tail joins the last)."""
    snippets: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for s, e in sentence_spans(text):
        current = (current[0], e) if current else (s, e)
        if current[1] - current[0] >= min_chars:
            snippets.append(current)
            current = None
    if current:
        if snippets:
            snippets[-1] = (snippets[-1][0], current[1])
        else:
            snippets.append(current)
    return snippets
