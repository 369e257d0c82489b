"""The project's generic documents format: one JSON object per line.

``{"user_id": str, "doc_id": str, "timestamp": int, "title": str, "text": str}`` --
the format of ``shared/data/openzfs-commits.jsonl.gz`` and of every ``documents.jsonl``
this project writes.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ghostwriter.data.fields import FieldReader, Skip, json_objects
from ghostwriter.errors import BadRecords
from ghostwriter.records import Document


def read_documents(path: Path, bad: BadRecords | None = None) -> Iterator[Document]:
    """Stream :class:`Document`s from a (optionally gzipped) documents JSONL file."""
    bad = bad or BadRecords()
    for line, record in json_objects(Path(path), bad, desc=Path(path).name):
        fields = FieldReader(record, str(path), line, bad)
        try:
            yield Document(
                user_id=fields.identifier("user_id"),
                doc_id=fields.identifier("doc_id"),
                timestamp=fields.timestamp("timestamp"),
                title=fields.text("title", required=False),
                text=fields.text("text"),
            )
        except Skip:
            continue
