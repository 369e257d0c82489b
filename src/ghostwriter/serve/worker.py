"""A worker thread that batches completion requests, so the event loop never waits on a model.

Handlers ``await submit(request)``; the worker takes the first waiting request, gathers
up to ``batch_size - 1`` more that arrive within ``batch_wait_ms``, runs them through the
completer as one batch and hands each result back to the loop with
``call_soon_threadsafe``. Streaming requests run alone so their tokens flow as made.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ghostwriter.serve.completer import Completer, CompletionRequest

log = logging.getLogger("ghostwriter.serve")


class QueueFullError(Exception):
    """More completions are waiting than ``serve.queue_limit`` allows (the client gets 503)."""


@dataclass
class _Job:
    request: CompletionRequest
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    events: asyncio.Queue | None = None  # set for streaming jobs
    queued_at: float = 0.0


class CompletionWorker:
    """One thread in front of the completer; see the module docstring."""

    def __init__(self, completer: Completer, batch_size: int, batch_wait_ms: float, limit: int):
        self.completer, self.batch_size, self.wait_s, self.limit = completer, batch_size, batch_wait_ms / 1000, limit
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ghostwriter-completions", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _enqueue(self, job: _Job) -> None:
        if self._jobs.qsize() >= self.limit:
            raise QueueFullError(f"{self._jobs.qsize()} completions are waiting (serve.queue_limit={self.limit})")
        job.queued_at = time.perf_counter()
        self._jobs.put(job)

    async def submit(self, request: CompletionRequest):
        loop = asyncio.get_running_loop()
        job = _Job(request, loop, loop.create_future())
        self._enqueue(job)
        return await job.future

    def stream(self, request: CompletionRequest) -> AsyncIterator[tuple[str, object]]:
        """Queue a streaming job now (so a full queue raises before any response is sent) and return
        its events: ``("evidence", Completion)``, ``("token", str)`` ..., then ``("done", Completion)``."""
        loop = asyncio.get_running_loop()
        job = _Job(request, loop, loop.create_future(), events=asyncio.Queue())
        self._enqueue(job)
        return self._events(job)

    async def _events(self, job: _Job) -> AsyncIterator[tuple[str, object]]:
        while True:
            getter = asyncio.ensure_future(job.events.get())
            done, _ = await asyncio.wait({getter, job.future}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
                continue
            getter.cancel()
            while not job.events.empty():
                yield job.events.get_nowait()
            yield "done", job.future.result()  # raises the completer's error, if any
            return

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            if first.events is not None:
                self._run_stream(first)
                continue
            batch = [first]
            deadline = time.perf_counter() + self.wait_s
            pending_stream = None
            while len(batch) < self.batch_size:
                try:
                    job = self._jobs.get(timeout=max(0.0, deadline - time.perf_counter()))
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)
                    break
                if job.events is not None:
                    pending_stream = job
                    break
                batch.append(job)
            self._run_batch(batch)
            if pending_stream is not None:
                self._run_stream(pending_stream)

    def _run_batch(self, batch: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            results = self.completer.complete([job.request for job in batch])
        except Exception as exc:  # handed to each waiting request; the handler logs and answers 500
            for job in batch:
                _resolve(job, exc=exc)
            return
        for job, result in zip(batch, results):
            result.timings_ms["queue"] = (started - job.queued_at) * 1000.0
            result.timings_ms["batch_size"] = float(len(batch))
            _resolve(job, result=result)

    def _run_stream(self, job: _Job) -> None:
        started = time.perf_counter()

        def on_event(kind: str, payload) -> None:
            job.loop.call_soon_threadsafe(job.events.put_nowait, (kind, payload))

        try:
            result = self.completer.stream(job.request, on_event)
        except Exception as exc:
            _resolve(job, exc=exc)
            return
        result.timings_ms["queue"] = (started - job.queued_at) * 1000.0
        _resolve(job, result=result)


def _resolve(job: _Job, result=None, exc: BaseException | None = None) -> None:
    def settle():
        if job.future.done():  # the client went away and the handler was cancelled
            return
        if exc is not None:
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)

    try:
        job.loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the loop closed during shutdown
        log.warning("dropped a completion result: the event loop is closed")
