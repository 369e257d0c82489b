"""File helpers: transparent gzip, line-numbered reading, and atomic writes.

Outputs are written to a temporary name beside the target and renamed into place, so a
killed job never leaves a half-written file behind.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"
_UMASK = os.umask(0)
os.umask(_UMASK)


def open_binary(path: Path):
    """Open a file for reading bytes, gunzipping it when it starts with gzip's magic number."""
    path = Path(path)
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else open(path, "rb")


def numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_bytes)`` for every line, 1-based; decoding is the caller's job."""
    with open_binary(path) as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line


def file_size(path: Path) -> int:
    return os.path.getsize(path)


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w"):
    """Write to a temporary file in the same folder and rename it over ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": "\n"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)


def dumps_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def write_jsonl(path: Path, records: Iterable[dict]) -> None:
    """Write one JSON object per line, atomically."""
    with atomic_writer(path) as handle:
        for record in records:
            handle.write(dumps_line(record))


def read_jsonl(path: Path) -> Iterator[dict]:
    """Read a JSON-lines file the project wrote itself (inputs from users go through importers)."""
    for number, raw in numbered_lines(path):
        if raw.strip():
            try:
                yield json.loads(raw)
            except json.JSONDecodeError as exc:
                from ghostwriter.errors import BadInputError

                raise BadInputError(str(path), number, "<line>", f"not valid JSON ({exc.msg})") from None


def sha256_files(paths: Iterable[Path]) -> str:
    """One content hash over several files, in the order given (names included)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode())
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def stable_hash(*parts: str, length: int = 12) -> str:
    """A short, stable hex id from text parts (pseudonyms, synthetic doc ids)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]
