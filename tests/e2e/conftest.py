"""The whole stack, started the way the README starts it (deploy/run.py), on a spare port,
a temporary data directory and a RabbitMQ vhost of its own.

``stack`` runs one process of each service; ``stack_of_two`` (started on first use) two of
each (``LINLI_SERVICE_PROCESSES=2``); ``any_stack`` runs a test on both."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher

from services.infra.topology import SERVICES

REPO = Path(__file__).resolve().parents[2]
MANAGEMENT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")
OPERATOR_PHONE, OPERATOR_PASSWORD = "19900000001", "operator-secret-1"
OPERATOR_PASSWORD_HASH = PasswordHasher().hash(OPERATOR_PASSWORD)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_range(count, attempts=50):
    """The first of ``count`` consecutive free ports (a stack's metrics ports: one per process)."""
    rng = random.Random()
    for _ in range(attempts):
        base = rng.randrange(20000, 60000 - count)
        try:
            with contextlib.ExitStack() as held:
                for port in range(base, base + count):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


@pytest.fixture(scope="session")
def vhost():
    """The session's stack's vhost: a test starting a stack of its own takes ``own_vhost``, or
    the two stacks would take each other's messages."""
    name = _new_vhost("linli-e2e")
    yield name
    requests.delete(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=10)


@pytest.fixture
def own_vhost():
    """A vhost for one test's own stack, deleted after it."""
    name = _new_vhost("linli-e2e-own")
    yield name
    requests.delete(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=10)


class Stack:
    """``make run``'s supervisor as a child process."""

    def __init__(self, data_dir, vhost, processes=1):
        self.data_dir = data_dir
        self.vhost = vhost
        self.processes_per_service = processes
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "LINLI_DATA_DIR": str(data_dir),
            "LINLI_HTTP_PORT": str(self.port),
            "LINLI_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            "LINLI_DEMO": "0",  # no demo community: each test makes its own
            "LINLI_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            # Notification channels may post to the tests' local receivers.
            "LINLI_ALLOW_PRIVATE_CHANNEL_HOSTS": "true",
            "LINLI_SERVICE_PROCESSES": str(processes),
            # Every process's metrics on a port of its own, none another stack holds.
            "LINLI_METRICS_PORT_BASE": str(free_port_range(len(SERVICES) * processes + 16)),
            # The platform operator (tests/e2e/test_operator.py logs in with these).
            "LINLI_OPERATOR_PHONE": OPERATOR_PHONE,
            "LINLI_OPERATOR_PASSWORD_HASH": OPERATOR_PASSWORD_HASH,
        }
        for key in (
            "LINLI_TOKEN_SECRET",
            "LINLI_WEBHOOK_SECRET",
            *(f"LINLI_{name.upper()}_PROCESSES" for name in SERVICES),
        ):
            self.env.pop(key, None)  # the supervisor must make and keep its own
        self.process = None

    def start(self, timeout=120):
        self.log = open(self.data_dir / "run.out", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "deploy/run.py"],
            cwd=REPO,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
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

    def consumers(self, queue):
        """How many processes consume ``queue`` (RabbitMQ's management API)."""
        response = requests.get(f"{MANAGEMENT}/queues/{self.vhost}/{queue}", auth=AUTH, timeout=10)
        response.raise_for_status()
        return response.json().get("consumers", 0)  # absent until the broker has emitted its stats


def _new_vhost(prefix):
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    requests.put(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=10).raise_for_status()
    requests.put(
        f"{MANAGEMENT}/permissions/{name}/guest",
        auth=AUTH,
        timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    return name


@pytest.fixture(scope="session")
def stack(tmp_path_factory, vhost):
    stack = Stack(tmp_path_factory.mktemp("linli-data"), vhost)
    stack.start()
    yield stack
    if stack.process.poll() is None:
        stack.stop()


@pytest.fixture(scope="session")
def stack_of_two(tmp_path_factory):
    """A second stack with two processes of every service (competing consumers of each queue)."""
    vhost = _new_vhost("linli-e2e-two")
    stack = Stack(tmp_path_factory.mktemp("linli-data-two"), vhost, processes=2)
    stack.start()
    yield stack
    if stack.process.poll() is None:
        stack.stop()
    requests.delete(f"{MANAGEMENT}/vhosts/{vhost}", auth=AUTH, timeout=10)


@pytest.fixture(params=[1, 2], ids=["1-process", "2-processes"])
def any_stack(request):
    """The test once on ``stack`` and once on ``stack_of_two``."""
    return request.getfixturevalue("stack" if request.param == 1 else "stack_of_two")


def _load_run_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("linli_deploy_run", REPO / "deploy" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Deployment(Stack):
    """The processes ``make run`` starts (deploy/run.py's environment, migrations and commands),
    each one started, killed and restarted on its own: the supervisor would stop everything
    when one child dies, and the fault tests (tests/chaos) want exactly that child dead."""

    def __init__(self, data_dir, vhost, env=None, gateways=1, processes=1):
        super().__init__(data_dir, vhost, processes)
        self.env.update(env or {})
        self.env["LINLI_GATEWAY_PROCESSES"] = str(gateways)
        self.processes = {}
        self.run = _load_run_module()

    def start(self, timeout=120):
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(self.env)
            self.env = self.run.build_environment()  # secrets.env, unbuffered output, ...
        finally:
            os.environ.clear()
            os.environ.update(saved)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "deploy/bootstrap.py"],
            cwd=REPO,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = time.monotonic()
        for name in self.commands():
            self.start_service(name)
        self.wait_healthy(timeout)
        return time.monotonic() - started

    def commands(self):
        return self.run.child_commands(self.run.process_counts(self.env))

    def start_service(self, name):
        log = open(self.data_dir / "logs" / f"{name}.log", "ab")
        # Its own session: a kill reaches the whole group. (No parent-death signal as run.py
        # sets: the kernel sends it when the forking *thread* ends, and scenarios restart
        # services from threads of their own.)
        self.processes[name] = subprocess.Popen(
            self.commands()[name],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def kill(self, name, signum=signal.SIGKILL):
        """``kill -9`` (by default) the service's whole process group; returns once it is gone."""
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def wait_healthy(self, timeout=60, services=None):
        """Until /health says every service (or those named) answers."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited:\n{self.log_tail(name)}"
            try:
                last = requests.get(f"{self.url}/health", timeout=5)
                body = last.json()
                if last.status_code == 200 or (
                    services
                    and all(body.get("services", {}).get(name) == "ok" for name in services)
                ):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"not healthy after {timeout} s: {last and last.text}")

    def log_tail(self, name, size=3000):
        path = self.data_dir / "logs" / f"{name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self, signum=signal.SIGTERM, timeout=30):
        for name in list(self.processes):
            try:
                os.killpg(self.processes[name].pid, signum)
            except ProcessLookupError:
                pass
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:  # stuck: its whole group goes
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        return 0

    def database_url(self, service):
        return (
            self.env.get(f"LINLI_{service.upper()}_DATABASE_URL")
            or f"sqlite:///{self.data_dir / service}.db"
        )
