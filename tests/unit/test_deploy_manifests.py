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
# crm's own: the platform operator's login (optional keys of linli-secrets).
OPERATOR_SECRET_KEYS = {"LINLI_OPERATOR_PHONE", "LINLI_OPERATOR_PASSWORD_HASH"}


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
    # Pinned to a patch release (was the moving 3.12-management), as the images of deploy/k8s.
    assert re.fullmatch(r"rabbitmq:3\.12\.\d+-management", rabbitmq["image"])
    assert {"5672:5672", "15672:15672"} <= {str(port) for port in rabbitmq["ports"]}
    assert "rabbitmq-diagnostics" in as_argv(rabbitmq["healthcheck"]["test"])
    assert re.fullmatch(r"postgres:15\.\d+", postgres["image"])  # pinned (was postgres:15)
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
        assert re.search(
            rf"tar -xzf {re.escape(tarball)} -O package/{re.escape(inside)} "
            rf"> {re.escape(name)}(\s|$)",
            run,
        ), (package, inside, name)
        assert f"test -s {name}" in run  # an empty file fails the build
    # Copied over the sources, so the image serves them from gateway/web/vendor.
    copies = [arguments.split() for keyword, arguments in final if keyword == "COPY"]
    assert copies.index([".", "."]) < copies.index(
        [f"--from={stage_name}", f"{workdir}/", "gateway/web/vendor/"]
    )
    # Never the build machine's own copy (stale or missing): only the stage's.
    assert "gateway/web/vendor" in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split()


# --- docker-compose.yml: the same variables as make run ---------------------------------------


def run_py_environment(tmp_path_factory):
    """The variables deploy/run.py gives every process, from an empty environment."""
    import importlib.util
    import os
    from unittest import mock

    spec = importlib.util.spec_from_file_location("linli_run", REPO_ROOT / "deploy" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    data_dir = tmp_path_factory.mktemp("run-env")
    with (
        mock.patch.dict(os.environ, {"LINLI_DATA_DIR": str(data_dir)}, clear=True),
        mock.patch.object(run, "say"),
    ):
        return run.build_environment()


@pytest.fixture(scope="module")
def make_run_variables(tmp_path_factory):
    return set(run_py_environment(tmp_path_factory))


@pytest.mark.parametrize("name", APP_CONTAINERS)
def test_compose_gives_every_container_the_variables_of_make_run(compose, make_run_variables, name):
    env = as_env(compose[name]["environment"])
    expected = make_run_variables - set(SECRET_KEYS)  # secrets: only to who reads them (below)
    assert expected <= set(env), f"{name} lacks {sorted(expected - set(env))}"
    assert env["LINLI_PUBLIC_URL"].startswith("${LINLI_PUBLIC_URL:-"), "set by the operator"
    assert env["LINLI_LOG_FORMAT"] == "json"
    assert not any(key.startswith("LINLI_SANDBOX_PAYMENTS") for key in env)


@pytest.mark.parametrize("name", SERVICES)
def test_compose_backend_healthcheck_is_its_own_health(compose, name):
    assert as_argv(compose[name]["healthcheck"]["test"]) == [
        "CMD",
        "python",
        "-m",
        "services.infra.health",
        name,
        "--ready",
    ]
    assert depends_on(compose["gateway"])[name] == "service_healthy"


def test_compose_images_are_pinned_and_rabbitmq_exposes_its_metrics(compose):
    for name, service in compose.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), (name, image)
    assert compose["gateway"]["image"] == f"linli:{project_version()}"
    assert "15692:15692" in [str(port) for port in compose["rabbitmq"]["ports"]]
    plugins_file = [
        v for v in compose["rabbitmq"]["volumes"] if v.endswith(":/etc/rabbitmq/enabled_plugins:ro")
    ]
    (mount,) = plugins_file
    plugins = (REPO_ROOT / mount.split(":")[0]).read_text(encoding="utf-8")
    assert re.fullmatch(r"\[([a-z_]+,)*[a-z_]+\]\.\n", plugins)
    assert {"rabbitmq_management", "rabbitmq_prometheus"} <= set(plugins.strip("[].\n").split(","))


def project_version():
    import tomllib

    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


# --- deploy/k8s: a kustomization a kind or k3s cluster applies as it is ------------------------

K8S = REPO_ROOT / "deploy" / "k8s"
SCHEMAS = Path(__file__).parent / "schemas"
KUBERNETES_VERSION = "1.32"
# Secrets no file here holds: the operator makes linli-secrets (README); the operators make theirs.
OPERATOR_MADE_SECRETS = {"linli-secrets"}


def kustomization():
    with open(K8S / "kustomization.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def render_kustomization():
    """What ``kubectl kustomize`` makes of deploy/k8s, without kustomize: every listed resource,
    with the ``images:`` entries applied (the only transformation kustomization.yaml uses)."""
    config = kustomization()
    assert set(config) <= {"apiVersion", "kind", "resources", "images"}, (
        "render_kustomization knows no more"
    )
    images = {entry["name"]: entry for entry in config.get("images", [])}
    documents = []
    for resource in config["resources"]:
        with open(K8S / resource, encoding="utf-8") as f:
            documents += [(resource, doc) for doc in yaml.safe_load_all(f) if doc is not None]
    for _, doc in documents:
        for container in pod_containers(doc):
            name, _, tag = container["image"].partition(":")
            if name in images:
                entry = images[name]
                container["image"] = f"{entry.get('newName', name)}:{entry.get('newTag', tag)}"
    return documents


def pod_spec(doc):
    if doc["kind"] in ("Deployment", "Job"):
        return doc["spec"]["template"]["spec"]
    return None


def pod_containers(doc):
    spec = pod_spec(doc)
    return [] if spec is None else [*spec.get("initContainers", []), *spec["containers"]]


@pytest.fixture(scope="module")
def k8s_documents():
    return render_kustomization()


def by_kind(documents, kind):
    return {doc["metadata"]["name"]: doc for _, doc in documents if doc["kind"] == kind}


def container_env(container, config_maps):
    """name -> value or ("secret", secret name, key), envFrom ConfigMaps included."""
    env = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        if "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = ("secret", ref["name"], ref["key"])
        else:
            env[item["name"]] = item["value"]
    return env


def test_k8s_kustomization_lists_every_manifest():
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization()["resources"]) == sorted(manifests)


def test_k8s_manifests_are_well_formed(k8s_documents):
    for filename, doc in k8s_documents:
        assert doc.get("apiVersion") and doc.get("kind"), filename
        assert doc["metadata"]["name"].startswith("linli-"), filename
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "linli", filename
    names = [(doc["kind"], doc["metadata"]["name"]) for _, doc in k8s_documents]
    assert len(names) == len(set(names)), "a kind and name twice"


CRD_SCHEMAS = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "Database"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
}


def crd_schema(api_version, kind):
    import json

    path = SCHEMAS / f"{api_version.replace('/', '-')}-{kind}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_k8s_every_manifest_validates_against_its_published_schema(k8s_documents):
    import jsonschema
    import kubernetes_validate

    for filename, doc in k8s_documents:
        key = (doc["apiVersion"], doc["kind"])
        if key in CRD_SCHEMAS:
            # The CRD's own schema for spec (tests/unit/schemas/README.md); metadata is core.
            jsonschema.validate(doc["spec"], crd_schema(*key))
            assert set(doc) == {"apiVersion", "kind", "metadata", "spec"}, filename
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_k8s_crd_schemas_reject_what_the_operator_would_not_know():
    import jsonschema

    schema = crd_schema("rabbitmq.com/v1beta1", "RabbitmqCluster")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"replicas": 3, "replica": 3}, schema
        )  # a typo: dropped silently on a cluster
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"triggers": [{"type": "rabbitmq", "metadata": {}}]},
            crd_schema("keda.sh/v1alpha1", "ScaledObject"),
        )  # no scaleTargetRef


@pytest.mark.skipif(
    __import__("shutil").which("kubectl") is None, reason="kubectl is not installed"
)
def test_k8s_kubectl_kustomize_renders_the_same_objects(k8s_documents):
    import subprocess

    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], check=True, capture_output=True, text=True
    ).stdout
    theirs = [doc for doc in yaml.safe_load_all(rendered) if doc]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in theirs) == sorted(
        (d["kind"], d["metadata"]["name"]) for _, d in k8s_documents
    )
    images = sorted(c["image"] for d in theirs for c in pod_containers(d))
    assert images == sorted(c["image"] for _, d in k8s_documents for c in pod_containers(d))


def test_k8s_deploys_every_container_with_its_command(k8s_documents):
    deployments = by_kind(k8s_documents, "Deployment")
    assert set(deployments) == {f"linli-{name}" for name in APP_CONTAINERS}
    config_maps = by_kind(k8s_documents, "ConfigMap")
    for name in APP_CONTAINERS:
        spec = deployments[f"linli-{name}"]["spec"]
        pod_labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
        assert "replicas" not in spec, "the autoscaler owns the replica count"
        (container,) = spec["template"]["spec"]["containers"]
        assert container["command"] == expected_command(name)
        used_maps = {src["configMapRef"]["name"] for src in container.get("envFrom", [])}
        assert used_maps and used_maps <= set(config_maps), f"{name} uses an undefined ConfigMap"
        app_secrets = {
            e["valueFrom"]["secretKeyRef"]["key"]
            for e in container.get("env", [])
            if e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "linli-secrets"
        }
        expected = set(SECRET_KEYS) if name in NEEDS_SECRETS else set()
        assert app_secrets == (OPERATOR_SECRET_KEYS if name == "crm" else expected), name


def test_k8s_every_container_has_resources_and_a_pinned_image(k8s_documents):
    version = project_version()
    assert kustomization()["images"] == [{"name": "linli", "newTag": version}]
    for filename, doc in k8s_documents:
        for container in pod_containers(doc):
            assert container["image"] == f"linli:{version}", (filename, container["name"])
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), container["name"]
            assert "memory" in resources["limits"], container["name"]
    for kind, field in (("RabbitmqCluster", "image"), ("Cluster", "imageName")):
        (infrastructure,) = by_kind(k8s_documents, kind).values()
        assert re.fullmatch(r"\S+:\d+(\.\d+)+(-\w+)?", infrastructure["spec"][field]), kind


def expected_secret_sources(documents):
    (rabbitmq,) = by_kind(documents, "RabbitmqCluster")
    (postgres,) = by_kind(documents, "Cluster")
    # The Secrets the operators make: RabbitMQ's <name>-default-user, CloudNativePG's <name>-app.
    return (
        {f"{rabbitmq}-default-user", f"{postgres}-app"} | OPERATOR_MADE_SECRETS,
        rabbitmq,
        postgres,
    )


def test_k8s_secrets_come_from_secrets_and_every_variable_of_make_run_is_set(
    k8s_documents, make_run_variables
):
    config_maps = by_kind(k8s_documents, "ConfigMap")
    for config in config_maps.values():
        for key, value in config["data"].items():
            assert (
                not re.search(r"SECRET|PASSWORD|TOKEN|_URI$|_URL$", key)
                or key == "LINLI_PUBLIC_URL"
            ), key
            assert "://" not in value or "@" not in value, f"{key} holds credentials"
    allowed, rabbitmq, postgres = expected_secret_sources(k8s_documents)
    for filename, doc in k8s_documents:
        for container in pod_containers(doc):
            env = container_env(container, config_maps)
            used = {value[1] for value in env.values() if isinstance(value, tuple)}
            assert used <= allowed, (filename, used - allowed)
            assert not any(key.startswith("LINLI_SANDBOX_PAYMENTS") for key in env)
            if container["name"] == "wait-for-migrations":
                continue
            assert env["LINLI_AMQP_URI"] == (
                "secret",
                f"{rabbitmq}-default-user",
                "connection_string",
            )
            missing = make_run_variables - set(SECRET_KEYS) - set(env)
            assert not missing, (filename, container["name"], sorted(missing))
            assert env["LINLI_LOG_FORMAT"] == "json"
    for name in SERVICES:
        (container,) = by_kind(k8s_documents, "Deployment")[f"linli-{name}"]["spec"]["template"][
            "spec"
        ]["containers"]
        env = container_env(container, config_maps)
        assert env["LINLI_DB_PASSWORD"] == ("secret", f"{postgres}-app", "password")
        url = env[f"LINLI_{name.upper()}_DATABASE_URL"]
        assert url == f"postgresql://linli:$(LINLI_DB_PASSWORD)@{postgres}-rw:5432/linli_{name}"
        # $(VAR) expands only a variable defined earlier in the list.
        names = [item["name"] for item in container["env"]]
        assert names.index("LINLI_DB_PASSWORD") < names.index(f"LINLI_{name.upper()}_DATABASE_URL")
        assert [key for key in env if key.endswith("_DATABASE_URL")] == [
            f"LINLI_{name.upper()}_DATABASE_URL"
        ]


def test_k8s_public_url_is_the_ingress_host_over_tls(k8s_documents):
    from urllib.parse import urlsplit

    (config,) = by_kind(k8s_documents, "ConfigMap").values()
    public = urlsplit(config["data"]["LINLI_PUBLIC_URL"])
    assert public.scheme == "https" and public.hostname not in ("127.0.0.1", "localhost")
    ingresses = by_kind(k8s_documents, "Ingress")
    assert ingresses
    for ingress in ingresses.values():
        spec = ingress["spec"]
        assert [rule["host"] for rule in spec["rules"]] == [public.hostname]
        (tls,) = spec["tls"]
        assert tls["hosts"] == [public.hostname] and tls["secretName"]
        assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
        for rule in spec["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"] == {
                    "name": "linli-gateway",
                    "port": {"name": "http"},
                }


def test_k8s_live_room_websocket_has_its_own_long_timeouts(k8s_documents):
    from gateway.live_room import URL

    (live,) = [
        i
        for i in by_kind(k8s_documents, "Ingress").values()
        if any("live-sessions" in p["path"] for r in i["spec"]["rules"] for p in r["http"]["paths"])
    ]
    annotations = live["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert annotations["nginx.ingress.kubernetes.io/use-regex"] == "true"
    ((path,),) = [[p["path"] for p in r["http"]["paths"]] for r in live["spec"]["rules"]]
    example = URL.replace("<session_id>", "ls_01HZX")
    assert re.fullmatch(path, example) and not re.fullmatch(path, "/api/v1/live-sessions/ls_01HZX")


def test_k8s_gateway_probes_liveness_apart_from_the_services(k8s_documents):
    (service,) = by_kind(k8s_documents, "Service").values()
    gateway = by_kind(k8s_documents, "Deployment")["linli-gateway"]
    pod_template = gateway["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod_template["metadata"]["labels"].items()
    (container,) = pod_template["spec"]["containers"]
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    (service_port,) = service["spec"]["ports"]
    assert port_names[service_port["targetPort"]] == 8000
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    # Was /health too: one backend down made every gateway pod restart.
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}


@pytest.mark.parametrize("name", SERVICES)
def test_k8s_backend_probes_are_its_own_health_and_it_waits_for_its_migration(k8s_documents, name):
    spec = by_kind(k8s_documents, "Deployment")[f"linli-{name}"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    probe = ["python", "-m", "services.infra.health", name]
    assert container["readinessProbe"]["exec"]["command"] == [*probe, "--ready"]
    assert container["livenessProbe"]["exec"]["command"] == [*probe, "--live"]
    assert container["livenessProbe"]["timeoutSeconds"] >= 5
    (init,) = spec["initContainers"]
    assert init["command"][:2] == ["sh", "-c"]
    assert f"python -m services.infra.health {name} --migrated" in init["command"][2]


def test_k8s_migration_job_migrates_every_database(k8s_documents):
    (job,) = by_kind(k8s_documents, "Job").values()
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "deploy/bootstrap.py"]
    assert pod["restartPolicy"] in ("OnFailure", "Never")
    env = container_env(container, by_kind(k8s_documents, "ConfigMap"))
    for name in SERVICES:
        assert env[f"LINLI_{name.upper()}_DATABASE_URL"].endswith(f":5432/linli_{name}")


def test_k8s_infrastructure_through_the_operators(k8s_documents):
    (rabbitmq,) = by_kind(k8s_documents, "RabbitmqCluster").values()
    assert rabbitmq["spec"]["replicas"] == 3
    assert "rabbitmq_prometheus" in rabbitmq["spec"]["rabbitmq"]["additionalPlugins"]
    ((postgres_name, postgres),) = by_kind(k8s_documents, "Cluster").items()
    assert postgres["spec"]["bootstrap"]["initdb"]["owner"] == "linli"
    databases = by_kind(k8s_documents, "Database").values()
    assert sorted(d["spec"]["name"] for d in databases) == sorted(
        f"linli_{name}" for name in SERVICES
    )
    for database in databases:
        assert database["spec"]["cluster"] == {"name": postgres_name}
        assert database["spec"]["owner"] == "linli"


def test_k8s_autoscaling_and_disruption_budgets_cover_every_deployment(k8s_documents):
    from nameko.rpc import RPC_QUEUE_TEMPLATE

    deployments = by_kind(k8s_documents, "Deployment")
    (hpa,) = by_kind(k8s_documents, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "linli-gateway",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    scaled = by_kind(k8s_documents, "ScaledObject")
    auths = by_kind(k8s_documents, "TriggerAuthentication")
    assert set(scaled) == {f"linli-{name}" for name in SERVICES}
    allowed, _, _ = expected_secret_sources(k8s_documents)
    for name in SERVICES:
        spec = scaled[f"linli-{name}"]["spec"]
        assert spec["scaleTargetRef"]["name"] in deployments
        assert spec["scaleTargetRef"]["name"] == f"linli-{name}" and spec["minReplicaCount"] >= 2
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] == RPC_QUEUE_TEMPLATE.format(name)  # nameko's name
        assert trigger["metadata"]["mode"] == "QueueLength"
        assert trigger["metadata"]["vhostName"] == "/"
        auth = auths[trigger["authenticationRef"]["name"]]
        assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} <= allowed
    budgets = by_kind(k8s_documents, "PodDisruptionBudget").values()
    for deployment in deployments.values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(covering) == 1, deployment["metadata"]["name"]
        assert covering[0]["spec"]["minAvailable"] == 1


def test_gitignore_keeps_local_state_and_secrets_out_of_git():
    ignored = set((REPO_ROOT / ".gitignore").read_text(encoding="utf-8").split())
    required = {"var/", ".venv", "*.db", "secrets.env", "__pycache__/", ".pytest_cache/"}
    assert required | {"node_modules/"} <= ignored
