"""LaMP and LongLaMP: each question is a user whose ``profile`` list holds past documents.

A question file is a JSON array or JSONL of ``{"id", "input", "profile": [...]}``; the
reference text is either inline (``"output"``, as in LongLaMP's releases) or in a LaMP
outputs file ``{"task": ..., "golds": [{"id", "output"}]}``. LaMP profiles carry no usable
time order, so profile position stands in for time and the current document comes last.

Per task, :data:`LAMP_TASKS` says which profile fields are title and body, and where the
current document's title and body come from (``"output"`` or text after the input's prompt).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ghostwriter.data.fields import FieldReader, Skip, json_objects
from ghostwriter.errors import BadInputError, BadRecords
from ghostwriter.io import open_binary
from ghostwriter.records import Document


@dataclass(frozen=True)
class LampTask:
    profile_title: str | None  # profile field used as the title (None: no title)
    profile_text: str  # profile field used as the body
    current_title: str | None  # "output", "input", or None
    current_text: str  # "output" or "input"
    user_field: str | None = None  # question field naming a real user (else each question is a user)


LAMP_TASKS = {
    "LaMP_4": LampTask("title", "text", current_title="output", current_text="input"),  # news headline
    "LaMP_5": LampTask("title", "abstract", current_title="output", current_text="input"),  # paper title
    "LaMP_7": LampTask(None, "text", current_title=None, current_text="output"),  # tweet paraphrase
    "LongLaMP_product_review": LampTask("summary", "reviewText", current_title=None, current_text="output",
                                        user_field="reviewerId"),
    "LongLaMP_abstract_generation": LampTask("title", "abstract", current_title="input", current_text="output"),
    "LongLaMP_topic_writing": LampTask("summary", "content", current_title="input", current_text="output",
                                       user_field="author"),
}

_PROMPT_PREFIX = re.compile(r"^.*?:\s*", re.DOTALL)  # "Generate a headline for the following article: ..."


def read_lamp(path: Path, task: str, outputs: Path | None = None,
              bad: BadRecords | None = None) -> Iterator[Document]:
    """Stream a LaMP/LongLaMP question file as :class:`Document`s, profile first, current last."""
    if task not in LAMP_TASKS:
        raise BadInputError(str(path), 0, "--lamp-task", f"unknown task {task!r}; choose from {sorted(LAMP_TASKS)}")
    spec, bad, path = LAMP_TASKS[task], bad or BadRecords(), Path(path)
    golds = _read_golds(Path(outputs)) if outputs else {}
    for line, question in _questions(path, bad):
        fields = FieldReader(question, str(path), line, bad)
        try:
            qid = fields.identifier("id")
            user = str(question.get(spec.user_field) or qid) if spec.user_field else qid
            profile = question.get("profile")
            if not isinstance(profile, list):
                fields.fail("profile", "expected a list of past documents", reason="bad_profile")
            output = golds.get(qid) if golds else fields.text("output")
            if output is None:
                fields.fail("id", f"no output for question {qid!r} in {outputs}", reason="missing_output")
            current = {"output": output, "input": _PROMPT_PREFIX.sub("", fields.text("input"), count=1)}
        except Skip:
            continue
        for index, entry in enumerate(profile):
            item = FieldReader(entry if isinstance(entry, dict) else {}, str(path), line, bad)
            try:
                yield Document(user_id=user, doc_id=f"{qid}-p{entry.get('id', index)}", timestamp=index,
                               title=item.text(spec.profile_title, required=False) if spec.profile_title else "",
                               text=item.text(spec.profile_text))
            except Skip:
                continue
        yield Document(user_id=user, doc_id=str(qid), timestamp=len(profile),
                       title=current[spec.current_title] if spec.current_title else "",
                       text=current[spec.current_text])


def _questions(path: Path, bad: BadRecords) -> Iterator[tuple[int, dict]]:
    with open_binary(path) as handle:
        first = handle.read(64).lstrip()
    if first.startswith(b"["):  # a JSON array: LaMP's own release format, read whole
        with open_binary(path) as handle:
            try:
                items = json.loads(handle.read().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise BadInputError(str(path), getattr(exc, "lineno", 1), "<file>",
                                    f"not a valid UTF-8 JSON array ({exc})") from None
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                bad.report(str(path), index, "<item>", "expected a JSON object (item number given as line)",
                           reason="not_an_object")
                continue
            yield index, item
    else:
        yield from json_objects(path, bad, desc=path.name)


def _read_golds(path: Path) -> dict[str, str]:
    with open_binary(path) as handle:
        try:
            table = json.loads(handle.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInputError(str(path), 1, "<file>", f"not a valid UTF-8 JSON outputs file ({exc})") from None
    golds = table.get("golds") if isinstance(table, dict) else None
    if not isinstance(golds, list):
        raise BadInputError(str(path), 1, "golds", 'expected {"task": ..., "golds": [{"id", "output"}, ...]}')
    return {str(g["id"]): g["output"] for g in golds if isinstance(g, dict) and "id" in g and "output" in g}
