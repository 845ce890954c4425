// One order: paying, cancelling, the pickup code and QR, the timeline, after-sales.
import { money, t, when } from "../../lib/i18n.js";
import {
  attempt,
  field,
  formValues,
  h,
  loadVendor,
  mount,
  problemBox,
  qrSvg,
  statusBadge,
  toast,
} from "../../lib/ui.js";
import { api, onLeave } from "../context.js";

export async function orderScreen(body, [orderId]) {
  const problems = h("div");
  let timer = null;
  async function refresh() {
    const order = await api.get(`/orders/${encodeURIComponent(orderId)}`);
    draw(order);
    clearTimeout(timer);
    // The payment provider's webhook arrives on its own: keep looking while it may.
    if (order.status === "pending_payment")
      timer = setTimeout(() => refresh().catch(() => {}), 2500);
  }
  onLeave(() => clearTimeout(timer));
  function draw(order) {
    const pay = async () => {
      await attempt(problems, async () => {
        const started = await api.post(`/orders/${order.id}/pay`, { method: "sandbox" });
        const url = new URL(started.payment.pay_url, location.href);
        url.searchParams.set("return", `/m/#/orders/${order.id}`);
        location.href = url.toString();
      });
    };
    const cancel = () =>
      attempt(problems, async () => {
        await api.post(`/orders/${order.id}/cancel`);
        await refresh();
      });
    const pickup = order.pickup;
    mount(
      body,
      h("div.row", {}, h("h1.grow", {}, t("order.title")), statusBadge(order.status)),
      h("p.muted", {}, t("order.number", { id: order.id })),
      pickup
        ? h(
            "div.card",
            { id: "pickup" },
            h("h2", {}, t("order.pickup")),
            h("p.pickup-code", { id: "pickup-code" }, pickup.code),
            qrSvg(pickup.code),
            h("p", {}, t("order.pickup_where", { point: pickup.point, at: when(pickup.at) })),
          )
        : null,
      h(
        "div.card",
        {},
        order.lines.map((l) =>
          h(
            "div.row",
            {},
            h("span.grow", {}, `${l.name} × ${l.quantity}`),
            money(l.unit_price_cents * l.quantity),
          ),
        ),
        h("hr"),
        h("div.row", {}, h("span.grow", {}, t("checkout.subtotal")), money(order.subtotal_cents)),
        order.tier_discount_cents
          ? h(
              "div.row",
              {},
              h("span.grow", {}, t("order.tier_discount")),
              `-${money(order.tier_discount_cents)}`,
            )
          : null,
        order.coupon_discount_cents
          ? h(
              "div.row",
              {},
              h("span.grow", {}, t("order.coupon_discount")),
              `-${money(order.coupon_discount_cents)}`,
            )
          : null,
        order.points_used
          ? h(
              "div.row",
              {},
              h("span.grow", {}, t("order.points_discount", { points: order.points_used })),
              `-${money(order.points_discount_cents)}`,
            )
          : null,
        h(
          "div.row",
          {},
          h("strong.grow", {}, t("order.total")),
          h("span.price.big", { id: "order-total" }, money(order.total_cents)),
        ),
      ),
      order.status === "pending_payment"
        ? h("p.muted", {}, t("order.pay_before", { at: when(order.expires_at) }))
        : null,
      h(
        "div.row",
        {},
        order.status === "pending_payment"
          ? h("button", { id: "pay", onclick: pay }, t("order.pay"))
          : null,
        ["pending_payment", "paid"].includes(order.status)
          ? h("button.secondary", { id: "cancel", onclick: cancel }, t("order.cancel"))
          : null,
      ),
      problems,
      h("h2", {}, t("order.timeline")),
      h(
        "ol.timeline",
        { id: "timeline" },
        order.timeline.map((step) =>
          h(
            "li",
            { "data-status": step.status },
            h("strong", {}, t(`status.${step.status}`)),
            " ",
            h("span.muted", {}, when(step.at), step.by ? ` · ${t(`by.${step.by}`)}` : ""),
          ),
        ),
      ),
      afterSales,
    );
    if (order.status === "completed")
      drawAfterSales(order).catch((error) => afterSales.append(problemBox(error)));
  }
  const afterSales = h("div", { id: "after-sales" });
  // 售后: a completed order's problem, and what the leader decided.
  async function drawAfterSales(order) {
    const cases = (await api.get("/after-sales?limit=100")).items.filter(
      (c) => c.order_id === order.id,
    );
    const problems = h("div");
    const form = h(
      "form",
      { id: "after-sale-form" },
      field(
        t("after_sales.kind"),
        h(
          "select",
          { name: "kind" },
          ["damaged", "missing", "quality", "other"].map((k) =>
            h("option", { value: k }, t(`after_sales.kind.${k}`)),
          ),
        ),
      ),
      field(
        t("after_sales.description"),
        h("textarea", { name: "description", required: true, maxlength: "1000" }),
      ),
      problems,
      h("button", { type: "submit" }, t("after_sales.submit")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(problems, async () => {
        await api.post(`/orders/${order.id}/after-sales`, formValues(form));
        toast(t("after_sales.sent"));
        await drawAfterSales(order);
      });
    });
    mount(
      afterSales,
      h("h2", {}, t("after_sales.title")),
      cases.map((c) =>
        h(
          "div.card",
          { "data-case": c.id },
          h(
            "div.row",
            {},
            h("strong.grow", {}, t(`after_sales.kind.${c.kind}`)),
            statusBadge(c.status),
          ),
          h("p", {}, c.description),
          c.compensation
            ? h(
                "p",
                {},
                t("after_sales.compensated", {
                  what: t(`compensation.${c.compensation.type}`),
                  amount:
                    c.compensation.type === "points"
                      ? c.compensation.amount
                      : money(c.compensation.amount),
                }),
              )
            : null,
          c.reject_reason ? h("p.muted", {}, c.reject_reason) : null,
        ),
      ),
      cases.some((c) => c.status === "open") ? null : form,
    );
  }
  await loadVendor("qrcode");
  await refresh();
}
