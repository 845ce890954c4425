"""The list of services is written once (services/infra/topology.py): the code imports it, and
the files that cannot (compose, Kubernetes, the PostgreSQL init script, config/) are checked
here."""

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from gateway.routes import operations
from services.infra.migrations import service_names
from services.infra.topology import GATEWAY, SERVICES

REPO = Path(__file__).resolve().parents[2]
APPS = {*SERVICES, GATEWAY}


def test_each_service_is_a_package_with_its_nameko_service():
    packages = {path.parent.name for path in (REPO / "services").glob("*/service.py")}
    assert packages == set(SERVICES)
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.service")
        names = {
            getattr(value, "name", None)
            for value in vars(module).values()
            if isinstance(value, type)
        }
        assert name in names, f"services.{name}.service declares no nameko service named {name!r}"


def test_every_service_has_its_migrations():
    assert service_names() == sorted(SERVICES)


def test_compose_runs_each_service_and_the_gateway_once():
    with open(REPO / "docker-compose.yml", encoding="utf-8") as f:
        compose = yaml.safe_load(f)["services"]
    running = {
        name
        for name, spec in compose.items()
        if "nameko run" in " ".join(_argv(spec.get("command")))
    }
    assert running == APPS
    migrate_env = compose["migrate"]["environment"]
    assert _database_urls(migrate_env) == set(SERVICES)


def test_kubernetes_deploys_each_service_and_points_each_at_its_database():
    documents = []
    for path in sorted((REPO / "deploy" / "k8s").glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            documents += [doc for doc in yaml.safe_load_all(f) if doc]
    deployed = {
        doc["metadata"]["labels"]["app.kubernetes.io/name"]
        for doc in documents
        if doc["kind"] == "Deployment"
    }
    assert deployed == APPS
    # The database URLs carry the password, so they are container env (from a Secret), no longer
    # in the ConfigMap: the migration Job sees every database, each service its own.
    (job,) = [doc for doc in documents if doc["kind"] == "Job"]
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert _database_urls({item["name"]: item for item in migrate["env"]}) == set(SERVICES)
    for doc in (doc for doc in documents if doc["kind"] == "Deployment"):
        name = doc["metadata"]["labels"]["app.kubernetes.io/name"]
        if name in SERVICES:
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            assert _database_urls({item["name"]: item for item in container["env"]}) == {name}


def test_postgres_init_creates_one_database_per_service():
    sql = (REPO / "deploy" / "postgres-init.sql").read_text(encoding="utf-8")
    assert set(re.findall(r"CREATE DATABASE linli_(\w+)", sql, flags=re.IGNORECASE)) == set(
        SERVICES
    )


def test_each_service_and_the_gateway_has_its_config():
    assert {path.stem for path in (REPO / "config").glob("*.yaml")} == APPS


def test_the_run_script_and_the_health_route_read_the_one_list():
    spec = importlib.util.spec_from_file_location(
        "linli_run_for_topology", REPO / "deploy" / "run.py"
    )
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    assert set(run.child_commands()) == APPS
    assert operations.SERVICES is SERVICES


def _python_files():
    for folder in ("services", "gateway", "deploy", "tests", "bench"):
        yield from (REPO / folder).rglob("*.py")


@pytest.mark.parametrize(
    "path", sorted(_python_files()), ids=lambda path: str(path.relative_to(REPO))
)
def test_no_other_file_writes_the_list_out(path):
    if path == REPO / "services" / "infra" / "topology.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        elements = node.args if isinstance(node, ast.Call) else getattr(node, "elts", None)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Call)):
            names = {element.value for element in elements if isinstance(element, ast.Constant)}
            assert not set(SERVICES) <= names, (
                f"{path.relative_to(REPO)}:{node.lineno} lists every service: "
                "import services.infra.topology.SERVICES"
            )


def _argv(command):
    return command.split() if isinstance(command, str) else list(command or [])


def _database_urls(environment):
    keys = (
        environment
        if isinstance(environment, dict)
        else dict(item.split("=", 1) for item in environment)
    )
    return {
        match.group(1).lower()
        for key in keys
        if (match := re.fullmatch(r"LINLI_(\w+)_DATABASE_URL", key))
    }
