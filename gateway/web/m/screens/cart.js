// The cart and checkout: coupon, points, note; one Idempotency-Key per cart.
import { money, t } from "../../lib/i18n.js";
import { attempt, empty, field, go, h, mount } from "../../lib/ui.js";
import { cart, couponLabel } from "../cart.js";
import { api, cartStore } from "../context.js";

export async function cartScreen(body) {
  const current = cart();
  if (!current.items.length)
    return mount(body, h("h1", {}, t("cart.title")), empty(t("cart.empty")));
  const [coupons, points] = await Promise.all([
    api.get("/me/coupons?status=available"),
    api.get("/me/points"),
  ]);
  const subtotal = current.items.reduce((sum, i) => sum + i.unit_price_cents * i.quantity, 0);
  const problems = h("div");
  const couponSelect = h(
    "select",
    { name: "coupon_id" },
    h("option", { value: "" }, t("checkout.no_coupon")),
    coupons.items.map((c) => h("option", { value: c.id }, couponLabel(c))),
  );
  const pointsInput = h("input", {
    name: "points_to_use",
    type: "number",
    min: "0",
    max: String(points.balance),
    value: "0",
  });
  const note = h("input", { name: "note", maxlength: "200" });
  const form = h(
    "form",
    { id: "checkout-form" },
    field(t("checkout.coupon"), couponSelect),
    field(t("checkout.points", { balance: points.balance }), pointsInput),
    field(t("checkout.note"), note),
    problems,
    h("button", { type: "submit", id: "place-order" }, t("checkout.place")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const body = {
        items: current.items.map((i) => ({ product_id: i.product_id, quantity: i.quantity })),
      };
      if (current.channel && current.channel.type !== "shop") body.channel = current.channel;
      if (couponSelect.value) body.coupon_id = couponSelect.value;
      const use = Number(pointsInput.value) || 0;
      if (use > 0) body.points_to_use = use;
      if (note.value.trim()) body.note = note.value.trim();
      const order = await api.post("/orders", body, {
        headers: { "Idempotency-Key": current.key },
      });
      cartStore.clear();
      go(`#/orders/${order.id}`);
    });
  });
  mount(
    body,
    h("h1", {}, t("cart.title")),
    h("p.muted", {}, t(`channel.${current.channel ? current.channel.type : "shop"}`)),
    h(
      "table",
      {},
      h(
        "tbody",
        {},
        current.items.map((i) =>
          h(
            "tr",
            {},
            h("td", {}, i.name),
            h("td", {}, `× ${i.quantity}`),
            h("td", {}, money(i.unit_price_cents * i.quantity)),
          ),
        ),
      ),
    ),
    h("p", {}, t("checkout.subtotal"), " ", h("span.price", {}, money(subtotal))),
    h("p.muted", {}, t("checkout.final_note")),
    h(
      "button.secondary",
      {
        onclick: () => {
          cartStore.clear();
          go("#/cart");
        },
      },
      t("cart.clear"),
    ),
    form,
  );
}
