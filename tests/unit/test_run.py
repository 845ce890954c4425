"""deploy/run.py's process counts and supervision (what ``make run`` starts and restarts)."""

import importlib.util
import json
from pathlib import Path
from unittest import mock

import pytest

from services.infra.topology import SERVICES

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("linli_run_unit", REPO / "deploy" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load()


def test_one_process_of_each_service_and_two_gateways_by_default():
    counts = run.process_counts({})
    assert counts == {**dict.fromkeys(SERVICES, 1), "gateway": 2}
    commands = run.child_commands(counts)
    assert sorted(commands) == sorted([*SERVICES, "gateway", "gateway-2"])
    assert commands["orders"][-3:] == ["--config", "config/orders.yaml", "services.orders.service"]


def test_a_default_for_every_service_and_a_count_per_service():
    counts = run.process_counts(
        {
            "LINLI_SERVICE_PROCESSES": "2",
            "LINLI_ORDERS_PROCESSES": "3",
            "LINLI_CRM_PROCESSES": "",
            "LINLI_GATEWAY_PROCESSES": "1",
        }
    )
    assert counts == {
        "catalog": 2,
        "orders": 3,
        "fulfillment": 2,
        "crm": 2,
        "referral": 2,
        "gateway": 1,
    }
    commands = run.child_commands(counts)
    assert [name for name in commands if name.startswith("orders")] == [
        "orders",
        "orders-2",
        "orders-3",
    ]
    assert commands["orders-3"] == commands["orders"]  # the same service: competing consumers
    assert "gateway-2" not in commands and len(commands) == 12


@pytest.mark.parametrize(
    "key", ["LINLI_SERVICE_PROCESSES", "LINLI_ORDERS_PROCESSES", "LINLI_GATEWAY_PROCESSES"]
)
@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "17"])
def test_a_count_that_is_not_a_whole_number_from_1_to_16_stops_with_its_name(key, value):
    with pytest.raises(
        SystemExit, match=f"{key} must be a whole number of processes from 1 to 16, not '{value}'"
    ):
        run.process_counts({key: value})


class Child:
    """A process that has exited with ``code`` (None: running)."""

    def __init__(self, code=None):
        self.returncode = code

    def poll(self):
        return self.returncode


def test_a_child_that_dies_is_started_again_on_its_own():
    children = {"orders": Child(), "orders-2": Child(-9), "crm": Child()}
    restarted = []

    def restart(name):
        restarted.append(name)
        children[name] = Child()
        run._stop_signal = 15  # stop after the first restart

    with (
        mock.patch.object(run, "_stop_signal", None),
        mock.patch.object(run, "_pause", return_value=True),
    ):
        assert run.watch(children, restart) == 0
    assert restarted == ["orders-2"]
    assert all(child.poll() is None for child in children.values())


def test_a_child_that_keeps_dying_stops_everything():
    children = {"orders": Child(1), "crm": Child()}
    restarted = []

    def restart(name):  # dies again at once
        restarted.append(name)
        children[name] = Child(1)

    with (
        mock.patch.object(run, "_stop_signal", None),
        mock.patch.object(run, "_pause", return_value=True),
    ):
        assert run.watch(children, restart) == 1
    assert restarted == ["orders"] * run.RESTART_LIMIT


# --- metrics ports and the Prometheus targets file ----------------------------------------------


def test_each_process_gets_its_own_metrics_port_from_the_base():
    names = list(run.child_commands(run.process_counts({"LINLI_ORDERS_PROCESSES": "2"})))
    ports = run.metrics_ports(names, {})
    assert ports["catalog"] == run.DEFAULT_METRICS_PORT_BASE
    assert sorted(ports.values()) == list(range(9400, 9400 + len(names)))  # one each, none shared
    assert run.metrics_ports(names, {"LINLI_METRICS_PORT_BASE": "20000"})[
        "orders-2"
    ] == 20000 + names.index("orders-2")
    assert run.metrics_ports(names, {"LINLI_METRICS_PORT_BASE": "0"}) == {}
    assert run.child_environment({"A": "1"}, "orders-2", ports) == {
        "A": "1",
        "LINLI_METRICS_PORT": str(ports["orders-2"]),
    }
    assert run.child_environment({}, "orders", {})["LINLI_METRICS_PORT"] == "0"  # no metrics


@pytest.mark.parametrize("base", ["80", "65530", "nine", "-1"])
def test_a_bad_metrics_port_base_stops_before_anything_runs(base):
    with pytest.raises(SystemExit, match="LINLI_METRICS_PORT_BASE"):
        run.metrics_ports(
            ["catalog", "orders", "gateway", "gateway-2", "crm", "referral", "x", "y", "z"],
            {"LINLI_METRICS_PORT_BASE": base},
        )


def test_the_targets_file_lists_every_process_with_its_service_and_instance(tmp_path):
    path = tmp_path / "prometheus-targets.json"
    run.write_targets(path, {"orders": 9401, "orders-2": 9402, "gateway-2": 9406})
    assert json.loads(path.read_text()) == [
        {"targets": ["127.0.0.1:9401"], "labels": {"service": "orders", "instance": "orders"}},
        {"targets": ["127.0.0.1:9402"], "labels": {"service": "orders", "instance": "orders-2"}},
        {"targets": ["127.0.0.1:9406"], "labels": {"service": "gateway", "instance": "gateway-2"}},
    ]
    run.write_targets(path, {})  # rewritten whole: the stack stopped
    assert json.loads(path.read_text()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["prometheus-targets.json"]  # no temporary left


def test_the_log_format_is_text_unless_json_is_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("LINLI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LINLI_TOKEN_SECRET", "t" * 40)
    monkeypatch.setenv("LINLI_WEBHOOK_SECRET", "w" * 40)
    monkeypatch.delenv("LINLI_LOG_FORMAT", raising=False)
    assert run.build_environment()["LINLI_LOG_FORMAT"] == "text"
    monkeypatch.setenv("LINLI_LOG_FORMAT", "JSON")
    assert run.build_environment()["LINLI_LOG_FORMAT"] == "json"
    monkeypatch.setenv("LINLI_LOG_FORMAT", "yaml")
    with pytest.raises(SystemExit, match="LINLI_LOG_FORMAT"):
        run.build_environment()


def test_in_json_mode_every_line_a_child_prints_is_a_json_log_line():
    line = run.as_json_line("Traceback: login 13812345678 failed", "orders-2")
    entry = json.loads(line)
    assert entry["service"] == "orders" and entry["logger"] == "stdout" and entry["level"] == "INFO"
    assert entry["message"] == "Traceback: login 138****5678 failed"
    assert entry["correlation_id"] is None and entry["time"].endswith("+00:00")
    logged = '{"level": "INFO", "message": "already JSON"}'
    assert run.as_json_line(logged, "orders") == logged
    assert json.loads(run.as_json_line("{not json", "gateway"))["message"] == "{not json"
    assert run.service_of("gateway-2") == "gateway" and run.service_of("crm") == "crm"


def test_a_second_supervisor_or_a_restore_on_the_same_data_is_refused(tmp_path):
    import fcntl

    run.hold_data_dir(tmp_path / "data")
    first = run._data_dir_lock  # the running supervisor's
    with open(tmp_path / "data" / "run.lock", "a") as other, pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what make restore and a second run try
    with pytest.raises(SystemExit, match="already running"):
        run.hold_data_dir(tmp_path / "data")
    first.close()
