"""The deployment files agree with the code layout and with each other.

No Docker or Kubernetes here: the manifests are parsed and checked for what would
otherwise only break on a real cluster (a wrong module path, a missing config file, a
service that starts before RabbitMQ or its migration).
"""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from gateway.routes.web import VENDOR
from services.infra.topology import GATEWAY, SERVICES

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_CONTAINERS = [*SERVICES, GATEWAY]
NEEDS_SECRETS = ["orders", "gateway"]
SECRET_KEYS = ["LINLI_TOKEN_SECRET", "LINLI_WEBHOOK_SECRET"]


def expected_command(name):
    module = "gateway.service" if name == "gateway" else f"services.{name}.service"
    return ["nameko", "run", "--config", f"config/{name}.yaml", module]


def as_argv(command):
    return shlex.split(command) if isinstance(command, str) else list(command)


def as_env(environment):
    if isinstance(environment, dict):
        return {key: str(value) for key, value in environment.items()}
    return dict(item.split("=", 1) for item in environment or [])


def depends_on(service):
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form: started, no condition
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


@pytest.fixture(scope="module")
def compose():
    with open(REPO_ROOT / "docker-compose.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)["services"]


@pytest.fixture(scope="module")
def k8s_documents():
    paths = sorted((REPO_ROOT / "deploy" / "k8s").glob("*.yaml"))
    assert paths, "deploy/k8s/ has no manifests"
    documents = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            documents += [(path.name, doc) for doc in yaml.safe_load_all(f) if doc is not None]
    return documents


def test_compose_has_every_container(compose):
    expected = set(APP_CONTAINERS) | {"rabbitmq", "postgres", "migrate"}
    assert expected <= set(compose), f"missing: {sorted(expected - set(compose))}"


@pytest.mark.parametrize("name", APP_CONTAINERS)
def test_compose_app_container_runs_its_nameko_service(compose, name):
    service = compose[name]
    assert as_argv(service["command"]) == expected_command(name)
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    env = as_env(service.get("environment"))
    assert env["LINLI_AMQP_URI"].startswith("amqp://")
    assert "@rabbitmq:5672" in env["LINLI_AMQP_URI"]
    deps = depends_on(service)
    assert deps.get("rabbitmq") == "service_healthy"
    assert deps.get("migrate") == "service_completed_successfully"


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_uses_its_own_postgres_database(compose, name):
    env = as_env(compose[name]["environment"])
    url = env[f"LINLI_{name.upper()}_DATABASE_URL"]
    assert url == f"postgresql://linli:linli@postgres:5432/linli_{name}"
    other_urls = [key for key in env if key.endswith("_DATABASE_URL")]
    assert other_urls == [f"LINLI_{name.upper()}_DATABASE_URL"], "a service sees one database"
    assert depends_on(compose[name]).get("postgres") == "service_healthy"


@pytest.mark.parametrize("name", NEEDS_SECRETS)
def test_compose_secrets_are_required_variables_not_values(compose, name):
    env = as_env(compose[name]["environment"])
    for key in SECRET_KEYS:
        # ${VAR:?...} makes compose refuse to start without the secret instead of using "".
        assert re.fullmatch(rf"\$\{{{key}:\?[^}}]*\}}", env[key]), env[key]


def test_compose_gateway_publishes_http_on_all_interfaces(compose):
    gateway = compose["gateway"]
    assert "8000:8000" in [str(port) for port in gateway["ports"]]
    env = as_env(gateway["environment"])
    assert env["LINLI_HTTP_PORT"] == "8000"
    assert env["LINLI_HTTP_HOST"] == "0.0.0.0"
    assert not any(key.endswith("_DATABASE_URL") for key in env), "the gateway has no database"


def test_compose_migrate_runs_once_against_every_database(compose):
    migrate = compose["migrate"]
    assert as_argv(migrate["command"]) == ["python", "deploy/bootstrap.py"]
    assert migrate["build"]["dockerfile"] == "deploy/Dockerfile"
    assert migrate["restart"] == "no"
    env = as_env(migrate["environment"])
    for name in SERVICES:
        assert env[f"LINLI_{name.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/linli_{name}")
    assert depends_on(migrate) == {"rabbitmq": "service_healthy", "postgres": "service_healthy"}


def test_compose_infrastructure(compose):
    rabbitmq, postgres = compose["rabbitmq"], compose["postgres"]
    assert rabbitmq["image"].startswith("rabbitmq:3.12-management")
    assert {"5672:5672", "15672:15672"} <= {str(port) for port in rabbitmq["ports"]}
    assert "rabbitmq-diagnostics" in as_argv(rabbitmq["healthcheck"]["test"])
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in as_argv(postgres["healthcheck"]["test"])
    init_mounts = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init_mounts and init_mounts[0].startswith("./deploy/postgres-init.sql:")


def test_postgres_init_script_creates_one_database_per_service():
    sql = (REPO_ROOT / "deploy" / "postgres-init.sql").read_text(encoding="utf-8")
    created = re.findall(r"^\s*CREATE DATABASE (\w+)", sql, flags=re.MULTILINE | re.IGNORECASE)
    assert sorted(created) == sorted(f"linli_{name}" for name in SERVICES)


def test_every_referenced_config_file_exists(compose):
    if not (REPO_ROOT / "config").is_dir():
        pytest.skip("config/ does not exist yet; the service configs are still being written")
    referenced = set()
    for service in compose.values():
        argv = as_argv(service.get("command") or [])
        if "--config" in argv:
            referenced.add(argv[argv.index("--config") + 1])
    assert referenced == {f"config/{name}.yaml" for name in APP_CONTAINERS}
    missing = sorted(path for path in referenced if not (REPO_ROOT / path).is_file())
    assert not missing, f"compose names config files that do not exist: {missing}"


def test_dockerfile_builds_the_package_and_has_a_command(compose):
    dockerfile = (REPO_ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, flags=re.MULTILINE)
    assert re.search(r"pip install \.(\s|$)", dockerfile)
    has_default = re.search(r"^(CMD|ENTRYPOINT)\s", dockerfile, flags=re.MULTILINE)
    every_container_has_command = all(
        compose[name].get("command") for name in APP_CONTAINERS + ["migrate"]
    )
    assert has_default or every_container_has_command


def dockerfile_stages():
    """The Dockerfile's stages in order: (name or None, [(instruction, arguments)]), with
    continuation lines joined and comments dropped."""
    text = (REPO_ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    stages = []
    for instruction in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines():
        if not instruction.strip():
            continue
        keyword, _, arguments = instruction.strip().partition(" ")
        if keyword.upper() == "FROM":
            named = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", arguments.strip(), flags=re.IGNORECASE)
            stages.append((named.group(2), [(keyword.upper(), arguments.strip())]))
        else:
            stages[-1][1].append((keyword.upper(), arguments.strip()))
    return stages


def setup_sh_vendor_files():
    """deploy/setup.sh's ``fetch_npm package@version file-in-package name-in-vendor`` calls."""
    setup = (REPO_ROOT / "deploy" / "setup.sh").read_text(encoding="utf-8")
    return re.findall(r"^\s*fetch_npm (\S+@\S+) (\S+) (\S+)", setup, flags=re.MULTILINE)


def test_the_image_holds_the_web_uis_vendored_libraries_as_setup_sh_fetches_them():
    wanted = setup_sh_vendor_files()
    assert sorted(name for _, _, name in wanted) == sorted(VENDOR.values())
    *builders, (_, final) = dockerfile_stages()
    (vendor_stage,) = [(name, steps) for name, steps in builders if name]
    stage_name, steps = vendor_stage
    assert steps[0][1].startswith("node:")
    workdir = [arguments for keyword, arguments in steps if keyword == "WORKDIR"][-1]
    run = " ".join(arguments for keyword, arguments in steps if keyword == "RUN")
    packed = re.search(r"npm pack (?:--silent )?((?:\S+@\S+\s*)+)", run).group(1).split()
    assert sorted(packed) == sorted(package for package, _, _ in wanted)  # the same pinned versions
    for package, inside, name in wanted:
        tarball = package.lstrip("@").replace("/", "-").replace("@", "-") + ".tgz"
        assert re.search(rf"tar -xzf {re.escape(tarball)} -O package/{re.escape(inside)} > {re.escape(name)}(\s|$)",
                         run), (package, inside, name)
        assert f"test -s {name}" in run  # an empty file fails the build
    # Copied over the sources, so the image serves them from gateway/web/vendor.
    copies = [arguments.split() for keyword, arguments in final if keyword == "COPY"]
    assert copies.index([".", "."]) < copies.index([f"--from={stage_name}", f"{workdir}/", "gateway/web/vendor/"])
    # Never the build machine's own copy (stale or missing): only the stage's.
    assert "gateway/web/vendor" in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def test_k8s_manifests_are_well_formed(k8s_documents):
    for filename, doc in k8s_documents:
        assert doc.get("apiVersion") and doc.get("kind"), filename
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"].startswith("linli-"), filename


def test_k8s_deploys_every_container_with_its_command(k8s_documents):
    deployments = {
        doc["metadata"]["name"]: doc for _, doc in k8s_documents if doc["kind"] == "Deployment"
    }
    assert set(deployments) == {f"linli-{name}" for name in APP_CONTAINERS}
    config_maps = {
        doc["metadata"]["name"] for _, doc in k8s_documents if doc["kind"] == "ConfigMap"
    }
    for name in APP_CONTAINERS:
        spec = deployments[f"linli-{name}"]["spec"]
        pod_labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
        (container,) = spec["template"]["spec"]["containers"]
        assert container["command"] == expected_command(name)
        used_maps = {src["configMapRef"]["name"] for src in container.get("envFrom", [])}
        assert used_maps and used_maps <= config_maps, f"{name} uses an undefined ConfigMap"
        secret_keys = {
            e["valueFrom"]["secretKeyRef"]["key"]
            for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert secret_keys == (set(SECRET_KEYS) if name in NEEDS_SECRETS else set()), name


def test_k8s_config_map_points_every_service_at_its_database(k8s_documents):
    (config,) = [doc for _, doc in k8s_documents if doc["kind"] == "ConfigMap"]
    data = config["data"]
    assert data["LINLI_AMQP_URI"].startswith("amqp://")
    for name in SERVICES:
        assert data[f"LINLI_{name.upper()}_DATABASE_URL"].endswith(f"/linli_{name}")
    assert not any("SECRET" in key for key in data), "secrets belong in a Secret"


def test_k8s_gateway_service_reaches_the_gateway_pods(k8s_documents):
    (service,) = [doc for _, doc in k8s_documents if doc["kind"] == "Service"]
    (gateway,) = [
        doc
        for _, doc in k8s_documents
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "linli-gateway"
    ]
    pod_template = gateway["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod_template["metadata"]["labels"].items()
    (container,) = pod_template["spec"]["containers"]
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    (service_port,) = service["spec"]["ports"]
    assert port_names[service_port["targetPort"]] == 8000
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"


def test_k8s_kustomization_lists_every_manifest(k8s_documents):
    (kustomization,) = [doc for _, doc in k8s_documents if doc["kind"] == "Kustomization"]
    manifests = {p.name for p in (REPO_ROOT / "deploy" / "k8s").glob("*.yaml")}
    assert set(kustomization["resources"]) == manifests - {"kustomization.yaml"}


def test_gitignore_keeps_local_state_and_secrets_out_of_git():
    ignored = set((REPO_ROOT / ".gitignore").read_text(encoding="utf-8").split())
    required = {"var/", ".venv", "*.db", "secrets.env", "__pycache__/", ".pytest_cache/"}
    assert required | {"node_modules/"} <= ignored
