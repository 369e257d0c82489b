"""One config tree: a frozen dataclass per stage, nested in :class:`Config`.

Presets are TOML files in ``configs/``; ``--set section.key=value`` overrides any field.
Unknown keys and wrong types are rejected with the list of what is allowed, and the
resolved config is written as JSON beside every output.

>>> cfg = load_config(overrides=["data.context_chars=200"])
>>> cfg.data.context_chars
200
"""
from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from ghostwriter.errors import ConfigError

SPLITS = ("user", "temporal")


@dataclass(frozen=True)
class DataConfig:
    """How documents become examples (Li et al. 2023, sec. 5.1)."""

    context_chars: int = 150  # K: the immediate context is the first K characters of title + body
    min_doc_chars: int = 300  # a current document must be longer than this (title + body)
    min_profile_docs: int = 2  # the user must have at least this many strictly earlier documents
    min_examples_per_user: int = 5  # users with fewer kept examples are dropped
    max_examples_per_user: int = 50  # keep only a user's most recent examples, so prolific users don't dominate
    split: str = "user"  # "user": users split 85/5/10; "temporal": each user's latest examples go to test
    split_fractions: tuple[float, ...] = (0.85, 0.05, 0.10)  # train, val, test
    seed: int = 0  # seeds the user split

    def __post_init__(self):
        _check(self.context_chars > 0, "data.context_chars must be > 0")
        _check(self.min_doc_chars >= self.context_chars,
               "data.min_doc_chars must be >= data.context_chars, or some targets would be empty")
        _check(self.min_profile_docs >= 0, "data.min_profile_docs must be >= 0")
        _check(self.min_examples_per_user >= 1, "data.min_examples_per_user must be >= 1")
        _check(self.max_examples_per_user >= self.min_examples_per_user,
               "data.max_examples_per_user must be >= data.min_examples_per_user")
        _check(self.split in SPLITS, f"data.split must be one of {SPLITS}, got {self.split!r}")
        _check(len(self.split_fractions) == 3 and all(f >= 0 for f in self.split_fractions)
               and abs(sum(self.split_fractions) - 1.0) < 1e-6,
               "data.split_fractions must be three non-negative numbers (train, val, test) summing to 1")


@dataclass(frozen=True)
class RunConfig:
    """Where things are cached and run; shared by every stage."""

    cache_dir: str = ".cache/ghostwriter"  # embeddings, summaries, converted models; safe to delete
    device: str = "auto"  # "auto" (cuda when present), "cpu" or "cuda"
    seed: int = 0  # every sampled or shuffled thing derives from this

    def __post_init__(self):
        _check(self.device in ("auto", "cpu", "cuda"), f"run.device must be auto, cpu or cuda, got {self.device!r}")


# [retrieve] -- owned by the retrieval/ranking stage (ghostwriter.retrieve, ghostwriter.rank)
@dataclass(frozen=True)
class RetrieveConfig:
    """Sparse and dense retrieval over one user's profile."""

    k1: float = 1.2  # BM25 term-frequency saturation (Lucene default)
    b: float = 0.75  # BM25 length normalisation (Lucene default)
    stemmer: str = "english"  # PyStemmer language; "" turns stemming off
    stopwords: str = "en"  # stopword list; "" keeps every word
    dense_model: str = "offline:all-minilm-l6-v2"  # sentence-transformers name or local path
    dense_batch_size: int = 64  # texts per encoder call
    snippet_chars: int = 250  # a snippet grows sentence by sentence until at least this long (paper)


# [rank]
@dataclass(frozen=True)
class RankConfig:
    """Which ranker orders the profile, and how much of it the prompt may take."""

    ranker: str = "bm25"  # recent, bm25, dense, snippet, doc_by_snippet, fusion (or "none")
    budget_chars: int = 2500  # ranked entries are concatenated in order and cut here (paper)
    rrf_k: int = 60  # reciprocal rank fusion constant (Cormack et al. 2009)


# [summarize] -- owned by the summary/synthesis/prompt stage
@dataclass(frozen=True)
class SummarizeConfig:
    """Summaries of the ranked entries."""

    method: str = "none"  # none, sum_ind (context-independent), sum_ctx (context-dependent)
    model: str = "offline:smollm2-135m-instruct"  # HF name, local path, or offline: name
    max_new_tokens: int = 96  # summary length cap


# [synthesize]
@dataclass(frozen=True)
class SynthesizeConfig:
    """Important words drawn from the profile."""

    method: str = "none"  # none, syn_ind, syn_ctx, centroid_w2v, centroid_glove, syn_ind+centroid_w2v, ...
    top_k: int = 20  # words kept (paper: 20)
    min_idf: float = 1.5  # keywords with a lower IDF over the training documents are dropped (paper)


# [prompt]
@dataclass(frozen=True)
class PromptConfig:
    """The paper's prompt format and its token budget."""

    instruction: str = "Finish the passage in the user voice"
    context_position: str = "start"  # "start" (paper) or "end" (input-format ablation)
    max_tokens: int = 512  # counted with the generator's tokenizer; past passages are cut first


# [model] -- owned by the models/generation/training stage
@dataclass(frozen=True)
class ModelConfig:
    """The generator: an offline default, a Hugging Face name, or a local path."""

    name: str = "offline:smollm2-135m-instruct"


# [generate]
@dataclass(frozen=True)
class GenerateConfig:
    """Decoding."""

    backend: str = "transformers"  # transformers or ctranslate2
    max_new_tokens: int = 128
    num_beams: int = 1  # the paper used 4; greedy is the CPU default
    batch_size: int = 8


# [train]
@dataclass(frozen=True)
class TrainConfig:
    """Fine-tuning the generator."""

    method: str = "full"  # full or lora
    optimizer: str = "adafactor"  # adafactor (paper) or adamw
    learning_rate: float = 1e-3  # paper: 1e-3 with linear warm-up, then inverse square-root decay
    max_steps: int = 200
    batch_size: int = 4
    grad_accum: int = 1


# [evaluate] -- owned by the evaluation/experiment stage
@dataclass(frozen=True)
class EvaluateConfig:
    """Metrics and their statistics."""

    bootstrap_samples: int = 1000  # resamples for 95% confidence intervals and paired tests
    rouge_stemmer: bool = True  # rouge-score's Porter stemmer on (the default reported)


@dataclass(frozen=True)
class Config:
    """The root of the config tree; one field per stage."""

    run: RunConfig = field(default_factory=RunConfig)
    data: DataConfig = field(default_factory=DataConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    summarize: SummarizeConfig = field(default_factory=SummarizeConfig)
    synthesize: SynthesizeConfig = field(default_factory=SynthesizeConfig)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)


# ----------------------------------------------------------------------------- loading

def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


PRESET_DIRS = (Path.cwd() / "configs", Path(__file__).resolve().parents[2] / "configs")


def preset_path(name_or_path: str) -> Path:
    """A TOML file by path, or a preset by name (``quickstart`` -> ``configs/quickstart.toml``)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    for folder in PRESET_DIRS:
        candidate = folder / f"{name_or_path}.toml"
        if candidate.exists():
            return candidate
    known = sorted({p.stem for d in PRESET_DIRS if d.is_dir() for p in d.glob("*.toml")})
    raise ConfigError(f"no config file or preset {name_or_path!r}; presets: {', '.join(known) or 'none'}")


def load_config(preset: str | None = None, overrides: typing.Iterable[str] = ()) -> Config:
    """Defaults, then a preset or TOML file, then ``section.key=value`` overrides, in that order."""
    config = Config()
    if preset:
        path = preset_path(preset)
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        config = apply_table(config, table, where=str(path))
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        config = apply_override(config, key.strip(), raw.strip())
    return config


def apply_table(node, table: dict, where: str, prefix: str = ""):
    """Apply a nested mapping (parsed TOML) to a config dataclass, checking every key and type."""
    hints = typing.get_type_hints(type(node))
    changes = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if key not in hints:
            raise ConfigError(f"{where}: unknown key {name!r}; valid keys here: {', '.join(hints)}")
        current = getattr(node, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {name!r} is a section; give it as a table [{name}]")
            changes[key] = apply_table(current, value, where, prefix=f"{name}.")
        else:
            changes[key] = _coerce(value, hints[key], name, where)
    return _replace(node, changes, where)


def apply_override(config: Config, key: str, raw: str) -> Config:
    """Apply one ``section.key=value`` override; the value is parsed by the field's type."""
    *path, leaf = key.split(".")
    node, nodes = config, []
    for part in path:
        hints = typing.get_type_hints(type(node))
        if part not in hints or not dataclasses.is_dataclass(getattr(node, part)):
            sections = [k for k in hints if dataclasses.is_dataclass(getattr(node, k))]
            raise ConfigError(f"--set {key}: unknown section {part!r}; sections: {', '.join(sections)}")
        nodes.append((node, part))
        node = getattr(node, part)
    hints = typing.get_type_hints(type(node))
    if leaf not in hints or dataclasses.is_dataclass(getattr(node, leaf)):
        leaves = [k for k in hints if not dataclasses.is_dataclass(getattr(node, k))]
        raise ConfigError(f"--set {key}: unknown key {leaf!r}; valid keys: {', '.join(leaves)}")
    value = _replace(node, {leaf: _parse_text(raw, hints[leaf], key)}, f"--set {key}")
    for parent, part in reversed(nodes):
        value = _replace(parent, {part: value}, f"--set {key}")
    return value


def _replace(node, changes: dict, where: str):
    try:
        return dataclasses.replace(node, **changes)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _base_types(hint) -> tuple:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def _coerce(value, hint, name: str, where: str):
    """Check a TOML value against a field's type; ints widen to floats, lists become tuples."""
    for base in _base_types(hint):
        if base is type(None) and value is None:
            return None
        if base is bool and isinstance(value, bool):
            return value
        if base is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if base is str and isinstance(value, str):
            return value
        if typing.get_origin(base) is tuple and isinstance(value, (list, tuple)):
            item = typing.get_args(base)[0]
            return tuple(_coerce(v, item, f"{name}[]", where) for v in value)
    raise ConfigError(f"{where}: {name!r} must be {_type_name(hint)}, got {value!r}")


def _parse_text(raw: str, hint, name: str):
    """Parse an override's text by the field's type (``true``, ``8``, ``0.5``, ``a,b``, ``[1, 2]``)."""
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word: a string, or a comma list for a tuple field
    if isinstance(value, str) and any(typing.get_origin(b) is tuple for b in _base_types(hint)):
        value = [_parse_scalar(part.strip()) for part in value.split(",") if part.strip()]
    if str in _base_types(hint) and not isinstance(value, str):
        value = raw
    return _coerce(value, hint, name, "--set")


def _parse_scalar(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _type_name(hint) -> str:
    names = []
    for base in _base_types(hint):
        origin = typing.get_origin(base)
        names.append(f"a list of {_type_name(typing.get_args(base)[0])}" if origin is tuple
                     else "none" if base is type(None) else getattr(base, "__name__", str(base)))
    return " or ".join(names)


def to_dict(config) -> dict:
    """The resolved config as plain JSON-able data (tuples as lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def save_config(config, path: Path) -> None:
    from ghostwriter.io import atomic_write_text

    atomic_write_text(Path(path), json.dumps(to_dict(config), indent=2, sort_keys=True) + "\n")


def config_from_dict(table: dict) -> Config:
    """Rebuild a Config from its saved JSON (e.g. a dataset's or a run's ``config.json``)."""
    return apply_table(Config(), table, where="saved config")
