"""The command line: help, errors as messages, the demo's dataset."""
import json

from ghostwriter.cli import main


def test_help_lists_commands(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "data" in out and "demo" in out


def test_missing_source_is_a_message_not_a_traceback(tmp_path, capsys):
    assert main(["data", "build", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nope.jsonl: no such file" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_demo_builds_the_vendored_slice(tmp_path, capsys):
    assert main(["demo", "--dataset-only", "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "dataset" / "manifest.json").read_text())
    assert manifest["documents"]["read"] == 893
    assert sum(s["examples"] for s in manifest["splits"].values()) == manifest["examples"]["kept"] > 0
