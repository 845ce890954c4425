// The inbox: what the community sent the member.
import { t, when } from "../../lib/i18n.js";
import { empty, h, mount } from "../../lib/ui.js";
import { api } from "../context.js";

export async function inboxScreen(body) {
  const inbox = await api.get("/me/inbox?limit=50");
  mount(
    body,
    h("h1", {}, t("inbox.title")),
    inbox.items.length
      ? inbox.items.map((m) =>
          h(
            "div.card",
            { "data-message": m.id },
            h("strong", {}, m.title),
            h("p", {}, m.body),
            h("p.muted", {}, when(m.created_at)),
            m.order_id ? h("a", { href: `#/orders/${m.order_id}` }, t("inbox.see_order")) : null,
          ),
        )
      : empty(t("inbox.empty")),
  );
}
