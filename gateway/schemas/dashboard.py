"""The cockpit (数据驾驶舱)."""

from marshmallow import Schema, fields

from services.infra.schemas import StrictSchema


class DashboardQuery(StrictSchema):
    """ISO dates in the community's calendar; both default to the last 30 days (max 366)."""

    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")


class DashboardLive(Schema):
    sessions = fields.Integer()
    viewers = fields.Integer()
    buyers = fields.Integer()
    conversion_rate = fields.Float()


class DashboardProduct(Schema):
    product_id = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    revenue_cents = fields.Integer()


class DashboardDay(Schema):
    date = fields.String()
    gmv_cents = fields.Integer()
    orders = fields.Integer()
    new_members = fields.Integer()


class Dashboard(Schema):
    """Definitions: services/orders/stats.py and the other services' stats.py."""

    date_from = fields.String(data_key="from")
    date_to = fields.String(data_key="to")
    timezone = fields.String()
    gmv_cents = fields.Integer()
    orders = fields.Integer()
    paying_members = fields.Integer()
    aov_cents = fields.Integer()
    repurchase_rate = fields.Float()
    new_members = fields.Integer()
    members_total = fields.Integer()
    live = fields.Nested(DashboardLive)
    reminders = fields.Dict(keys=fields.String(), values=fields.Integer())
    referrals = fields.Dict(keys=fields.String(), values=fields.Integer())
    fulfillment = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    after_sales = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    after_sales_rate = fields.Float(allow_none=True)
    top_products = fields.List(fields.Nested(DashboardProduct))
    daily = fields.List(fields.Nested(DashboardDay))
