"""The sandbox payment provider's pay page and the merchant webhook it calls (orders)."""

import html

from werkzeug.wrappers import Response

from gateway.http import MAX_BODY_BYTES, json_body, route
from gateway.schemas import payments as schemas
from services.infra.errors import DomainError

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>沙箱支付 · {merchant}</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem">
<h1>沙箱支付</h1>
<p>收款方:{merchant}</p>
<p>{description}</p>
<p style="font-size: 2rem">¥{yuan}</p>
<p>状态:{status}</p>
<button onclick="pay('succeeded')">确认支付</button>
<button onclick="pay('failed')">支付失败</button>
<p><a id="back" href="{back}">返回商户</a></p>
<script>
function pay(outcome) {{
  fetch(location.pathname, {{method: "POST", headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify({{outcome: outcome}})}}).then(function () {{ location.reload(); }});
}}
</script>
</body></html>"""


# How the provider signs a notification (orders checks the HMAC over timestamp and body).
SIGNATURE_HEADERS = tuple(
    {
        "in": "header",
        "name": name,
        "required": True,
        "schema": {"type": "string", "maxLength": 256},
        "description": text,
    }
    for name, text in (
        ("Linli-Sandbox-Timestamp", "Unix seconds when the provider signed; too old is refused."),
        ("Linli-Sandbox-Signature", "Hex HMAC-SHA256 of `<timestamp>.<body>`."),
    )
)


def return_path(asked):
    """Where "back to the merchant" leads, as a real provider's return URL: a path on this site
    (a member's order page), never another site."""
    if (
        asked
        and asked.startswith("/")
        and not asked.startswith("//")
        and "\\" not in asked
        and len(asked) <= 200
    ):
        return asked
    return "/m/#/orders"


class PaymentRoutes:
    @route(
        "GET",
        "/api/v1/payments/sandbox/pay/<charge_id>",
        summary="Sandbox provider: the pay page",
        tag="payments",
        response=schemas.SandboxCharge,
    )
    def sandbox_page(self, request, charge_id):
        charge = self.call("orders", "sandbox_charge", charge_id)
        if request.accept_mimetypes.best == "application/json":
            return charge
        page = PAGE.format(
            merchant=html.escape(charge["merchant"]),
            description=html.escape(charge["description"]),
            yuan=f"{charge['amount_cents'] // 100}.{charge['amount_cents'] % 100:02d}",
            status=html.escape(charge["status"]),
            back=html.escape(return_path(request.args.get("return"))),
        )
        return Response(page, mimetype="text/html")

    @route(
        "POST",
        "/api/v1/payments/sandbox/pay/<charge_id>",
        summary="Sandbox provider: the buyer decides",
        tag="payments",
        status="200",
        body=schemas.SandboxOutcome,
        response=schemas.SandboxCharge,
        problems=(409,),
    )
    def sandbox_pay(self, request, charge_id):
        return self.call(
            "orders", "sandbox_complete", charge_id, json_body(request, schemas.SandboxOutcome)
        )

    @route(
        "POST",
        "/api/v1/payments/sandbox/webhook",
        summary="Sandbox provider -> Linli (HMAC-signed)",
        tag="payments",
        status="200",
        problems=(400, 401, 404, 422),
        headers=SIGNATURE_HEADERS,
    )
    def sandbox_webhook(self, request):
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            raise DomainError("The request body is too large.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise DomainError("The body is not UTF-8.") from None
        return self.call(
            "orders",
            "receive_sandbox_webhook",
            request.headers.get("Linli-Sandbox-Timestamp"),
            request.headers.get("Linli-Sandbox-Signature"),
            text,
        )
