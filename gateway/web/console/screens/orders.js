// Orders: the list by status, and one order's fulfilment, refund and timeline.
import { money, t, when } from "../../lib/i18n.js";
import {
  attempt,
  empty,
  field,
  formValues,
  go,
  h,
  mount,
  statusBadge,
  yuanToCents,
} from "../../lib/ui.js";
import { api, session } from "../context.js";
import { table } from "../widgets.js";

const ORDER_STATUSES = [
  "pending_payment",
  "paid",
  "packed",
  "delivering",
  "ready_for_pickup",
  "completed",
  "cancelled",
  "refunding",
  "refunded",
];

export async function ordersScreen(body, [orderId], query) {
  if (orderId) return orderDetail(body, orderId);
  const status = query.get("status") || "";
  const orders = await api.get(`/orders?limit=100${status ? `&status=${status}` : ""}`);
  const filter = h(
    "select",
    {
      id: "order-filter",
      onchange: (e) => go(`#/orders${e.target.value ? `?status=${e.target.value}` : ""}`),
    },
    h("option", { value: "" }, t("orders.all")),
    ORDER_STATUSES.map((s) => h("option", { value: s, selected: s === status }, t(`status.${s}`))),
  );
  mount(
    body,
    h("h1", {}, t("nav.orders")),
    field(t("field.status"), filter),
    orders.items.length
      ? table(
          [
            t("orders.created"),
            t("orders.lines"),
            t("order.total"),
            t("orders.channel"),
            t("field.status"),
            "",
          ],
          orders.items.map((o) =>
            h(
              "tr",
              { "data-order": o.id },
              h("td", {}, when(o.created_at)),
              h("td", {}, o.lines.map((l) => `${l.name} × ${l.quantity}`).join(", ")),
              h("td", {}, money(o.total_cents)),
              h("td", {}, t(`channel.${o.channel?.type || "shop"}`)),
              h("td", {}, statusBadge(o.status)),
              h("td", {}, h("a", { href: `#/orders/${o.id}` }, t("common.open"))),
            ),
          ),
        )
      : empty(t("orders.empty")),
  );
}

async function orderDetail(body, orderId) {
  const order = await api.get(`/orders/${encodeURIComponent(orderId)}`);
  const problems = h("div");
  const reload = () => go(`#/orders/${order.id}`);
  const act = (fn) =>
    attempt(problems, async () => {
      await fn();
      reload();
    });
  const refundForm = h(
    "form.row",
    { id: "refund-form" },
    h("input", {
      name: "amount",
      placeholder: t("field.amount_yuan"),
      inputmode: "decimal",
      required: true,
      style: "width:8rem",
    }),
    h("input.grow", {
      name: "reason",
      placeholder: t("field.reason"),
      required: true,
      style: "width:auto",
    }),
    h("button.danger", { type: "submit" }, t("orders.refund")),
  );
  refundForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = formValues(refundForm);
    act(() =>
      api.post(`/orders/${order.id}/refund`, {
        amount_cents: yuanToCents(values.amount),
        reason: values.reason,
      }),
    );
  });
  const pointInput = h("input", {
    name: "pickup_point",
    placeholder: t("field.pickup_point"),
    id: "order-pickup-point",
  });
  const moveOrder = (status) =>
    act(() => {
      const payload = { status };
      if (pointInput.value.trim()) payload.pickup_point = pointInput.value.trim();
      return api.post(`/orders/${order.id}/fulfillment`, payload);
    });
  const paidStates = ["paid", "packed", "delivering"];
  mount(
    body,
    h("div.row", {}, h("h1.grow", {}, t("order.title")), statusBadge(order.status)),
    h(
      "p.muted",
      {},
      t("order.number", { id: order.id }),
      " · ",
      t(`channel.${order.channel?.type || "shop"}`),
    ),
    table(
      [t("field.product_name"), t("field.quantity"), t("field.price_yuan")],
      order.lines.map((l) =>
        h(
          "tr",
          {},
          h("td", {}, l.name),
          h("td", {}, l.quantity),
          h("td", {}, money(l.unit_price_cents)),
        ),
      ),
    ),
    h(
      "p",
      {},
      t("checkout.subtotal"),
      " ",
      money(order.subtotal_cents),
      " · ",
      t("order.discount"),
      " ",
      money(order.discount_cents),
      " · ",
      h("strong", {}, t("order.total"), " ", money(order.total_cents)),
    ),
    order.pickup
      ? h(
          "p",
          { id: "order-pickup" },
          t("order.pickup_where", { point: order.pickup.point, at: when(order.pickup.at) }),
        )
      : null,
    h(
      "div.row",
      {},
      order.status === "pending_payment"
        ? h(
            "button",
            {
              id: "mark-paid",
              onclick: () => act(() => api.post(`/orders/${order.id}/mark-paid`)),
            },
            t("orders.mark_paid"),
          )
        : null,
      ["pending_payment", "paid"].includes(order.status)
        ? h(
            "button.secondary",
            { onclick: () => act(() => api.post(`/orders/${order.id}/cancel`)) },
            t("order.cancel"),
          )
        : null,
    ),
    paidStates.includes(order.status)
      ? h(
          "div.card",
          {},
          h("h3", {}, t("orders.fulfillment")),
          h(
            "div.row",
            {},
            pointInput,
            ["packed", "delivering", "ready_for_pickup"].map((s) =>
              h(
                "button.secondary",
                { "data-order-move": s, onclick: () => moveOrder(s) },
                t(`waves.move.${s}`),
              ),
            ),
          ),
        )
      : null,
    // Money given back is the leader's decision: staff (店员/助理) are refused by the API anyway.
    session.get().role === "leader" &&
      ["paid", "packed", "delivering", "ready_for_pickup", "completed", "refunding"].includes(
        order.status,
      )
      ? h("div.card", {}, h("h3", {}, t("orders.refund")), refundForm)
      : null,
    problems,
    h("h2", {}, t("order.timeline")),
    h(
      "ol.timeline",
      { id: "timeline" },
      order.timeline.map((step) =>
        h(
          "li",
          {},
          h("strong", {}, t(`status.${step.status}`)),
          " ",
          h("span.muted", {}, when(step.at), step.by ? ` · ${t(`by.${step.by}`)}` : ""),
        ),
      ),
    ),
  );
}
