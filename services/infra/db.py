"""Database access for a service: one engine per container, one session per worker.

nameko-sqlalchemy does not support SQLAlchemy 2, hence this small provider. SQLite (WAL) is
the embedded default, one file per service under ``LINLI_DATA_DIR``; PostgreSQL is chosen by
setting ``LINLI_<SERVICE>_DATABASE_URL`` (the service's ``DATABASE_URL`` config key).
"""

import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, and_, create_engine, event, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.types import TypeDecorator

from services.infra.errors import NotFound

_green_postgres = threading.Lock()
_green_postgres_done = False


# A simulated clock (the demo generator replays weeks of history); None in normal running.
_clock = None


def utcnow():
    return _clock() if _clock is not None else datetime.now(UTC)


def set_clock(clock):
    """Make ``utcnow`` answer ``clock()`` (None: the real clock again). For simulations only."""
    global _clock
    _clock = clock


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every engine (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def data_dir():
    return Path(os.environ.get("LINLI_DATA_DIR") or "var").resolve()


def database_url(service_name, configured=None):
    """The URL a service's database lives at: configuration first, else a SQLite file."""
    url = configured or os.environ.get(f"LINLI_{service_name.upper()}_DATABASE_URL")
    if url:
        return url
    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / service_name}.db"


def _make_postgres_green():
    """psycopg2 is a C driver: without this it blocks the eventlet hub while it waits."""
    global _green_postgres_done
    with _green_postgres:
        if not _green_postgres_done:
            from psycogreen.eventlet import patch_psycopg

            patch_psycopg()
            _green_postgres_done = True


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url, green=False):
    """An engine for ``url``. ``green`` when it runs inside an eventlet-patched process."""
    if url.startswith("sqlite"):
        # sqlite3 waits for locks inside C, blocking the whole hub: a single pooled
        # connection makes green threads queue for it instead (green waits, no deadlock).
        engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=30)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if green:
        _make_postgres_green()
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_timeout=10)


class Database(DependencyProvider):
    """``self.db`` in a service: a fresh SQLAlchemy session per worker, closed after it.

    Use cases run inside ``with self.db.begin():`` so a call commits or rolls back whole.
    """

    def setup(self):
        url = database_url(self.container.service_name, self.container.config.get("DATABASE_URL"))
        self.engine = make_engine(url, green=True)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self.sessions = {}

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        session = self.Session()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()


def in_transaction(session, use_case, *args, attempts=2):
    """``use_case(session, *args)`` in a transaction of its own, run again after a unique-key race
    (a concurrent call inserted the same row first: the retry finds and answers it)."""
    for attempt in range(attempts):
        try:
            with session.begin():
                return use_case(session, *args)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    return None


def get_in_community(session, model, object_id, tenant_id, detail, key, member_id=None, **options):
    """The ``model`` row ``object_id`` if it belongs to the community ``tenant_id`` (and, given
    ``member_id``, to that member); else ``NotFound``. Absent and someone else's look the same:
    an id of another community must reveal nothing."""
    row = session.get(model, object_id, **options) if isinstance(object_id, str) else None
    if row is None or row.tenant_id != tenant_id or (member_id is not None and row.member_id != member_id):
        raise NotFound(detail, {key: object_id})
    return row


def find_database(container):
    """The container's ``Database`` provider, for extensions that work beside workers."""
    for dependency in container.dependencies:
        if isinstance(dependency, Database):
            return dependency
    raise LookupError(f"{container.service_name} declares no Database dependency")


def new_id():
    """An opaque identifier for anything a client may see."""
    return uuid.uuid4().hex


def newest_first(statement, model, position, limit, key=None):
    """Keyset pagination on ``(created_at, id)``: stable under inserts, fast on big tables.
    ``key``: the column standing for ``id`` in a table whose primary key is named otherwise."""
    key = model.id if key is None else key
    if position is not None:
        created_at, last_id = position
        statement = statement.where(
            or_(model.created_at < created_at, and_(model.created_at == created_at, key < last_id))
        )
    return statement.order_by(model.created_at.desc(), key.desc()).limit(limit + 1)
