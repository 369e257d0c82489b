"""The HTTP API against a real uvicorn server on loopback and a real SQLite file.

The completer is the model-free extractive one (real BM25 index, real store); the real
pipeline with a tiny model is exercised in test_serve_pipeline.py.
"""
import dataclasses
import json
import sqlite3
import threading
import time

import httpx
import pytest

from ghostwriter.config import Config, ServeConfig
from ghostwriter.errors import ConfigError
from serve_support import as_json, slice_documents, threaded_server

pytest.importorskip("fastapi")


def _config(**serve) -> Config:
    return dataclasses.replace(Config(), serve=ServeConfig(completer="extractive", **serve))


@pytest.fixture(scope="module")
def docs():
    return slice_documents()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """One server for the module: tenants acme and globex with a key each."""
    from ghostwriter.serve.app import create_app
    from ghostwriter.serve.store import open_store

    db = tmp_path_factory.mktemp("serve") / "profiles.db"
    store = open_store(f"sqlite:///{db}")
    keys = {"acme": store.create_key("acme"), "globex": store.create_key("globex")}
    app = create_app(_config(max_document_chars=5000, max_bulk_documents=40, max_documents_per_user=45,
                             max_body_bytes=200_000, max_tokens_ceiling=64), store)
    with threaded_server(app) as url:
        yield {"url": url, "keys": keys, "store": store, "app": app, "db": db}


def client(service, tenant="acme"):
    return httpx.Client(base_url=service["url"], headers={"Authorization": f"Bearer {service['keys'][tenant]}"},
                        timeout=30)


def test_sqlite_store_is_a_wal_file_with_the_schema(service):
    with sqlite3.connect(service["db"]) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        hashes = [r[0] for r in conn.execute("SELECT key_hash FROM api_keys")]
    assert {"tenants", "api_keys", "documents", "schema_migrations"} <= tables
    assert versions == [1, 2]
    assert all(len(h) == 64 for h in hashes) and service["keys"]["acme"] not in hashes  # only hashes are kept


def test_every_v1_route_needs_a_valid_key(service):
    for headers in ({}, {"Authorization": "Bearer gw_not-a-key"}, {"X-API-Key": "nope"}):
        r = httpx.get(service["url"] + "/v1/users/alice/documents", headers=headers)
        assert r.status_code == 401 and "key" in r.json()["error"]
    assert httpx.get(service["url"] + "/healthz").json()["status"] == "ok"


def test_revoked_key_stops_working(service):
    store = service["store"]
    key = store.create_key("acme")
    ok = httpx.get(service["url"] + "/v1/variants", headers={"X-API-Key": key})
    assert ok.status_code == 200 and "rank_bm25" in ok.json()["variants"]
    store.revoke_key(key[:10])
    assert httpx.get(service["url"] + "/v1/variants", headers={"X-API-Key": key}).status_code == 401


def test_add_list_delete_documents_and_user(service, docs):
    user, items = next(iter(docs.items()))
    with client(service) as c:
        r = c.post("/v1/users/carol/documents", json=as_json(items[0]))
        assert r.status_code == 201 and r.json() == {"user_id": "carol", "added": [items[0].doc_id], "documents": 1}
        r = c.post("/v1/users/carol/documents/bulk", json={"documents": [as_json(d) for d in items[1:6]]})
        assert r.status_code == 201 and r.json()["documents"] == 6
        listed = c.get("/v1/users/carol/documents", params={"limit": 4}).json()
        assert listed["total"] == 6 and [d["doc_id"] for d in listed["documents"]] == [d.doc_id for d in items[:4]]
        assert listed["documents"][0]["text"] == items[0].text
        assert c.delete(f"/v1/users/carol/documents/{items[0].doc_id}").status_code == 204
        assert c.delete(f"/v1/users/carol/documents/{items[0].doc_id}").status_code == 404
        assert c.get("/v1/users/carol/documents").json()["total"] == 5
        assert c.delete("/v1/users/carol").status_code == 204
        r = c.get("/v1/users/carol/documents")
        assert r.status_code == 404 and "unknown user 'carol'" in r.json()["error"]


def test_completion_returns_text_and_evidence(service, docs):
    user, items = list(docs.items())[1]
    with client(service) as c:
        c.post(f"/v1/users/{user}/documents/bulk", json={"documents": [as_json(d) for d in items[:-1]]})
        target = items[-1]
        r = c.post("/v1/complete", json={"user_id": user, "title": target.title, "context": target.text[:60],
                                         "max_tokens": 12})
    assert r.status_code == 200, r.text
    body = r.json()
    own_ids = {d.doc_id for d in items[:-1]}
    entries = body["evidence"]["entries"]
    assert entries and {e["doc_id"] for e in entries} <= own_ids
    assert [e["score"] for e in entries] == sorted((e["score"] for e in entries), reverse=True)
    assert 0 < len(body["text"].split()) <= 12
    assert body["evidence"]["words"] and body["evidence"]["prompt_tokens"] > 0
    assert {"rank", "synthesize", "generate", "queue"} <= set(body["timings_ms"])


def test_schema_errors_name_the_field(service, docs):
    with client(service) as c:
        cases = [
            ("/v1/complete", {"title": "x", "context": "y"}, "user_id"),
            ("/v1/complete", {"user_id": "u", "title": "x", "context": "y", "max_tokens": 65}, "max_tokens"),
            ("/v1/complete", {"user_id": "u", "context": "y", "colour": "red"}, "colour"),
            ("/v1/users/dave/documents", {"title": "t"}, "text"),
            ("/v1/users/dave/documents", {"text": "x" * 5001}, "text"),
            ("/v1/users/dave/documents", {"text": "ok", "timestamp": "yesterday"}, "timestamp"),
            ("/v1/users/dave/documents/bulk", {"documents": [{"text": "a"}] * 41}, "documents"),
        ]
        for path, body, field in cases:
            r = c.post(path, json=body)
            assert r.status_code == 422, (body, r.text)
            assert field in r.json()["error"] and field in {f["field"].split(".")[0] for f in r.json()["fields"]}
        r = c.post("/v1/users/bad%20id/documents", json={"text": "x"})
        assert r.status_code == 422 and "user_id" in r.json()["error"]
        r = c.post("/v1/complete", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "Traceback" not in r.text


def test_unknown_variant_lists_the_choices_and_unknown_user_is_404(service, docs):
    user, items = list(docs.items())[2]
    with client(service) as c:
        c.post(f"/v1/users/{user}/documents/bulk", json={"documents": [as_json(d) for d in items[:3]]})
        r = c.post("/v1/complete", json={"user_id": user, "context": "Fix", "variant": "gpt9"})
        assert r.status_code == 422 and "variant" in r.json()["error"] and "bm25" in r.json()["error"]
        r = c.post("/v1/complete", json={"user_id": "nobody", "context": "Fix the"})
        assert r.status_code == 404 and "unknown user 'nobody'" in r.json()["error"]


def test_body_too_large_is_413_and_profile_cap_is_409(service, docs):
    with client(service) as c:
        r = c.post("/v1/users/erin/documents/bulk", content=b"x" * 200_001,
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "max_body_bytes" in r.json()["error"]
        batch = [{"doc_id": f"d{i}", "text": f"note number {i}"} for i in range(40)]
        assert c.post("/v1/users/erin/documents/bulk", json={"documents": batch}).status_code == 201
        more = [{"doc_id": f"e{i}", "text": f"note {i}"} for i in range(6)]
        r = c.post("/v1/users/erin/documents/bulk", json={"documents": more})
        assert r.status_code == 409 and "max_documents_per_user" in r.json()["error"]
        assert c.get("/v1/users/erin/documents").json()["total"] == 40  # all or nothing


def test_tenants_never_see_each_others_users(service, docs):
    user, items = list(docs.items())[3]
    with client(service, "acme") as acme, client(service, "globex") as globex:
        acme.post(f"/v1/users/{user}/documents/bulk", json={"documents": [as_json(d) for d in items[:5]]})
        assert globex.get(f"/v1/users/{user}/documents").status_code == 404
        assert globex.post("/v1/complete", json={"user_id": user, "context": items[5].title}).status_code == 404
        assert globex.delete(f"/v1/users/{user}").status_code == 404
        assert globex.delete(f"/v1/users/{user}/documents/{items[0].doc_id}").status_code == 404
        # the same user id in globex is a different person, with only globex's documents
        globex.post(f"/v1/users/{user}/documents", json={"doc_id": "g1", "text": "globex private memo about ponies"})
        r = globex.post("/v1/complete", json={"user_id": user, "context": items[5].title})
        assert {e["doc_id"] for e in r.json()["evidence"]["entries"]} == {"g1"}
        r = acme.post("/v1/complete", json={"user_id": user, "context": "ponies memo"})
        assert "g1" not in {e["doc_id"] for e in r.json()["evidence"]["entries"]}
        assert acme.get(f"/v1/users/{user}/documents").json()["total"] == 5


def test_index_grows_incrementally_without_rebuilds(service, docs):
    user, items = list(docs.items())[4]
    registry = service["app"].state.indexes
    with client(service) as c:
        c.post(f"/v1/users/{user}/documents/bulk", json={"documents": [as_json(d) for d in items[:8]]})
        c.post("/v1/complete", json={"user_id": user, "context": "anything"})
        builds = registry.builds
        c.post(f"/v1/users/{user}/documents",
               json={"doc_id": "zebra", "timestamp": 1, "text": "zebra quagga okapi stripes zebra"})
        r = c.post("/v1/complete", json={"user_id": user, "context": "the zebra quagga"})
        assert r.json()["evidence"]["entries"][0]["doc_id"] == "zebra"
        c.delete(f"/v1/users/{user}/documents/zebra")
        r = c.post("/v1/complete", json={"user_id": user, "context": "the zebra quagga"})
        assert "zebra" not in {e["doc_id"] for e in r.json()["evidence"]["entries"]}
    assert registry.builds == builds  # updated in place: no index was rebuilt from the store


def test_streaming_sends_evidence_then_tokens_then_done(service, docs):
    user, items = list(docs.items())[5]
    with client(service) as c:
        c.post(f"/v1/users/{user}/documents/bulk", json={"documents": [as_json(d) for d in items[:6]]})
        events = []
        with c.stream("POST", "/v1/complete", json={"user_id": user, "context": items[6].title, "stream": True,
                                                    "max_tokens": 10}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            kind = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "evidence" and kinds[-1] == "done" and kinds.count("token") >= 2
    streamed = "".join(d["text"] for k, d in events if k == "token")
    assert streamed == events[-1][1]["text"] and events[0][1]["evidence"]["entries"]
    assert events[0][1]["text"] == ""  # evidence comes before any text


def test_openapi_spec_is_published(service):
    spec = httpx.get(service["url"] + "/openapi.json").json()
    assert {"/v1/complete", "/v1/users/{user_id}/documents", "/v1/users/{user_id}/documents/bulk",
            "/v1/users/{user_id}"} <= set(spec["paths"])
    schema = spec["components"]["schemas"]["CompleteIn"]["properties"]["max_tokens"]
    assert "64" in json.dumps(schema)  # the limit in force is in the spec


def test_rate_limit_per_key_answers_429_with_retry_after(tmp_path):
    from ghostwriter.serve.app import create_app
    from ghostwriter.serve.store import open_store

    store = open_store(str(tmp_path / "rl.db"))
    slow, other = store.create_key("t1"), store.create_key("t1")
    with threaded_server(create_app(_config(rate_per_minute=6, rate_burst=3), store)) as url:
        codes = [httpx.get(url + "/v1/variants", headers={"X-API-Key": slow}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = httpx.get(url + "/v1/variants", headers={"X-API-Key": slow})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "rate limit" in r.json()["error"]
        assert httpx.get(url + "/v1/variants", headers={"X-API-Key": other}).status_code == 200  # per key


def test_rate_limiter_refills_at_the_configured_rate():
    from ghostwriter.serve.limits import RateLimiter

    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("k") == pytest.approx(1.0)
    now[0] = 0.5
    assert limiter.take("k") == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.take("k") == 0.0


class _SlowCompleter:
    """Sleeps in the worker; records batch sizes; fails on request for the 500 test."""

    name = "slow"

    def __init__(self, seconds: float = 2.0):
        self.batches, self.seconds, self.busy = [], seconds, threading.Event()

    def load(self):
        pass

    def variants(self):
        return ["boom", "ok", "syn_ind"]

    def complete(self, requests):
        from ghostwriter.serve.completer import Completion

        self.batches.append(len(requests))
        if any(r.variant == "boom" for r in requests):
            raise RuntimeError("secret internal detail")
        self.busy.set()
        time.sleep(self.seconds)
        self.busy.clear()
        return [Completion(r.request_id, r.variant, " done", None, "", (), "p", 1, {}) for r in requests]

    def stream(self, request, on_event):
        return self.complete([request])[0]


def test_completions_are_batched_off_the_event_loop_and_errors_hide_internals(tmp_path):
    from ghostwriter.serve.app import create_app
    from ghostwriter.serve.store import open_store

    store = open_store(str(tmp_path / "b.db"))
    key = store.create_key("t")
    completer = _SlowCompleter()
    app = create_app(_config(batch_size=8, batch_wait_ms=100), store, completer=completer)
    with threaded_server(app) as url:
        headers = {"X-API-Key": key}
        httpx.post(url + "/v1/users/u/documents", json={"text": "hello"}, headers=headers)
        results = []

        def ask():
            results.append(httpx.post(url + "/v1/complete", json={"user_id": "u", "context": "hi", "variant": "ok"},
                                      headers=headers, timeout=30).status_code)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for t in threads:
            t.start()
        assert completer.busy.wait(20)
        # the loop answers other requests while the worker is inside a batch
        assert httpx.get(url + "/healthz").status_code == 200
        assert httpx.get(url + "/v1/variants", headers=headers).status_code == 200
        assert completer.busy.is_set()
        for t in threads:
            t.join()
        assert results == [200] * 6
        assert max(completer.batches) > 1 and sum(completer.batches) == 6
        r = httpx.post(url + "/v1/complete", json={"user_id": "u", "context": "hi", "variant": "boom"}, headers=headers)
        assert r.status_code == 500 and "internal error" in r.json()["error"]
        assert "secret" not in r.text and "Traceback" not in r.text


def test_serve_config_rejects_bad_values():
    with pytest.raises(ConfigError, match="serve.completer must be one of"):
        ServeConfig(completer="magic")
    with pytest.raises(ConfigError, match="serve.rate_burst"):
        ServeConfig(rate_burst=0)


def test_a_write_by_another_process_reaches_the_index(service):
    """Two servers may share one store: a count that disagrees with the held index reloads it."""
    from ghostwriter.records import Document

    store = service["store"]
    with client(service) as c:
        c.post("/v1/users/frank/documents", json={"doc_id": "f1", "text": "tuning the scrub throttle"})
        c.post("/v1/complete", json={"user_id": "frank", "context": "scrub"})  # index now held
        tenant = store.authenticate(service["keys"]["acme"]).tenant_id
        store.add_documents(tenant, "frank", [Document("frank", "f2", 5, "", "walrus walrus walrus")], 100)
        r = c.post("/v1/complete", json={"user_id": "frank", "context": "walrus"})
    assert r.json()["evidence"]["entries"][0]["doc_id"] == "f2"


def test_embeddings_are_encoded_once_per_document():
    """The dense side of the live index encodes only documents it has not seen."""
    import numpy as np

    from ghostwriter.records import Document
    from ghostwriter.serve.index import UserIndex, rank_user
    from ghostwriter.text import Tokenizer

    encoded = []

    def encode(texts):  # a deterministic bag-of-letters embedder
        encoded.extend(texts)
        return [np.array([t.lower().count(c) for c in "abcdefghijklmnopqrstuvwxyz"], dtype=float) for t in texts]

    index = UserIndex(Tokenizer())
    index.add([Document("u", "a", 1, "", "aaaa aaaa"), Document("u", "b", 2, "", "bbbb bbbb")])
    first = rank_user(index, "q", "aaa", "dense", 2500, encode=encode)
    assert [e.doc_id for e in first.entries] == ["a", "b"] and len(encoded) == 3  # two documents + the query
    index.add([Document("u", "c", 3, "", "cccc")])
    second = rank_user(index, "q", "ccc", "dense", 2500, encode=encode)
    assert second.entries[0].doc_id == "c" and encoded[3:] == ["cccc", "ccc"]  # only the new document


def test_concurrent_writers_to_one_user_never_fail_or_pass_the_cap(tmp_path):
    from ghostwriter.records import Document
    from ghostwriter.serve.store import ProfileFullError, open_store

    store = open_store(str(tmp_path / "race.db"))
    tenant = store.create_tenant("t")
    outcomes, lock = [], threading.Lock()

    def write(n):
        for i in range(6):  # doc ids repeat across threads: replaced, never a constraint error
            doc = Document("u", f"d{(n * 7 + i) % 30}", i, "", f"text {n} {i}")
            try:
                store.add_documents(tenant, "u", [doc], max_per_user=20)
                result = "ok"
            except ProfileFullError:
                result = "full"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 36 and "full" in outcomes  # any other exception would have lost an outcome
    assert store.count_documents(tenant, "u") == 20


def test_a_full_queue_answers_503_instead_of_growing(tmp_path):
    from ghostwriter.serve.app import create_app
    from ghostwriter.serve.store import open_store

    store = open_store(str(tmp_path / "q.db"))
    key = store.create_key("t")
    app = create_app(_config(batch_size=1, batch_wait_ms=0, queue_limit=1), store, completer=_SlowCompleter(1.0))
    with threaded_server(app) as url:
        headers = {"X-API-Key": key}
        httpx.post(url + "/v1/users/u/documents", json={"text": "hello"}, headers=headers)
        codes = []

        def ask():
            r = httpx.post(url + "/v1/complete", json={"user_id": "u", "context": "hi", "variant": "ok"},
                           headers=headers, timeout=30)
            codes.append((r.status_code, r.headers.get("retry-after")))

        threads = [threading.Thread(target=ask) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert (200, None) in codes and (503, "1") in codes
