"""`make backup` of a running stack, `make restore` into an empty data directory, and a stack
started on it finds every order, member and points entry: on SQLite and on PostgreSQL."""

import importlib.util
import json
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from test_walking_skeleton import api, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "restore-secret-1"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Loaded by path, as tests/chaos does: both folders have a conftest.py.
e2e = _load("linli_e2e_conftest_backup", REPO / "tests" / "e2e" / "conftest.py")
chaos = _load("linli_chaos_conftest_backup", REPO / "tests" / "chaos" / "conftest.py")


def make(target, env, **variables):
    """``make <target>`` as an operator types it; returns the finished process."""
    arguments = [f"{key}={value}" for key, value in variables.items()]
    return subprocess.run(
        ["make", "-s", target, *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def populate(stack):
    """A community with three members, each with orders and points entries, one order picked up
    (points earned through the events between services); returns the logins."""
    slug = f"beifen-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "备份测试团",
            "slug": slug,
            "phone": "13800000071",
            "password": PASSWORD,
            "display_name": "团长",
        },
    ).json()["token"]
    product = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "五常大米 5kg", "price_cents": 5000, "stock": 50},
    ).json()["id"]
    phones = []
    for index in range(3):
        phone = f"1390000007{index}"
        joined = api(
            stack,
            "POST",
            f"/communities/{slug}/join",
            json={
                "phone": phone,
                "password": PASSWORD,
                "name": f"邻居{index}",
                "building": "1栋",
                "unit": f"10{index}",
            },
        )
        assert joined.status_code == 201, joined.text
        member, member_id = joined.json()["token"], joined.json()["member"]["id"]
        adjusted = api(
            stack,
            "POST",
            f"/members/{member_id}/points",
            leader,
            json={"delta": 100 * (index + 1), "reason": "开团福利"},
        )
        assert adjusted.status_code == 200, adjusted.text
        placed = api(
            stack,
            "POST",
            "/orders",
            member,
            json={"items": [{"product_id": product, "quantity": index + 1}]},
        )
        assert placed.status_code == 201, placed.text
        phones.append(phone)
    pick_up(stack, leader, placed.json()["id"])
    assert eventually(lambda: any(e["kind"] == "earned" for e in points(stack, member)), timeout=30)
    return slug, phones


def pick_up(stack, leader, order_id):
    assert api(stack, "POST", f"/orders/{order_id}/mark-paid", leader).status_code == 200

    def step(status, **body):
        return api(
            stack,
            "POST",
            f"/orders/{order_id}/fulfillment",
            leader,
            json={"status": status, **body},
        )

    assert eventually(lambda: step("packed").status_code == 200)
    assert step("delivering").status_code == 200
    code = step("ready_for_pickup", pickup_point="门卫室").json()["pickup"]["code"]
    assert api(stack, "POST", "/pickups/verify", leader, json={"code": code}).status_code == 200


def points(stack, member):
    return api(stack, "GET", "/me/points?limit=100", member).json()["items"]


def login(stack, slug, phone):
    answer = api(
        stack, "POST", "/auth/login", json={"phone": phone, "password": PASSWORD, "community": slug}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def everything(stack, slug, phones):
    """Every order, member and points entry of the community, as its leader and members see them
    (logged in afresh: a restored machine has secrets of its own)."""
    leader = login(stack, slug, "13800000071")
    orders = api(stack, "GET", "/orders?limit=100", leader).json()["items"]
    members = api(stack, "GET", "/members?limit=100", leader).json()["items"]
    entries = {phone: points(stack, login(stack, slug, phone)) for phone in phones}
    return {
        "orders": sorted((o["id"], o["status"], o["total_cents"]) for o in orders),
        "members": sorted((m["id"], m["name"]) for m in members),
        "points": {
            phone: sorted((e["id"], e["kind"], e["delta"]) for e in items)
            for phone, items in entries.items()
        },
    }


# A RabbitMQ vhost per test (tests/chaos's fixture): the session's vhost is shared with `stack`,
# and two stacks on one vhost would take each other's messages.
vhost = chaos.vhost


@pytest.fixture
def postgres():
    made = []

    def databases(create=True):
        """LINLI_<SERVICE>_DATABASE_URL for a fresh database per service: created, or only named
        (the restore creates them); all dropped at the end."""
        made.append(chaos.PostgresDatabases())
        if create:
            return made[-1].environment()
        base = chaos.PG_ADMIN_URL.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg2://", 1
        )
        env = {}
        for service in chaos.SERVICES:
            name = f"linli_restored_{service}_{uuid.uuid4().hex[:10]}"
            made[-1].names.append(name)
            env[f"LINLI_{service.upper()}_DATABASE_URL"] = f"{base}/{name}"
        return env

    yield databases
    for databases_ in made:
        databases_.drop_all()


def stack_on(data_dir, vhost, env):
    stack = e2e.Stack(data_dir, vhost)
    stack.env.update(env)
    return stack


def back_up_restore_and_compare(tmp_path, vhost, engine, before_env, after_env):
    first = stack_on(tmp_path / "data", vhost, before_env)
    (tmp_path / "data").mkdir()
    first.start()
    try:
        slug, phones = populate(first)
        expected = everything(first, slug, phones)
        made = make("backup", first.env)  # while it runs
        assert made.returncode == 0, made.stdout + made.stderr
        folder = Path(made.stdout.strip().splitlines()[-1].rsplit(": ", 1)[1])
        assert folder.parent == tmp_path / "data" / "backups"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert {entry["engine"] for entry in manifest["services"].values()} == {engine}
        refused = make("restore", first.env, BACKUP=folder)
        assert refused.returncode != 0 and "Linli is running on" in refused.stderr, refused.stderr
        assert everything(first, slug, phones) == expected  # the refusal touched nothing
    finally:
        first.stop()

    empty = tmp_path / "restored"
    second = stack_on(empty, vhost, after_env)
    restored = make("restore", second.env, BACKUP=folder)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    second.start()
    try:
        assert everything(second, slug, phones) == expected
        assert len(expected["orders"]) == 3 and len(expected["members"]) == 3
        assert all(len(entries) >= 1 for entries in expected["points"].values())
        assert any(kind == "earned" for _, kind, _ in expected["points"][phones[-1]])
    finally:
        second.stop()
    restore_again_over_later_changes(folder, manifest, second, expected)


def restore_again_over_later_changes(folder, manifest, stack, expected):
    """Over an existing data directory: rows changed, a table and a revision from a later
    migration; the restore puts the backup back whole, so that migration can run again."""
    url = stack.env.get("LINLI_ORDERS_DATABASE_URL") or f"sqlite:///{stack.data_dir / 'orders.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE orders SET status = 'later', total_cents = 1")
        connection.exec_driver_sql("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'later'")
    engine.dispose()
    restored = make("restore", stack.env, BACKUP=folder)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            orders = connection.exec_driver_sql("SELECT id, status, total_cents FROM orders").all()
            assert sorted(tuple(row) for row in orders) == expected["orders"]
            assert (
                connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                == manifest["services"]["orders"]["alembic_revision"]
            )
            assert "later_feature" not in inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_a_running_stack_on_sqlite_is_backed_up_and_restored_into_an_empty_data_directory(
    tmp_path, vhost
):
    env = {f"LINLI_{service.upper()}_DATABASE_URL": "" for service in chaos.SERVICES}
    back_up_restore_and_compare(tmp_path, vhost, "sqlite", env, env)
    assert sorted(p.name for p in (tmp_path / "restored").glob("*.db")) == sorted(
        f"{service}.db" for service in chaos.SERVICES
    )


def test_a_running_stack_on_postgresql_is_backed_up_and_restored_into_new_databases(
    tmp_path, vhost, postgres
):
    back_up_restore_and_compare(tmp_path, vhost, "postgresql", postgres(), postgres(create=False))
