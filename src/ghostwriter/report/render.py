"""HTML (self-contained: CSS inline, images as base64) and Markdown renderings of a report."""
from __future__ import annotations

import base64
import html
import os
import re
from pathlib import Path

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}.note{color:#555;font-size:13px}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:13px;color:#555}
.ex{border:1px solid #ddd;border-radius:6px;padding:0.5em 1em;margin:1em 0}.ex pre{white-space:pre-wrap;margin:0.2em 0;font-size:13px}
code{font-size:12px}.ci{color:#666;font-size:11px}
"""


def _md_table_rows(markdown: str) -> tuple[list[list[str]], list[str]]:
    rows, legend = [], []
    for line in markdown.splitlines():
        if line.startswith("|---"):
            continue
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif line.strip():
            legend.append(line.strip())
    return rows, legend


_SCORE = re.compile(r"^(-?[\d.]+) (\[[^\]]+\])(.*)$")


def _cell(text: str) -> str:
    """A score cell: the value, its CI on a second, smaller line, then any significance marks."""
    match = _SCORE.match(text)
    if not match:
        return html.escape(text)
    value, ci, marks = match.groups()
    marks = f" <b>{html.escape(marks.strip())}</b>" if marks.strip() else ""
    return f"{html.escape(value)}{marks}<br><span class=ci>{html.escape(ci)}</span>"


def _html_table(header: list[str], body: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td{'' if i == 0 else ' class=num'}>{_cell(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in body)
    return f"<table><tr>{head}</tr>{rows}</table>"


def _image(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(Path(path).stem)}" src="data:image/png;base64,{data}">'


def _setup(results: dict) -> list[str]:
    lines = [f"Dataset: {results['dataset']} (sha256 {results.get('dataset_sha256', '')[:16]}), split "
             f"{results['split']}, {results['n_examples']} examples (seeded sample, seed {results['seed']}).",
             f"Experiment file: {results['spec']}."]
    for v in results["variants"]:
        how = v["model"] + (f" (run {v['run_dir']})" if v.get("run_dir") else " (zero-shot)") if v["model"] \
            else f"no model: {v['generator']}"
        lines.append(f"{v['name']}: variant {v['variant']}, generator {how}")
    return lines


def _signatures(results: dict) -> list[str]:
    first = results["rows"][0]["metrics"] if results["rows"] else {}
    return [f"{m}: {entry['signature']}" for m, entry in first.items()]


def html_page(page: dict) -> str:
    results = page["results"]
    rows, legend = _md_table_rows(page["table_md"])
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(results['title'])}</title>"
             f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(results['title'])}</h1>",
             "<h2>Results</h2>", _html_table(rows[0], rows[1:]) if rows else "<p>No rows.</p>"]
    parts += [f"<p class=note>{html.escape(line)}</p>" for line in legend]
    parts.append("<h2>Setup</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in _setup(results)) + "</ul>")
    for title, path, caption in page["figures"]:
        parts.append(f"<h2>{html.escape(title)}</h2><figure>{_image(path)}"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts += [f"<p class=note>{html.escape(n)}</p>" for n in page["notes"]]
    for title, header, body in page["breakdowns"]:
        parts.append(f"<h2>{html.escape(title)}</h2>{_html_table(header, body)}")
    if page["examples"]:
        parts.append("<h2>Examples side by side</h2>")
    for ex in page["examples"]:
        block = [f"<div class=ex><h3>{html.escape(ex['example_id'])} (user {html.escape(ex['user_id'])}, "
                 f"{ex['profile_size']} profile documents)</h3>",
                 f"<b>Context</b><pre>{html.escape(ex['context'])}</pre>",
                 f"<b>Reference (what the user wrote next)</b><pre>{html.escape(ex['reference'])}</pre>"]
        for row in ex["rows"]:
            words = f" <span class=note>words: {html.escape(', '.join(row['words']))}</span>" if row["words"] else ""
            block.append(f"<b>{html.escape(row['name'])}</b>{words}<pre>{html.escape(row['text'])}</pre>")
        parts.append("".join(block) + "</div>")
    parts.append("<h2>Signatures</h2><ul>" + "".join(f"<li><code>{html.escape(s)}</code></li>"
                                                      for s in _signatures(results)) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_page(page: dict, folder: Path) -> str:
    results = page["results"]
    lines = [f"# {results['title']}", "", "## Results", "", page["table_md"], "## Setup", ""]
    lines += [f"- {s}" for s in _setup(results)] + [""]
    for title, path, caption in page["figures"]:
        lines += [f"## {title}", "", f"![{title}]({os.path.relpath(path, folder)})", "", f"*{caption}*", ""]
    lines += [f"> {n}" for n in page["notes"]] + [""]
    for title, header, body in page["breakdowns"]:
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in body] + [""]
    if page["examples"]:
        lines += ["## Examples side by side", ""]
    for ex in page["examples"]:
        lines += [f"### {ex['example_id']} (user {ex['user_id']}, {ex['profile_size']} profile documents)", "",
                  f"**Context:** {_md_cell(ex['context'])}", "", f"**Reference:** {_md_cell(ex['reference'])}", ""]
        for row in ex["rows"]:
            words = f" _(words: {', '.join(row['words'])})_" if row["words"] else ""
            lines += [f"- **{row['name']}**{words}: {_md_cell(row['text'])}"]
        lines.append("")
    lines += ["## Signatures", ""] + [f"- `{s}`" for s in _signatures(results)]
    return "\n".join(lines) + "\n"
