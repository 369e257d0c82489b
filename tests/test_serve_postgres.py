"""The same store and API on PostgreSQL, when a server can be had.

``GHOSTWRITER_TEST_POSTGRES_URL`` (e.g. ``postgresql://postgres@127.0.0.1/ghostwriter_test``) names a
running server; otherwise, where Debian's PostgreSQL binaries are installed, a throwaway cluster
is started on a Unix socket in a temporary folder (as the ``postgres`` user when run as root)
and removed afterwards. With neither, the tests skip and say why.
"""
import contextlib
import dataclasses
import glob
import os
import shutil
import subprocess
import tempfile

import httpx
import pytest

from ghostwriter.config import Config, ServeConfig
from serve_support import threaded_server

pytest.importorskip("fastapi")
pytest.importorskip("psycopg")
pytestmark = pytest.mark.slow


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@contextlib.contextmanager
def _throwaway_cluster():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL server: set GHOSTWRITER_TEST_POSTGRES_URL or install Debian's postgresql")
    folder = tempfile.mkdtemp(prefix="gw-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(folder, "data"), 54329
    try:
        subprocess.run([*as_user, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", data, "-w", "-t", "60", "-l", os.path.join(folder, "log"),
                        "-o", f"-c listen_addresses='' -c unix_socket_directories={folder} -p {port} -c fsync=on",
                        "start"], check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"could not start a throwaway PostgreSQL cluster: {exc}")
    try:
        yield f"postgresql://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_url():
    url = os.environ.get("GHOSTWRITER_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with _throwaway_cluster() as url:
        yield url


@pytest.fixture()
def pg_store(pg_url):
    from ghostwriter.serve.store import open_store

    store = open_store(pg_url)
    with store.engine.begin() as conn:  # each test starts from an empty schema
        for table in ("documents", "api_keys", "tenants"):
            conn.execute(store.sa.text(f"DELETE FROM {table}"))
    yield store
    store.close()


def test_postgres_migrations_run_once_and_record_their_versions(pg_url, pg_store):
    from ghostwriter.serve.store import open_store

    again = open_store(pg_url)  # a second start: nothing to do, nothing breaks
    with again.engine.connect() as conn:
        versions = [r[0] for r in conn.execute(again.sa.text("SELECT version FROM schema_migrations ORDER BY 1"))]
    again.close()
    assert versions == [1, 2]
    assert pg_store.engine.dialect.name == "postgresql"


def test_api_on_postgres_with_tenant_isolation(pg_store):
    from ghostwriter.serve.app import create_app

    acme, globex = pg_store.create_key("acme"), pg_store.create_key("globex")
    config = dataclasses.replace(Config(), serve=ServeConfig(completer="extractive", max_documents_per_user=5))
    with threaded_server(create_app(config, pg_store)) as url:
        a = httpx.Client(base_url=url, headers={"X-API-Key": acme}, timeout=30)
        g = httpx.Client(base_url=url, headers={"X-API-Key": globex}, timeout=30)
        docs = [{"doc_id": f"d{i}", "timestamp": 100 + i, "title": f"Fix {w}", "text": f"Fixed the {w} path again"}
                for i, w in enumerate(["arc", "zil", "dbuf", "spa"])]
        assert a.post("/v1/users/ann/documents/bulk", json={"documents": docs}).json()["documents"] == 4
        assert [d["doc_id"] for d in a.get("/v1/users/ann/documents").json()["documents"]] == ["d0", "d1", "d2", "d3"]
        r = a.post("/v1/complete", json={"user_id": "ann", "title": "Fix zil", "context": "Fixed the"})
        assert r.status_code == 200 and r.json()["evidence"]["entries"][0]["doc_id"] == "d1"
        assert g.get("/v1/users/ann/documents").status_code == 404
        assert g.post("/v1/complete", json={"user_id": "ann", "context": "Fixed"}).status_code == 404
        more = [{"doc_id": f"x{i}", "text": "more"} for i in range(2)]
        r = a.post("/v1/users/ann/documents/bulk", json={"documents": more})
        assert r.status_code == 409 and a.get("/v1/users/ann/documents").json()["total"] == 4
        assert a.delete("/v1/users/ann/documents/d0").status_code == 204
        assert a.delete("/v1/users/ann").status_code == 204
        assert a.get("/v1/users/ann/documents").status_code == 404
        pg_store.revoke_key(acme[:10])
        assert a.get("/v1/variants").status_code == 401
        a.close()
        g.close()


def test_concurrent_writers_on_postgres_never_fail_or_pass_the_cap(pg_store):
    import threading

    from ghostwriter.records import Document
    from ghostwriter.serve.store import ProfileFullError

    tenant = pg_store.create_tenant("race")
    outcomes, lock = [], threading.Lock()

    def write(n):
        for i in range(6):  # doc ids repeat across threads: replaced, never a unique violation
            try:
                pg_store.add_documents(tenant, "u", [Document("u", f"d{(n * 7 + i) % 30}", i, "", "t")], 20)
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
    assert len(outcomes) == 36 and "full" in outcomes
    assert pg_store.count_documents(tenant, "u") == 20
