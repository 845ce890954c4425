"""A living demo community, 「小雅的厨房」: twelve weeks of neighbourhood life, replayed.

    .venv/bin/python deploy/demo.py        # into $LINLI_DATA_DIR (default var/), after migrations

``make run`` runs it on the first start (an empty data directory); ``LINLI_DEMO=0`` starts
empty, ``LINLI_DEMO=1`` forces it. Nothing is written into tables by hand: every step is one of
the services' own entrypoints (the same nameko service classes ``make run`` starts, built with
``worker_factory`` around each service's own database), called in-process with a simulated
clock (``services.infra.db.set_clock``) so that history has its past timestamps. RPCs between
services (orders -> catalog, orders -> crm) are the same in-process calls; the events each call
writes to its outbox are delivered, in order, to every handler subscribed to them (through each
consumer's idempotent inbox) and marked published, so the relays of the running services have
nothing left to send.

Demo-only accounts (never use these anywhere real):
    leader:  13800000000 / xiaoya-demo-2026
    members: 13900000001 .. 13900000300 / linli-demo-2026   (13900000001 is 王芳, 3栋)
Their passwords are hashed with light argon2id parameters so that the first start stays fast.
"""

import os
import random
import sys
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLUG = "xiaoya-kitchen"
COMMUNITY = "小雅的厨房"
LEADER_PHONE, LEADER_PASSWORD = "13800000000", "xiaoya-demo-2026"
MEMBER_PASSWORD = "linli-demo-2026"
FIRST_MEMBER_PHONE = "13900000001"
TIMEZONE = ZoneInfo("Asia/Shanghai")
WEEKS = 12
RESIDENTS = 300
PICKUP_POINT = "小区东门 菜鸟驿站旁的小雅团购点"
BUILDINGS = ["1栋", "2栋", "3栋", "5栋", "6栋", "8栋"]

# name, category, unit, price (fen), story, honest notes
PRODUCTS = [
    ("阳山水蜜桃", "水果", "6只装", 8800, "无锡阳山果园直发，果农老周家第三代种桃。", "熟得快，到手两天内吃完；个头不完全一样大。"),
    ("赣南脐橙", "水果", "5斤", 3990, "江西赣州信丰的果园，冬天最甜的一口。", "表皮有风斑，不影响口感。"),
    ("烟台红富士", "水果", "5斤", 3590, "栖霞山地苹果，昼夜温差大，脆甜。", "不打蜡，果皮有自然果锈。"),
    ("海南金煌芒", "水果", "5斤", 4590, "三亚的大芒果，小雅每年都追这一批。", "需要常温放两三天再吃，青的时候别急。"),
    ("云南蓝莓", "水果", "4盒", 5990, "澄江的蓝莓基地，冷链到驿站。", "偶有一两颗软果，到货请先挑出来。"),
    ("丹东草莓", "水果", "3斤", 6990, "99红颜，东港的大棚草莓。", "草莓娇气，当天吃最好，不能久放。"),
    ("新疆阿克苏苹果", "水果", "5斤", 4290, "冰糖心，看运气也看光照。", "不是每个都有糖心，这点要说清楚。"),
    ("攀枝花石榴", "水果", "4只", 3290, "会理软籽石榴，籽能直接嚼。", "外皮有斑点属正常。"),
    ("本地小番茄", "蔬菜", "2斤", 1690, "城郊合作社的大棚，早上摘下午到。", "大小不一，偶有裂果。"),
    ("有机菠菜", "蔬菜", "1斤", 990, "认证有机基地，不打农药，所以有虫眼。", "有虫眼、带泥，请多洗两遍。"),
    ("山东大葱", "蔬菜", "3斤", 1290, "章丘大葱，葱白长、甜。", "外层叶子可能有点蔫，剥掉就好。"),
    ("小黄瓜", "蔬菜", "2斤", 1190, "水果黄瓜，生吃脆。", "弯的直的都有，味道一样。"),
    ("土豆", "蔬菜", "5斤", 1490, "内蒙古的黄心土豆，做土豆丝最好。", "带泥发货，放阴凉处别见光。"),
    ("农家土鸡蛋", "蛋奶", "30枚", 3990, "山里散养的鸡，蛋黄颜色深。", "蛋壳上偶有鸡毛和泥，是正常的；运输中偶有破损包赔。"),
    ("鲜牛奶", "蛋奶", "950ml×2", 2590, "本地牧场巴氏鲜奶，保质期只有7天。", "必须冷藏，取货后请尽快放冰箱。"),
    ("原味酸奶", "蛋奶", "6杯", 2290, "牧场自己做的老酸奶，糖放得少。", "偏酸，喜欢甜的可以加点蜂蜜。"),
    ("黑猪五花肉", "肉禽", "2斤", 6800, "浙江两头乌，散养一年以上。", "肥瘦比例每块不同，按块发货。"),
    ("冰鲜鸡腿", "肉禽", "2斤", 3290, "当天屠宰冰鲜，不是冻品。", "需要冷藏并在两天内吃完。"),
    ("牛腩块", "肉禽", "2斤", 8900, "内蒙古草饲牛，适合炖。", "有筋膜，炖久一点才软。"),
    ("舟山带鱼", "水产", "2斤", 5990, "东海带鱼，船冻。", "冻品，解冻后不要再冻。"),
    ("基围虾", "水产", "1斤", 5490, "本地塘养，活虾冰鲜发出。", "到手不是活虾，当天吃口感最好。"),
    ("五常大米", "粮油", "10斤", 6990, "五常稻花香2号，新米。", "新米水分高，煮饭水少放一点。"),
    ("东北小米", "粮油", "3斤", 2690, "黄小米，熬粥有米油。", "颗粒大小不一。"),
    ("压榨花生油", "粮油", "5L", 8990, "山东花生物理压榨。", "冬天低温会有絮状沉淀，是正常现象。"),
    ("手工挂面", "粮油", "3斤", 2190, "河南老师傅手工晾晒。", "易碎，运输中会有断面。"),
    ("土蜂蜜", "干货", "500g", 6800, "秦岭山里的中蜂百花蜜。", "会结晶，结晶不是掺糖。"),
    ("红枣", "干货", "2斤", 3290, "新疆若羌灰枣。", "个头不均，偶有裂口。"),
    ("香菇干", "干货", "250g", 3590, "福建古田的椴木香菇。", "泡发要提前两小时。"),
    ("核桃", "干货", "2斤", 4590, "云南纸皮核桃，手就能捏开。", "偶有空壳，按比例补发。"),
    ("桂圆干", "干货", "1斤", 3990, "莆田桂圆，果肉厚。", "有点甜腻，别一次吃太多。"),
    ("手工水饺", "速冻", "60只", 3990, "3栋李阿姨的手艺，猪肉白菜馅。", "手工包的，个头不完全一样。"),
    ("小笼包", "速冻", "24只", 2990, "无锡口味，偏甜。", "蒸10分钟，不要微波。"),
    ("芝麻汤圆", "速冻", "2袋", 2590, "宁波猪油汤圆。", "含猪油，素食的邻居请注意。"),
    ("全麦吐司", "烘焙", "1条", 1890, "小区门口面包房当天烤。", "无添加，常温只放两天。"),
    ("戚风蛋糕", "烘焙", "6寸", 4800, "面包房的招牌，少糖。", "需要冷藏，当天吃完。"),
    ("洗衣液", "日用", "3kg", 3990, "大牌工厂同线代工。", "香味比较淡。"),
    ("抽纸", "日用", "18包", 3590, "原生竹浆。", "颜色偏黄，是没有漂白。"),
    ("厨房纸", "日用", "6卷", 2290, "吸油吸水。", "比超市的小卷一点。"),
    ("龙井茶", "茶饮", "250g", 12800, "杭州梅家坞明前茶，茶农直供。", "今年产量少，价格比去年贵了一些。"),
    ("柠檬", "水果", "3斤", 1990, "安岳黄柠檬。", "酸，是真的酸。"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "艳", "勇", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "玉兰", "建国", "小红", "晓燕", "丹", "萍", "海燕", "春梅"]
COMMENTS = ["这个桃子上次买过，很甜！", "团长今天好美", "蛋还有吗？", "能不能送到楼下呀", "已下单",
            "请问牛奶几号到", "上次的饺子孩子很爱吃", "支持小雅！", "价格很实在", "这个怎么做好吃？"]


class Simulation:
    """The services' own entrypoints, in-process, on a simulated clock."""

    SERVICES = ("crm", "catalog", "orders", "fulfillment", "referral")

    def __init__(self):
        from sqlalchemy import event
        from sqlalchemy.orm import sessionmaker

        from services.catalog.service import CatalogService
        from services.crm.service import CrmService
        from services.fulfillment.service import FulfillmentService
        from services.infra.db import database_url, make_engine
        from services.orders import payments
        from services.orders.service import OrdersService
        from services.referral.service import ReferralService

        self.classes = {"crm": CrmService, "catalog": CatalogService, "orders": OrdersService,
                        "fulfillment": FulfillmentService, "referral": ReferralService}
        self.engines = {name: make_engine(database_url(name)) for name in self.SERVICES}
        for engine in self.engines.values():
            if engine.dialect.name == "sqlite":
                # A replay that fails is simply run again: no need to wait for the disk each commit.
                event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA synchronous=OFF"))
        self.makers = {name: sessionmaker(bind=engine, expire_on_commit=False) for name, engine in self.engines.items()}
        self.config = {"PUBLIC_URL": os.environ.get("LINLI_PUBLIC_URL", "http://127.0.0.1:8000")}
        self.payments = SimpleNamespace(providers=payments.providers_from(self.config), secret="demo",
                                        webhook_url=self.config["PUBLIC_URL"] + payments.WEBHOOK_PATH)
        self.subscribers = self._subscriptions()
        self.now = None
        self.events = 0
        self.dirty = set()  # services whose outbox may hold something new

    def _subscriptions(self):
        from nameko.events import EventHandler

        found = {}
        for name, cls in self.classes.items():
            for attribute in dir(cls):
                for entrypoint in getattr(getattr(cls, attribute), "nameko_entrypoints", ()):
                    if isinstance(entrypoint, EventHandler):
                        key = (entrypoint.source_service, entrypoint.event_type)
                        found.setdefault(key, []).append((name, attribute))
        return found

    # Timers that reach outside (HTTP, SMTP) or that the replay does itself at the right moment.
    NOT_REPLAYED = {"deliver_sandbox_notifications", "deliver", "close_due_waves", "prune_live_presence",
                    "release_abandoned_reservations", "prune_login_attempts"}

    def timers(self):
        """The services' periodic jobs (reminders, tags, predictions, unpaid timeouts...)."""
        from nameko.timer import Timer

        if not hasattr(self, "_timers"):
            self._timers = [(name, attribute) for name, cls in self.classes.items() for attribute in dir(cls)
                            if attribute not in self.NOT_REPLAYED
                            and any(isinstance(entrypoint, Timer)
                                    for entrypoint in getattr(getattr(cls, attribute), "nameko_entrypoints", ()))]
        return list(self._timers)

    def skip_timer(self, service, method):
        self._timers.remove((service, method))

    def call(self, service, method, caller, *args, **kwargs):
        """One entrypoint call, then every event it caused, delivered."""
        answer = self._invoke(service, method, caller or caller_for(None), *args, **kwargs)
        self.deliver()
        return answer

    def _invoke(self, service, method, caller, *args, **kwargs):
        from services.infra.messaging import EventInbox

        maker = self.makers[service]
        self.dirty.add(service)

        class Inbox(EventInbox):
            def Session(self):  # noqa: N802 (the provider's own name)
                return maker()

        session = maker()
        simulation = self

        class Remote:
            def __init__(self, caller):
                self.caller = caller

            def bind(self, context):
                from services.infra.context import Caller

                self.caller = Caller.from_context(context)
                return self

            def call(self, target, target_method, *args, timeout=None, **kwargs):
                return simulation._invoke(target, target_method, self.caller, *args, **kwargs)

        cls = self.classes[service]
        # As nameko's worker_factory does, without mocks for the providers we do not need.
        worker = cls()
        dependencies = {"db": session, "caller": caller, "remote": Remote(caller), "inbox": Inbox(),
                        "config": self.config, "payments": self.payments}
        for name, value in dependencies.items():
            if hasattr(cls, name):
                setattr(worker, name, value)
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            session.close()

    def deliver(self):
        """Every unpublished outbox event, oldest first, to each subscribed handler."""
        from sqlalchemy import select

        from services.infra.db import utcnow
        from services.infra.messaging import OutboxMessage

        while self.dirty:
            delivered = 0
            sources, self.dirty = [name for name in self.SERVICES if name in self.dirty], set()
            for source in sources:
                with self.makers[source].begin() as session:
                    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.published_at.is_(None))
                                           .order_by(OutboxMessage.id)).all()
                    payloads = [(row.event_type, row.payload) for row in rows]
                    for row in rows:
                        row.published_at = utcnow()
                for event_type, payload in payloads:
                    for consumer, method in self.subscribers.get((source, event_type), ()):
                        self._invoke(consumer, method, caller_for(None), payload)
                    delivered += 1
            self.events += delivered


def _utc(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def caller_for(identity, role=None):
    from services.infra.context import Caller

    if identity is None:  # someone not logged in (signing up, joining)
        return Caller.from_context({"correlation_id": uuid.uuid4().hex})
    return Caller(tenant_id=identity["tenant_id"], account_id=identity["account_id"],
                  member_id=identity.get("member_id"), role=role or identity["role"],
                  correlation_id=uuid.uuid4().hex)


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), TIMEZONE).astimezone(UTC)


def resident_names(rng, count):
    names = set()
    while len(names) < count:
        names.add(rng.choice(SURNAMES) + rng.choice(GIVEN))
    ordered = sorted(names)
    rng.shuffle(ordered)
    ordered.remove("王芳") if "王芳" in ordered else ordered.pop()
    return ["王芳", *ordered]


def generate(seed=2026, log=print, weeks=WEEKS, residents=RESIDENTS):
    """Replay ``weeks`` weeks of 小雅的厨房 into the services' databases (migrated already):
    a summary, or None when the community is already there."""
    from argon2 import PasswordHasher

    from services.crm.accounts import passwords
    from services.infra.db import set_clock
    from services.infra.errors import DomainError

    rng = random.Random(seed)
    sim = Simulation()
    set_clock(lambda: sim.now)
    # Demo accounts only: light argon2id parameters keep 300 sign-ups within the start budget.
    hasher, passwords._hasher = passwords._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        return _replay(sim, rng, log, DomainError, weeks, residents)
    finally:
        set_clock(None)
        passwords._hasher = hasher


def _replay(sim, rng, log, DomainError, weeks, population):
    from services.infra.errors import Conflict

    today = datetime.now(TIMEZONE).date()
    first_monday = today - timedelta(days=today.weekday() + 7 * weeks)
    sim.now = local(first_monday - timedelta(days=3), 20)

    try:
        leader_identity = sim.call("crm", "signup_leader", None, {
            "community_name": COMMUNITY, "slug": SLUG, "phone": LEADER_PHONE, "password": LEADER_PASSWORD,
            "display_name": "小雅"})
    except Conflict:
        return None

    def as_leader(service, method, *args):
        return sim.call(service, method, caller_for(leader_identity), *args)

    products = []
    for name, category, unit, price, story, notes in PRODUCTS:
        products.append(as_leader("catalog", "create_product", {
            "name": name, "category": category, "unit": unit, "price_cents": price, "stock": 100_000,
            "story": story, "honest_notes": notes, "description": f"{name}（{unit}）",
            "tags": [category]}))

    names = resident_names(rng, population)
    # Who joins when: a founding crowd in the first fortnight, then neighbours week by week.
    founders, second = population * 3 // 10, population // 6
    join_week = sorted([0] * founders + [1] * second +
                       [rng.randrange(2, max(3, weeks)) for _ in range(population - founders - second)])
    residents = []
    for number, (name, week) in enumerate(zip(names, join_week, strict=True), start=1):
        residents.append({
            "number": number, "name": name, "phone": f"139{number:08d}", "week": week,
            "building": "3栋" if number == 1 else rng.choice(BUILDINGS),
            "unit": f"{rng.randint(1, 18)}0{rng.randint(1, 4)}",
            "rhythm": 0.85 if number == 1 else rng.betavariate(2, 6),   # how often they order
            "watches": 0.9 if number == 1 else rng.betavariate(1.5, 4),  # how often they watch the live
            "identity": None, "caller": None,
        })

    summary = {"members": 0, "orders": 0, "paid": 0, "picked_up": 0, "refunds": 0, "live_sessions": 0,
               "after_sales": 0, "invited": 0}
    # When each resident joins (planned up front, so that nobody orders before joining).
    for resident in residents:
        day = first_monday + timedelta(days=7 * resident["week"] + rng.randrange(7))
        resident["joins_at"] = local(day, rng.randint(8, 21), rng.randrange(60))

    def run(actions):
        """Everything that happens, in time order: the clock only moves forward."""
        for moment, _, action in sorted(actions, key=lambda item: (item[0], item[1])):
            sim.now = max(sim.now, moment)
            try:
                action()
            except DomainError as exc:  # e.g. sold out: life goes on, as it would for a member
                log(f"  (demo: {type(exc).__name__}: {exc})")

    sequence = iter(range(10**9))

    def at(moment, action):
        return (moment, next(sequence), action)

    def join(resident):
        def act():
            payload = {"phone": resident["phone"], "password": MEMBER_PASSWORD, "name": resident["name"],
                       "building": resident["building"], "unit": resident["unit"], "invite_code": None}
            inviters = [r for r in residents if r["identity"] and r["building"] == resident["building"]]
            if resident["number"] > founders + second and inviters and rng.random() < 0.4:
                inviter = rng.choice(inviters)
                code = sim.call("referral", "get_my_referral", inviter["caller"])["invite_code"]
                sim.call("referral", "check_invite_code", None, SLUG, code)
                payload["invite_code"] = code
                summary["invited"] += 1
            resident["identity"] = sim.call("crm", "join_community", None, SLUG, payload)
            resident["caller"] = caller_for(resident["identity"])
            summary["members"] += 1
        return act

    def order(resident, channel_of, items, when, pay_after, week_orders, pickup_day):
        """A member orders; pays (confirmed by 小雅) or changes their mind; picks it up later."""
        placed = {}

        def place():
            placed.update(sim.call("orders", "place_order", resident["caller"], {
                "items": items, "channel": channel_of()}, idempotency_key=uuid.uuid4().hex))
            summary["orders"] += 1

        def pay():
            if not placed:
                return
            if pay_after is None:
                sim.call("orders", "cancel_order", resident["caller"], placed["id"])
                return
            as_leader("orders", "mark_paid", placed["id"])  # paid by WeChat transfer, confirmed by 小雅
            summary["paid"] += 1
            week_orders.append((placed["id"], channel_of()["type"], resident))

        def pick_up():
            if placed and pay_after is not None:
                collect(placed["id"], resident)

        picked_at = local(pickup_day + timedelta(days=rng.choice((0, 0, 1))), rng.randint(10, 20), rng.randrange(60))
        actions = [at(when, place), at(when + (pay_after or timedelta(minutes=20)), pay), at(picked_at, pick_up)]
        roll = rng.random()
        if roll < 0.02 and pay_after is not None:
            def refund():
                as_leader("orders", "refund_order", placed["id"], {"amount_cents": 500, "reason": "有一个坏果，退5元"})
                summary["refunds"] += 1
            actions.append(at(picked_at + timedelta(hours=2), lambda: placed and refund()))
        elif roll < 0.035 and pay_after is not None and hasattr(sim.classes["fulfillment"], "open_after_sale"):
            case = {}

            def open_case():
                case.update(sim.call("fulfillment", "open_after_sale", resident["caller"], placed["id"], {
                    "kind": "damaged", "description": "路上压坏了一些，拍了照片给团长"}))
                summary["after_sales"] += 1

            def resolve():  # 小雅 answers the next morning: money back for some, a coupon for others
                compensation = rng.choice(({"type": "refund", "amount": 800}, {"type": "coupon", "amount": 1000}))
                as_leader("fulfillment", "resolve_after_sale", case["id"], {"compensation": compensation})
            next_morning = local(picked_at.astimezone(TIMEZONE).date() + timedelta(days=1), 9, 30)
            actions += [at(picked_at + timedelta(hours=3), lambda: placed and open_case()),
                        at(next_morning, lambda: case and resolve())]
        return actions

    def choose(pool, most):
        return [{"product_id": product["id"], "quantity": rng.choice((1, 1, 1, 2))}
                for product in rng.sample(pool, rng.randint(1, most))]

    picked = set()

    def collect(order_id, resident):
        """The member shows the pickup code from the order page; 小雅 verifies it."""
        if order_id in picked:
            return
        shown = sim.call("orders", "get_order", resident["caller"], order_id)
        code = (shown.get("pickup") or {}).get("code")
        if code:
            as_leader("fulfillment", "verify_pickup", {"code": code})
            picked.add(order_id)
            summary["picked_up"] += 1

    current = {}  # this week's wave: its offer and orders, for members answering a reminder
    seen = {"at": None}
    pending = []  # reminders read, not yet acted on: (member_id, product_id, sent_at)

    def answer_reminders():
        """A member reads a repurchase reminder (复购提醒) in their inbox and, often enough, buys
        the product again when a wave has it within the next days. (What they read is looked up
        here, read only, instead of listing 300 inboxes every day.)"""
        from sqlalchemy import select

        from services.crm.models import Reminder

        with sim.makers["crm"]() as crm:
            query = select(Reminder.member_id, Reminder.product_id, Reminder.sent_at).order_by(Reminder.sent_at)
            if seen["at"] is not None:
                query = query.where(Reminder.sent_at > seen["at"])
            fresh = crm.execute(query).all()
        if fresh:
            seen["at"] = fresh[-1][2]
        pending.extend(reminder for reminder in fresh if rng.random() < 0.7)  # some just ignore it
        by_member = {r["identity"]["member_id"]: r for r in residents if r["identity"]}
        on_offer = {p["id"] for p in current.get("offer", ())}
        for reminder in list(pending):
            member_id, product_id, sent_at = reminder
            if sim.now - _utc(sent_at) > timedelta(days=2, hours=12):
                pending.remove(reminder)  # too late now
                continue
            resident = by_member.get(member_id)
            if resident is None or product_id not in on_offer or current["closes_at"] <= sim.now:
                continue
            pending.remove(reminder)
            sim.now += timedelta(minutes=rng.randint(5, 40))
            placed = sim.call("orders", "place_order", resident["caller"], {
                "items": [{"product_id": product_id, "quantity": 1}],
                "channel": {"type": "wave", "id": current["state"]["wave"]["id"]}}, idempotency_key=uuid.uuid4().hex)
            summary["orders"] += 1
            sim.now += timedelta(minutes=rng.randint(2, 12))
            as_leader("orders", "mark_paid", placed["id"])
            summary["paid"] += 1
            current["orders"].append((placed["id"], "wave", resident))
            summary["answered_reminders"] = summary.get("answered_reminders", 0) + 1

    def timers():
        for service, method in sim.timers():
            try:
                sim.call(service, method, caller_for(None))
            except Exception as exc:  # a timer this replay cannot run is left to the live service
                log(f"  (demo: timer {service}.{method} skipped: {type(exc).__name__}: {exc})")
                sim.skip_timer(service, method)
        if hasattr(sim.classes["crm"], "automate"):
            answer_reminders()

    carried = []
    for week in range(weeks):
        monday = first_monday + timedelta(days=7 * week)
        wednesday, saturday = monday + timedelta(days=2), monday + timedelta(days=5)
        offer = rng.sample(products, 10)
        live_offer = rng.sample([p for p in products if p not in offer], 4)
        state, week_orders = {}, []

        def open_week(week=week, monday=monday, wednesday=wednesday, offer=offer, live_offer=live_offer,
                      state=state, week_orders=week_orders):
            current.update(state=state, offer=offer, orders=week_orders,
                           closes_at=local(monday + timedelta(days=3), 19, 30))
            state["wave"] = as_leader("catalog", "create_wave", {
                "title": f"第{week + 1}周 小雅团购", "cutoff_at": local(monday + timedelta(days=3), 20).isoformat(),
                "pickup_at": local(monday + timedelta(days=5), 9).isoformat(), "pickup_point": PICKUP_POINT,
                "packing_note": "鸡蛋单独装袋，牛奶放冰袋。",
                "items": [{"product_id": p["id"], "price_cents": p["price_cents"]} for p in offer]})
            state["live"] = as_leader("catalog", "create_live_session", {
                "title": f"周三晚上好物直播（第{week + 1}期）", "host_persona": "小雅，3栋的宝妈，爱做饭",
                "scheduled_at": local(wednesday, 19, 30).isoformat(),
                "items": [{"product_id": p["id"], "live_price_cents": max(100, p["price_cents"] * 85 // 100),
                           "quota": 40, "per_member_limit": 2} for p in live_offer]})

        actions = carried + [at(local(monday, 8), open_week)]
        for day in range(7):  # the periodic jobs once a day (reminders, tags, overdue pickups...)
            actions.append(at(local(monday + timedelta(days=day), 10, 5), timers))
        actions += [at(r["joins_at"], join(r)) for r in residents if r["week"] == week]

        def wave_channel(state=state):
            return {"type": "wave", "id": state["wave"]["id"]}

        def live_channel(state=state):
            return {"type": "live", "id": state["live"]["id"]}

        for resident in residents:
            if rng.random() < resident["rhythm"]:
                when = local(monday + timedelta(days=rng.randint(0, 3)), rng.randint(9, 19), rng.randrange(60))
                if resident["joins_at"] < when:
                    pay_after = None if rng.random() < 0.04 else timedelta(minutes=rng.randint(2, 12))
                    actions += order(resident, wave_channel, choose(offer, 3), when, pay_after, week_orders, saturday)
        # The Wednesday evening live session (直播).
        summary["live_sessions"] += 1
        actions.append(at(local(wednesday, 19, 30), lambda state=state: as_leader(
            "catalog", "start_live_session", state["live"]["id"])))
        for resident in residents:
            arrive = local(wednesday, 19, 31) + timedelta(minutes=rng.randint(0, 40))
            if resident["joins_at"] < arrive and rng.random() < resident["watches"]:
                connection = uuid.uuid4().hex
                actions.append(at(arrive, lambda r=resident, c=connection, state=state: sim.call(
                    "catalog", "join_live_room", r["caller"], state["live"]["id"], c, "demo")))
                if rng.random() < 0.35:
                    actions.append(at(arrive + timedelta(minutes=2), lambda r=resident, state=state: sim.call(
                        "catalog", "post_live_comment", r["caller"], state["live"]["id"],
                        {"text": rng.choice(COMMENTS)})))
                if rng.random() < 0.35:
                    actions += order(resident, live_channel, choose(live_offer, 2),
                                     arrive + timedelta(minutes=rng.randint(3, 20)),
                                     timedelta(minutes=rng.randint(1, 10)), week_orders, saturday)
                actions.append(at(local(wednesday, 20, 45), lambda c=connection, r=resident: sim.call(
                    "catalog", "leave_live_room", r["caller"], c)))
        actions.append(at(local(wednesday, 20, 50), lambda state=state: as_leader(
            "catalog", "end_live_session", state["live"]["id"])))

        # Thursday 20:00 the wave closes; Friday packed and on its way; Saturday at the pickup point.
        actions.append(at(local(monday + timedelta(days=3), 20), lambda state=state: as_leader(
            "catalog", "close_wave", state["wave"]["id"])))
        for status, day, hour in (("packed", 4, 9), ("delivering", 4, 15), ("ready_for_pickup", 5, 9)):
            def move(status=status, state=state, week_orders=week_orders):
                as_leader("fulfillment", "move_wave", state["wave"]["id"], {"status": status})
                for order_id, channel, _ in week_orders:
                    if channel == "live":
                        as_leader("fulfillment", "move_order", order_id, {"status": status,
                                                                          "pickup_point": PICKUP_POINT})
            actions.append(at(local(monday + timedelta(days=day), hour), move))

        # Sunday evening: whatever is still at the pickup point is collected (or brought round).
        actions.append(at(local(monday + timedelta(days=6), 19, 30), lambda week_orders=week_orders: [
            collect(order_id, resident) for order_id, _, resident in list(week_orders)]))
        next_monday = local(monday + timedelta(days=7), 8)
        carried = [action for action in actions if action[0] >= next_monday]
        run([action for action in actions if action[0] < next_monday])
        log(f"  week {week + 1:2d}: {len([r for r in residents if r['identity']])} members, "
            f"{summary['paid']} paid orders so far")
    run(carried)
    summary["events"] = sim.events
    return summary


def main():
    import time as clock

    from services.infra.migrations import upgrade

    began = clock.monotonic()
    for service in Simulation.SERVICES:
        upgrade(service)
    print(f"demo: replaying {WEEKS} weeks of {COMMUNITY} ...", flush=True)
    summary = generate(log=lambda line: print(f"demo:{line}", flush=True))
    if summary is None:
        print(f"demo: {COMMUNITY} is already there; nothing to do")
    else:
        print(f"demo: done in {clock.monotonic() - began:.0f} s: {summary}")
    print(f"demo: log in as the leader: {LEADER_PHONE} / {LEADER_PASSWORD} (community {SLUG})")
    print(f"demo: log in as a member:   {FIRST_MEMBER_PHONE} / {MEMBER_PASSWORD} (王芳, 3栋) — demo only")


if __name__ == "__main__":
    main()
