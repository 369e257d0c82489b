"""Generators: prompts in, continuations out, through one interface and two backends.

- ``transformers``: any model :func:`ghostwriter.models.load_lm` loads; batched, left padding
  for causal models, greedy or beam search, GPU when present.
- ``ctranslate2``: the same model converted once (cached under ``run.cache_dir/ct2``) for fast
  CPU inference; its compute type comes from ``generate.compute_type`` (auto picks by CPU).

Both stop at the end of the passage (the end-of-sequence token; optionally a blank line) and
return text stripped of special tokens and prompt echoes.

>>> generator = get_generator(load_config(overrides=["generate.backend=ctranslate2"]))  # doctest: +SKIP
>>> generator.generate(["Finish the passage in the user voice\\n..."])                   # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable

from ghostwriter.config import GENERATE_BACKENDS, Config
from ghostwriter.errors import ConfigError


def _transformers(config: Config, model: str | None):
    from ghostwriter.generate.hf import TransformersGenerator

    return TransformersGenerator(config, model)


def _ctranslate2(config: Config, model: str | None):
    from ghostwriter.generate.ct2 import CTranslate2Generator

    return CTranslate2Generator(config, model)


BACKENDS: dict[str, Callable] = {"transformers": _transformers, "ctranslate2": _ctranslate2}
assert tuple(BACKENDS) == GENERATE_BACKENDS


def get_generator(config: Config, model: str | None = None):
    """The generator ``generate.backend`` names, for ``model`` (default ``model.name``); loads lazily."""
    backend = config.generate.backend
    if backend not in BACKENDS:
        raise ConfigError(f"unknown generate.backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    return BACKENDS[backend](config, model)
