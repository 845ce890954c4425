"""Back up and restore every service's database: `make backup`, `make restore BACKUP=<folder>`.

    .venv/bin/python deploy/backup.py backup            # -> $LINLI_DATA_DIR/backups/<UTC time>/
    .venv/bin/python deploy/backup.py restore <folder>  # with Linli stopped

Each service's database is found the way its processes find it: ``LINLI_<SERVICE>_DATABASE_URL``,
else SQLite ``$LINLI_DATA_DIR/<service>.db``. SQLite is copied with SQLite's online backup API
(one consistent snapshot while the stack runs and writes: WAL lets writers go on meanwhile),
PostgreSQL with ``pg_dump -Fc`` (one snapshot per database). ``manifest.json`` lists each file
with its size, sha256 and alembic revision. The backup is written into a hidden folder renamed
at the end, so a folder without the dot is always complete.

A restore refuses while Linli runs against the data directory, checks every checksum before it
touches anything, and puts each database back whole: SQLite into a fresh file renamed over the
old one, PostgreSQL with ``pg_restore --clean --if-exists`` (the database is created if missing;
tables the backup does not have, from a later migration, are dropped first).
Services are backed up one after another, so one may hold an event another has not seen yet:
the restore marks the events published since shortly before the backup as unpublished, the
outbox relays publish them again and the consumers' inboxes drop those they already had.
"""

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import warnings
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
# eventlet (under nameko, under services.infra) warns at every import that it is deprecated.
warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")

from sqlalchemy import text, update  # noqa: E402
from sqlalchemy.engine import URL, make_url  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from services.infra.db import database_url, make_engine  # noqa: E402
from services.infra.messaging import OutboxMessage  # noqa: E402
from services.infra.topology import SERVICES  # noqa: E402

MANIFEST = "manifest.json"
FORMAT = 1
# Events published this long before a backup began are published again after its restore: they
# may have been in RabbitMQ, not yet in their consumer's database, when it was copied.
REPUBLISH_WINDOW = timedelta(hours=1)
# What deploy/run.py and the services run as: their presence means Linli is running.
LINLI_PROGRAMS = ("deploy/run.py", "deploy/bootstrap.py", "deploy/demo.py", "bin/nameko")
LOCK_FILE = "run.lock"


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


def say(message):
    sys.stdout.write(f"backup     | {message}\n")
    sys.stdout.flush()


def data_directory():
    """$LINLI_DATA_DIR as deploy/run.py resolves it (relative: to the repository), exported so
    that ``database_url`` finds the same SQLite files the services do."""
    path = Path(os.environ.get("LINLI_DATA_DIR") or "var").expanduser()
    if not path.is_absolute():
        path = REPO_ROOT / path
    os.environ["LINLI_DATA_DIR"] = str(path)
    return path


def databases():
    """{service: (engine, url)} from the services' own configuration."""
    found = {}
    for service in SERVICES:
        url = database_url(service)
        engine = make_url(url).get_backend_name()
        engine = (
            "postgresql" if engine == "postgres" else engine
        )  # the libpq spelling, accepted too
        if engine not in ("sqlite", "postgresql"):
            raise BackupError(
                f"{service}: cannot back up a {engine} database "
                f"({make_url(url).render_as_string()})"
            )
        found[service] = (engine, url)
    return found


def utc_stamp(moment):
    return moment.strftime("%Y%m%dT%H%M%SZ")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_revision():
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def alembic_revision(url):
    """The database's alembic revision (None before the first migration)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


# --- SQLite ------------------------------------------------------------------------------------


def sqlite_path(url):
    return Path(make_url(url).database)


def copy_sqlite(source, target, mode="rw"):
    """``source`` into a new single file ``target`` with the online backup API: one step, so one
    consistent snapshot (in WAL mode the writers go on meanwhile). ``mode`` "ro" for a backup's
    own file; a live WAL database is opened "rw" (never created), as its readers must be.
    Returns the copy's alembic revision."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode={mode}", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is self-contained: no -wal beside it
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy of {source} fails SQLite's check: {check}")
        try:
            return dst.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        except (sqlite3.OperationalError, TypeError):  # no migration yet
            return None
    finally:
        dst.close()
        src.close()


def backup_sqlite(service, url, folder):
    target = folder / f"{service}.db"
    revision = copy_sqlite(sqlite_path(url), target)
    return {"engine": "sqlite", "file": target.name, "alembic_revision": revision}


def restore_sqlite(service, entry, folder, url, republish_since):
    """Into a fresh file beside the target, renamed over it once complete."""
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}.restoring")
    copy_sqlite(folder / entry["file"], fresh, mode="ro")
    mark_unpublished(f"sqlite:///{fresh}", republish_since)
    # The old database's write-ahead log must not be replayed into the restored file.
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(fresh, target)
    say(f"restored {service} into {target}")


# --- PostgreSQL --------------------------------------------------------------------------------


def libpq(url):
    """(connection URI without the password, environment with it) for pg_dump and pg_restore:
    a password on the command line would show in ``ps``."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = parsed.password
    bare = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    )
    uri = bare.render_as_string(hide_password=False)
    return uri, env


def pg_tool(name, *args, url):
    if shutil.which(name) is None:
        raise BackupError(f"{name} is missing: install Debian's postgresql-client")
    uri, env = libpq(url)
    result = subprocess.run(
        [name, *args, f"--dbname={uri}"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"{name} of {make_url(url).database} failed: {result.stderr.strip()}")


def backup_postgres(service, url, folder):
    target = folder / f"{service}.dump"
    revision = alembic_revision(url)
    pg_tool("pg_dump", "--format=custom", f"--file={target}", url=url)
    return {"engine": "postgresql", "file": target.name, "alembic_revision": revision}


@contextmanager
def maintenance(url):
    """An autocommit connection to the server's ``postgres`` database (CREATE DATABASE,
    activity)."""
    engine = make_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False)
    )
    try:
        with engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
    finally:
        engine.dispose()


def postgres_sessions(url):
    """How many sessions are connected to the database (None: it does not exist)."""
    name = make_url(url).database
    with maintenance(url) as connection:
        if not connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            return None
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :n "
                "AND backend_type = 'client backend'"
            ),
            {"n": name},
        ).scalar()


def create_database(url):
    name = make_url(url).database
    with maintenance(url) as connection:
        quoted = connection.dialect.identifier_preparer.quote(name)
        connection.execute(text(f"CREATE DATABASE {quoted}"))
    say(f"created the database {name}")


def dumped_tables(dump):
    """{(schema, table)} of a custom-format dump, from ``pg_restore --list``."""
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is missing: install Debian's postgresql-client")
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dump}: {listing.stderr.strip()}")
    tables = set()
    for line in listing.stdout.splitlines():
        fields = line.partition(";")[2].split()
        if len(fields) >= 5 and fields[2] == "TABLE" and fields[3] != "DATA":
            tables.add((fields[3], fields[4]))
    return tables


def drop_tables_not_in(dump, url):
    """Tables a later migration made (the backup has none of them) would survive ``--clean`` and
    stop that migration from running again: the database is put back whole instead."""
    keep = dumped_tables(dump)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            present = connection.execute(
                text(
                    "SELECT schemaname, tablename FROM pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            ).all()
            quote = connection.dialect.identifier_preparer.quote
            for schema, table in {tuple(row) for row in present} - keep:
                connection.execute(
                    text(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(table)} CASCADE")
                )
    finally:
        engine.dispose()


def restore_postgres(service, entry, folder, url, republish_since):
    if postgres_sessions(url) is None:
        create_database(url)
    else:
        drop_tables_not_in(folder / entry["file"], url)
    pg_tool(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        str(folder / entry["file"]),
        url=url,
    )
    mark_unpublished(url, republish_since)
    say(f"restored {service} into the database {make_url(url).database}")


ENGINES = {
    "sqlite": (backup_sqlite, restore_sqlite),
    "postgresql": (backup_postgres, restore_postgres),
}


# --- Backup ------------------------------------------------------------------------------------


def backup(data_dir, now=None):
    """Every service's database into ``backups/<UTC time>/``; returns that folder."""
    started = now or datetime.now(UTC)
    backups = data_dir / "backups"
    final = backups / utc_stamp(started)
    if final.exists():
        raise BackupError(f"{final} exists already")
    partial = backups / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    backups.mkdir(mode=0o700, parents=True, exist_ok=True)  # personal data: the operator's only
    partial.mkdir(mode=0o700)
    try:
        services = {}
        for service, (engine, url) in databases().items():
            services[service] = describe(partial, ENGINES[engine][0](service, url, partial))
            say(f"backed up {service} ({engine}, {services[service]['size']} bytes)")
        write_manifest(
            partial,
            {
                "format": FORMAT,
                "started_at": started.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "linli_revision": git_revision(),
                "services": services,
            },
        )
        os.rename(partial, final)
        fsync_directory(backups)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def fsync_directory(path):
    """The rename itself on disk, not only in the page cache."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def describe(folder, entry):
    path = folder / entry["file"]
    return {**entry, "size": path.stat().st_size, "sha256": sha256_of(path)}


def write_manifest(folder, manifest):
    path = folder / MANIFEST
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


# --- Verification ------------------------------------------------------------------------------


def read_manifest(folder):
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no {MANIFEST}: not a (complete) backup") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{folder / MANIFEST} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST} is not a backup manifest of format {FORMAT}")
    if not isinstance(manifest.get("services"), dict) or not isinstance(
        manifest.get("started_at"), str
    ):
        raise BackupError(f"{folder / MANIFEST} lacks its services or its time")
    return manifest


def entry_problem(service, entry):
    """Why a manifest entry cannot be trusted, or None."""
    if service not in SERVICES:
        return f"{service}: not one of Linli's services"
    if not isinstance(entry, dict) or entry.get("engine") not in ENGINES:
        return f"{service}: no known engine"
    name = entry.get("file")
    if not isinstance(name, str) or not name or Path(name).name != name or name.startswith("."):
        return f"{service}: the file name {name!r} is not a plain file name"
    if not isinstance(entry.get("size"), int) or not isinstance(entry.get("sha256"), str):
        return f"{service}: no size or sha256"
    return None


def file_problem(folder, service, entry):
    path = folder / entry["file"]
    if not path.is_file():
        return f"{service}: {entry['file']} is missing"
    if path.stat().st_size != entry["size"]:
        return (
            f"{service}: {entry['file']} has {path.stat().st_size} bytes, "
            f"the manifest says {entry['size']}"
        )
    if sha256_of(path) != entry["sha256"]:
        return f"{service}: {entry['file']} does not match its sha256 (damaged or changed)"
    return None


def verify(folder):
    """The manifest, once every file matches it and every service is in it; else BackupError."""
    manifest = read_manifest(folder)
    entries = manifest["services"]
    problems = [f"{service}: not in this backup" for service in SERVICES if service not in entries]
    for service, entry in entries.items():
        problems.append(entry_problem(service, entry) or file_problem(folder, service, entry))
    problems = [problem for problem in problems if problem]
    if problems:
        raise BackupError(
            f"{folder} fails verification, nothing was restored:\n  " + "\n  ".join(problems)
        )
    try:
        started = datetime.fromisoformat(manifest["started_at"])
    except ValueError:
        started = None
    if started is None or started.tzinfo is None:
        raise BackupError(f"{folder / MANIFEST}: started_at is not a time with its offset")
    return manifest


# --- Restore -----------------------------------------------------------------------------------


def linli_processes(data_dir):
    """Pids of Linli's programs whose LINLI_DATA_DIR is ``data_dir`` (deploy/run.py gives its
    children the absolute path; a relative one is read against the process's directory)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            if not any(
                arg.decode(errors="replace").endswith(LINLI_PROGRAMS) for arg in command[:3]
            ):
                continue
            environ = dict(
                item.partition(b"=")[::2] for item in (proc / "environ").read_bytes().split(b"\0")
            )
            value = Path(os.fsdecode(environ.get(b"LINLI_DATA_DIR") or b"var"))
            where = value if value.is_absolute() else Path(os.readlink(proc / "cwd")) / value
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if where.resolve() == data_dir.resolve():
            pids.append(int(proc.name))
    return pids


def hold_data_dir(data_dir):
    """An exclusive lock on ``$LINLI_DATA_DIR/run.lock`` for the restore's duration, refused while
    Linli runs on the data directory. Returns the open lock file (closing it releases the lock)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / LOCK_FILE, "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise BackupError(
            f"Linli is running on {data_dir} (it holds {LOCK_FILE}): stop it first"
        ) from None
    pids = linli_processes(data_dir)
    if pids:
        lock.close()
        raise BackupError(
            f"Linli is running on {data_dir} (processes {', '.join(map(str, pids))}): stop it first"
        )
    return lock


def check_targets(manifest, targets):
    """Every database the backup holds can go where the services now look for it, and none is
    in use."""
    for service, entry in manifest["services"].items():
        engine, url = targets[service]
        if entry["engine"] != engine:
            raise BackupError(
                f"{service}: the backup holds a {entry['engine']} database but the service "
                f"is configured for {engine} ({make_url(url).render_as_string()}); a restore "
                "does not move between engines"
            )
        if engine == "postgresql" and postgres_sessions(url):
            raise BackupError(
                f"{service}: the database {make_url(url).database} is in use: stop every "
                "process that uses it first"
            )


def mark_unpublished(url, since):
    """Events published since ``since`` go out again (their consumers' inboxes drop duplicates)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(OutboxMessage)
                .where(OutboxMessage.published_at >= since)
                .values(published_at=None)
            )
    finally:
        engine.dispose()


def restore(folder, data_dir):
    manifest = verify(folder)
    say(f"{folder}: every checksum matches (backup of {manifest['started_at']})")
    lock = hold_data_dir(data_dir)
    try:
        targets = databases()
        check_targets(manifest, targets)
        republish_since = datetime.fromisoformat(manifest["started_at"]) - REPUBLISH_WINDOW
        for service, entry in manifest["services"].items():
            ENGINES[entry["engine"]][1](
                service, entry, folder, targets[service][1], republish_since
            )
    finally:
        lock.close()
    say("done: `make run` starts Linli on the restored data")


def backup_folder(value, data_dir):
    """A folder as given, else the name of one under $LINLI_DATA_DIR/backups/."""
    path = Path(value).expanduser()
    if not path.is_dir() and not path.is_absolute() and (data_dir / "backups" / value).is_dir():
        path = data_dir / "backups" / value
    if not path.is_dir():
        raise BackupError(f"no backup folder {value}")
    return path.resolve()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Back up or restore every Linli database.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup", help="into $LINLI_DATA_DIR/backups/<UTC time>/")
    restoring = commands.add_parser("restore", help="put a backup back (Linli stopped)")
    restoring.add_argument(
        "folder", help="a backup folder (or its name under $LINLI_DATA_DIR/backups/)"
    )
    args = parser.parse_args(argv)
    data_dir = data_directory()
    try:
        if args.command == "backup":
            say(f"backup complete: {backup(data_dir)}")
        else:
            restore(backup_folder(args.folder, data_dir), data_dir)
    except BackupError as error:
        sys.stderr.write(f"backup: ERROR: {error}\n")
        return 1
    except SQLAlchemyError as error:  # a database that cannot be reached, or refuses the role
        sys.stderr.write(f"backup: ERROR: database: {getattr(error, 'orig', None) or error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
