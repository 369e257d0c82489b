"""Shared pytest fixtures: keep this file minimal; each area may add its own fixtures here."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Random-init tiny T5 and Llama folders with a real SentencePiece tokenizer, built once per session."""
    from ghostwriter.models.testing import build_tiny_models

    return build_tiny_models(tmp_path_factory.mktemp("tiny-models"))
