"""The real pipeline behind the service: a tiny random Llama with a real tokenizer, real rankers."""
import json

import httpx
import pytest

from ghostwriter.config import Config, load_config
from ghostwriter.records import Example
from serve_support import as_json, slice_documents, threaded_server

pytest.importorskip("fastapi")
pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_config(tiny_models, tmp_path_factory):
    """The default config on the session's tiny Llama (conftest.py), with its own cache folder."""
    root = tmp_path_factory.mktemp("serve-pipeline")
    return load_config(overrides=[f"model.name={tiny_models['llama']}", f"run.cache_dir={root / 'cache'}",
                                  "generate.max_new_tokens=8", "serve.max_tokens_ceiling=16",
                                  "serve.completer=pipeline"])


def test_indexed_ranker_matches_the_batch_bm25_ranker():
    """The live index ranks a profile exactly as ghostwriter.rank's bm25 does from scratch."""
    from ghostwriter.rank import get_ranker
    from ghostwriter.serve.index import IndexRegistry
    from ghostwriter.serve.pipeline_completer import IndexedRanker
    from ghostwriter.text import Tokenizer

    config = Config()
    user, docs = list(slice_documents().items())[7]
    profile, current = tuple(docs[:-1]), docs[-1]
    example = Example(example_id="q", user_id=user, timestamp=current.timestamp,
                      context=current.full_text[:150], target="", profile=profile)
    registry = IndexRegistry(lambda key: [], Tokenizer.from_config(config.retrieve), capacity=4)
    index = registry.get(("t", user))
    index.add(profile[:10])
    index.add(profile[10:])  # built in two steps: the statistics must come out the same
    live = IndexedRanker("bm25", config, registry, {"q": ("t", user)}).rank([example])[0]
    batch = get_ranker("bm25", config).rank([example])[0]
    assert [e.doc_id for e in live.entries] == [e.doc_id for e in batch.entries]
    assert [e.text for e in live.entries] == [e.text for e in batch.entries]
    assert [e.score for e in live.entries] == pytest.approx([e.score for e in batch.entries], rel=1e-6)


@pytest.mark.slow
def test_service_completes_with_the_real_pipeline_and_a_tiny_model(tiny_config, tmp_path):
    from ghostwriter.serve.app import create_app
    from ghostwriter.serve.store import open_store

    store = open_store(str(tmp_path / "p.db"))
    key = store.create_key("acme")
    user, docs = list(slice_documents().items())[8]
    app = create_app(tiny_config, store)
    assert app.state.completer.name == "pipeline"
    with threaded_server(app, timeout=120) as url, \
            httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=120) as c:
        assert c.post(f"/v1/users/{user}/documents/bulk",
                      json={"documents": [as_json(d) for d in docs[:-1]]}).status_code == 201
        target = docs[-1]
        r = c.post("/v1/complete", json={"user_id": user, "title": target.title, "context": target.text[:80],
                                         "max_tokens": 6})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["variant"] == "syn_ind" and isinstance(body["text"], str)
        entries, words = body["evidence"]["entries"], body["evidence"]["words"]
        assert entries and {e["doc_id"] for e in entries} <= {d.doc_id for d in docs[:-1]}
        assert words and all(w["source"] == "syn_ind" for w in words)
        assert body["evidence"]["prompt_tokens"] > 0
        assert {"rank", "synthesize", "prompt", "generate", "queue"} <= set(body["timings_ms"])
        r = c.post("/v1/complete", json={"user_id": user, "context": target.title, "variant": "immed_ctx"})
        assert r.json()["evidence"]["entries"] == [] and r.json()["evidence"]["ranker"] == "none"
        # streaming: evidence first, model tokens, then the cleaned text
        events, kind = [], None
        with c.stream("POST", "/v1/complete", json={"user_id": user, "context": target.title, "stream": True,
                                                    "max_tokens": 6}) as s:
            for line in s.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
        kinds = [k for k, _ in events]
        assert kinds[0] == "evidence" and kinds[-1] == "done" and "error" not in kinds
        assert events[0][1]["evidence"]["entries"]
