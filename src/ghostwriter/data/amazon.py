"""Amazon Review Data (2018, "v2"): one review per line, the user is the reviewer.

Fields used: ``reviewerID`` (user), ``asin`` (product), ``unixReviewTime`` (time),
``summary`` (title) and ``reviewText`` (body). Reviews have no id of their own, so the
doc_id is a stable hash of reviewer, product and time.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ghostwriter.data.fields import FieldReader, Skip, json_objects
from ghostwriter.errors import BadRecords
from ghostwriter.io import stable_hash
from ghostwriter.records import Document


def read_amazon_reviews(path: Path, bad: BadRecords | None = None) -> Iterator[Document]:
    """Stream Amazon reviews as :class:`Document`s (title = summary, text = reviewText)."""
    bad = bad or BadRecords()
    for line, record in json_objects(Path(path), bad, desc=Path(path).name):
        fields = FieldReader(record, str(path), line, bad)
        try:
            user = fields.identifier("reviewerID")
            asin = fields.identifier("asin")
            timestamp = fields.timestamp("unixReviewTime")
            yield Document(
                user_id=user,
                doc_id=stable_hash(user, asin, str(timestamp)),
                timestamp=timestamp,
                title=fields.text("summary", required=False),
                text=fields.text("reviewText", required=False),  # empty reviews are counted by the build
            )
        except Skip:
            continue
