"""A backend's own health, for a container probe: ``python -m services.infra.health <service>``.

A backend has no HTTP server, so Kubernetes (and compose) probe it with this command, run in
the service's own container. It looks only at that container, never at another service:

- ``--live``: the service's ``nameko run`` process exists and is not a zombie or stopped.
  Nothing outside the process counts, so a broker or database outage never restarts the pods.
- ``--ready`` (the default): alive, and its database answers ``SELECT 1`` at the URL the service
  is configured with, and the process itself holds an established TCP connection to its
  configured broker (its AMQP consumer is connected; nameko reconnects on its own after an
  outage, and the pod is ready again once it has).
- ``--migrated``: the service's database is at its newest migration (an init container waits
  for it, so a service never starts on a schema that the migration Job has not finished).

Exit code 0 healthy, 1 not (the reason on stderr). Reads the service's ``config/<service>.yaml``
with the same ``${VAR:default}`` substitution as ``nameko run``.
"""

import argparse
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor
from sqlalchemy import text

from services.infra.db import database_url, make_engine
from services.infra.topology import SERVICES

REPO_ROOT = Path(__file__).resolve().parents[2]
TCP_ESTABLISHED = "01"


class Unhealthy(Exception):
    pass


class _ConfigLoader(yaml.SafeLoader):
    """nameko's ``${VAR:default}`` substitution, on a loader of our own (not the global one)."""


_ConfigLoader.add_constructor("!env_var", env_var_constructor)
_ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)


def load_config(service, config_dir=REPO_ROOT / "config"):
    with open(Path(config_dir) / f"{service}.yaml", encoding="utf-8") as f:
        return yaml.load(f, Loader=_ConfigLoader)  # noqa: S506 (a SafeLoader subclass)


def service_pid(service, proc=Path("/proc"), pid=None):
    """The pid of the running ``nameko run ... services.<service>.service`` (only ``pid`` when
    given; in a container there is one); Unhealthy if none."""
    module = f"services.{service}.service"
    entries = [Path(proc) / str(pid)] if pid is not None else Path(proc).iterdir()
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile, or is not ours to read
            continue
        args = [arg.decode("utf-8", "replace") for arg in argv if arg]
        if "run" in args and module in args and any(Path(a).name == "nameko" for a in args):
            state = stat.rpartition(")")[2].split()[0]
            if state in ("Z", "X", "T", "t"):
                raise Unhealthy(f"the {service} process {entry.name} is in state {state}")
            return int(entry.name)
    raise Unhealthy(f"no running nameko process of the {service} service")


def check_database(service, config):
    url = database_url(service, config.get("DATABASE_URL"))
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise Unhealthy(f"database unreachable: {type(exc).__name__}: {exc}") from None
    finally:
        engine.dispose()


def broker_endpoints(amqp_uri):
    """The (ip, port) pairs the broker of ``amqp_uri`` resolves to."""
    parts = urlsplit(amqp_uri)
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    try:
        infos = socket.getaddrinfo(parts.hostname or "localhost", port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Unhealthy(f"broker host {parts.hostname!r} does not resolve: {exc}") from None
    return {(info[4][0], port) for info in infos}


def _decode_address(hex_address):
    """/proc/net/tcp{,6}'s ``0100007F:1628`` into ("127.0.0.1", 5672); IPv4-mapped v6 as v4."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # four little-endian 32-bit words
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        ip = socket.inet_ntop(socket.AF_INET6, words)
        if ip.startswith("::ffff:") and "." in ip:
            ip = ip.removeprefix("::ffff:")
    return ip, int(port, 16)


def established_connections(pid, proc=Path("/proc")):
    """The remote (ip, port) of each established TCP connection that process ``pid`` holds."""
    base = Path(proc) / str(pid)
    inodes = set()
    for fd in (base / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    remotes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (base / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == TCP_ESTABLISHED and fields[9] in inodes:
                remotes.add(_decode_address(fields[2]))
    return remotes


def check_broker_connection(pid, amqp_uri, proc=Path("/proc")):
    if not established_connections(pid, proc) & broker_endpoints(amqp_uri):
        raise Unhealthy("the service holds no connection to its broker")


def check_migrated(service, config):
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from services.infra.migrations import alembic_config

    url = database_url(service, config.get("DATABASE_URL"))
    heads = set(ScriptDirectory.from_config(alembic_config(service, url)).get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:
        raise Unhealthy(f"database unreachable: {type(exc).__name__}: {exc}") from None
    finally:
        engine.dispose()
    if current != heads:
        raise Unhealthy(
            f"database at {sorted(current) or 'no revision'}, not yet at {sorted(heads)}"
        )


def check(service, live_only=False, config_dir=REPO_ROOT / "config", proc=Path("/proc"), pid=None):
    """None when healthy; raises Unhealthy with the reason."""
    pid = service_pid(service, proc, pid)
    if live_only:
        return
    config = load_config(service, config_dir)
    check_database(service, config)
    check_broker_connection(pid, config["AMQP_URI"], proc)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m services.infra.health", description=__doc__.split("\n")[0]
    )
    parser.add_argument("service", choices=SERVICES)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--live", action="store_true", help="the process only (liveness)")
    mode.add_argument("--ready", action="store_true", help="process, database, broker (default)")
    mode.add_argument(
        "--migrated", action="store_true", help="the database is at its newest migration"
    )
    args = parser.parse_args(argv)
    try:
        if args.migrated:
            check_migrated(args.service, load_config(args.service))
        else:
            check(args.service, live_only=args.live)
    except Unhealthy as exc:
        print(f"{args.service}: unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
