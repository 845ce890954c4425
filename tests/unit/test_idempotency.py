"""One Idempotency-Key building block (services/infra/idempotency.py) for orders and crm: one
validation message, one reason code, the stored answer on a retry, and the UI translates it."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.orm import DeclarativeBase

from gateway.routes.orders import idempotency_key
from services.crm import loyalty
from services.crm.loyalty import rewards
from services.crm.models import Base as CrmBase
from services.crm.models import IdempotencyKey as CrmKey
from services.crm.models import ProductInfo
from services.infra import idempotency
from services.infra.errors import Conflict, Invalid
from services.infra.migrations import alembic_config, upgrade
from services.infra.schemas import StrictSchema, load
from services.orders.models import IdempotencyKey as OrdersKey

REPO = Path(__file__).resolve().parents[2]
MALFORMED = ["", "k" * 129, "line\nbreak", 42]


class Base(DeclarativeBase):
    pass


class Key(idempotency.IdempotencyKeyColumns, Base):
    pass


@pytest.fixture
def session(make_session):
    return make_session(Base, "keys")


class Work:
    """``answer()`` for ``run``: counts its calls, refuses while ``refuse`` is set."""

    def __init__(self):
        self.calls, self.refuse = 0, False

    def __call__(self):
        self.calls += 1
        if self.refuse:
            raise Conflict("Not now.", {"reason": "not_now"})
        return {"done": self.calls}


def run(session, work, key, request):
    with session.begin():
        return idempotency.run(session, Key, "t1", "m1", key, request, work)


def test_a_retry_gets_the_stored_answer_and_does_nothing(session):
    work = Work()
    assert run(session, work, "k1", {"a": 1}) == {"done": 1}
    assert run(session, work, "k1", {"a": 1}) == {"done": 1}
    assert work.calls == 1
    assert run(session, work, "k2", {"a": 1}) == {"done": 2}  # another key: another request


def test_the_same_key_with_another_request_is_409_with_the_one_reason(session):
    work = Work()
    run(session, work, "k1", {"a": 1})
    with pytest.raises(Conflict) as raised:
        run(session, work, "k1", {"a": 2})
    assert (
        raised.value.extra == {"reason": "idempotency_key_reused"} == {"reason": idempotency.REASON}
    )
    assert work.calls == 1


def test_without_a_key_each_call_does_its_work(session):
    work = Work()
    assert [run(session, work, None, {"a": 1}) for _ in range(2)] == [{"done": 1}, {"done": 2}]


def test_a_refusal_is_not_remembered(session):
    work = Work()
    work.refuse = True
    with pytest.raises(Conflict):
        run(session, work, "k1", {"a": 1})
    work.refuse = False
    assert run(session, work, "k1", {"a": 1}) == {"done": 2}


def test_keys_are_per_community_and_owner(session):
    work = Work()
    with session.begin():
        first = idempotency.run(session, Key, "t1", "m1", "k1", {"a": 1}, work)
        other_member = idempotency.run(session, Key, "t1", "m2", "k1", {"a": 2}, work)
        other_community = idempotency.run(session, Key, "t2", "m1", "k1", {"a": 3}, work)
    assert [first, other_member, other_community] == [{"done": 1}, {"done": 2}, {"done": 3}]


def test_a_claim_without_a_stored_answer_is_not_answered_again(session):
    """orders' order placement claims a key and answers with the order itself: the same key on
    a payment call is another request."""
    with session.begin():
        session.add(
            Key(
                tenant_id="t1",
                member_id="m1",
                key="k1",
                request_hash=idempotency.fingerprint({"a": 1}),
            )
        )
    with pytest.raises(Conflict) as raised:
        run(session, Work(), "k1", {"a": 1})
    assert raised.value.extra["reason"] == idempotency.REASON


@pytest.mark.parametrize("key", MALFORMED)
def test_a_malformed_key_has_one_message_everywhere(session, key):
    expected = {"errors": {"Idempotency-Key": ["1-128 printable characters."]}}
    with pytest.raises(Invalid) as direct:
        idempotency.checked_key(key)
    assert direct.value.extra == expected
    with pytest.raises(Invalid) as in_run:
        run(session, Work(), key, {"a": 1})
    assert in_run.value.extra == expected
    if isinstance(key, str):
        with pytest.raises(Invalid) as at_the_gateway:
            idempotency_key(SimpleNamespace(headers={"Idempotency-Key": key}))
        assert at_the_gateway.value.extra == expected

    class Carrying(StrictSchema):
        idempotency_key = idempotency.KeyField()

    with pytest.raises(Invalid) as in_a_payload:
        load(Carrying(), {"idempotency_key": key})
    assert in_a_payload.value.extra["errors"] == {
        "idempotency_key": ["1-128 printable characters."]
    }


def test_a_well_formed_key_passes():
    assert idempotency.checked_key(None) is None
    assert idempotency.checked_key("order-1 试试") == "order-1 试试"
    assert idempotency_key(SimpleNamespace(headers={})) is None


def test_orders_and_crm_keep_their_own_tables_of_one_shape():
    columns = {"id", "tenant_id", "member_id", "key", "request_hash", "created_at", "response"}
    assert {c.name for c in CrmKey.__table__.columns} == columns
    assert {c.name for c in OrdersKey.__table__.columns} == columns | {"order_id"}
    assert CrmKey.metadata is not OrdersKey.metadata


@pytest.fixture
def crm_session(make_session):
    return make_session(CrmBase, "crm")


def test_crm_redeems_once_per_key_and_answers_reuse_with_the_one_reason(crm_session, caller):
    session, member = crm_session, caller("member", tenant_id="t1", member_id="m1")
    with session.begin():
        session.add(
            ProductInfo(
                product_id="eggs",
                tenant_id="t1",
                name="土鸡蛋",
                category="蛋",
                tags=[],
                price_cents=900,
            )
        )
        loyalty.award_points(session, "t1", "m1", 500, "seed", "seed")
        leader = caller("leader", tenant_id="t1")
        eggs = rewards.create_reward(
            session,
            leader,
            {
                "name": "鸡蛋",
                "points_cost": 100,
                "kind": "goods_coupon",
                "coupon": {"product_id": "eggs", "valid_days": 30},
            },
        )
        other = rewards.create_reward(
            session,
            leader,
            {
                "name": "券",
                "points_cost": 100,
                "kind": "coupon",
                "coupon": {"kind": "fixed", "amount_cents": 300, "valid_days": 30},
            },
        )
    with session.begin():
        first = rewards.redeem(session, member, eggs["id"], "r-1")
    with session.begin():
        assert rewards.redeem(session, member, eggs["id"], "r-1") == first  # the stored answer
        assert loyalty.balance(session, "t1", "m1") == 400
    with pytest.raises(Conflict) as raised, session.begin():
        rewards.redeem(session, member, other["id"], "r-1")
    assert raised.value.extra == {"reason": "idempotency_key_reused"}
    with pytest.raises(Invalid) as malformed, session.begin():
        rewards.redeem(session, member, eggs["id"], "k" * 129)
    assert malformed.value.extra == {"errors": {"Idempotency-Key": ["1-128 printable characters."]}}


def test_a_redemption_made_before_crm_had_its_key_table_is_not_made_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm'}.db"
    command.upgrade(alembic_config("crm", url), "0006")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO reward_redemptions (id, tenant_id, member_id, reward_id, request_key, "
                "points, coupon_id, created_at) "
                "VALUES ('red1', 't1', 'm1', 'eggs', 'r-1', 100, 'c1', '2026-11-01 10:00:00')"
            )
        )
    upgrade("crm", url)
    with engine.connect() as connection:
        (row,) = connection.execute(
            text("SELECT tenant_id, member_id, key, request_hash, response FROM idempotency_keys")
        ).all()
    engine.dispose()
    assert tuple(row) == (
        "t1",
        "m1",
        "r-1",
        idempotency.fingerprint({"call": "redeem_reward", "reward_id": "eggs"}),
        None,
    )  # a retry of r-1 is refused (no stored answer), never redeemed again


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_web_ui_translates_the_one_reason(language):
    catalogue = json.loads(
        (REPO / "gateway" / "web" / "i18n" / f"{language}.json").read_text(encoding="utf-8")
    )
    assert catalogue[f"reason.{idempotency.REASON}"]
    assert not [
        key
        for key in catalogue
        if key.startswith("reason.idempotency") and key != f"reason.{idempotency.REASON}"
    ]
