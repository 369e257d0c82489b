"""A git repository's history as documents: one non-merge commit message per document.

Subject = title, body = text. Trailer lines (``Signed-off-by:``, ``Closes #123`` ...) are
removed, e-mail addresses become ``<email>``, and the author is a stable pseudonym
(a hash of the lower-cased author e-mail). Commits with an empty body are counted and
left to the build, which reports them as ``empty_text``.
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from ghostwriter.errors import GhostwriterError
from ghostwriter.io import stable_hash
from ghostwriter.records import Document

_FIELDS = ("%H", "%ae", "%at", "%B")
_RECORD_END = "\x1e"
_FIELD_SEP = "\x1f"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A "-by:" trailer or an issue reference is a trailer anywhere; any "Token: value" line is one
# only inside the message's last paragraph, as git itself defines trailers.
_ALWAYS_TRAILER = re.compile(r"^\s*(?:[A-Za-z]+(?:-[A-Za-z]+)*-by:\s|(?:Closes|Fixes|Resolves|Refs?)\s+#\d+\b)",
                             re.IGNORECASE)
_TOKEN_TRAILER = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]*:\s+\S")


def pseudonym(email: str) -> str:
    """A stable user id for an author e-mail: ``u`` + 10 hex digits of its hash."""
    return "u" + stable_hash(email.strip().lower(), length=10)


def strip_trailers(body: str) -> str:
    """Drop trailer lines (``Signed-off-by: ...``, ``Closes #1``) and the trailer block that ends a message."""
    lines = [line for line in body.strip().splitlines() if not _ALWAYS_TRAILER.match(line)]
    while lines and not lines[-1].strip():
        lines.pop()
    last_break = max((i for i, line in enumerate(lines) if not line.strip()), default=-1)
    tail = lines[last_break + 1:]
    if last_break >= 0 and tail and all(_TOKEN_TRAILER.match(line) for line in tail):
        lines = lines[:last_break]
    return "\n".join(lines).strip()


def read_git_history(repo: Path) -> Iterator[Document]:
    """Yield one :class:`Document` per non-merge commit, newest first (as ``git log`` lists them)."""
    repo = Path(repo)
    if not (repo / ".git").exists() and not (repo / "HEAD").exists():
        raise GhostwriterError(f"{repo}: not a git repository (no .git folder)")
    fmt = _FIELD_SEP.join(_FIELDS) + _RECORD_END
    try:
        proc = subprocess.Popen(["git", "-C", str(repo), "log", "--no-merges", f"--format={fmt}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise GhostwriterError("git is not installed; it is needed to read a repository's history") from None
    buffer = ""
    for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):
        buffer += chunk.decode("utf-8", errors="replace")  # git stores messages as bytes; keep going on odd ones
        *records, buffer = buffer.split(_RECORD_END)
        for record in records:
            yield _commit_document(record.lstrip("\n"))
    if proc.wait() != 0:
        raise GhostwriterError(f"git log failed in {repo}: {proc.stderr.read().decode(errors='replace').strip()}")


def _commit_document(record: str) -> Document:
    sha, email, time, message = record.split(_FIELD_SEP, 3)
    subject, _, body = message.strip().partition("\n")
    return Document(user_id=pseudonym(email), doc_id=sha[:12], timestamp=int(time),
                    title=EMAIL.sub("<email>", subject.strip()),
                    text=EMAIL.sub("<email>", strip_trailers(body)))
