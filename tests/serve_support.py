"""Helpers for the service tests: real servers on loopback (in a thread or a subprocess)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def slice_documents() -> dict[str, list]:
    """The vendored openzfs slice's documents by user, oldest first."""
    from ghostwriter.data.documents import read_documents
    from ghostwriter.demo import demo_source

    by_user = defaultdict(list)
    for doc in read_documents(demo_source()):
        by_user[doc.user_id].append(doc)
    return {u: sorted(d, key=lambda x: (x.timestamp, x.doc_id)) for u, d in sorted(by_user.items())}


def as_json(doc) -> dict:
    return {"doc_id": doc.doc_id, "timestamp": doc.timestamp, "title": doc.title, "text": doc.text}


@contextlib.contextmanager
def threaded_server(app, timeout: float = 60.0):
    """Run ``app`` with uvicorn on a free loopback port in a thread; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def write_config(path: Path, **serve) -> Path:
    """A TOML config with a [serve] table (strings quoted, numbers as they are)."""
    lines = ["[serve]"]
    for key, value in serve.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    path.write_text("\n".join(lines) + "\n")
    return path


class ServerProcess:
    """``ghostwriter serve`` as a subprocess on a free loopback port; stopped (or killed) by the test."""

    def __init__(self, db: str, config: Path | None, log: Path, timeout: float = 120.0, extra: tuple = ()):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        command = [sys.executable, "-m", "ghostwriter.cli", "serve", "--db", db, "--port", str(self.port), *extra]
        if config is not None:
            command += ["--config", str(config)]
        self.log = open(log, "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {Path(log).read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start: {Path(log).read_text()[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        self.process.kill()
        self.process.wait(30)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self.log.close()
