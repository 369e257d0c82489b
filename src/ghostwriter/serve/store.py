"""The profile store: tenants, hashed API keys and users' documents, in SQLite or PostgreSQL.

One schema on SQLAlchemy Core serves both. SQLite (the default) is a file in WAL mode with
``synchronous=FULL``, so a write the service acknowledged has been fsynced and survives a
SIGKILL or a power cut; PostgreSQL commits are durable by default. Migrations are numbered
functions applied in order at start-up and recorded in ``schema_migrations``.

>>> store = open_store("sqlite:///profiles.db")  # doctest: +SKIP
>>> tenant = store.create_tenant("acme"); key = store.create_key(tenant)  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ghostwriter.errors import GhostwriterError
from ghostwriter.records import Document

KEY_PREFIX = "gw_"


class StoreError(GhostwriterError):
    """A database URL that cannot be opened, or a key or tenant that does not exist."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An authenticated key: which tenant it speaks for (the secret itself is never kept)."""

    key_id: int
    tenant_id: int
    tenant: str
    prefix: str


def hash_key(key: str) -> str:
    """SHA-256 of the key: keys are 256-bit random tokens, so a fast hash cannot be brute-forced."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def database_url(url: str) -> str:
    """Accept a plain path or URL; ``postgresql://`` is routed to the psycopg (v3) driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise StoreError(f"unsupported database URL {url.split('://')[0]}://...; "
                     "use a file path, sqlite:///PATH or postgresql://USER@HOST/DB")


def _tables(sa):
    metadata = sa.MetaData()
    tenants = sa.Table(
        "tenants", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False))
    keys = sa.Table(
        "api_keys", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True))
    documents = sa.Table(
        "documents", metadata,
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(200), primary_key=True),
        sa.Column("doc_id", sa.String(200), primary_key=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("added_at", sa.Float, nullable=False))
    migrations = sa.Table(
        "schema_migrations", metadata,
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("applied_at", sa.Float, nullable=False))
    return metadata, tenants, keys, documents, migrations


def _migration_1(sa, conn, tables) -> None:
    """The first schema: tenants, keys, documents."""
    metadata = tables[0]
    metadata.create_all(conn, tables=list(tables[1:4]))


def _migration_2(sa, conn, tables) -> None:
    """Listing a user's documents in time order without a sort."""
    sa.Index("documents_by_user_time", tables[3].c.tenant_id, tables[3].c.user_id,
             tables[3].c.timestamp).create(conn, checkfirst=True)


MIGRATIONS = (_migration_1, _migration_2)  # append only; each runs once, in order


class ProfileStore:
    """Tenants, keys and documents behind one SQLAlchemy engine; every method is thread-safe."""

    def __init__(self, url: str):
        import sqlalchemy as sa

        self.sa = sa
        self.url = database_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        try:
            if self.is_sqlite:
                path = self.url.split("sqlite:///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine = sa.create_engine(self.url, connect_args={"timeout": 30, "check_same_thread": False})
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
                sa.event.listen(self.engine, "begin", _sqlite_begin)
            else:
                self.engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=8)
        except Exception as exc:  # an unparsable URL or a missing driver
            raise StoreError(f"cannot open database {_redact(url)}: {exc}") from None
        self.metadata, self.tenants, self.keys, self.documents, self.migrations = _tables(sa)
        self._write_lock = threading.Lock()

    @contextlib.contextmanager
    def _write(self):
        """A write transaction; on SQLite it takes the write lock at BEGIN (IMMEDIATE), so two
        writers queue on busy_timeout instead of one failing when its read snapshot goes stale."""
        # Within one process, writers queue on a lock (woken at once) rather than on SQLite's
        # busy handler, which polls with sleeps of up to 100 ms.
        with self._write_lock if self.is_sqlite else contextlib.nullcontext():
            with self.engine.connect() as conn:
                conn.execution_options(ghostwriter_write=True)
                with conn.begin():
                    yield conn

    # ------------------------------------------------------------------ schema

    def migrate(self) -> int:
        """Create the schema or bring it up to date; returns the schema version."""
        sa = self.sa
        tables = (self.metadata, self.tenants, self.keys, self.documents)
        try:
            with self._write() as conn:
                if not self.is_sqlite:  # two servers starting at once: the second waits, then finds all done
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(7262)"))
                self.metadata.create_all(conn, tables=[self.migrations])
                done = {row[0] for row in conn.execute(sa.select(self.migrations.c.version))}
                for version, migration in enumerate(MIGRATIONS, start=1):
                    if version not in done:
                        migration(sa, conn, tables)
                        conn.execute(self.migrations.insert().values(version=version, applied_at=time.time()))
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot open database {_redact(self.url)}: {exc.orig}") from None
        return len(MIGRATIONS)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ tenants and keys

    def create_tenant(self, name: str) -> int:
        """The tenant's id, creating it when it does not exist yet."""
        sa = self.sa
        with self._write() as conn:
            found = conn.execute(sa.select(self.tenants.c.id).where(self.tenants.c.name == name)).scalar()
            if found is not None:
                return found
            return conn.execute(self.tenants.insert().values(name=name, created_at=time.time())).inserted_primary_key[0]

    def create_key(self, tenant: str) -> str:
        """A new API key for ``tenant`` (created if new); the only time the secret is ever seen."""
        tenant_id = self.create_tenant(tenant)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._write() as conn:
            conn.execute(self.keys.insert().values(tenant_id=tenant_id, prefix=key[:10], key_hash=hash_key(key),
                                                   created_at=time.time(), revoked_at=None))
        return key

    def revoke_key(self, key_or_prefix: str) -> int:
        """Revoke a key given whole or by its 10-character prefix; returns how many were revoked."""
        k = self.keys
        match = (k.c.key_hash == hash_key(key_or_prefix)) if len(key_or_prefix) > 10 else (k.c.prefix == key_or_prefix)
        with self._write() as conn:
            count = conn.execute(k.update().where(match, k.c.revoked_at.is_(None))
                                 .values(revoked_at=time.time())).rowcount
        if not count:
            raise StoreError(f"no active key matches {key_or_prefix[:10]!r}")
        return count

    def list_keys(self) -> list[dict]:
        sa = self.sa
        k, t = self.keys, self.tenants
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(k.c.prefix, t.c.name, k.c.created_at, k.c.revoked_at)
                                .join_from(k, t, k.c.tenant_id == t.c.id).order_by(k.c.id)).all()
        return [{"prefix": r[0], "tenant": r[1], "created_at": r[2], "revoked": r[3] is not None} for r in rows]

    def authenticate(self, key: str) -> ApiKey | None:
        """The key's tenant, or None when the key is unknown or revoked."""
        sa = self.sa
        k, t = self.keys, self.tenants
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(k.c.id, k.c.tenant_id, t.c.name, k.c.prefix)
                               .join_from(k, t, k.c.tenant_id == t.c.id)
                               .where(k.c.key_hash == hash_key(key), k.c.revoked_at.is_(None))).first()
        return ApiKey(*row) if row else None

    # ------------------------------------------------------------------ documents

    def add_documents(self, tenant_id: int, user_id: str, documents: Sequence[Document],
                      max_per_user: int) -> tuple[list[Document], int]:
        """Insert or replace documents in one transaction; committed (fsynced) when this returns.

        Returns the documents as stored and the user's document count after the write. Raises
        :class:`ProfileFullError` (nothing written) when the user would pass ``max_per_user``.
        """
        sa = self.sa
        d = self.documents
        ids = [doc.doc_id for doc in documents]
        now = time.time()
        with self._write() as conn:
            # Writes to one tenant queue here (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already
            # serialises writers), so the count check and a repeated doc_id cannot race.
            conn.execute(sa.select(self.tenants.c.id).where(self.tenants.c.id == tenant_id).with_for_update())
            count = conn.execute(sa.select(sa.func.count()).select_from(d)
                                 .where(d.c.tenant_id == tenant_id, d.c.user_id == user_id)).scalar()
            existing = set(conn.execute(sa.select(d.c.doc_id).where(
                d.c.tenant_id == tenant_id, d.c.user_id == user_id, d.c.doc_id.in_(ids))).scalars())
            new = len(set(ids) - existing)
            if count + new > max_per_user:
                raise ProfileFullError(user_id, count, new, max_per_user)
            if existing:
                conn.execute(d.delete().where(d.c.tenant_id == tenant_id, d.c.user_id == user_id,
                                              d.c.doc_id.in_(list(existing))))
            conn.execute(d.insert(), [{"tenant_id": tenant_id, "user_id": user_id, "doc_id": doc.doc_id,
                                       "timestamp": doc.timestamp, "title": doc.title, "text": doc.text,
                                       "added_at": now} for doc in documents])
        return list(documents), count + new

    def list_documents(self, tenant_id: int, user_id: str, limit: int | None = None, offset: int = 0) -> list[Document]:
        """A user's documents, oldest first (the profile order)."""
        sa = self.sa
        d = self.documents
        query = (sa.select(d.c.user_id, d.c.doc_id, d.c.timestamp, d.c.title, d.c.text)
                 .where(d.c.tenant_id == tenant_id, d.c.user_id == user_id)
                 .order_by(d.c.timestamp, d.c.doc_id).offset(offset))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [Document(*row) for row in conn.execute(query)]

    def count_documents(self, tenant_id: int, user_id: str) -> int:
        sa = self.sa
        d = self.documents
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(d)
                                .where(d.c.tenant_id == tenant_id, d.c.user_id == user_id)).scalar()

    def delete_document(self, tenant_id: int, user_id: str, doc_id: str) -> bool:
        d = self.documents
        with self._write() as conn:
            return conn.execute(d.delete().where(d.c.tenant_id == tenant_id, d.c.user_id == user_id,
                                                 d.c.doc_id == doc_id)).rowcount > 0

    def delete_user(self, tenant_id: int, user_id: str) -> int:
        """Delete a user and all their documents; returns how many documents went."""
        d = self.documents
        with self._write() as conn:
            return conn.execute(d.delete().where(d.c.tenant_id == tenant_id, d.c.user_id == user_id)).rowcount

    def list_users(self, tenant_id: int) -> list[tuple[str, int]]:
        sa = self.sa
        d = self.documents
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                sa.select(d.c.user_id, sa.func.count()).where(d.c.tenant_id == tenant_id)
                .group_by(d.c.user_id).order_by(d.c.user_id))]


class ProfileFullError(GhostwriterError):
    """Adding these documents would take a user past ``serve.max_documents_per_user``."""

    def __init__(self, user_id: str, count: int, new: int, limit: int):
        super().__init__(f"user {user_id!r} has {count} documents; adding {new} would pass the limit of {limit} "
                         "(serve.max_documents_per_user)")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL for concurrent readers; FULL sync so a committed write is on disk before we answer."""
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """BEGIN IMMEDIATE for writes, a plain (deferred) BEGIN for reads."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("ghostwriter_write") else "BEGIN")


def _redact(url: str) -> str:
    """A URL without its password, for messages."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":")[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
    return url


def open_store(url: str) -> ProfileStore:
    """Open (and migrate) the store at ``url``: a path, ``sqlite:///PATH`` or ``postgresql://...``."""
    store = ProfileStore(url)
    store.migrate()
    return store
