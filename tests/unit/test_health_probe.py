"""services/infra/health.py: the backends' container probe looks at its own process only."""

import os
import socket
from pathlib import Path

import pytest

from services.infra import health


def fake_process(proc, pid, argv, state="S"):
    entry = proc / str(pid)
    entry.mkdir(parents=True)
    (entry / "cmdline").write_bytes(b"\0".join(arg.encode() for arg in argv) + b"\0")
    (entry / "stat").write_text(f"{pid} (nameko run x) {state} 1 1 1 0 -1\n")
    (entry / "fd").mkdir()
    return entry


NAMEKO_ORDERS = [
    "/app/.venv/bin/python",
    "/app/.venv/bin/nameko",
    "run",
    "--config",
    "config/orders.yaml",
    "services.orders.service",
]


def test_finds_the_services_own_nameko_process(tmp_path):
    fake_process(
        tmp_path,
        7,
        ["/usr/bin/nameko", "run", "--config", "config/crm.yaml", "services.crm.service"],
    )
    fake_process(tmp_path, 12, NAMEKO_ORDERS)
    (tmp_path / "self").mkdir()  # non-numeric entries are skipped
    assert health.service_pid("orders", tmp_path) == 12
    with pytest.raises(health.Unhealthy, match="no running nameko process of the catalog"):
        health.service_pid("catalog", tmp_path)


@pytest.mark.parametrize("state", ["Z", "T"])
def test_a_zombie_or_stopped_process_is_not_alive(tmp_path, state):
    fake_process(tmp_path, 12, NAMEKO_ORDERS, state=state)
    with pytest.raises(health.Unhealthy, match=f"state {state}"):
        health.check("orders", live_only=True, proc=tmp_path)


def test_liveness_looks_at_nothing_but_the_process(tmp_path):
    fake_process(tmp_path, 12, NAMEKO_ORDERS)
    # No config directory, no database, no broker: the process alone decides liveness.
    assert (
        health.check("orders", live_only=True, config_dir=tmp_path / "absent", proc=tmp_path)
        is None
    )


def write_config(config_dir, service, database_url, amqp_uri):
    config_dir.mkdir(exist_ok=True)
    (config_dir / f"{service}.yaml").write_text(
        f"AMQP_URI: ${{LINLI_TEST_HEALTH_AMQP:{amqp_uri}}}\nDATABASE_URL: {database_url}\n"
    )


def socket_table_line(local, remote, state, inode):
    def encode(address):
        ip, port = address
        return socket.inet_aton(ip)[::-1].hex().upper() + f":{port:04X}"

    return (
        f"   0: {encode(local)} {encode(remote)} {state} "
        f"00000000:00000000 00:00000000 00000000  1000 0 {inode} 1\n"
    )


def with_connection(entry, remote, state="01", inode="4242"):
    os.symlink(f"socket:[{inode}]", entry / "fd" / "5")
    (entry / "net").mkdir()
    header = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
        "uid  timeout inode\n"
    )
    (entry / "net" / "tcp").write_text(
        header + socket_table_line(("10.0.0.5", 40000), remote, state, inode)
    )


def test_ready_when_database_answers_and_the_process_holds_a_broker_connection(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("LINLI_TEST_HEALTH_AMQP", raising=False)
    entry = fake_process(tmp_path / "proc", 12, NAMEKO_ORDERS)
    with_connection(entry, ("127.0.0.1", 5672))
    write_config(
        tmp_path / "config",
        "orders",
        f"sqlite:///{tmp_path / 'orders.db'}",
        "amqp://u:p@127.0.0.1:5672/",
    )
    assert health.check("orders", config_dir=tmp_path / "config", proc=tmp_path / "proc") is None
    # The configured broker is another one (the environment overrides the default, as with
    # nameko run): this process's connection is not to it.
    monkeypatch.setenv("LINLI_TEST_HEALTH_AMQP", "amqp://u:p@127.0.0.1:5673/")
    with pytest.raises(health.Unhealthy, match="no connection to its broker"):
        health.check("orders", config_dir=tmp_path / "config", proc=tmp_path / "proc")


def test_not_ready_when_the_connection_is_not_established(tmp_path):
    entry = fake_process(tmp_path / "proc", 12, NAMEKO_ORDERS)
    with_connection(entry, ("127.0.0.1", 5672), state="08")  # CLOSE_WAIT: the broker went away
    write_config(
        tmp_path / "config",
        "orders",
        f"sqlite:///{tmp_path / 'orders.db'}",
        "amqp://127.0.0.1:5672/",
    )
    with pytest.raises(health.Unhealthy, match="no connection to its broker"):
        health.check("orders", config_dir=tmp_path / "config", proc=tmp_path / "proc")


def test_not_ready_when_the_database_is_unreachable(tmp_path):
    entry = fake_process(tmp_path / "proc", 12, NAMEKO_ORDERS)
    with_connection(entry, ("127.0.0.1", 5672))
    missing = (
        tmp_path / "no-such-dir" / "orders.db"
    )  # SQLite cannot open a file in a missing folder
    write_config(tmp_path / "config", "orders", f"sqlite:///{missing}", "amqp://127.0.0.1:5672/")
    with pytest.raises(health.Unhealthy, match="database unreachable"):
        health.check("orders", config_dir=tmp_path / "config", proc=tmp_path / "proc")


def test_reads_this_machines_real_socket_table():
    # A real connection of this very process, to the test machine's RabbitMQ.
    with socket.create_connection(("127.0.0.1", 5672), timeout=5):
        remotes = health.established_connections(os.getpid(), Path("/proc"))
    assert ("127.0.0.1", 5672) in remotes


def test_decodes_ipv4_mapped_ipv6_addresses():
    # ::ffff:10.96.0.12 port 5672 as /proc/net/tcp6 writes it (four little-endian words)
    assert health._decode_address("0000000000000000FFFF00000C00600A:1628") == ("10.96.0.12", 5672)


def test_command_line_exit_codes(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(health, "check", lambda service, live_only: None)
    assert health.main(["orders", "--live"]) == 0

    def unhealthy(service, live_only):
        raise health.Unhealthy("database unreachable: boom")

    monkeypatch.setattr(health, "check", unhealthy)
    assert health.main(["orders"]) == 1
    assert "orders: unhealthy: database unreachable: boom" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        health.main(["gateway"])  # the gateway has HTTP probes, not this one


def test_reads_the_real_service_configs_with_nameko_substitution(monkeypatch):
    monkeypatch.setenv("LINLI_ORDERS_DATABASE_URL", "postgresql://u:p@db:5432/linli_orders")
    monkeypatch.setenv("LINLI_AMQP_URI", "amqp://u:p@rabbitmq:5672/")
    config = health.load_config("orders")
    assert config["DATABASE_URL"] == "postgresql://u:p@db:5432/linli_orders"
    assert config["AMQP_URI"] == "amqp://u:p@rabbitmq:5672/"


def test_migrated_only_once_the_database_is_at_head(tmp_path):
    from services.infra.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    with pytest.raises(health.Unhealthy, match="no revision"):
        health.check_migrated("crm", {"DATABASE_URL": url})
    upgrade("crm", url)
    assert health.check_migrated("crm", {"DATABASE_URL": url}) is None
