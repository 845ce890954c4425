"""What fulfilment accepts (strict): the leader's moves, pickup codes, after-sale (售后) cases and
compensations, the storeroom's counts, and the queries of its lists and documents. Fulfilment
answers with plain views (``_view`` functions next to their use cases)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.fulfillment import events
from services.infra.schemas import Int, PageSchema, StrictSchema, Text

# --- moves and pickup (handlers) -------------------------------------------------------------


class MoveWaveInput(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(list(events.MOVE_EVENTS)))


class MoveOrderInput(MoveWaveInput):
    """One order one step; an order whose wave gives no pickup (a shop or live order) says
    where (and from when: now if not given) it can be collected."""

    pickup_point = Text(200, required=False)
    pickup_at = fields.AwareDateTime(load_default=None)


class VerifyPickupInput(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="Six digits."))


MOVE_WAVE_INPUT = MoveWaveInput()
MOVE_ORDER_INPUT = MoveOrderInput()
VERIFY_PICKUP_INPUT = VerifyPickupInput()


# --- batches outside waves (batches) ---------------------------------------------------------


class BatchQuery(StrictSchema):
    date = fields.Date(required=True)


class MoveBatchInput(StrictSchema):
    date = fields.Date(required=True)
    pickup_point = Text(200)
    status = fields.String(required=True, validate=validate.OneOf(list(events.MOVE_EVENTS)))


BATCH_QUERY, MOVE_BATCH_INPUT = BatchQuery(), MoveBatchInput()


# --- after-sale (after_sales) ----------------------------------------------------------------

KINDS = ["damaged", "missing", "quality", "other"]
KIND_NAMES = {"damaged": "破损", "missing": "缺件", "quality": "质量问题", "other": "其他"}
TYPES = ["refund", "coupon", "points"]
MAX_POINTS = 100_000
REASON_LENGTH = 200


class OpenCaseInput(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    description = Text(1000)
    photo_url = fields.Url(
        schemes={"http", "https"},
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
    )


class CompensationInput(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    amount = Int(1, 10**9, required=True)  # fen for a refund or a coupon, points for points

    @validates_schema
    def _points_within_reason(self, data, **kwargs):
        if data.get("type") == "points" and data.get("amount", 0) > MAX_POINTS:
            raise ValidationError(f"At most {MAX_POINTS} points.", "amount")


class ResolveInput(StrictSchema):
    compensation = fields.Nested(CompensationInput, required=True)


class RejectInput(StrictSchema):
    reason = Text(REASON_LENGTH)


class CompensateInput(CompensationInput):
    reason = Text(REASON_LENGTH)


class CaseQuery(PageSchema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(["open", "resolved", "rejected"])
    )


OPEN_CASE, RESOLVE, REJECT, COMPENSATE, CASE_QUERY = (
    OpenCaseInput(),
    ResolveInput(),
    RejectInput(),
    CompensateInput(),
    CaseQuery(),
)


# --- documents and picking lists (documents, picking) ----------------------------------------


class PurchaseListQuery(StrictSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class PackingSlipsQuery(StrictSchema):
    paper = fields.String(load_default="a4", validate=validate.OneOf(["a4", "80mm"]))


PURCHASE_LIST_QUERY = PurchaseListQuery()
PACKING_SLIPS_QUERY = PackingSlipsQuery()


class PickingListQuery(StrictSchema):
    group_by = fields.String(load_default="product", validate=validate.OneOf(["product", "member"]))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


PICKING_LIST_QUERY = PickingListQuery()


# --- the storeroom (storeroom) ---------------------------------------------------------------

MAX_ON_HAND = 1_000_000


class OnHandInput(StrictSchema):
    product_id = Text(32)
    quantity = Int(0, MAX_ON_HAND, required=True)


ON_HAND_INPUT = OnHandInput()
