"""CNN/DailyMail article -> highlights pairs (CSV with a header, or JSONL), for summarizer training."""
from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from ghostwriter.data.fields import FieldReader, Skip, json_objects
from ghostwriter.errors import BadInputError, BadRecords
from ghostwriter.io import open_binary
from ghostwriter.records import SummaryPair

CNN_DM_COLUMNS = ("id", "article", "highlights")


def read_cnn_dailymail(path: Path, bad: BadRecords | None = None) -> Iterator[SummaryPair]:
    """Stream :class:`SummaryPair`s; the format is chosen by the file name (``.csv[.gz]`` or JSONL)."""
    bad = bad or BadRecords()
    path = Path(path)
    rows = _csv_rows(path, bad) if ".csv" in path.suffixes else json_objects(path, bad, desc=path.name)
    for line, record in rows:
        fields = FieldReader(record, str(path), line, bad)
        try:
            article, summary = fields.text("article"), fields.text("highlights")
            if not article.strip() or not summary.strip():
                fields.fail("article" if not article.strip() else "highlights",
                            "empty; expected text", reason="empty_text")
            yield SummaryPair(pair_id=fields.identifier("id"), article=article, summary=summary)
        except Skip:
            continue


def _csv_rows(path: Path, bad: BadRecords) -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(sys.maxsize)  # articles are long
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        reader = csv.DictReader(text)
        try:
            missing = [c for c in CNN_DM_COLUMNS if c not in (reader.fieldnames or [])]
        except UnicodeDecodeError as exc:
            raise BadInputError(str(path), 1, "<header>", f"not UTF-8 ({exc.reason})") from None
        if missing:
            raise BadInputError(str(path), 1, "<header>",
                                f"missing columns {missing}; expected {list(CNN_DM_COLUMNS)}")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                bad.report(str(path), reader.line_num + 1, "<line>", f"not UTF-8 ({exc.reason})",
                           reason="non_utf8")
                return  # the decoder cannot resynchronise inside a CSV stream
            yield reader.line_num, row
