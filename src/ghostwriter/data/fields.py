"""Shared parsing for line-oriented importers: decode, parse, and check one field at a time.

Every failure goes through :class:`~ghostwriter.errors.BadRecords`, which either stops the
import with the file, line and field named, or counts the record under a reason.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from ghostwriter.errors import BadRecords
from ghostwriter.io import file_size, numbered_lines


class Skip(Exception):
    """Raised inside a record parser once the bad record has been reported."""


def json_objects(path: Path, bad: BadRecords, desc: str = "reading") -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` for each JSON-object line; blank lines are ignored."""
    source = str(path)
    with tqdm(total=file_size(path), unit="B", unit_scale=True, desc=desc, disable=None, leave=False) as bar:
        for number, raw in numbered_lines(path):
            bar.update(len(raw))
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad.report(source, number, "<line>",
                           f"non-UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start}; files must be UTF-8",
                           reason="non_utf8")
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.report(source, number, "<line>", f"not valid JSON ({exc.msg} at column {exc.colno})",
                           reason="invalid_json")
                continue
            if not isinstance(record, dict):
                bad.report(source, number, "<line>", f"expected a JSON object, got {type(record).__name__}",
                           reason="not_an_object")
                continue
            yield number, record


class FieldReader:
    """Typed access to one record's fields; a bad field is reported and raises :class:`Skip`."""

    def __init__(self, record: dict, source: str, line: int, bad: BadRecords):
        self.record, self.source, self.line, self.bad = record, source, line, bad

    def fail(self, name: str, message: str, reason: str):
        self.bad.report(self.source, self.line, name, message, reason=reason)
        raise Skip

    def text(self, name: str, required: bool = True, default: str = "") -> str:
        """A string field; a missing optional field or JSON null gives ``default``."""
        value = self.record.get(name)
        if value is None:
            if required:
                self.fail(name, "missing; expected a string", reason=f"missing_{name}")
            return default
        if not isinstance(value, str):
            self.fail(name, f"expected a string, got {type(value).__name__} {value!r:.40}",
                      reason=f"bad_{name}")
        return value

    def identifier(self, name: str) -> str:
        """A non-empty id: a string, or an integer (converted to its decimal text)."""
        value = self.record.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"expected a non-empty string id, got {value!r:.40}",
                      reason=f"missing_{name}" if value is None else f"bad_{name}")
        return value.strip()

    def timestamp(self, name: str) -> int:
        """Unix seconds: an integer, a whole float, or a string of digits."""
        value = self.record.get(name)
        if value is None:
            self.fail(name, "missing; expected Unix seconds (an integer)", reason="missing_timestamp")
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not math.isfinite(value)):
            self.fail(name, f"expected Unix seconds (an integer), got {value!r:.40}", reason="bad_timestamp")
        return int(value)
