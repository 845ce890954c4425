// The member's orders.
import { money, t, when } from "../../lib/i18n.js";
import { empty, h, mount, statusBadge } from "../../lib/ui.js";
import { api } from "../context.js";

export async function ordersScreen(body) {
  const orders = await api.get("/orders?limit=50");
  mount(
    body,
    h("h1", {}, t("orders.title")),
    orders.items.length
      ? orders.items.map((o) =>
          h(
            "a.card",
            { href: `#/orders/${o.id}`, style: "display:block;text-decoration:none;color:inherit" },
            h(
              "div.row",
              {},
              h("strong.grow", {}, o.lines.map((l) => `${l.name} × ${l.quantity}`).join(", ")),
              statusBadge(o.status),
            ),
            h("p.muted", {}, when(o.created_at), " · ", h("span.price", {}, money(o.total_cents))),
          ),
        )
      : empty(t("orders.empty")),
  );
}
