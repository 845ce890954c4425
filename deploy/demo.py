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
nothing left to send. The services' periodic jobs run once a simulated day; one that fails stops
the replay with exit status 1 and its cause, since the running services would fail the same way.

Demo-only accounts (never use these anywhere real):
    leader:  13800000000 / xiaoya-demo-2026
    members: 13900000001 .. 13900000300 / linli-demo-2026   (13900000001 is 王芳, 3栋)
Their passwords are hashed with light argon2id parameters so that the first start stays fast.
"""

import itertools
import os
import random
import sys
import traceback
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nameko.events import EventHandler  # noqa: E402
from nameko.timer import Timer  # noqa: E402

from services.infra.context import Caller  # noqa: E402
from services.infra.errors import Conflict, DomainError  # noqa: E402
from services.infra.messaging import EventInbox  # noqa: E402
from services.infra.rpc import DEFAULT_TIMEOUT, RpcClient  # noqa: E402
from services.infra.topology import SERVICES  # noqa: E402 (the repository is on the path now)

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
    (
        "阳山水蜜桃",
        "水果",
        "6只装",
        8800,
        "无锡阳山果园直发，果农老周家第三代种桃。",
        "熟得快，到手两天内吃完；个头不完全一样大。",
    ),
    (
        "赣南脐橙",
        "水果",
        "5斤",
        3990,
        "江西赣州信丰的果园，冬天最甜的一口。",
        "表皮有风斑，不影响口感。",
    ),
    (
        "烟台红富士",
        "水果",
        "5斤",
        3590,
        "栖霞山地苹果，昼夜温差大，脆甜。",
        "不打蜡，果皮有自然果锈。",
    ),
    (
        "海南金煌芒",
        "水果",
        "5斤",
        4590,
        "三亚的大芒果，小雅每年都追这一批。",
        "需要常温放两三天再吃，青的时候别急。",
    ),
    (
        "云南蓝莓",
        "水果",
        "4盒",
        5990,
        "澄江的蓝莓基地，冷链到驿站。",
        "偶有一两颗软果，到货请先挑出来。",
    ),
    (
        "丹东草莓",
        "水果",
        "3斤",
        6990,
        "99红颜，东港的大棚草莓。",
        "草莓娇气，当天吃最好，不能久放。",
    ),
    (
        "新疆阿克苏苹果",
        "水果",
        "5斤",
        4290,
        "冰糖心，看运气也看光照。",
        "不是每个都有糖心，这点要说清楚。",
    ),
    ("攀枝花石榴", "水果", "4只", 3290, "会理软籽石榴，籽能直接嚼。", "外皮有斑点属正常。"),
    ("本地小番茄", "蔬菜", "2斤", 1690, "城郊合作社的大棚，早上摘下午到。", "大小不一，偶有裂果。"),
    (
        "有机菠菜",
        "蔬菜",
        "1斤",
        990,
        "认证有机基地，不打农药，所以有虫眼。",
        "有虫眼、带泥，请多洗两遍。",
    ),
    ("山东大葱", "蔬菜", "3斤", 1290, "章丘大葱，葱白长、甜。", "外层叶子可能有点蔫，剥掉就好。"),
    ("小黄瓜", "蔬菜", "2斤", 1190, "水果黄瓜，生吃脆。", "弯的直的都有，味道一样。"),
    ("土豆", "蔬菜", "5斤", 1490, "内蒙古的黄心土豆，做土豆丝最好。", "带泥发货，放阴凉处别见光。"),
    (
        "农家土鸡蛋",
        "蛋奶",
        "30枚",
        3990,
        "山里散养的鸡，蛋黄颜色深。",
        "蛋壳上偶有鸡毛和泥，是正常的；运输中偶有破损包赔。",
    ),
    (
        "鲜牛奶",
        "蛋奶",
        "950ml×2",
        2590,
        "本地牧场巴氏鲜奶，保质期只有7天。",
        "必须冷藏，取货后请尽快放冰箱。",
    ),
    (
        "原味酸奶",
        "蛋奶",
        "6杯",
        2290,
        "牧场自己做的老酸奶，糖放得少。",
        "偏酸，喜欢甜的可以加点蜂蜜。",
    ),
    (
        "黑猪五花肉",
        "肉禽",
        "2斤",
        6800,
        "浙江两头乌，散养一年以上。",
        "肥瘦比例每块不同，按块发货。",
    ),
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
    (
        "手工水饺",
        "速冻",
        "60只",
        3990,
        "3栋李阿姨的手艺，猪肉白菜馅。",
        "手工包的，个头不完全一样。",
    ),
    ("小笼包", "速冻", "24只", 2990, "无锡口味，偏甜。", "蒸10分钟，不要微波。"),
    ("芝麻汤圆", "速冻", "2袋", 2590, "宁波猪油汤圆。", "含猪油，素食的邻居请注意。"),
    ("全麦吐司", "烘焙", "1条", 1890, "小区门口面包房当天烤。", "无添加，常温只放两天。"),
    ("戚风蛋糕", "烘焙", "6寸", 4800, "面包房的招牌，少糖。", "需要冷藏，当天吃完。"),
    ("洗衣液", "日用", "3kg", 3990, "大牌工厂同线代工。", "香味比较淡。"),
    ("抽纸", "日用", "18包", 3590, "原生竹浆。", "颜色偏黄，是没有漂白。"),
    ("厨房纸", "日用", "6卷", 2290, "吸油吸水。", "比超市的小卷一点。"),
    (
        "龙井茶",
        "茶饮",
        "250g",
        12800,
        "杭州梅家坞明前茶，茶农直供。",
        "今年产量少，价格比去年贵了一些。",
    ),
    ("柠檬", "水果", "3斤", 1990, "安岳黄柠檬。", "酸，是真的酸。"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "芳",
    "伟",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "艳",
    "勇",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "玉兰",
    "建国",
    "小红",
    "晓燕",
    "丹",
    "萍",
    "海燕",
    "春梅",
]
COMMENTS = [
    "这个桃子上次买过，很甜！",
    "团长今天好美",
    "蛋还有吗？",
    "能不能送到楼下呀",
    "已下单",
    "请问牛奶几号到",
    "上次的饺子孩子很爱吃",
    "支持小雅！",
    "价格很实在",
    "这个怎么做好吃？",
]


class TimerFailed(RuntimeError):
    """A service's periodic job failed under the replay. The running services would hit the same
    fault, so the demo stops and says which job failed, at which moment, and why."""


class InProcessRpc(RpcClient):
    """The services' RPC client (``services.infra.rpc.RpcClient``), in process: a call runs the
    target service's entrypoint at once, for the caller this client acts as."""

    def __init__(self, simulation, caller):
        super().__init__(
            SimpleNamespace(data=caller.as_context()), reply_listener=None, timeout=DEFAULT_TIMEOUT
        )
        self.simulation, self.caller = simulation, caller

    def acting_as(self, context):
        return InProcessRpc(self.simulation, Caller.from_context(context))

    def call(self, service, method, *args, timeout=None, **kwargs):
        return self.simulation.invoke(service, method, self.caller, *args, **kwargs)


class InProcessInbox(EventInbox):
    """The idempotent inbox, on the simulated service's own database."""

    def __init__(self, maker):
        super().__init__()
        self.maker = maker

    @property
    def Session(self):  # noqa: N802 (the provider's own name)
        return self.maker


class Simulation:
    """The services' own entrypoints, in-process, on a simulated clock."""

    # Timers that reach outside (HTTP, SMTP) or whose work the replay does itself at its moment.
    NOT_REPLAYED = {
        "deliver_sandbox_notifications",
        "deliver",
        "close_due_waves",
        "prune_live_presence",
        "release_abandoned_reservations",
        "prune_login_attempts",
    }

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

        self.classes = {
            "crm": CrmService,
            "catalog": CatalogService,
            "orders": OrdersService,
            "fulfillment": FulfillmentService,
            "referral": ReferralService,
        }
        self.engines = {name: make_engine(database_url(name)) for name in SERVICES}
        for engine in self.engines.values():
            if engine.dialect.name == "sqlite":
                # A replay that fails is simply run again: no need to wait for the disk each commit.
                event.listen(
                    engine,
                    "connect",
                    lambda connection, _: connection.execute("PRAGMA synchronous=OFF"),
                )
        self.makers = {
            name: sessionmaker(bind=engine, expire_on_commit=False)
            for name, engine in self.engines.items()
        }
        self.config = {"PUBLIC_URL": os.environ.get("LINLI_PUBLIC_URL", "http://127.0.0.1:8000")}
        self.payments = SimpleNamespace(
            providers=payments.providers_from(self.config),
            secret="demo",
            webhook_url=self.config["PUBLIC_URL"] + payments.WEBHOOK_PATH,
        )
        self.subscribers = {}
        for name, method, handler in self._entrypoints(EventHandler):
            self.subscribers.setdefault((handler.source_service, handler.event_type), []).append(
                (name, method)
            )
        self.timers = [
            (name, method)
            for name, method, _ in self._entrypoints(Timer)
            if method not in self.NOT_REPLAYED
        ]
        self.now = None
        self.events = 0
        self.dirty = set()  # services whose outbox may hold something new

    def _entrypoints(self, kind):
        """``(service, method, entrypoint)`` for every entrypoint of type ``kind`` of the
        services."""
        return [
            (name, attribute, entrypoint)
            for name, cls in self.classes.items()
            for attribute in dir(cls)
            for entrypoint in getattr(getattr(cls, attribute), "nameko_entrypoints", ())
            if isinstance(entrypoint, kind)
        ]

    def call(self, service, method, caller, *args, **kwargs):
        """One entrypoint call, then every event it caused, delivered."""
        answer = self.invoke(service, method, caller or caller_for(None), *args, **kwargs)
        self.deliver()
        return answer

    def run_timer(self, service, method):
        """One of the services' periodic jobs; a failure is ``TimerFailed``, with its cause."""
        try:
            self.call(service, method, caller_for(None))
        except Exception as exc:
            raise TimerFailed(
                f"the timer {service}.{method} failed at {self.now.isoformat()}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def invoke(self, service, method, caller, *args, **kwargs):
        """The entrypoint, on a worker built as nameko's ``worker_factory`` builds one, with the
        providers this replay needs (its own session, the caller, in-process RPC and inbox)."""
        self.dirty.add(service)
        session = self.makers[service]()
        cls = self.classes[service]
        worker = cls()
        dependencies = {
            "db": session,
            "caller": caller,
            "remote": InProcessRpc(self, caller),
            "inbox": InProcessInbox(self.makers[service]),
            "config": self.config,
            "payments": self.payments,
        }
        for name, value in dependencies.items():
            if hasattr(cls, name):
                setattr(worker, name, value)
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            session.close()

    def deliver(self):
        """Every unpublished outbox event, oldest first, to each subscribed handler."""
        while self.dirty:
            sources, self.dirty = [name for name in SERVICES if name in self.dirty], set()
            for source in sources:
                for event_type, payload in self._take_unpublished(source):
                    for consumer, method in self.subscribers.get((source, event_type), ()):
                        self.invoke(consumer, method, caller_for(None), payload)
                    self.events += 1

    def _take_unpublished(self, source):
        """``source``'s unpublished events, marked published (the relay has nothing left to
        send)."""
        from sqlalchemy import select

        from services.infra.db import utcnow
        from services.infra.messaging import OutboxMessage

        with self.makers[source].begin() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.published_at.is_(None))
                .order_by(OutboxMessage.id)
            ).all()
            for row in rows:
                row.published_at = utcnow()
            return [(row.event_type, row.payload) for row in rows]


def _utc(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def caller_for(identity, role=None):
    if identity is None:  # someone not logged in (signing up, joining)
        return Caller.from_context({"correlation_id": uuid.uuid4().hex})
    return Caller(
        tenant_id=identity["tenant_id"],
        account_id=identity["account_id"],
        member_id=identity.get("member_id"),
        role=role or identity["role"],
        correlation_id=uuid.uuid4().hex,
    )


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
    a summary, or None when the community is already there. A failing timer is ``TimerFailed``."""
    from argon2 import PasswordHasher

    from services.crm.accounts import passwords
    from services.infra.db import set_clock

    sim = Simulation()
    set_clock(lambda: sim.now)
    # Demo accounts only: light argon2id parameters keep 300 sign-ups within the start budget.
    hasher, passwords._hasher = (
        passwords._hasher,
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )
    try:
        return History(sim, random.Random(seed), log).replay(weeks, residents)
    finally:
        set_clock(None)
        passwords._hasher = hasher


class Week:
    """One week of the community: its wave (团期) and live session (直播), and its paid orders."""

    def __init__(self, number, monday, offer, live_offer):
        self.number, self.monday, self.offer, self.live_offer = number, monday, offer, live_offer
        self.wednesday, self.saturday = monday + timedelta(days=2), monday + timedelta(days=5)
        self.closes_at = local(
            monday + timedelta(days=3), 19, 30
        )  # the last orders before the cut-off
        self.wave = self.live = None
        self.orders = []  # (order id, channel type, resident), once paid

    def wave_channel(self):
        return {"type": "wave", "id": self.wave["id"]}

    def live_channel(self):
        return {"type": "live", "id": self.live["id"]}


class History:
    """What happens in 小雅的厨房, week by week, as a schedule of steps in time order.

    Each step is ``(moment, sequence, action)``; an action calls the services as the person in it
    would (the leader 小雅 or a resident), and a refusal (sold out, a limit) is part of life. What
    a step needs later (an order's id, a case) it keeps in a small dict its later steps share."""

    def __init__(self, sim, rng, log):
        self.sim, self.rng, self.log = sim, rng, log
        self.sequence = itertools.count()
        self.summary = {
            "members": 0,
            "orders": 0,
            "paid": 0,
            "picked_up": 0,
            "refunds": 0,
            "live_sessions": 0,
            "after_sales": 0,
            "invited": 0,
        }
        self.leader = None
        self.products, self.residents = [], []
        self.invited_from = 0  # residents after this number may come with a neighbour's invite code
        self.current = None  # this week, for members answering a reminder
        self.picked = set()
        self.reminders_read_until = None
        self.reminders_kept = []  # read, not yet acted on: (member_id, product_id, sent_at)

    def replay(self, weeks, population):
        today = datetime.now(TIMEZONE).date()
        first_monday = today - timedelta(days=today.weekday() + 7 * weeks)
        self.sim.now = local(first_monday - timedelta(days=3), 20)
        if not self.open_community():
            return None
        self.stock_the_shelves()
        self.plan_residents(population, weeks, first_monday)
        carried = []
        for number in range(weeks):
            monday = first_monday + timedelta(days=7 * number)
            actions = carried + self.plan_week(number, monday)
            next_monday = local(monday + timedelta(days=7), 8)
            carried = [action for action in actions if action[0] >= next_monday]
            self.run([action for action in actions if action[0] < next_monday])
            self.log(
                f"  week {number + 1:2d}: "
                f"{len([r for r in self.residents if r['identity']])} members, "
                f"{self.summary['paid']} paid orders so far"
            )
        self.run(carried)
        self.summary["events"] = self.sim.events
        return self.summary

    def at(self, moment, action):
        return (moment, next(self.sequence), action)

    def run(self, actions):
        """Everything that happens, in time order: the clock only moves forward."""
        for moment, _, action in sorted(actions, key=lambda item: (item[0], item[1])):
            self.sim.now = max(self.sim.now, moment)
            try:
                action()
            except DomainError as exc:  # e.g. sold out: life goes on, as it would for a member
                self.log(f"  (demo: {type(exc).__name__}: {exc})")

    def as_leader(self, service, method, *args):
        return self.sim.call(service, method, caller_for(self.leader), *args)

    # --- before the first week ---------------------------------------------------------------

    def open_community(self):
        """小雅 signs up her community; False if it is there already (a second run)."""
        try:
            self.leader = self.sim.call(
                "crm",
                "signup_leader",
                None,
                {
                    "community_name": COMMUNITY,
                    "slug": SLUG,
                    "phone": LEADER_PHONE,
                    "password": LEADER_PASSWORD,
                    "display_name": "小雅",
                },
            )
        except Conflict:
            return False
        return True

    def stock_the_shelves(self):
        for name, category, unit, price, story, notes in PRODUCTS:
            self.products.append(
                self.as_leader(
                    "catalog",
                    "create_product",
                    {
                        "name": name,
                        "category": category,
                        "unit": unit,
                        "price_cents": price,
                        "stock": 100_000,
                        "story": story,
                        "honest_notes": notes,
                        "description": f"{name}（{unit}）",
                        "tags": [category],
                    },
                )
            )

    def plan_residents(self, population, weeks, first_monday):
        """Who lives here, and when each joins: a founding crowd in the first fortnight, then
        neighbours week by week (planned up front, so that nobody orders before joining)."""
        rng = self.rng
        names = resident_names(rng, population)
        founders, second = population * 3 // 10, population // 6
        self.invited_from = founders + second
        join_week = sorted(
            [0] * founders
            + [1] * second
            + [rng.randrange(2, max(3, weeks)) for _ in range(population - founders - second)]
        )
        for number, (name, week) in enumerate(zip(names, join_week, strict=True), start=1):
            self.residents.append(
                {
                    "number": number,
                    "name": name,
                    "phone": f"139{number:08d}",
                    "week": week,
                    "building": "3栋" if number == 1 else rng.choice(BUILDINGS),
                    "unit": f"{rng.randint(1, 18)}0{rng.randint(1, 4)}",
                    "rhythm": 0.85
                    if number == 1
                    else rng.betavariate(2, 6),  # how often they order
                    "watches": 0.9
                    if number == 1
                    else rng.betavariate(1.5, 4),  # how often they watch the live
                    "identity": None,
                    "caller": None,
                }
            )
        for resident in self.residents:
            day = first_monday + timedelta(days=7 * resident["week"] + rng.randrange(7))
            resident["joins_at"] = local(day, rng.randint(8, 21), rng.randrange(60))

    # --- a week --------------------------------------------------------------------------------

    def plan_week(self, number, monday):
        """Monday a wave opens; orders until Thursday's cut-off; Wednesday evening the live
        session; Friday packed and delivered; Saturday at the pickup point; the services' daily
        jobs every morning; neighbours join along the way."""
        offer = self.rng.sample(self.products, 10)
        live_offer = self.rng.sample([p for p in self.products if p not in offer], 4)
        week = Week(number, monday, offer, live_offer)
        actions = [self.at(local(monday, 8), lambda: self.open_week(week))]
        actions += [
            self.at(local(monday + timedelta(days=day), 10, 5), self.daily_jobs) for day in range(7)
        ]
        actions += [
            self.at(r["joins_at"], lambda r=r: self.join(r))
            for r in self.residents
            if r["week"] == number
        ]
        for resident in self.residents:
            actions += self.wave_order(resident, week)
        actions += self.live_evening(week)
        return actions + self.fulfilment(week)

    def open_week(self, week):
        """小雅 opens the week's wave and schedules Wednesday's live session."""
        self.current = week
        monday = week.monday
        week.wave = self.as_leader(
            "catalog",
            "create_wave",
            {
                "title": f"第{week.number + 1}周 小雅团购",
                "cutoff_at": local(monday + timedelta(days=3), 20).isoformat(),
                "pickup_at": local(monday + timedelta(days=5), 9).isoformat(),
                "pickup_point": PICKUP_POINT,
                "packing_note": "鸡蛋单独装袋，牛奶放冰袋。",
                "items": [
                    {"product_id": p["id"], "price_cents": p["price_cents"]} for p in week.offer
                ],
            },
        )
        week.live = self.as_leader(
            "catalog",
            "create_live_session",
            {
                "title": f"周三晚上好物直播（第{week.number + 1}期）",
                "host_persona": "小雅，3栋的宝妈，爱做饭",
                "scheduled_at": local(week.wednesday, 19, 30).isoformat(),
                "items": [
                    {
                        "product_id": p["id"],
                        "live_price_cents": max(100, p["price_cents"] * 85 // 100),
                        "quota": 40,
                        "per_member_limit": 2,
                    }
                    for p in week.live_offer
                ],
            },
        )

    def daily_jobs(self):
        """The services' periodic jobs, once a day (reminders, tags, predictions, overdue pickups,
        unpaid timeouts); any failure stops the demo (``TimerFailed``)."""
        for service, method in self.sim.timers:
            self.sim.run_timer(service, method)
        self.answer_reminders()

    def join(self, resident):
        """A neighbour joins, now and then with the invite code of someone in the same building."""
        rng = self.rng
        payload = {
            "phone": resident["phone"],
            "password": MEMBER_PASSWORD,
            "name": resident["name"],
            "building": resident["building"],
            "unit": resident["unit"],
            "invite_code": None,
        }
        inviters = [
            r for r in self.residents if r["identity"] and r["building"] == resident["building"]
        ]
        if resident["number"] > self.invited_from and inviters and rng.random() < 0.4:
            inviter = rng.choice(inviters)
            code = self.sim.call("referral", "get_my_referral", inviter["caller"])["invite_code"]
            self.sim.call("referral", "check_invite_code", None, SLUG, code)
            payload["invite_code"] = code
            self.summary["invited"] += 1
        resident["identity"] = self.sim.call("crm", "join_community", None, SLUG, payload)
        resident["caller"] = caller_for(resident["identity"])
        self.summary["members"] += 1

    def wave_order(self, resident, week):
        """Whether ``resident`` orders from this week's wave, and when (after joining)."""
        rng = self.rng
        if rng.random() >= resident["rhythm"]:
            return []
        when = local(
            week.monday + timedelta(days=rng.randint(0, 3)), rng.randint(9, 19), rng.randrange(60)
        )
        if resident["joins_at"] >= when:
            return []
        pay_after = None if rng.random() < 0.04 else timedelta(minutes=rng.randint(2, 12))
        return self.order(
            resident, week, week.wave_channel, self.choose(week.offer, 3), when, pay_after
        )

    def choose(self, pool, most):
        return [
            {"product_id": product["id"], "quantity": self.rng.choice((1, 1, 1, 2))}
            for product in self.rng.sample(pool, self.rng.randint(1, most))
        ]

    # --- an order's life -------------------------------------------------------------------------

    def order(self, resident, week, channel_of, items, when, pay_after):
        """A member orders; pays (confirmed by 小雅) or changes their mind (``pay_after`` None);
        picks it up at the weekend; now and then a refund or an after-sale case follows."""
        placed = {}

        def place():
            placed.update(
                self.sim.call(
                    "orders",
                    "place_order",
                    resident["caller"],
                    {"items": items, "channel": channel_of()},
                    idempotency_key=uuid.uuid4().hex,
                )
            )
            self.summary["orders"] += 1

        def pay():
            if not placed:
                return
            if pay_after is None:
                self.sim.call("orders", "cancel_order", resident["caller"], placed["id"])
                return
            self.as_leader(
                "orders", "mark_paid", placed["id"]
            )  # paid by WeChat transfer, confirmed by 小雅
            self.summary["paid"] += 1
            week.orders.append((placed["id"], channel_of()["type"], resident))

        def pick_up():
            if placed and pay_after is not None:
                self.collect(placed["id"], resident)

        rng = self.rng
        picked_at = local(
            week.saturday + timedelta(days=rng.choice((0, 0, 1))),
            rng.randint(10, 20),
            rng.randrange(60),
        )
        actions = [
            self.at(when, place),
            self.at(when + (pay_after or timedelta(minutes=20)), pay),
            self.at(picked_at, pick_up),
        ]
        roll = rng.random()
        if roll < 0.02 and pay_after is not None:
            actions.append(
                self.at(
                    picked_at + timedelta(hours=2), lambda: placed and self.refund(placed["id"])
                )
            )
        elif roll < 0.035 and pay_after is not None:
            actions += self.after_sale(resident, placed, picked_at)
        return actions

    def refund(self, order_id):
        self.as_leader(
            "orders", "refund_order", order_id, {"amount_cents": 500, "reason": "有一个坏果，退5元"}
        )
        self.summary["refunds"] += 1

    def after_sale(self, resident, placed, picked_at):
        """Something arrived damaged: the member opens a case (售后) after pickup, and 小雅 answers
        the next morning with money back for some, a coupon for others."""
        case = {}

        def open_case():
            case.update(
                self.sim.call(
                    "fulfillment",
                    "open_after_sale",
                    resident["caller"],
                    placed["id"],
                    {"kind": "damaged", "description": "路上压坏了一些，拍了照片给团长"},
                )
            )
            self.summary["after_sales"] += 1

        def resolve():
            compensation = self.rng.choice(
                ({"type": "refund", "amount": 800}, {"type": "coupon", "amount": 1000})
            )
            self.as_leader(
                "fulfillment", "resolve_after_sale", case["id"], {"compensation": compensation}
            )

        next_morning = local(picked_at.astimezone(TIMEZONE).date() + timedelta(days=1), 9, 30)
        return [
            self.at(picked_at + timedelta(hours=3), lambda: placed and open_case()),
            self.at(next_morning, lambda: case and resolve()),
        ]

    def collect(self, order_id, resident):
        """The member shows the pickup code from the order page; 小雅 verifies it."""
        if order_id in self.picked:
            return
        shown = self.sim.call("orders", "get_order", resident["caller"], order_id)
        code = (shown.get("pickup") or {}).get("code")
        if code:
            self.as_leader("fulfillment", "verify_pickup", {"code": code})
            self.picked.add(order_id)
            self.summary["picked_up"] += 1

    # --- Wednesday evening's live session ------------------------------------------------------

    def live_evening(self, week):
        """小雅 goes live at 19:30; neighbours drop in, comment, buy; she ends at 20:50."""
        self.summary["live_sessions"] += 1
        actions = [
            self.at(
                local(week.wednesday, 19, 30),
                lambda: self.as_leader("catalog", "start_live_session", week.live["id"]),
            )
        ]
        for resident in self.residents:
            actions += self.live_viewer(resident, week)
        actions.append(
            self.at(
                local(week.wednesday, 20, 50),
                lambda: self.as_leader("catalog", "end_live_session", week.live["id"]),
            )
        )
        return actions

    def live_viewer(self, resident, week):
        """Whether ``resident`` watches tonight; if so: arrive, maybe comment, maybe buy, leave."""
        rng, sim = self.rng, self.sim
        arrive = local(week.wednesday, 19, 31) + timedelta(minutes=rng.randint(0, 40))
        if not (resident["joins_at"] < arrive and rng.random() < resident["watches"]):
            return []
        connection = uuid.uuid4().hex
        actions = [
            self.at(
                arrive,
                lambda: sim.call(
                    "catalog",
                    "join_live_room",
                    resident["caller"],
                    week.live["id"],
                    connection,
                    "demo",
                ),
            )
        ]
        if rng.random() < 0.35:
            actions.append(
                self.at(
                    arrive + timedelta(minutes=2),
                    lambda: sim.call(
                        "catalog",
                        "post_live_comment",
                        resident["caller"],
                        week.live["id"],
                        {"text": rng.choice(COMMENTS)},
                    ),
                )
            )
        if rng.random() < 0.35:
            actions += self.order(
                resident,
                week,
                week.live_channel,
                self.choose(week.live_offer, 2),
                arrive + timedelta(minutes=rng.randint(3, 20)),
                timedelta(minutes=rng.randint(1, 10)),
            )
        actions.append(
            self.at(
                local(week.wednesday, 20, 45),
                lambda: sim.call("catalog", "leave_live_room", resident["caller"], connection),
            )
        )
        return actions

    # --- from the cut-off to the pickup point ------------------------------------------------

    def fulfilment(self, week):
        """Thursday 20:00 the wave closes; Friday packed and on its way; Saturday at the pickup
        point; Sunday evening whatever is still there is collected (or brought round)."""
        monday = week.monday
        actions = [
            self.at(
                local(monday + timedelta(days=3), 20),
                lambda: self.as_leader("catalog", "close_wave", week.wave["id"]),
            )
        ]
        for status, day, hour in (
            ("packed", 4, 9),
            ("delivering", 4, 15),
            ("ready_for_pickup", 5, 9),
        ):
            actions.append(
                self.at(
                    local(monday + timedelta(days=day), hour),
                    lambda status=status: self.move_week(week, status),
                )
            )
        actions.append(
            self.at(
                local(monday + timedelta(days=6), 19, 30),
                lambda: [
                    self.collect(order_id, resident) for order_id, _, resident in list(week.orders)
                ],
            )
        )
        return actions

    def move_week(self, week, status):
        """The wave's orders move together; the live session's are moved one by one."""
        self.as_leader("fulfillment", "move_wave", week.wave["id"], {"status": status})
        for order_id, channel, _ in week.orders:
            if channel == "live":
                self.as_leader(
                    "fulfillment",
                    "move_order",
                    order_id,
                    {"status": status, "pickup_point": PICKUP_POINT},
                )

    # --- repurchase reminders (复购提醒) --------------------------------------------------------

    def answer_reminders(self):
        """A member reads a repurchase reminder in their inbox and, often enough, buys the product
        again when this week's wave has it, within about two and a half days."""
        rng, sim = self.rng, self.sim
        self.reminders_kept.extend(
            reminder for reminder in self.fresh_reminders() if rng.random() < 0.7
        )
        by_member = {r["identity"]["member_id"]: r for r in self.residents if r["identity"]}
        week = self.current
        on_offer = {p["id"] for p in week.offer} if week else set()
        for reminder in list(self.reminders_kept):
            member_id, product_id, sent_at = reminder
            if sim.now - _utc(sent_at) > timedelta(days=2, hours=12):
                self.reminders_kept.remove(reminder)  # too late now
                continue
            resident = by_member.get(member_id)
            if resident is None or product_id not in on_offer or week.closes_at <= sim.now:
                continue
            self.reminders_kept.remove(reminder)
            self.buy_again(resident, week, product_id)

    def fresh_reminders(self):
        """The reminders sent since the last look. Read straight from crm's table (read only)
        instead of listing 300 inboxes every day."""
        from sqlalchemy import select

        from services.crm.models import Reminder

        with self.sim.makers["crm"]() as crm:
            query = select(Reminder.member_id, Reminder.product_id, Reminder.sent_at).order_by(
                Reminder.sent_at
            )
            if self.reminders_read_until is not None:
                query = query.where(Reminder.sent_at > self.reminders_read_until)
            fresh = crm.execute(query).all()
        if fresh:
            self.reminders_read_until = fresh[-1][2]
        return fresh

    def buy_again(self, resident, week, product_id):
        rng, sim = self.rng, self.sim
        sim.now += timedelta(minutes=rng.randint(5, 40))
        placed = sim.call(
            "orders",
            "place_order",
            resident["caller"],
            {"items": [{"product_id": product_id, "quantity": 1}], "channel": week.wave_channel()},
            idempotency_key=uuid.uuid4().hex,
        )
        self.summary["orders"] += 1
        sim.now += timedelta(minutes=rng.randint(2, 12))
        self.as_leader("orders", "mark_paid", placed["id"])
        self.summary["paid"] += 1
        week.orders.append((placed["id"], "wave", resident))
        self.summary["answered_reminders"] = self.summary.get("answered_reminders", 0) + 1


def main(weeks=WEEKS, residents=RESIDENTS):
    """Migrate, replay, say how to log in. A failing timer exits with status 1 and its cause."""
    import time as clock

    from services.infra.migrations import upgrade

    began = clock.monotonic()
    for service in SERVICES:
        upgrade(service)
    print(f"demo: replaying {weeks} weeks of {COMMUNITY} ...", flush=True)
    try:
        summary = generate(
            log=lambda line: print(f"demo:{line}", flush=True), weeks=weeks, residents=residents
        )
    except TimerFailed as failure:
        traceback.print_exception(failure.__cause__, file=sys.stderr)
        print(f"demo: failed: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    if summary is None:
        print(f"demo: {COMMUNITY} is already there; nothing to do")
    else:
        print(f"demo: done in {clock.monotonic() - began:.0f} s: {summary}")
    print(f"demo: log in as the leader: {LEADER_PHONE} / {LEADER_PASSWORD} (community {SLUG})")
    print(
        f"demo: log in as a member:   {FIRST_MEMBER_PHONE} / {MEMBER_PASSWORD} "
        "(王芳, 3栋) — demo only"
    )


if __name__ == "__main__":
    main()
