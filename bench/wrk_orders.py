"""Orders against product reads, measured with wrk, with 1 and with 2 processes per service.

    .venv/bin/python bench/wrk_orders.py [--processes 1,2] [--seconds 15] [--connections 64]
    .venv/bin/python bench/wrk_orders.py --base-url http://127.0.0.1:8000   # a running stack

Needs wrk, the Debian package (``apt-get install -y wrk``; it is not part of deploy/setup.sh,
since no test needs it), and RabbitMQ with its management API (as ``make run`` sets it up).
The load comes from wrk (C, a few percent of one core), not from a Python client competing
for the same cores as the stack (bench/wrk_orders.lua: POST /api/v1/orders with a member's
token in turn and an Idempotency-Key per request; GET /api/v1/products/{id} for reads).

For each process count it starts a stack of its own the way ``make run`` does (deploy/run.py,
``LINLI_SERVICE_PROCESSES=N``, the gateway's default processes, a temporary data directory,
a RabbitMQ vhost and a port of its own; SQLite, or the databases named by
``LINLI_<SERVICE>_DATABASE_URL`` in the environment), makes a community with
64 members and a product with ample stock (setup through the API), warms up, then runs wrk for
orders and for reads at the same connection count, and prints: accepted orders/s, reads/s,
their ratio, order p50/p99, the errors (non-2xx answers and socket errors), and each service's
CPU per order from /proc (milliseconds of CPU per accepted order, all its processes together).
It prints figures and never asserts: compare the ratios of one run.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_sale import Client, create_product, expect, members, setup_community  # noqa: E402

from services.infra.topology import GATEWAY, SERVICES

REPO = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_suffix(".lua")
MANAGEMENT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")
PROCESSES = (*SERVICES, GATEWAY)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def vhost():
    name = f"linli-bench-{uuid.uuid4().hex[:8]}"
    requests.put(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=10).raise_for_status()
    requests.put(
        f"{MANAGEMENT}/permissions/{name}/guest",
        auth=AUTH,
        timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    try:
        yield name
    finally:
        requests.delete(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=30)


@contextmanager
def stack(processes):
    """deploy/run.py with ``processes`` per service; yields (base URL, data directory)."""
    data_dir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    port = free_port()
    with vhost() as name:
        env = {
            **os.environ,
            "LINLI_DATA_DIR": str(data_dir),
            "LINLI_HTTP_PORT": str(port),
            "LINLI_DEMO": "0",
            "LINLI_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{name}",
            "LINLI_SERVICE_PROCESSES": str(processes),
        }
        with open(data_dir / "run.out", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "deploy/run.py"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, data_dir)
            yield url, data_dir
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
            shutil.rmtree(data_dir, ignore_errors=True)


def wait_healthy(url, process, data_dir, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the stack exited:\n{(data_dir / 'run.out').read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(
        f"the stack did not become healthy:\n{(data_dir / 'run.out').read_text()[-3000:]}"
    )


def service_cpu(data_dir):
    """Seconds of CPU used so far by each service's processes (those of this data directory)."""
    marker = f"LINLI_DATA_DIR={data_dir}".encode()
    used = dict.fromkeys(PROCESSES, 0.0)
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or marker not in (proc / "environ").read_bytes().split(
                b"\0"
            ):
                continue
            command = (proc / "cmdline").read_bytes().split(b"\0")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        service = next(
            (name for name in PROCESSES if f"config/{name}.yaml".encode() in command), None
        )
        if service:
            used[service] += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return used


def wrk(url, mode, tokens_file, product, seconds, connections):
    """One wrk run; {"rate", "statuses", "p50", "p99", "socket_errors"}."""
    env = {
        **os.environ,
        "WRK_TOKENS": str(tokens_file),
        "WRK_PRODUCT": product,
        "WRK_MODE": mode,
        "WRK_RUN": uuid.uuid4().hex[:8],
    }
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    statuses = {
        int(k): int(v)
        for k, v in re.findall(r"(\d+)=(\d+)", re.search(r"^statuses(.*)$", out, re.M)[1])
    }
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    elapsed = re.search(r"requests in ([\d.]+)(\w+),", out)
    duration = float(elapsed[1]) * {"s": 1, "ms": 0.001, "m": 60}[elapsed[2]]
    accepted = statuses.get(201 if mode == "order" else 200, 0)
    return {
        "rate": accepted / duration,
        "statuses": statuses,
        "seconds": duration,
        "p50": float(re.search(r"^p50_ms ([\d.]+)", out, re.M)[1]),
        "p99": float(re.search(r"^p99_ms ([\d.]+)", out, re.M)[1]),
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def measure(url, data_dir, seconds, connections):
    client = Client(url)
    expect(client.call("GET", "/health"), 200)
    slug, leader = setup_community(client)
    product = create_product(client, leader, stock=1_000_000)
    tokens_file = Path(tempfile.mkstemp(prefix="linli-bench-tokens-")[1])
    tokens_file.write_text("\n".join(members(client, slug, 64)) + "\n")
    try:
        wrk(url, "order", tokens_file, product, 3, 16)  # warm-up: connections, first calls
        wrk(url, "read", tokens_file, product, 3, 16)
        before = service_cpu(data_dir) if data_dir else None
        orders = wrk(url, "order", tokens_file, product, seconds, connections)
        after = service_cpu(data_dir) if data_dir else None
        reads = wrk(url, "read", tokens_file, product, seconds, connections)
    finally:
        tokens_file.unlink()
    accepted = orders["statuses"].get(201, 0)
    if before and accepted:
        orders["cpu_ms_per_order"] = {
            name: (after[name] - before[name]) * 1000 / accepted for name in PROCESSES
        }
    return orders, reads


def report(label, orders, reads):
    def errors(run, ok):
        return (
            sum(n for status, n in run["statuses"].items() if status != ok) + run["socket_errors"]
        )

    print(f"{label}:")
    print(
        f"  orders {orders['rate']:7.1f}/s accepted "
        f"(p50 {orders['p50']:.0f} ms, p99 {orders['p99']:.0f} ms); "
        f"answers {orders['statuses']}; errors {errors(orders, 201)}"
    )
    print(
        f"  reads  {reads['rate']:7.1f}/s (p50 {reads['p50']:.0f} ms, p99 {reads['p99']:.0f} ms); "
        f"answers {reads['statuses']}; errors {errors(reads, 200)}"
    )
    print(f"  ratio orders/s : reads/s = {orders['rate'] / reads['rate']:.2f}")
    if "cpu_ms_per_order" in orders:
        per = orders["cpu_ms_per_order"]
        print(
            "  CPU per order (ms): "
            + ", ".join(f"{name} {per[name]:.2f}" for name in PROCESSES)
            + f"; all {sum(per.values()):.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="measure this running stack instead of starting stacks")
    parser.add_argument("--processes", default="1,2", help="processes per service, one stack each")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    if args.base_url:
        report(
            f"{args.base_url}, {args.connections} connections",
            *measure(args.base_url, None, args.seconds, args.connections),
        )
        return
    for processes in (int(n) for n in args.processes.split(",")):
        with stack(processes) as (url, data_dir):
            report(
                f"{processes} process(es) per service, {args.connections} connections, "
                f"{args.seconds} s each",
                *measure(url, data_dir, args.seconds, args.connections),
            )


if __name__ == "__main__":
    main()
