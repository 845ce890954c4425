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
from sqlalchemy import DateTime, and_, create_engine, event, or_, update
from sqlalchemy.engine import make_url
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


# The schemes the README, compose and the manifests write (``postgresql://...``). SQLAlchemy 2.1
# maps a bare ``postgresql`` to psycopg 3; under eventlet the project uses psycopg2, which
# psycogreen makes cooperative (DESIGN.md, known traps), so the bare forms mean psycopg2 here.
_POSTGRES_SCHEMES = {"postgresql", "postgres"}


def engine_url(url):
    """``url`` as SQLAlchemy must read it: a bare ``postgresql://`` or ``postgres://`` becomes
    ``postgresql+psycopg2://``; an explicit driver and any other URL are kept as written."""
    parsed = make_url(url)
    if parsed.drivername in _POSTGRES_SCHEMES:
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def make_engine(url, green=False):
    """An engine for ``url``. ``green`` when it runs inside an eventlet-patched process.

    Every engine of the project is made here (services, migrations, scripts), so the URL forms
    the documentation shows are accepted in one place (``engine_url``)."""
    url = engine_url(url)
    if url.get_backend_name() == "sqlite":
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


def compare_and_set(session, model, where, values):
    """``UPDATE model SET values WHERE where``: the number of rows it changed (0: lost).

    A state change is decided by the database, not by what this process read earlier: the
    ``where`` names the state expected (``status == "reserved"``, ``refunded + x <= paid``), so
    of two processes racing, exactly one sees a row change and goes on to its effects (stock
    back, an event); the other sees 0 and answers as if it had come second. On PostgreSQL the
    loser's UPDATE waits for the winner's row lock and re-evaluates ``where`` on the committed
    row; SQLite has one writer at a time. Objects already loaded are not synchronised: the
    caller refreshes them (or sets what it knows) when it goes on using them.
    """
    result = session.execute(
        update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount


# ``session.get(Model, id, **ROW_LOCK)``: the row as committed now, locked until the transaction
# ends (``SELECT ... FOR UPDATE``; nothing on SQLite, which has one writer at a time). A use case
# that decides from several rows (an order and its payments) takes the lock of the one they
# hang on first, so every writer of that aggregate queues in the same order (no deadlock).
ROW_LOCK = {"with_for_update": True, "populate_existing": True}


def claim_batch(session, statement):
    """The rows of ``statement`` (an ORM ``select``) that no other transaction holds, locked
    until this one ends: periodic work that runs in every process (a timer) claims its unit of
    work this way, so with N processes each unit is done once and nobody waits for another.
    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has no row locks (SQLAlchemy leaves the
    clause out) and one writer at a time, so there the work's own compare-and-set decides."""
    return session.scalars(statement.with_for_update(skip_locked=True)).all()


def get_in_community(session, model, object_id, tenant_id, detail, key, member_id=None, **options):
    """The ``model`` row ``object_id`` if it belongs to the community ``tenant_id`` (and, given
    ``member_id``, to that member); else ``NotFound``. Absent and someone else's look the same:
    an id of another community must reveal nothing."""
    row = session.get(model, object_id, **options) if isinstance(object_id, str) else None
    if (
        row is None
        or row.tenant_id != tenant_id
        or (member_id is not None and row.member_id != member_id)
    ):
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
