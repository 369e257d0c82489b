"""The HTTP API: a FastAPI app over the profile store, the per-user indexes and a completer.

>>> app = create_app(load_config(), "sqlite:///profiles.db")  # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP

Every ``/v1`` route needs an API key (``Authorization: Bearer KEY`` or ``X-API-Key``); a key
sees only its tenant's users. Store calls are plain functions, which FastAPI runs in its
thread pool; completions go through :class:`CompletionWorker`, so the loop never blocks.
"""
# No `from __future__ import annotations`: FastAPI reads the route signatures, whose types
# (the limit-bound schemas) are local to create_app.
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ghostwriter.config import Config
from ghostwriter.errors import ConfigError
from ghostwriter.records import Document
from ghostwriter.serve.completer import Completer, CompletionRequest
from ghostwriter.serve.index import IndexRegistry
from ghostwriter.serve.limits import BodySizeLimit, RateLimiter
from ghostwriter.serve.schemas import make_schemas
from ghostwriter.serve.store import ApiKey, ProfileFullError, ProfileStore, open_store
from ghostwriter.serve.worker import CompletionWorker, QueueFullError
from ghostwriter.text import Tokenizer

log = logging.getLogger("ghostwriter.serve")


def build_completer(config: Config, indexes: IndexRegistry) -> Completer:
    """The completer ``serve.completer`` names (the pipeline one imports its models lazily)."""
    if config.serve.completer == "extractive":
        from ghostwriter.serve.completer import ExtractiveCompleter

        return ExtractiveCompleter(config, indexes)
    from ghostwriter.serve.pipeline_completer import PipelineCompleter

    return PipelineCompleter(config, indexes)


def create_app(config: Config, db: str | ProfileStore, completer: Completer | None = None) -> FastAPI:
    """The app; the store is migrated and the completer loaded when the app starts, once."""
    store = db if isinstance(db, ProfileStore) else open_store(db)
    limits = config.serve
    indexes = IndexRegistry(lambda key: store.list_documents(*key), Tokenizer.from_config(config.retrieve),
                            limits.indexed_users, config.retrieve.k1, config.retrieve.b)
    completer = completer or build_completer(config, indexes)
    if limits.variant and limits.variant not in completer.variants():
        raise ConfigError(f"serve.variant: unknown variant {limits.variant!r}; "
                          f"choose from: {', '.join(completer.variants())}")
    worker = CompletionWorker(completer, limits.batch_size, limits.batch_wait_ms, limits.queue_limit)
    limiter = RateLimiter(limits.rate_per_minute, limits.rate_burst)
    S = make_schemas(limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        started = time.perf_counter()
        store.migrate()
        completer.load()  # models load here, once, before the first request is accepted
        worker.start()
        log.info("ghostwriter serve ready in %.1f s (completer %s)", time.perf_counter() - started, completer.name)
        yield
        worker.stop()

    # No /docs or /redoc: their pages load scripts from a CDN, and the service makes no outside calls.
    app = FastAPI(title="Ghostwriter", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Finish a document in its author's voice, with the evidence that shaped it.")
    app.state.store, app.state.indexes, app.state.worker, app.state.completer = store, indexes, worker, completer
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    _install_error_handlers(app)

    def api_key(request: Request) -> ApiKey:
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        if not key:
            raise HTTPException(401, "missing API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
                                headers={"WWW-Authenticate": "Bearer"})
        found = store.authenticate(key)
        if found is None:
            raise HTTPException(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        wait = limiter.take(found.key_id)
        if wait:
            raise HTTPException(429, f"rate limit of {limits.rate_per_minute:g} requests a minute for this key "
                                f"(burst {limits.rate_burst}); retry in {wait:.1f} s",
                                headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        return found

    def known_user(key: ApiKey, user_id: str) -> int:
        count = store.count_documents(key.tenant_id, user_id)
        if not count:
            raise HTTPException(404, f"unknown user {user_id!r}: add documents to their profile first")
        return count

    def to_documents(user_id: str, items) -> list[Document]:
        now = int(time.time())
        return [Document(user_id=user_id, doc_id=item.doc_id or uuid.uuid4().hex[:16],
                         timestamp=now if item.timestamp is None else item.timestamp,
                         title=item.title, text=item.text) for item in items]

    def add(key: ApiKey, user_id: str, items) -> dict:
        documents = to_documents(user_id, items)
        try:
            stored, count = store.add_documents(key.tenant_id, user_id, documents, limits.max_documents_per_user)
        except ProfileFullError as exc:
            raise HTTPException(409, str(exc)) from None
        indexes.added((key.tenant_id, user_id), stored)
        return {"user_id": user_id, "added": [d.doc_id for d in stored], "documents": count}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(resources.files("ghostwriter.serve").joinpath("page.html").read_text(encoding="utf-8"))

    @app.get("/healthz", tags=["service"])
    def health() -> dict:
        return {"status": "ok", "completer": completer.name}

    @app.get("/v1/variants", tags=["completion"])
    def variants(key: ApiKey = Depends(api_key)) -> dict:
        return {"variants": completer.variants(), "default": limits.variant or None}

    @app.post("/v1/users/{user_id}/documents", status_code=201, tags=["profiles"])
    def add_document(user_id: S.UserId, document: S.DocumentIn, key: ApiKey = Depends(api_key)) -> dict:
        """Add one document to a user's profile (a new user is created by their first document)."""
        return add(key, user_id, [document])

    @app.post("/v1/users/{user_id}/documents/bulk", status_code=201, tags=["profiles"])
    def add_documents(user_id: S.UserId, body: S.BulkIn, key: ApiKey = Depends(api_key)) -> dict:
        """Add many documents in one transaction: all are stored, or none."""
        return add(key, user_id, body.documents)

    @app.get("/v1/users/{user_id}/documents", tags=["profiles"])
    def list_documents(user_id: S.UserId, limit: S.Limit = 100, offset: S.Offset = 0,
                       key: ApiKey = Depends(api_key)) -> dict:
        total = known_user(key, user_id)
        docs = store.list_documents(key.tenant_id, user_id, limit=limit, offset=offset)
        return {"user_id": user_id, "total": total, "documents": [d.to_json() for d in docs]}

    @app.delete("/v1/users/{user_id}/documents/{doc_id}", status_code=204, tags=["profiles"])
    def delete_document(user_id: S.UserId, doc_id: S.DocId, key: ApiKey = Depends(api_key)) -> None:
        known_user(key, user_id)
        if not store.delete_document(key.tenant_id, user_id, doc_id):
            raise HTTPException(404, f"user {user_id!r} has no document {doc_id!r}")
        indexes.removed((key.tenant_id, user_id), doc_id)

    @app.delete("/v1/users/{user_id}", status_code=204, tags=["profiles"])
    def delete_user(user_id: S.UserId, key: ApiKey = Depends(api_key)) -> None:
        """Delete a user and every document of theirs."""
        known_user(key, user_id)
        store.delete_user(key.tenant_id, user_id)
        indexes.removed((key.tenant_id, user_id))

    def completion_request(body, key: ApiKey, profile_size: int) -> CompletionRequest:
        variant = body.variant or limits.variant
        choices = completer.variants()
        if variant and variant not in choices:
            raise HTTPException(422, f"field 'variant': unknown variant {variant!r}; choose from: {', '.join(choices)}")
        return CompletionRequest(request_id=uuid.uuid4().hex[:12], tenant_id=key.tenant_id, user_id=body.user_id,
                                 title=body.title, context=body.context, variant=variant,
                                 max_tokens=body.max_tokens or min(config.generate.max_new_tokens,
                                                                   limits.max_tokens_ceiling),
                                 profile_size=profile_size)

    @app.post("/v1/complete", tags=["completion"])
    async def complete(body: S.CompleteIn, request: Request, key: ApiKey = Depends(api_key)):
        """Continue ``title`` + ``context`` in the user's voice; ``stream: true`` sends server-sent events."""
        from starlette.concurrency import run_in_threadpool

        profile_size = await run_in_threadpool(known_user, key, body.user_id)
        job = completion_request(body, key, profile_size)
        try:
            if body.stream:
                return StreamingResponse(_sse(worker.stream(job)), media_type="text/event-stream",
                                         headers={"Cache-Control": "no-store"})
            result = await worker.submit(job)
        except QueueFullError as exc:
            raise HTTPException(503, f"busy: {exc}; retry shortly", headers={"Retry-After": "1"}) from None
        return result.to_json()

    return app


async def _sse(events):
    """Server-sent events: ``evidence`` once, ``token`` per piece, then ``done`` (or ``error``)."""
    try:
        async for kind, payload in events:
            if kind == "token":
                data = {"text": payload}
            else:
                data = payload.to_json()
            yield f"event: {kind}\ndata: {json.dumps(data)}\n\n"
    except Exception:  # the stream has started: report in-band, log the details
        error_id = uuid.uuid4().hex[:12]
        log.exception("streamed completion failed (error id %s)", error_id)
        yield f"event: error\ndata: {json.dumps({'error': f'internal error (id {error_id})'})}\n\n"


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def _install_error_handlers(app: FastAPI) -> None:
    """JSON errors everywhere: 422 names the field, nothing leaks a stack trace."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        fields = [{"field": _field_name(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors()]
        summary = "; ".join(f"field {f['field']!r}: {f['message']}" for f in fields)
        return JSONResponse({"error": summary, "fields": fields}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception):
        error_id = uuid.uuid4().hex[:12]
        log.error("request %s %s failed (error id %s)", request.method, request.url.path, error_id, exc_info=exc)
        return JSONResponse({"error": f"internal error (id {error_id}); the server log has the details"},
                            status_code=500)
