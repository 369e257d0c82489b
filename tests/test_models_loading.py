"""Model names resolve to local folders, load once per process, and never reach the network."""
import json

import pytest

from ghostwriter.config import Config
from ghostwriter.models import OFFLINE_MODELS, ModelNotFoundError, clear_cache, load_lm, resolve_model
from ghostwriter.models.formats import clean_output, format_prompt

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_tiny_models_load_with_their_kind(tiny_models):
    config = Config()
    t5 = load_lm(str(tiny_models["t5"]), config)
    llama = load_lm(str(tiny_models["llama"]), config)
    assert t5.is_seq2seq and not llama.is_seq2seq
    assert (t5.device, llama.device) == ("cpu", "cpu")
    assert llama.tokenizer.padding_side == "left" and t5.tokenizer.padding_side == "right"
    assert not t5.model.training and not llama.model.training
    # the real SentencePiece tokenizer round-trips text it was trained on
    text = "Fix the ARC eviction of dirty buffers"
    assert llama.tokenizer.decode(llama.tokenizer(text, add_special_tokens=False)["input_ids"]) == text
    assert 1 < llama.count_tokens(text) < len(text)


def test_load_lm_is_cached_per_process(tiny_models):
    config = Config()
    first = load_lm(str(tiny_models["llama"]), config)
    assert load_lm(str(tiny_models["llama"]), config) is first
    assert load_lm(str(tiny_models["llama"]), config, cached=False) is not first
    clear_cache()
    assert load_lm(str(tiny_models["llama"]), config) is not first


def test_tiny_model_folders_hold_safetensors_only(tiny_models):
    for folder in tiny_models.values():
        names = {p.name for p in folder.iterdir()}
        assert "model.safetensors" in names
        assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)


def test_unknown_hub_name_fails_at_once_with_the_local_path_advice(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache: the name cannot be there
    with pytest.raises(ModelNotFoundError) as error:
        resolve_model("google/flan-t5-base", Config())
    message = str(error.value)
    assert "google/flan-t5-base" in message and "--model DIR" in message and "offline:smollm2" in message


@pytest.mark.parametrize("name, expected", [
    ("offline:nope", "unknown offline model 'offline:nope'; offline models: offline:smollm2-135m-instruct"),
    ("./no/such/folder", "no such model folder"),
])
def test_bad_names_say_what_exists(name, expected):
    with pytest.raises(ModelNotFoundError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        resolve_model(name, Config())


def test_a_folder_without_config_is_rejected(tmp_path):
    (tmp_path / "weights.safetensors").write_bytes(b"")
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        resolve_model(str(tmp_path), Config())


def test_offline_registry_points_into_an_installed_wheel():
    import importlib.util
    from pathlib import Path

    spec = OFFLINE_MODELS["smollm2-135m-instruct"]
    found = importlib.util.find_spec(spec.package)
    assert found is not None
    assert (Path(list(found.submodule_search_locations)[0]) / spec.filename).stat().st_size > 50_000_000


@pytest.mark.slow
def test_offline_default_converts_once_then_loads_from_safetensors():
    """The GGUF is dequantized into the cache once (shared with real runs); a plain safetensors HF folder."""
    import time
    from pathlib import Path

    config = Config()
    folder = resolve_model("offline:smollm2-135m-instruct", config)
    assert folder.parent.resolve() == (Path(config.run.cache_dir) / "models").resolve()
    saved = json.loads((folder / "config.json").read_text())
    assert saved["model_type"] == "llama" and "quantization_config" not in saved
    assert (folder / "model.safetensors").stat().st_size > 400_000_000  # float32 weights
    started = time.perf_counter()
    assert resolve_model("offline:smollm2-135m-instruct", config) == folder  # no second conversion
    assert time.perf_counter() - started < 1.0
    lm = load_lm("offline:smollm2-135m-instruct", config, cached=False)
    assert not lm.is_seq2seq and lm.tokenizer.chat_template


def test_chat_layout_and_output_cleaning(tiny_models):
    llama = load_lm(str(tiny_models["llama"]), Config())
    assert format_prompt(llama.tokenizer, "abc", False) == "abc"  # no chat template: plain text
    prompt = "Finish the passage in the user voice.\npassage start: Fix the ARC eviction of dirty buffers"
    assert clean_output(" " + prompt + " when the pool is full ", prompt) == "when the pool is full"
    assert clean_output("assistant\nFix the ARC eviction of dirty buffers and more", prompt) == "and more"
    assert clean_output("first paragraph\n\nsecond", prompt, stop_at_blank_line=True) == "first paragraph"
    assert clean_output("first paragraph\n\nsecond", prompt) == "first paragraph\n\nsecond"
