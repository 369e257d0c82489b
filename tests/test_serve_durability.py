"""SIGKILL the real server while clients write: every acknowledged document survives, nothing is corrupt."""
import sqlite3
import threading
import time

import httpx
import pytest

from serve_support import ServerProcess, write_config

pytest.importorskip("fastapi")

WRITERS = 4
MAX_REQUESTS_PER_WRITER = 400  # bounded: each writer stops after this many, or at the first failure
KILL_AFTER_ACKS = 120


@pytest.mark.slow
def test_sigkill_mid_write_loses_no_acknowledged_document(tmp_path):
    from ghostwriter.serve.store import open_store

    db = tmp_path / "profiles.db"
    store = open_store(str(db))
    key = store.create_key("acme")
    store.close()
    config = write_config(tmp_path / "serve.toml", completer="extractive", rate_per_minute=1e6, rate_burst=100000)
    server = ServerProcess(str(db), config, tmp_path / "server.log")
    acked: dict[str, str] = {}  # doc_id -> text, only after the server answered 201
    bulks: list[list[str]] = []  # acknowledged bulk writes: all of their ids
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int):
        with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10) as c:
            for i in range(MAX_REQUESTS_PER_WRITER):
                if stop.is_set():
                    return
                try:
                    if i % 5 == 4:  # every fifth write is a bulk of three: all or nothing
                        docs = [{"doc_id": f"w{n}-{i}-{j}", "text": f"bulk {n} {i} {j} " * 20} for j in range(3)]
                        r = c.post(f"/v1/users/writer{n}/documents/bulk", json={"documents": docs})
                    else:
                        docs = [{"doc_id": f"w{n}-{i}", "text": f"single {n} {i} " * 30}]
                        r = c.post(f"/v1/users/writer{n}/documents", json=docs[0])
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code != 201:
                    return
                with lock:
                    acked.update((d["doc_id"], d["text"]) for d in docs)
                    if len(docs) > 1:
                        bulks.append([d["doc_id"] for d in docs])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < KILL_AFTER_ACKS and time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    server.kill()  # SIGKILL while the writers are still sending
    killed_with = len(acked)
    stop.set()
    for t in threads:
        t.join(30)
    assert killed_with >= KILL_AFTER_ACKS, "the writers did not get going"
    assert len(acked) < WRITERS * MAX_REQUESTS_PER_WRITER  # it really died mid-stream

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(conn.execute("SELECT doc_id, text FROM documents"))
    missing = [doc_id for doc_id, text in acked.items() if stored.get(doc_id) != text]
    assert not missing, f"{len(missing)} acknowledged documents lost, e.g. {missing[:5]}"
    for ids in bulks:
        assert all(i in stored for i in ids)
    for doc_id in stored:  # every bulk on disk is whole, acknowledged or not
        if doc_id.count("-") == 3:
            prefix = doc_id.rsplit("-", 1)[0]
            assert all(f"{prefix}-{j}" in stored for j in range(3))

    # the store opens again, migrations are a no-op, and the API serves what was written
    restarted = ServerProcess(str(db), config, tmp_path / "server2.log")
    try:
        with httpx.Client(base_url=restarted.url, headers={"X-API-Key": key}, timeout=10) as c:
            total = sum(c.get(f"/v1/users/writer{n}/documents", params={"limit": 1}).json().get("total", 0)
                        for n in range(WRITERS))
        assert total == len(stored) >= len(acked)
    finally:
        restarted.stop()
