"""The config tree: presets, overrides, and errors that list what is allowed."""
import json

import pytest

from ghostwriter.cli import main
from ghostwriter.config import Config, ConfigError, config_from_dict, load_config, to_dict


@pytest.mark.parametrize("override, path, expected", [
    ("data.context_chars=200", ("data", "context_chars"), 200),
    ("data.split_fractions=0.8,0.1,0.1", ("data", "split_fractions"), (0.8, 0.1, 0.1)),
    ("data.split_fractions=[0.7, 0.1, 0.2]", ("data", "split_fractions"), (0.7, 0.1, 0.2)),
    ("data.split=temporal", ("data", "split"), "temporal"),
    ("evaluate.rouge_stemmer=false", ("evaluate", "rouge_stemmer"), False),
    ("prompt.instruction=Write on, please", ("prompt", "instruction"), "Write on, please"),
    ("run.seed=7", ("run", "seed"), 7),
])
def test_overrides_parse_by_field_type(override, path, expected):
    config = load_config(overrides=[override])
    section, key = path
    assert getattr(getattr(config, section), key) == expected


@pytest.mark.parametrize("override, message", [
    ("data.nope=1", "unknown key 'nope'; valid keys: context_chars, min_doc_chars"),
    ("nosuch.key=1", "unknown section 'nosuch'; sections: run, data"),
    ("data.context_chars=many", "'data.context_chars' must be int"),
    ("data.context_chars=1.5", "'data.context_chars' must be int"),
    ("data.split=random", "data.split must be one of ('user', 'temporal')"),
    ("data.split_fractions=0.5,0.5,0.5", "summing to 1"),
    ("data.context_chars", "must look like section.key=value"),
    ("data=1", "unknown key 'data'"),
])
def test_bad_overrides_say_what_is_allowed(override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(overrides=[override])


def test_preset_file_and_its_errors(tmp_path):
    good = tmp_path / "mine.toml"
    good.write_text('[data]\ncontext_chars = 180\nsplit_fractions = [0.8, 0.1, 0.1]\n')
    config = load_config(str(good), overrides=["data.context_chars=190"])
    assert config.data.context_chars == 190 and config.data.split_fractions == (0.8, 0.1, 0.1)
    assert load_config("quickstart") == Config()  # the preset spells out the defaults
    for text, message in [('[data]\ncontext_chars = "long"\n', "'data.context_chars' must be int"),
                          ('[data]\nbogus = 1\n', "unknown key 'data.bogus'"),
                          ('data = 3\n', "'data' is a section"),
                          ('[data\n', "not valid TOML")]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_config(str(bad))
    with pytest.raises(ConfigError, match="presets: .*quickstart"):
        load_config("no-such-preset")


def test_round_trip_through_json():
    config = load_config(overrides=["data.split=temporal", "rank.budget_chars=900"])
    assert config_from_dict(json.loads(json.dumps(to_dict(config)))) == config


def test_cli_reports_config_errors_without_traceback(tmp_path, capsys):
    code = main(["data", "build", "x.jsonl", "--out", str(tmp_path), "--set", "data.bogus=1"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown key 'bogus'" in err and "Traceback" not in err
