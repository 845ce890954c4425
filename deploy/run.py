"""Run the whole of Linli on this machine: migrations, the demo community on a first start
(deploy/demo.py; LINLI_DEMO), the five services and the gateway.

This is what `make run` starts (after deploy/setup.sh has RabbitMQ up). Each service runs in
``LINLI_<SERVICE>_PROCESSES`` processes (default ``LINLI_SERVICE_PROCESSES``, itself 1), the
gateway in ``LINLI_GATEWAY_PROCESSES``: the processes of one service are competing consumers of
its RPC and event queues. It supervises the children: their output goes to stdout with a name
prefix and to $LINLI_DATA_DIR/logs/<name>.log; a child that dies once everything is up is
started again on its own (the others carry on), unless it keeps dying, which stops everything;
Ctrl-C or SIGTERM stops everything cleanly. Each process serves Prometheus metrics on its own
port (``LINLI_METRICS_PORT_BASE`` onwards, handed to it as ``LINLI_METRICS_PORT``), listed for
Prometheus in $LINLI_DATA_DIR/prometheus-targets.json. Deliberately stdlib only: it must not
import nameko.
"""

import ctypes
import fcntl
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from services.infra.logs import JsonFormatter, redact  # noqa: E402 (stdlib only, like this script)
from services.infra.topology import SERVICES  # noqa: E402

VENV_BIN = REPO_ROOT / ".venv" / "bin"
SECRET_KEYS = ["LINLI_TOKEN_SECRET", "LINLI_WEBHOOK_SECRET"]
HEALTH_TIMEOUT_S = 60
STOP_GRACE_S = 10
MAX_PROCESSES = 16
DEFAULT_METRICS_PORT_BASE = 9400
TARGET_HOST = "127.0.0.1"  # where this machine's Prometheus reaches the processes
LOG_FORMATS = ("text", "json")
# A child that died more than RESTART_LIMIT times within RESTART_WINDOW_S is broken, not unlucky.
RESTART_LIMIT = 5
RESTART_WINDOW_S = 60

_libc = ctypes.CDLL(None, use_errno=True)
_output_lock = threading.Lock()
_stop_signal = None  # set by the signal handler; the main loop polls it


def say(message, name="run"):
    with _output_lock:
        sys.stdout.write(f"{name:<11}| {message}\n")
        sys.stdout.flush()


def build_environment():
    env = dict(os.environ)
    data_dir = Path(env.get("LINLI_DATA_DIR") or "var").expanduser()
    if not data_dir.is_absolute():
        data_dir = REPO_ROOT / data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    env["LINLI_DATA_DIR"] = str(data_dir)
    env.setdefault("LINLI_HTTP_PORT", "8000")
    env.setdefault("LINLI_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    # Children's print() output should reach the log as it happens.
    env["PYTHONUNBUFFERED"] = "1"
    # eventlet warns at every start that it is deprecated; nameko 2.14 has no alternative.
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env["LINLI_LOG_FORMAT"] = (env.get("LINLI_LOG_FORMAT") or "text").strip().lower()
    if env["LINLI_LOG_FORMAT"] not in LOG_FORMATS:
        raise SystemExit(f"LINLI_LOG_FORMAT must be text or json, not {env['LINLI_LOG_FORMAT']!r}")
    env.setdefault("LINLI_METRICS_HOST", TARGET_HOST)  # metrics stay on this machine unless asked
    for key, value in load_or_create_secrets(data_dir / "secrets.env", env).items():
        if not env.get(key):  # an empty variable counts as unset
            env[key] = value
    return env


def load_or_create_secrets(path, env):
    """Secrets not given in the environment come from secrets.env, created on first need."""
    if all(env.get(key) for key in SECRET_KEYS):
        return {}
    stored = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                stored[key.strip()] = value.strip()
    missing = [key for key in SECRET_KEYS if not stored.get(key)]
    if missing:
        stored.update({key: secrets.token_urlsafe(48) for key in missing})
        # Created with 0600 from the start, so the secrets are never world-readable.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(f"{key}={value}\n" for key, value in stored.items())
        say(f"generated {', '.join(missing)} in {path}")
    os.chmod(path, 0o600)
    return stored


def child_commands(counts=None):
    """name -> command of every process: ``counts[service]`` of each service and of the gateway
    (default one each). The first process of a service is named after it, the next ones
    ``<service>-2``, ``<service>-3``... The gateways share the port (SO_REUSEPORT: the kernel
    spreads connections over them, and the live room fans out through RabbitMQ); a service's
    processes share its queues (competing consumers: RabbitMQ gives each message to one)."""
    counts = counts or {}
    nameko = str(VENV_BIN / "nameko")
    modules = {name: f"services.{name}.service" for name in SERVICES}
    modules["gateway"] = "gateway.service"
    commands = {}
    for service, module in modules.items():
        for index in range(counts.get(service, 1)):
            name = service if index == 0 else f"{service}-{index + 1}"
            commands[name] = [nameko, "run", "--config", f"config/{service}.yaml", module]
    return commands


def metrics_ports(names, env):
    """name -> the port of each process's metrics (``LINLI_METRICS_PORT_BASE``, default 9400, and
    one after another in the order of ``names``); none when the base is 0."""
    value = (env.get("LINLI_METRICS_PORT_BASE") or "").strip() or str(DEFAULT_METRICS_PORT_BASE)
    if not value.isdigit() or (int(value) and not 1024 <= int(value) <= 65535 - len(names)):
        raise SystemExit(
            f"LINLI_METRICS_PORT_BASE must be a port from 1024 to {65535 - len(names)} "
            f"(0: no metrics), not {value!r}"
        )
    base = int(value)
    return {name: base + index for index, name in enumerate(names)} if base else {}


def service_of(name):
    """``orders-2`` -> ``orders``: the service a process (named by ``child_commands``) runs."""
    service, _, index = name.rpartition("-")
    return service if service and index.isdigit() else name


def scrape_targets(ports):
    """Prometheus file-based service discovery: one target per process, with its service and
    instance."""
    return [
        {
            "targets": [f"{TARGET_HOST}:{port}"],
            "labels": {"service": service_of(name), "instance": name},
        }
        for name, port in ports.items()
    ]


def write_targets(path, ports):
    """Write ``scrape_targets`` to ``path`` atomically (Prometheus never reads half a file)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(scrape_targets(ports), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def child_environment(env, name, ports):
    return {**env, "LINLI_METRICS_PORT": str(ports.get(name, 0))}


def _count(env, key, default):
    value = (env.get(key) or "").strip() or default  # an empty variable counts as unset
    if not value.isdigit() or not 1 <= int(value) <= MAX_PROCESSES:
        raise SystemExit(
            f"{key} must be a whole number of processes from 1 to {MAX_PROCESSES}, not {value!r}"
        )
    return int(value)


def process_counts(env):
    """How many processes of each service and of the gateway ``make run`` starts."""
    default = str(_count(env, "LINLI_SERVICE_PROCESSES", "1"))
    counts = {name: _count(env, f"LINLI_{name.upper()}_PROCESSES", default) for name in SERVICES}
    counts["gateway"] = gateway_processes(env)
    return counts


def gateway_processes(env):
    return _count(env, "LINLI_GATEWAY_PROCESSES", "2")


def demo_wanted(env, data_dir):
    """LINLI_DEMO=1 always, 0 never; unset: on the first start (no database in the data dir yet)."""
    value = env.get("LINLI_DEMO", "").strip()
    if value in ("0", "1"):
        return value == "1"
    if value:
        raise SystemExit(f"LINLI_DEMO must be 0 or 1, not {value!r}")
    return not any(data_dir.glob("*.db"))


def run_demo(env):
    say("generating the demo community 小雅的厨房 (12 weeks of history; LINLI_DEMO=0 starts empty)")
    result = subprocess.run([str(VENV_BIN / "python"), "deploy/demo.py"], cwd=REPO_ROOT, env=env)
    if result.returncode != 0:
        say(f"the demo could not be generated (exit code {result.returncode}); starting without it")


def run_migrations(env):
    say("applying migrations")
    result = subprocess.run(
        [str(VENV_BIN / "python"), "deploy/bootstrap.py"], cwd=REPO_ROOT, env=env
    )
    return result.returncode


def _die_with_parent():
    # Runs in the child between fork and exec: if this supervisor is SIGKILLed and so
    # cannot clean up, the kernel still sends the child SIGTERM. 1 = PR_SET_PDEATHSIG.
    _libc.prctl(1, signal.SIGTERM)


def start_child(name, command, env, log_dir):
    # A session of its own: the terminal's Ctrl-C reaches only this supervisor, which
    # then stops the children in order, and a child's whole process group can be killed.
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    log_file = open(log_dir / f"{name}.log", "a", encoding="utf-8")
    pump = threading.Thread(
        target=pump_output,
        args=(name, process.stdout, log_file, env.get("LINLI_LOG_FORMAT", "text")),
        daemon=True,
    )
    return process, pump


def as_json_line(line, name):
    """A child's output line as the JSON log line it should have been: what a process prints
    before its logging is configured (a warning, a crash) or outside it (``print``) is wrapped
    with the fields a log line has, and redacted like one."""
    if line.startswith("{"):
        try:
            json.loads(line)
            return line
        except ValueError:
            pass
    record = logging.LogRecord("stdout", logging.INFO, "", 0, redact(line), None, None)
    record.service = service_of(name)
    return JsonFormatter().format(record)


def pump_output(name, stream, log_file, log_format="text"):
    with log_file:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            log_file.write((as_json_line(line, name) if log_format == "json" else line) + "\n")
            log_file.flush()
            say(line, name)


def first_dead_child(children):
    for name, process in children.items():
        if process.poll() is not None:
            return name, process.returncode
    return None


def gateway_is_healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_healthy(children, port):
    """True once the gateway answers /health; False on a stop request, a dead child or timeout."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if _stop_signal or first_dead_child(children):
            return False
        if gateway_is_healthy(port):
            return True
        time.sleep(0.5)
    say(f"the gateway did not answer /health on port {port} within {HEALTH_TIMEOUT_S} s")
    return False


def watch(children, restart):
    """Block until a stop is requested (returns 0) or a child keeps dying (returns 1). A child
    that dies is started again on its own (``restart(name)``), after a pause that grows with
    its deaths of the last minute: its siblings serve meanwhile, and what it held unacknowledged
    the broker gives to them."""
    deaths = {}
    while not _stop_signal:
        dead = first_dead_child(children)
        if dead:
            name, code = dead
            now = time.monotonic()
            recent = [at for at in deaths.get(name, []) if now - at < RESTART_WINDOW_S] + [now]
            deaths[name] = recent
            if len(recent) > RESTART_LIMIT:
                say(
                    f"{name} exited {len(recent)} times within {RESTART_WINDOW_S} s "
                    f"(last code {code}); stopping everything"
                )
                return 1
            say(f"{name} exited with code {code}; starting it again")
            if _pause(len(recent) - 1):
                restart(name)
        time.sleep(0.2)
    return 0


def _pause(seconds):
    """Sleep, unless a stop is requested meanwhile (then False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not _stop_signal:
        time.sleep(0.1)
    return not _stop_signal


def stop_all(children):
    running = {name: p for name, p in children.items() if p.poll() is None}
    if running:
        say(f"stopping {', '.join(running)}")
    for process in running.values():
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline and any(p.poll() is None for p in running.values()):
        time.sleep(0.1)
    for name, process in running.items():
        if process.poll() is None:
            say(f"{name} did not stop within {STOP_GRACE_S} s; killing it")
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _request_stop(signum, _frame):
    global _stop_signal
    _stop_signal = signum


_data_dir_lock = None


def hold_data_dir(data_dir):
    """Held while this supervisor lives (``run.lock``, the lock ``make restore`` takes too): a
    second run on the same data, or a restore, refuses meanwhile. Not inherited by children."""
    data_dir.mkdir(parents=True, exist_ok=True)
    global _data_dir_lock
    _data_dir_lock = open(data_dir / "run.lock", "a")  # held open until the supervisor exits
    try:
        fcntl.flock(_data_dir_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"run: Linli (or a restore) is already running on {data_dir}") from None


def main():
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)

    env = build_environment()
    data_dir = Path(env["LINLI_DATA_DIR"])
    hold_data_dir(data_dir)
    commands = child_commands(process_counts(env))  # a bad count stops here, before anything runs
    ports = metrics_ports(list(commands), env)
    targets = data_dir / "prometheus-targets.json"
    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)

    demo = demo_wanted(env, data_dir)
    code = run_migrations(env)
    if code != 0:
        say(f"migrations failed (exit code {code}); not starting")
        return code or 1
    if demo and not _stop_signal:
        run_demo(env)
    if _stop_signal:
        return 0

    children, pumps = {}, []

    def restart(name):
        # Forks while the pumps run: the child runs only prctl before exec, which takes no
        # lock a pump could hold.
        children[name], pump = start_child(
            name, commands[name], child_environment(env, name, ports), log_dir
        )
        pumps.append(pump)
        pump.start()
        write_targets(targets, ports)  # kept current as processes come back (same name, same port)

    try:
        for name, command in commands.items():
            children[name], pump = start_child(
                name, command, child_environment(env, name, ports), log_dir
            )
            pumps.append(pump)
        write_targets(targets, ports)
        # Started only after every fork: forking while other threads run is unsafe.
        for pump in pumps:
            pump.start()
        return serve(children, env["LINLI_HTTP_PORT"], log_dir, demo, restart)
    finally:
        stop_all(children)
        if children:
            write_targets(targets, {})  # nothing left to scrape
        for pump in pumps:
            if pump.is_alive():
                pump.join(timeout=2)
        if _stop_signal:
            say("stopped")


def serve(children, port, log_dir, demo, restart):
    """Wait for /health, say where Linli runs, then supervise until a stop or a crash loop."""
    if not wait_until_healthy(children, port):
        if _stop_signal:
            return 0
        dead = first_dead_child(children)
        if dead:
            say(f"{dead[0]} exited with code {dead[1]} while starting")
        return 1
    say(f"Linli is running at http://127.0.0.1:{port}")
    say(f"logs are in {log_dir}; press Ctrl-C to stop")
    say(f"metrics: the scrape targets are in {Path(log_dir).parent / 'prometheus-targets.json'}")
    if demo:
        say(
            "demo logins (demo only): leader 13800000000 / xiaoya-demo-2026; "
            "member 13900000001 / linli-demo-2026"
        )
    return watch(children, restart)


if __name__ == "__main__":
    sys.exit(main())
