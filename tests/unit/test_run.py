"""deploy/run.py's process counts and supervision (what ``make run`` starts and restarts)."""

import importlib.util
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
    counts = run.process_counts({"LINLI_SERVICE_PROCESSES": "2", "LINLI_ORDERS_PROCESSES": "3",
                                 "LINLI_CRM_PROCESSES": "", "LINLI_GATEWAY_PROCESSES": "1"})
    assert counts == {"catalog": 2, "orders": 3, "fulfillment": 2, "crm": 2, "referral": 2, "gateway": 1}
    commands = run.child_commands(counts)
    assert [name for name in commands if name.startswith("orders")] == ["orders", "orders-2", "orders-3"]
    assert commands["orders-3"] == commands["orders"]  # the same service: competing consumers
    assert "gateway-2" not in commands and len(commands) == 12


@pytest.mark.parametrize("key", ["LINLI_SERVICE_PROCESSES", "LINLI_ORDERS_PROCESSES", "LINLI_GATEWAY_PROCESSES"])
@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "17"])
def test_a_count_that_is_not_a_whole_number_from_1_to_16_stops_with_its_name(key, value):
    with pytest.raises(SystemExit, match=f"{key} must be a whole number of processes from 1 to 16, not '{value}'"):
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

    with mock.patch.object(run, "_stop_signal", None), mock.patch.object(run, "_pause", return_value=True):
        assert run.watch(children, restart) == 0
    assert restarted == ["orders-2"]
    assert all(child.poll() is None for child in children.values())


def test_a_child_that_keeps_dying_stops_everything():
    children = {"orders": Child(1), "crm": Child()}
    restarted = []

    def restart(name):  # dies again at once
        restarted.append(name)
        children[name] = Child(1)

    with mock.patch.object(run, "_stop_signal", None), mock.patch.object(run, "_pause", return_value=True):
        assert run.watch(children, restart) == 1
    assert restarted == ["orders"] * run.RESTART_LIMIT
