"""Shared pytest fixtures: keep this file minimal; each area may add its own fixtures here."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Random-init tiny T5 and Llama folders with a real SentencePiece tokenizer, built once per session."""
    from ghostwriter.models.testing import build_tiny_models

    return build_tiny_models(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture
def one_torch_thread():
    """Tiny models on one torch thread: more threads only add contention (use via pytestmark)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
