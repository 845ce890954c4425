"""deploy/backup.py on SQLite files: the manifest, its verification (a damaged backup is refused
before anything is touched), the atomic folder, the lock and the outbox re-publication."""

import fcntl
import importlib.util
import json
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from services.infra.messaging import MessagingBase, OutboxMessage
from services.infra.topology import SERVICES

NOW = datetime(2026, 3, 1, 8, 30, 0, tzinfo=UTC)


def _load():
    spec = importlib.util.spec_from_file_location(
        "linli_backup", Path(__file__).parents[2] / "deploy" / "backup.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


backup_module = _load()
BackupError = backup_module.BackupError


def make_database(path, revision, published_at=()):
    """A service database as the migrations leave it: its alembic revision and an outbox."""
    engine = create_engine(f"sqlite:///{path}")
    MessagingBase.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"
        )
        connection.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{revision}')")
        for index, moment in enumerate(published_at):
            connection.execute(
                OutboxMessage.__table__.insert().values(
                    event_id=f"e{index}",
                    event_type="order_paid",
                    payload={},
                    created_at=moment,
                    published_at=moment,
                    attempts=1,
                )
            )
    engine.dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")  # as the services run them
    connection.close()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    directory = tmp_path / "data"
    directory.mkdir()
    monkeypatch.setenv("LINLI_DATA_DIR", str(directory))
    for service in SERVICES:
        monkeypatch.delenv(f"LINLI_{service.upper()}_DATABASE_URL", raising=False)
        make_database(directory / f"{service}.db", f"rev-{service}")
    return directory


def test_a_backup_has_every_database_in_a_verified_manifest(data_dir):
    folder = backup_module.backup(data_dir, now=NOW)

    assert folder == data_dir / "backups" / "20260301T083000Z"
    assert sorted(p.name for p in (data_dir / "backups").iterdir()) == ["20260301T083000Z"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["started_at"] == NOW.isoformat() and manifest["format"] == 1
    assert set(manifest["services"]) == set(SERVICES)
    for service, entry in manifest["services"].items():
        path = folder / entry["file"]
        assert (entry["engine"], entry["file"], entry["alembic_revision"]) == (
            "sqlite",
            f"{service}.db",
            f"rev-{service}",
        )
        assert entry["size"] == path.stat().st_size and entry["sha256"] == backup_module.sha256_of(
            path
        )
        assert not path.with_name(path.name + "-wal").exists()  # self-contained copies
    assert backup_module.verify(folder) == manifest


def test_a_damaged_file_is_refused_and_nothing_is_restored(data_dir, tmp_path, monkeypatch):
    folder = backup_module.backup(data_dir, now=NOW)
    damaged = folder / "orders.db"
    content = bytearray(damaged.read_bytes())
    content[-100] ^= 0xFF  # same size, other bytes
    damaged.write_bytes(bytes(content))

    with pytest.raises(BackupError, match="orders: orders.db does not match its sha256"):
        backup_module.verify(folder)

    target = tmp_path / "restored"
    monkeypatch.setenv("LINLI_DATA_DIR", str(target))
    with pytest.raises(BackupError, match="fails verification, nothing was restored"):
        backup_module.restore(folder, target)
    assert not target.exists() or not any(target.glob("*.db"))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m["services"].pop("crm"), "crm: not in this backup"),
        (lambda m: m["services"]["crm"].update(file="../crm.db"), "not a plain file name"),
        (lambda m: m["services"]["crm"].update(size=1), "crm: crm.db has"),
        (lambda m: m["services"]["crm"].update(engine="mysql"), "crm: no known engine"),
        (
            lambda m: m["services"].update(payments=dict(m["services"]["crm"])),
            "payments: not one of Linli's services",
        ),
        (lambda m: m.update(format=99), "not a backup manifest of format 1"),
    ],
)
def test_a_manifest_that_does_not_describe_the_folder_is_refused(data_dir, change, message):
    folder = backup_module.backup(data_dir, now=NOW)
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match=message):
        backup_module.verify(folder)


def test_a_failed_backup_leaves_no_folder_that_looks_complete(data_dir):
    (data_dir / "referral.db").unlink()  # the last service: every other was copied already
    with pytest.raises(BackupError, match="no database at"):
        backup_module.backup(data_dir, now=NOW)
    assert list((data_dir / "backups").iterdir()) == []


def test_a_restore_replaces_the_databases_and_publishes_recent_events_again(
    data_dir, tmp_path, monkeypatch
):
    old, recent = NOW - timedelta(hours=2), NOW - timedelta(minutes=5)
    (data_dir / "orders.db").unlink()
    make_database(data_dir / "orders.db", "rev-orders", published_at=[old, recent])
    folder = backup_module.backup(data_dir, now=NOW)
    # Later changes that the restore must undo, and a stale write-ahead log beside the target.
    (data_dir / "orders.db").unlink()
    make_database(data_dir / "orders.db", "rev-later")
    (data_dir / "orders.db-wal").write_bytes(b"not a log of the restored file")

    backup_module.restore(folder, data_dir)

    assert not (data_dir / "orders.db-wal").exists()
    assert not list(data_dir.glob(".*restoring*"))  # nothing left beside the restored files
    engine = create_engine(f"sqlite:///{data_dir / 'orders.db'}")
    with engine.connect() as connection:
        assert (
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            == "rev-orders"
        )
        rows = connection.execute(
            select(OutboxMessage.event_id, OutboxMessage.published_at).order_by(
                OutboxMessage.event_id
            )
        ).all()
    engine.dispose()
    assert [(row.event_id, row.published_at is None) for row in rows] == [
        ("e0", False),
        ("e1", True),
    ]


def test_a_restore_into_an_empty_data_directory(data_dir, tmp_path, monkeypatch):
    folder = backup_module.backup(data_dir, now=NOW)
    empty = tmp_path / "fresh-machine" / "var"
    monkeypatch.setenv("LINLI_DATA_DIR", str(empty))

    backup_module.restore(folder, empty)

    for service in SERVICES:
        connection = sqlite3.connect(empty / f"{service}.db")
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            f"rev-{service}",
        )
        connection.close()


def test_a_restore_is_refused_while_linli_holds_the_data_directory(data_dir):
    folder = backup_module.backup(data_dir, now=NOW)
    before = (data_dir / "orders.db").read_bytes()
    with open(data_dir / "run.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BackupError, match="Linli is running on .*: stop it first"):
            backup_module.restore(folder, data_dir)
    assert (data_dir / "orders.db").read_bytes() == before


def test_a_restore_refuses_to_move_a_database_between_engines(data_dir, monkeypatch):
    folder = backup_module.backup(data_dir, now=NOW)
    monkeypatch.setenv("LINLI_CRM_DATABASE_URL", "postgresql+psycopg2://linli@127.0.0.1:1/nowhere")
    with pytest.raises(
        BackupError, match="crm: the backup holds a sqlite database but the service is configured"
    ):
        backup_module.restore(folder, data_dir)


def test_libpq_keeps_the_password_off_the_command_line():
    uri, env = backup_module.libpq(
        "postgresql+psycopg2://linli:s3cret@db.example:5433/linli_orders?sslmode=require"
    )
    assert uri == "postgresql://linli@db.example:5433/linli_orders?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret"


def test_a_copy_taken_while_a_writer_commits_is_one_consistent_snapshot(tmp_path):
    """Each transaction adds a row and counts it: any consistent copy has as many rows as its
    count."""
    source = tmp_path / "live.db"
    writer = sqlite3.connect(source, check_same_thread=False, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE line (id INTEGER PRIMARY KEY, text TEXT)")
    writer.execute("CREATE TABLE tally (n INTEGER)")
    writer.execute("INSERT INTO tally VALUES (0)")
    stop, written = threading.Event(), []

    def write():
        while not stop.is_set():
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO line (text) VALUES (?)", ("邻里" * 200,))
            writer.execute("UPDATE tally SET n = n + 1")
            writer.execute("COMMIT")
            written.append(1)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        copies = []
        while len(copies) < 5:
            if len(written) > 50 * (len(copies) + 1):
                copies.append(tmp_path / f"copy-{len(copies)}.db")
                backup_module.copy_sqlite(source, copies[-1])
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
        writer.close()
    counts = []
    for copy in copies:
        connection = sqlite3.connect(copy)
        rows, (tally,) = (
            connection.execute("SELECT count(*) FROM line").fetchone()[0],
            connection.execute("SELECT n FROM tally").fetchone(),
        )
        counts.append(rows)
        assert rows == tally and connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        connection.close()
    assert counts == sorted(counts) and counts[-1] > counts[0] > 0


def test_an_unreachable_postgresql_is_a_clear_error_not_a_traceback(data_dir, monkeypatch, capsys):
    folder = backup_module.backup(data_dir, now=NOW)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "crm.dump").write_bytes(b"a pg_dump archive")
    manifest["services"]["crm"] = {
        "engine": "postgresql",
        "file": "crm.dump",
        "alembic_revision": "0007",
        "size": 17,
        "sha256": backup_module.sha256_of(folder / "crm.dump"),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    # Port 1: nothing listens there, the connection is refused at once.
    monkeypatch.setenv(
        "LINLI_CRM_DATABASE_URL", "postgresql+psycopg2://linli:pw@127.0.0.1:1/linli_crm"
    )
    before = (data_dir / "orders.db").read_bytes()

    assert backup_module.main(["restore", str(folder)]) == 1

    error = capsys.readouterr().err
    assert error.startswith("backup: ERROR: database:") and "pw" not in error.replace(
        "psycopg2", ""
    )
    assert (data_dir / "orders.db").read_bytes() == before  # checked before anything was restored


def test_a_backup_is_named_by_its_folder_or_by_its_name_under_backups(
    data_dir, tmp_path, monkeypatch
):
    folder = backup_module.backup(data_dir, now=NOW)
    monkeypatch.chdir(tmp_path)
    assert backup_module.backup_folder(str(folder), data_dir) == folder
    assert backup_module.backup_folder("20260301T083000Z", data_dir) == folder
    with pytest.raises(BackupError, match="no backup folder 20260301T000000Z"):
        backup_module.backup_folder("20260301T000000Z", data_dir)
