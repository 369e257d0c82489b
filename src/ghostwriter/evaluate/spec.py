"""Experiment files: named variants side by side, validated with errors naming file and key.

An experiment file is TOML::

    [experiment]
    title = "Peers"                       # the report's heading
    compare_to = ["ImmedCtx", "Baseline"]  # rows that significance is marked against (when present)

    [generate]                            # any config section: overrides for every variant
    max_new_tokens = 64

    [[variant]]
    name = "Baseline"                     # the row label, unique
    variant = "baseline"                  # ghostwriter.variants.VARIANTS name, or a peer pipeline (lamp_bm25)
    generator = "model"                   # model (default), repeat_context, copy_best, random_other_user
    model = "offline:smollm2-135m-instruct"  # optional: model.name for this row
    run_dir = "runs/baseline"             # optional: a training run folder: its best/ (else final/) model, log.jsonl curves
    set = ["prompt.max_tokens=384"]       # optional: --set style overrides for this row only
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ghostwriter.config import Config, apply_override, apply_table, preset_path
from ghostwriter.errors import ConfigError
from ghostwriter.evaluate.peers import NO_MODEL_GENERATORS, PEER_PIPELINES

GENERATORS = ("model", *NO_MODEL_GENERATORS)
EXPERIMENT_KEYS = ("title", "compare_to")
VARIANT_KEYS = ("name", "variant", "generator", "model", "run_dir", "set")


@dataclass(frozen=True)
class VariantSpec:
    """One row of an experiment: a pipeline variant and the generator that finishes its prompts."""

    name: str
    variant: str
    generator: str = "model"
    model: str = ""
    run_dir: str = ""
    overrides: tuple[str, ...] = ()

    @property
    def needs_model(self) -> bool:
        return self.generator == "model"

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() or c in "-_" else "_" for c in self.name)


@dataclass(frozen=True)
class ExperimentSpec:
    path: str
    title: str
    compare_to: tuple[str, ...]
    variants: tuple[VariantSpec, ...]
    config: Config  # the defaults with this file's config sections applied

    def variant_config(self, variant: VariantSpec) -> Config:
        """The resolved config of one row: variant overrides, then model/run_dir, then its ``set``."""
        config = self.config
        if variant.variant not in PEER_PIPELINES:
            from ghostwriter.variants import variant_config

            config = variant_config(config, variant.variant)
        if variant.model or variant.run_dir:
            config = apply_override(config, "model.name", variant.model or str(run_model_folder(variant.run_dir)))
        where = f"{self.path}: variant {variant.name!r}: set"
        for item in variant.overrides:
            key, sep, raw = item.partition("=")
            if not sep:
                raise ConfigError(f"{where}: {item!r} must look like section.key=value")
            try:
                config = apply_override(config, key.strip(), raw.strip())
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        return config


def run_model_folder(run_dir: str) -> Path:
    """The model a training run left: ``best/`` (lowest validation loss), else ``final/``."""
    run = Path(run_dir)
    for name in ("best", "final"):
        if (run / name).is_dir():
            return run / name
    return run


def _known_variants() -> tuple[str, ...]:
    try:
        from ghostwriter.variants import VARIANTS
    except ImportError:
        VARIANTS = {}
    return (*VARIANTS, *PEER_PIPELINES)


def _require(ok: bool, where: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{where}: {message}")


def _variant(entry: dict, where: str, known: tuple[str, ...]) -> VariantSpec:
    _require(isinstance(entry, dict), where, "each [[variant]] must be a table")
    unknown = [k for k in entry if k not in VARIANT_KEYS]
    _require(not unknown, where, f"unknown key {unknown[0] if unknown else ''!r}; valid keys: {', '.join(VARIANT_KEYS)}")
    for key in ("name", "variant"):
        _require(isinstance(entry.get(key), str) and entry[key].strip(), where, f"{key!r} is required (a non-empty string)")
    where = f"{where} ({entry['name']!r})"
    for key in ("generator", "model", "run_dir"):
        _require(isinstance(entry.get(key, ""), str), where, f"{key!r} must be a string")
    _require(entry["variant"] in known, where,
             f"variant: unknown variant {entry['variant']!r}; choose from {', '.join(known)}")
    generator = entry.get("generator", "model")
    _require(generator in GENERATORS, where, f"generator: unknown {generator!r}; choose from {', '.join(GENERATORS)}")
    overrides = entry.get("set", [])
    _require(isinstance(overrides, list) and all(isinstance(o, str) for o in overrides), where,
             "'set' must be a list of \"section.key=value\" strings")
    _require(generator == "model" or not (entry.get("model") or entry.get("run_dir")), where,
             f"generator {generator!r} uses no model; drop 'model'/'run_dir'")
    _require(not entry.get("run_dir") or Path(entry["run_dir"]).is_dir(), where,
             f"run_dir {entry.get('run_dir')!r} is not a folder; train the generator first "
             "(a run folder with best/ or final/) or drop run_dir to use the model zero-shot")
    return VariantSpec(entry["name"], entry["variant"], generator, entry.get("model", ""), entry.get("run_dir", ""),
                       tuple(overrides))


def load_spec(path_or_name: str, overrides=(), run_dir: str = "") -> ExperimentSpec:
    """Read and validate an experiment file (a path, or a name in ``configs/``).

    ``run_dir`` (a training run folder) becomes the ``run_dir`` of every model row that names
    neither a ``model`` nor a ``run_dir`` of its own: one fine-tuned generator for the whole table.
    """
    path = preset_path(path_or_name)
    where = str(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    head = table.pop("experiment", {})
    entries = table.pop("variant", None)
    _require(isinstance(head, dict), where, "[experiment] must be a table")
    unknown = [k for k in head if k not in EXPERIMENT_KEYS]
    _require(not unknown, where, f"[experiment]: unknown key {unknown[0] if unknown else ''!r}; "
                                 f"valid keys: {', '.join(EXPERIMENT_KEYS)}")
    _require(isinstance(entries, list) and entries, where,
             "no [[variant]] tables; an experiment lists at least one named variant")
    config = apply_table(Config(), table, where=where)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        config = apply_override(config, key.strip(), raw.strip())
    known = _known_variants()
    if run_dir:
        _require(Path(run_dir).is_dir(), where, f"--run-dir {run_dir!r} is not a folder; train the generator first")
        entries = [e if not isinstance(e, dict) or e.get("generator", "model") != "model" or e.get("model")
                   or e.get("run_dir") else {**e, "run_dir": str(run_dir)} for e in entries]
    variants = tuple(_variant(e, f"{where}: [[variant]] #{i + 1}", known) for i, e in enumerate(entries))
    names = [v.name for v in variants]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    _require(duplicate is None, where, f"two variants are named {duplicate!r}; row names must be unique")
    slugs = [v.slug for v in variants]
    _require(len(set(slugs)) == len(slugs), where, "two variant names differ only in punctuation; rename one")
    compare_to = head.get("compare_to", [])
    _require(isinstance(compare_to, list) and all(c in names for c in compare_to), where,
             f"[experiment] compare_to must list variant names from: {', '.join(names)}")
    title = head.get("title", path.stem)
    _require(isinstance(title, str), where, "[experiment] title must be a string")
    spec = ExperimentSpec(where, title, tuple(compare_to), variants, config)
    for variant in variants:  # resolve every row now, so a bad override fails before any work
        spec.variant_config(variant)
    return spec

