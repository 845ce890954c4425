// Pickup verification (核销): the member's six-digit code.
import { t } from "../../lib/i18n.js";
import { attempt, formValues, h, mount } from "../../lib/ui.js";
import { api } from "../context.js";

export async function pickupScreen(body) {
  const result = h("div", { id: "pickup-result" });
  const form = h(
    "form.row.narrow",
    { id: "pickup-form" },
    h("input.grow", {
      name: "code",
      inputmode: "numeric",
      pattern: "\\d{6}",
      maxlength: "6",
      required: true,
      placeholder: "123456",
      style: "width:auto;font-size:1.5rem;letter-spacing:.2rem",
    }),
    h("button", { type: "submit" }, t("pickup.verify")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(result, async () => {
      const done = await api.post("/pickups/verify", { code: formValues(form).code });
      mount(
        result,
        h(
          "div.card",
          { "data-verified": done.order_id },
          h("h2", {}, t("pickup.done")),
          h("p", {}, `${done.member.name} · ${done.member.building} ${done.member.unit}`),
          h(
            "ul",
            {},
            done.items.map((i) => h("li", {}, `${i.name} × ${i.quantity}`)),
          ),
          h("a", { href: `#/orders/${done.order_id}` }, t("common.open")),
        ),
      );
      form.reset();
    });
  });
  mount(body, h("h1", {}, t("nav.pickup")), h("p.muted", {}, t("pickup.hint")), form, result);
}
