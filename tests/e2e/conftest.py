"""The whole stack, started the way the README starts it (deploy/run.py), on a spare port,
a temporary data directory and a RabbitMQ vhost of its own."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
MANAGEMENT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def vhost():
    name = f"linli-e2e-{uuid.uuid4().hex[:8]}"
    requests.put(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=10).raise_for_status()
    requests.put(f"{MANAGEMENT}/permissions/{name}/guest", auth=AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    yield name
    requests.delete(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=10)


class Stack:
    """``make run``'s supervisor as a child process."""

    def __init__(self, data_dir, vhost):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LINLI_DATA_DIR": str(data_dir), "LINLI_HTTP_PORT": str(self.port),
                    "LINLI_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
                    "LINLI_DEMO": "0",  # no demo community: each test makes its own
                    "LINLI_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
                    # Notification channels may post to the tests' local receivers.
                    "LINLI_ALLOW_PRIVATE_CHANNEL_HOSTS": "true"}
        for key in ("LINLI_TOKEN_SECRET", "LINLI_WEBHOOK_SECRET"):
            self.env.pop(key, None)  # the supervisor must make and keep its own
        self.process = None

    def start(self, timeout=120):
        self.log = open(self.data_dir / "run.out", "ab")
        self.process = subprocess.Popen([sys.executable, "deploy/run.py"], cwd=REPO, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return time.monotonic() - (deadline - timeout)
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the stack did not become healthy:\n{self.output()}")

    def stop(self, signum=signal.SIGINT, timeout=30):
        self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        self.log.close()
        return code

    def output(self):
        return (self.data_dir / "run.out").read_text(errors="replace")[-5000:]

    def children(self):
        """Processes still alive that were started for this stack's data directory."""
        marker = f"LINLI_DATA_DIR={self.data_dir}".encode()
        alive = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    alive.append(int(proc.name))
            except OSError:
                continue
        return alive


@pytest.fixture(scope="session")
def stack(tmp_path_factory, vhost):
    stack = Stack(tmp_path_factory.mktemp("linli-data"), vhost)
    stack.start()
    yield stack
    if stack.process.poll() is None:
        stack.stop()
