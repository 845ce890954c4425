"""deploy/observability: the Prometheus config, recording and alert rules pass promtool (and the
rules' own tests), and the Grafana dashboard asks only for metrics Linli exposes."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO_ROOT / "deploy" / "observability"
# What the Linli processes expose (issue 22), and the histograms' series.
METRICS = {
    "linli_rpc_requests_total",
    "linli_rpc_duration_seconds",
    "linli_event_handled_total",
    "linli_http_requests_total",
    "linli_http_request_duration_seconds",
    "linli_outbox_backlog",
    "linli_outbox_oldest_unsent_age_seconds",
    "linli_inbox_parked_events",
    "linli_notification_deliveries_total",
    "linli_rpc_timeouts_total",
    "linli_orders_placed_total",
    "linli_orders_paid_total",
    "linli_gmv_cents_total",
}
HISTOGRAMS = {"linli_rpc_duration_seconds", "linli_http_request_duration_seconds"}
KNOWN_SERIES = (
    METRICS
    | {f"{h}_{suffix}" for h in HISTOGRAMS for suffix in ("bucket", "sum", "count")}
    | {"up"}
)
PROMQL_WORDS = {
    "sum",
    "by",
    "without",
    "rate",
    "increase",
    "histogram_quantile",
    "le",
    "on",
    "ignoring",
    "avg",
    "max",
    "min",
    "count",
    "irate",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
}


def promtool(*args):
    # Required, never skipped: make test installs it (deploy/setup.sh --with-promtool).
    path = shutil.which("promtool")
    assert path, "promtool is missing: run deploy/setup.sh --with-promtool (Debian's prometheus)"
    return subprocess.run([path, *args], cwd=OBSERVABILITY, capture_output=True, text=True)


def series_in(expr):
    """The metric names an expression reads: identifiers outside label matchers and strings."""
    bare = re.sub(r"\{[^}]*\}|\"[^\"]*\"|\[[^\]]*\]", " ", expr)
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", bare)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", bare))
    return {name for name in names if name not in PROMQL_WORDS}


def rules(filename):
    with open(OBSERVABILITY / filename, encoding="utf-8") as f:
        return [rule for group in yaml.safe_load(f)["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_config():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_rules():
    result = promtool("check", "rules", "recording.yml", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_on_what_they_name_and_not_on_a_healthy_stack():
    result = promtool("test", "rules", "alerts-test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_tested():
    with open(OBSERVABILITY / "alerts-test.yml", encoding="utf-8") as f:
        tests = yaml.safe_load(f)["tests"]
    tested = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert tested == {rule["alert"] for rule in rules("alerts.yml")}


def test_the_alerts_cover_what_an_operator_must_hear_of():
    exprs = {rule["alert"]: rule["expr"] for rule in rules("alerts.yml")}
    recorded = {rule["record"]: rule["expr"] for rule in rules("recording.yml")}

    def reads(alert):
        expr = exprs[alert]
        names = series_in(expr)
        return names | {n for name in names & set(recorded) for n in series_in(recorded[name])}

    assert exprs["LinliServiceDown"].replace(" ", "") == "up==0"
    assert "linli_http_requests_total" in reads("LinliHttp5xxRateHigh")
    assert "linli_rpc_duration_seconds_bucket" in reads("LinliRpcSlow")
    assert "linli_outbox_oldest_unsent_age_seconds" in reads("LinliOutboxLagging")
    assert "linli_inbox_parked_events" in reads("LinliEventsParked")
    assert "linli_notification_deliveries_total" in reads("LinliDeliveriesFailing")
    for alert in exprs:
        assert reads(alert) - set(recorded) <= KNOWN_SERIES, alert


def test_prometheus_scrapes_the_targets_file_run_py_writes_and_rabbitmq():
    with open(OBSERVABILITY / "prometheus.yml", encoding="utf-8") as f:
        config = yaml.safe_load(f)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    (sd,) = jobs["linli"]["file_sd_configs"]
    (targets_file,) = sd["files"]
    # Relative to the config file: make run's default LINLI_DATA_DIR (var/).
    assert (OBSERVABILITY / targets_file).resolve() == REPO_ROOT / "var" / "prometheus-targets.json"
    (static,) = jobs["rabbitmq"]["static_configs"]
    assert static["targets"] == ["127.0.0.1:15692"]  # the rabbitmq_prometheus plugin's port
    assert set(config["rule_files"]) == {"recording.yml", "alerts.yml"}


@pytest.fixture(scope="module")
def dashboard():
    return json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text(encoding="utf-8"))


def test_the_dashboard_reads_only_metrics_linli_exposes(dashboard):
    assert dashboard["title"] and dashboard["uid"] and dashboard["panels"]
    read = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = series_in(target["expr"])
            assert names and names <= KNOWN_SERIES, (panel["title"], names - KNOWN_SERIES)
            read |= names
    # RED per route and per RPC, the outbox, parked events, deliveries, business counters.
    assert METRICS - {"linli_rpc_duration_seconds", "linli_http_request_duration_seconds"} <= read
    assert {
        "linli_rpc_duration_seconds_bucket",
        "linli_http_request_duration_seconds_bucket",
    } <= read
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_series_in_finds_metric_names_only():
    expr = (
        "histogram_quantile(0.99, sum by (service, le) "
        '(rate(linli_rpc_duration_seconds_bucket{outcome="ok"}[5m])))'
    )
    assert series_in(expr) == {"linli_rpc_duration_seconds_bucket"}
    assert series_in("sum(increase(linli_gmv_cents_total[1h])) / 100") == {"linli_gmv_cents_total"}
