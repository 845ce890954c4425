"""The backends' probe (services/infra/health.py) on a real ``nameko run`` process: ready once it
has its database and its broker connection, not ready when the broker goes, not live once the
process is gone."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_for  # tests/integration is on the path (no package)

from services.infra import health
from services.infra.migrations import upgrade

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE = "catalog"


def probe(pid, **kwargs):
    try:
        health.check(SERVICE, pid=pid, **kwargs)
        return None
    except health.Unhealthy as exc:
        return str(exc)


@pytest.fixture
def service_process(rabbit_config, databases, monkeypatch, tmp_path):
    url = databases.create(SERVICE)
    env_var = f"LINLI_{SERVICE.upper()}_DATABASE_URL"
    # The probe reads config/catalog.yaml with this environment, as it would in the container.
    monkeypatch.setenv(env_var, url)
    monkeypatch.setenv("LINLI_AMQP_URI", rabbit_config["AMQP_URI"])
    upgrade(SERVICE, url)
    env = {**os.environ, "LINLI_DATA_DIR": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    nameko = Path(sys.executable).with_name("nameko")
    process = subprocess.Popen(
        [str(nameko), "run", "--config", f"config/{SERVICE}.yaml", f"services.{SERVICE}.service"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_probe_follows_the_real_process(service_process, rabbit_config, rabbit_manager):
    pid = service_process.pid
    assert probe(pid, live_only=True) is None
    wait_for(lambda: probe(pid) is None, timeout=30, message="the service is ready")

    # The broker refuses the service (its user lost the vhost) and closes its connections: not
    # ready, but still alive, so no restart; nameko reconnects by itself once it may again.
    vhost, user = rabbit_config["vhost"], rabbit_config["username"]

    def connections():  # the management API lists a connection after its next stats tick
        return [c["name"] for c in rabbit_manager.get_connections() if c.get("vhost") == vhost]

    mine = wait_for(connections, timeout=30, message="the service's connections are listed")
    rabbit_manager._delete("permissions", vhost, user)
    for name in mine:
        rabbit_manager.delete_connection(name)
    wait_for(lambda: probe(pid) is not None, timeout=30, message="not ready without a connection")
    assert "no connection to its broker" in probe(pid)
    assert probe(pid, live_only=True) is None
    rabbit_manager.set_vhost_permissions(vhost, user, ".*", ".*", ".*")
    wait_for(lambda: probe(pid) is None, timeout=60, message="ready again after reconnecting")

    service_process.send_signal(signal.SIGKILL)
    service_process.wait()
    assert "no running nameko process" in probe(pid, live_only=True)
