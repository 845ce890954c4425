"""The automation engine (自动化营销), rewards (积分兑换) and recommendations: validation, each
trigger, exactly once across a simulated restart and a lost race, quiet hours, birthday at 9:00
local, stats; redemption with Idempotency-Key and too few points; recommendation exclusions."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from services.crm import handlers, loyalty
from services.crm.engagement import automation, campaigns, recommendations
from services.crm.loyalty import rewards
from services.crm.models import (
    Account,
    Base,
    CampaignRun,
    Community,
    Coupon,
    InboxMessage,
    Member,
    MemberTag,
    PointsEntry,
    ProductInfo,
    Purchase,
)
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai
NO_QUIET = {"quiet_hours": {"start": "00:00", "end": "00:00"}}


@pytest.fixture
def Session(session_factory):
    factory = session_factory(Base, "crm")
    session = factory()
    with session.begin():
        session.add(
            Community(
                id="t1",
                slug="t1-slug",
                name="阳光团",
                leader_display_name="王姐",
                timezone="Asia/Shanghai",
                settings=dict(NO_QUIET),
                created_at=NOW - timedelta(days=400),
            )
        )
        session.add(
            Community(
                id="t2",
                slug="t2-slug",
                name="别的团",
                leader_display_name="赵姐",
                timezone="Asia/Shanghai",
                settings=dict(NO_QUIET),
            )
        )
        session.flush()
        for n, (name, birthday) in enumerate(
            (("李姐", "1980-11-30"), ("张哥", "1975-03-02"), ("小王", None)), 1
        ):
            session.add(
                Account(
                    id=f"a{n}",
                    tenant_id="t1",
                    phone=f"1390000000{n}",
                    password_hash="x",
                    role="member",
                    display_name=name,
                )
            )
            session.flush()
            session.add(
                Member(
                    id=f"m{n}",
                    tenant_id="t1",
                    account_id=f"a{n}",
                    name=name,
                    building="3",
                    unit="501",
                    birthday=birthday,
                    status="active",
                    created_at=NOW - timedelta(days=100),
                    activated_at=NOW - timedelta(days=100),
                )
            )
    session.close()
    yield factory


@pytest.fixture
def session(Session):
    session = Session()
    yield session
    session.close()


def leader(caller):
    return caller("leader", tenant_id="t1")


def create(session, caller, **changes):
    body = {
        "name": "新人礼",
        "trigger": {"type": "member_joined"},
        "actions": [
            {"type": "message", "template": "{name},欢迎加入{community}!"},
            {"type": "coupon", "amount_cents": 300, "min_spend_cents": 1000, "valid_days": 7},
        ],
        **changes,
    }
    with session.begin():
        return campaigns.create_campaign(session, leader(caller), body)


def run(Session, now=NOW):
    """One timer tick on a fresh session: what a restarted process would do."""
    session = Session()
    try:
        return automation.tick(session, now)
    finally:
        session.close()


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"actions": []},
        {"actions": [{"type": "coupon", "amount_cents": -100, "valid_days": 7}]},
        {"actions": [{"type": "coupon", "amount_cents": 100}]},
        {"actions": [{"type": "message", "template": "x" * 501}]},
        {"actions": [{"type": "message", "template": "   "}]},
        {"actions": [{"type": "message", "template": "hi", "amount": 3}]},
        {"actions": [{"type": "points", "amount": 0}]},
        {"trigger": {"type": "anniversary"}},
        {"trigger": {"type": "birthday", "days": 3}},
        {"schedule": {"hour": 24}},
        {"name": ""},
    ],
)
def test_bad_campaigns_are_422_and_nothing_changes(session, caller, changes):
    with pytest.raises(Invalid):
        create(session, caller, **changes)
    with session.begin():
        assert (
            campaigns.list_campaigns(session, leader(caller), {})["items"][0]["system"]
            == "birthday"
        )
        assert len(campaigns.list_campaigns(session, leader(caller), {})["items"]) == 1


def test_members_and_staff_cannot_manage_campaigns_and_others_are_404(session, caller):
    with pytest.raises(Forbidden):
        create(session, lambda *a, **k: caller("member", tenant_id="t1", member_id="m1"))
    made = create(session, caller)
    with pytest.raises(NotFound), session.begin():
        campaigns.get_campaign(session, caller("leader", tenant_id="t2"), made["id"])


# --- triggers, once, quiet hours -------------------------------------------------------------


def test_member_joined_acts_once_even_across_a_restart(Session, session, caller):
    made = create(session, caller)
    with session.begin():  # made at NOW; then a member becomes active
        session.get(campaigns.Campaign, made["id"]).created_at = NOW
        session.add(
            Account(
                id="a9",
                tenant_id="t1",
                phone="13900000009",
                password_hash="x",
                role="member",
                display_name="新邻居",
            )
        )
        session.flush()
        session.add(
            Member(
                id="m9",
                tenant_id="t1",
                account_id="a9",
                name="新邻居",
                building="3",
                unit="1",
                status="active",
                created_at=NOW + timedelta(minutes=1),
                activated_at=NOW + timedelta(minutes=1),
            )
        )
    later = NOW + timedelta(minutes=2)
    assert run(Session, later) == 1  # the older members joined before the campaign: not "new"
    assert run(Session, later) == 0  # a restarted process finds the run's key
    with session.begin():
        [message] = session.query(InboxMessage).filter_by(kind="campaign").all()
        [coupon] = session.query(Coupon).all()
        stats = campaigns.get_campaign(session, leader(caller), made["id"])["stats"]
    assert message.member_id == "m9" and message.params["body"] == "新邻居,欢迎加入阳光团!"
    assert coupon.member_id == "m9" and coupon.amount_cents == 300 and coupon.source == "campaign"
    assert stats == {"sent": 1, "converted": 0, "revenue_cents": 0}


def test_a_process_that_loses_the_race_rolls_back_its_actions(Session, session, caller):
    create(session, caller, trigger={"type": "inactive", "days": 30})
    first, second = Session(), Session()
    with first.begin():
        community = first.get(Community, "t1")
        campaign = first.query(campaigns.Campaign).filter_by(system_key=None).one()
        assert automation.run_campaign(first, campaign, community, NOW) == 3
        # Meanwhile the other process, which saw no runs yet, also acts: its flush of the run key
        # fails and its whole transaction (the actions too) rolls back.
    with pytest.raises(IntegrityError), second.begin():
        campaign = second.get(campaigns.Campaign, campaign.id)
        found = automation.occurrences(second, campaign, second.get(Community, "t1"), NOW)
        for member, occurrence, _params in found:
            second.add(
                CampaignRun(
                    tenant_id="t1",
                    campaign_id=campaign.id,
                    member_id=member.id,
                    occurrence=occurrence,
                    sent_at=NOW,
                )
            )
            second.flush()
    first.close()
    second.close()
    with session.begin():
        assert session.query(CampaignRun).count() == 3
        assert session.query(Coupon).count() == 3


def test_a_crash_before_commit_leaves_nothing_and_the_next_tick_acts_once(Session, session, caller):
    create(session, caller, trigger={"type": "inactive"})
    crashed = Session()
    crashed.begin()
    community = crashed.get(Community, "t1")
    assert automation.run_community(crashed, community, NOW) == 3
    crashed.rollback()  # the process died before committing
    crashed.close()
    with session.begin():
        assert session.query(CampaignRun).count() == 0 and session.query(Coupon).count() == 0
    assert run(Session) == 3
    assert run(Session) == 0
    with session.begin():
        assert session.query(Coupon).count() == 3


def test_birthday_greeting_is_every_communitys_first_campaign_at_9_local(Session, session, caller):
    assert (
        run(Session, datetime(2026, 11, 29, 15, 59, tzinfo=UTC)) == 0
    )  # 23:59 local the day before
    assert run(Session, datetime(2026, 11, 30, 0, 59, tzinfo=UTC)) == 0  # 08:59 local
    with session.begin():
        [greeting] = campaigns.list_campaigns(session, leader(caller), {})["items"]
        assert greeting["system"] == "birthday" and greeting["schedule"] == {"hour": 9}
    assert run(Session, datetime(2026, 11, 30, 1, 0, tzinfo=UTC)) == 1  # 09:00 local: 李姐 only
    assert run(Session, datetime(2026, 11, 30, 5, 0, tzinfo=UTC)) == 0  # once that day
    with session.begin():
        [coupon] = session.query(Coupon).all()
        [message] = session.query(InboxMessage).all()
        assert coupon.member_id == "m1" and coupon.source == "birthday"
        assert message.params["body"].startswith("李姐,生日快乐")
        assert campaigns.ensure_defaults(session, "t1") is None
        assert len(campaigns.list_campaigns(session, leader(caller), {})["items"]) == 1  # made once
    # Next year, again.
    assert run(Session, datetime(2027, 11, 30, 1, 0, tzinfo=UTC)) == 1


def test_quiet_hours_hold_campaigns_back(Session, session, caller):
    with session.begin():
        session.get(Community, "t1").settings = {"quiet_hours": {"start": "21:00", "end": "08:00"}}
    create(session, caller, trigger={"type": "inactive"}, schedule={})
    assert run(Session, datetime(2026, 11, 24, 14, 0, tzinfo=UTC)) == 0  # 22:00 local
    assert run(Session, datetime(2026, 11, 25, 0, 0, tzinfo=UTC)) == 3  # 08:00 local


def test_audience_by_tags_and_inactive_by_last_paid_order(Session, session, caller):
    with session.begin():
        session.add(MemberTag(member_id="m2", tag="宝妈", source="manual", tenant_id="t1"))
        session.add(MemberTag(member_id="m3", tag="宝妈", source="manual", tenant_id="t1"))
        session.add(
            Purchase(
                order_id="o3",
                tenant_id="t1",
                member_id="m3",
                status="paid",
                total_cents=100,
                lines=[],
                placed_at=NOW - timedelta(days=5),
            )
        )
    create(
        session,
        caller,
        trigger={"type": "inactive", "days": 30},
        audience={"tags_any": ["宝妈"]},
        actions=[{"type": "points", "amount": 50}],
    )
    assert run(Session) == 1  # m2: tagged and inactive (m3 ordered 5 days ago, m1 is not tagged)
    with session.begin():
        [entry] = session.query(PointsEntry).all()
        assert (
            entry.member_id == "m2"
            and entry.delta == 50
            and loyalty.balance(session, "t1", "m2") == 50
        )


def test_repurchase_due_campaign_with_the_product_in_the_message(Session, session, caller):
    with session.begin():
        session.add(
            ProductInfo(product_id="milk", tenant_id="t1", name="鲜奶", category="乳品", tags=[])
        )
        session.get(Member, "m2").reminders_opt_out = True
    for member_id in ("m1", "m2"):
        for n, days in enumerate((34, 27, 20, 13, 6)):
            event = {
                "tenant_id": "t1",
                "occurred_at": (NOW - timedelta(days=days)).isoformat(),
                "data": {
                    "order_id": f"o{member_id}{n}",
                    "member_id": member_id,
                    "total_cents": 1500,
                    "placed_at": (NOW - timedelta(days=days)).isoformat(),
                    "lines": [{"product_id": "milk", "quantity": 1, "unit_price_cents": 1500}],
                },
            }
            with session.begin():
                handlers.record_order_paid(session, event)
    made = create(
        session,
        caller,
        name="补货券",
        trigger={"type": "repurchase_due", "days": 2},
        actions=[{"type": "message", "template": "{name},{product}快用完了,送您一张券"}],
    )
    assert run(Session, NOW + timedelta(hours=1)) == 1  # m1 (m2 opted out)
    with session.begin():
        [message] = (
            session.query(InboxMessage)
            .filter(InboxMessage.params["title"].as_string() == "补货券")
            .all()
        )
        assert (
            message.member_id == "m1" and message.params["body"] == "李姐,鲜奶快用完了,送您一张券"
        )
        # m1 pays an order within 7 days: converted, with its revenue.
        session.add(
            Purchase(
                order_id="o-after",
                tenant_id="t1",
                member_id="m1",
                status="paid",
                total_cents=2600,
                refunded_cents=600,
                lines=[],
                placed_at=NOW + timedelta(days=2),
            )
        )
    with session.begin():
        assert campaigns.get_campaign(session, leader(caller), made["id"])["stats"] == {
            "sent": 1,
            "converted": 1,
            "revenue_cents": 2000,
        }


def test_paused_campaigns_do_nothing(Session, session, caller):
    made = create(session, caller, trigger={"type": "inactive"})
    with session.begin():
        campaigns.update_campaign(session, leader(caller), made["id"], {"active": False})
        greeting = session.query(campaigns.Campaign).filter_by(system_key="birthday").first()
        if greeting is not None:
            greeting.active = False
    assert run(Session) == 0


# --- rewards ---------------------------------------------------------------------------------


def test_redeeming_spends_points_and_issues_the_coupon_once_per_key(session, caller):
    member = caller("member", tenant_id="t1", member_id="m1")
    with session.begin():
        session.add(
            ProductInfo(
                product_id="eggs",
                tenant_id="t1",
                name="土鸡蛋 10枚",
                category="蛋",
                tags=[],
                price_cents=1800,
            )
        )
        loyalty.award_points(session, "t1", "m1", 150, "seed", "seed")
        eggs = rewards.create_reward(
            session,
            leader(caller),
            {
                "name": "一盒鸡蛋",
                "points_cost": 100,
                "kind": "goods_coupon",
                "coupon": {"product_id": "eggs", "valid_days": 30},
            },
        )
    with session.begin():
        first = rewards.redeem(session, member, eggs["id"], "key-1")
    with session.begin():
        again = rewards.redeem(session, member, eggs["id"], "key-1")
    assert again["id"] == first["id"] and first["balance"] == 50 and first["points_spent"] == 100
    assert first["coupon"]["amount_cents"] == 1800 and first["coupon"]["min_spend_cents"] == 1800
    assert first["coupon"]["source"] == "reward"
    with pytest.raises(Conflict) as short, session.begin():  # 50 points left
        rewards.redeem(session, member, eggs["id"], "key-2")
    assert short.value.extra["reason"] == "points_insufficient"
    with session.begin():
        assert loyalty.balance(session, "t1", "m1") == 50
        assert session.query(Coupon).count() == 1
        [spent] = session.query(PointsEntry).filter_by(kind="redeemed").all()
        assert spent.delta == -100


def test_rewards_validation_and_visibility(session, caller):
    with pytest.raises(Invalid), session.begin():
        rewards.create_reward(
            session,
            leader(caller),
            {
                "name": "券",
                "points_cost": 10,
                "kind": "coupon",
                "coupon": {"kind": "fixed", "amount_cents": -5, "valid_days": 3},
            },
        )
    with pytest.raises(Invalid), session.begin():
        rewards.create_reward(
            session,
            leader(caller),
            {
                "name": "蛋",
                "points_cost": 10,
                "kind": "goods_coupon",
                "coupon": {"product_id": "nope", "valid_days": 3},
            },
        )
    with session.begin():
        made = rewards.create_reward(
            session,
            leader(caller),
            {
                "name": "5元券",
                "points_cost": 500,
                "kind": "coupon",
                "coupon": {"kind": "fixed", "amount_cents": 500, "valid_days": 30},
            },
        )
        rewards.update_reward(session, leader(caller), made["id"], {"active": False})
        member = caller("member", tenant_id="t1", member_id="m1")
        assert rewards.list_rewards(session, member, {})["items"] == []
        assert len(rewards.list_rewards(session, leader(caller), {})["items"]) == 1
    with pytest.raises(Conflict), session.begin():
        rewards.redeem(session, member, made["id"])


# --- recommendations -------------------------------------------------------------------------


def test_recommendations_exclude_recent_and_out_of_stock():
    def order(member, days, *ids, status="paid"):
        return {
            "member_id": member,
            "status": status,
            "placed_at": NOW - timedelta(days=days),
            "lines": [{"product_id": p, "quantity": 1} for p in ids],
        }

    products = {
        "milk": {"name": "鲜奶", "category": "乳品", "price_cents": 1000},
        "bread": {"name": "面包", "category": "烘焙", "price_cents": 800},
        "jam": {"name": "果酱", "category": "调味", "price_cents": 900, "in_stock": False},
        "organic_milk": {"name": "有机鲜奶", "category": "乳品", "price_cents": 1800},
        "caviar_milk": {"name": "天价奶", "category": "乳品", "price_cents": 9000},
        "apple": {"name": "苹果", "category": "水果", "price_cents": 500},
        "pear": {"name": "梨", "category": "水果", "price_cents": 500, "on_sale": False},
        "eggs": {"name": "鸡蛋", "category": "蛋", "price_cents": 1200},
    }
    purchases = [
        order("me", 20, "milk"),
        order("me", 3, "eggs"),
        order("n1", 10, "milk", "bread", "jam"),
        order("n2", 12, "milk", "bread"),
        order("n3", 2, "apple"),
        order("n3", 2, "apple"),
        order("n4", 1, "pear", "eggs"),
    ]
    found = recommendations.recommend("me", purchases, products, NOW)
    assert [(r["product_id"], r["reason"]) for r in found] == [
        ("bread", "bought_together"),
        ("organic_milk", "upgrade"),
        ("apple", "popular"),
    ]
    assert found[0]["score"] == 2


def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years(Session, session):
    with session.begin():
        session.get(Member, "m2").birthday = "2000-02-29"
    assert (
        run(Session, datetime(2027, 2, 28, 1, 0, tzinfo=UTC)) == 1
    )  # 09:00 local, 2027 has no 29 Feb
    assert run(Session, datetime(2028, 2, 28, 1, 0, tzinfo=UTC)) == 0  # 2028 has one
    assert run(Session, datetime(2028, 2, 29, 1, 0, tzinfo=UTC)) == 1
    with session.begin():
        assert {c.member_id for c in session.query(Coupon)} == {"m2"}


def test_catalog_tells_crm_when_a_product_sells_out_and_comes_back(make_session, session, caller):
    """Stock transitions (not every sale) reach crm's read model, and recommendations follow."""
    from services.catalog import handlers as catalog
    from services.catalog.models import Base as CatalogBase
    from services.infra.messaging import OutboxMessage

    shop = make_session(CatalogBase, "catalog")
    boss, buyer = caller("leader", tenant_id="t1"), caller("member", tenant_id="t1", member_id="m1")
    with shop.begin():
        bread = catalog.create_product(
            shop, boss, {"name": "面包", "category": "烘焙", "price_cents": 800, "stock": 2}
        )
    with shop.begin():
        catalog.reserve_stock(
            shop,
            buyer,
            {"reservation_key": "o1", "items": [{"product_id": bread["id"], "quantity": 1}]},
        )
    with shop.begin():
        catalog.reserve_stock(
            shop,
            buyer,
            {"reservation_key": "o2", "items": [{"product_id": bread["id"], "quantity": 1}]},
        )
    with shop.begin():
        catalog.release_stock(shop, boss, "o2")
    with shop.begin():
        told = [row.payload for row in shop.query(OutboxMessage).order_by(OutboxMessage.id)]
    assert [(e["event_type"], e["data"]["in_stock"]) for e in told] == [
        ("product_created", True),
        ("product_updated", False),
        ("product_updated", True),
    ]  # the first sale: nothing

    def recommended():
        with session.begin():
            return [
                r["product_id"]
                for r in recommendations.my_recommendations(
                    session, caller("member", tenant_id="t1", member_id="m2")
                )["items"]
            ]

    with session.begin():
        session.add(
            Purchase(
                order_id="p1",
                tenant_id="t1",
                member_id="m1",
                status="paid",
                total_cents=800,
                lines=[{"product_id": bread["id"], "quantity": 1}],
                placed_at=datetime.now(UTC),
            )
        )
    for event in told[:2]:
        with session.begin():
            handlers.record_product(session, {**event, "tenant_id": "t1"})
        if event["data"]["in_stock"]:
            assert recommended() == [bread["id"]]  # popular this week
        else:
            assert recommended() == []  # sold out: not offered
