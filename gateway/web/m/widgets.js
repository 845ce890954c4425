// A product as the member sees it (wave, shop or live price), with its add-to-cart button.
import { money, t } from "../lib/i18n.js";
import { h } from "../lib/ui.js";
import { addToCart } from "./cart.js";

export function productCard(product, offer) {
  const quantity = h("input", {
    type: "number",
    min: "1",
    value: "1",
    style: "width:5rem",
    "aria-label": t("field.quantity"),
  });
  const soldOut = offer.remaining === 0;
  return h(
    "div.card",
    { "data-product": product.id },
    h("h3", {}, product.name),
    h(
      "p",
      {},
      h("span.price.big", {}, money(offer.price)),
      " ",
      offer.price !== product.price_cents ? h("s.muted", {}, money(product.price_cents)) : null,
      " ",
      h("span.muted", {}, "/", product.unit || ""),
    ),
    offer.remaining !== null && offer.remaining !== undefined
      ? h("p.muted", {}, t("product.remaining", { count: offer.remaining }))
      : null,
    offer.limit ? h("p.muted", {}, t("product.limit", { count: offer.limit })) : null,
    product.description ? h("p", {}, product.description) : null,
    product.story
      ? h("div", {}, h("h3", {}, t("product.story")), h("p.story", {}, product.story))
      : null,
    product.honest_notes
      ? h(
          "div",
          {},
          h("h3", {}, t("product.honest_notes")),
          h("p.honest", {}, product.honest_notes),
        )
      : null,
    offer.open
      ? h(
          "div.row",
          {},
          quantity,
          h(
            "button",
            {
              disabled: soldOut,
              onclick: () => {
                addToCart(offer.channel, {
                  product_id: product.id,
                  name: product.name,
                  unit: product.unit,
                  unit_price_cents: offer.price,
                  quantity: Math.max(1, Number(quantity.value) || 1),
                });
              },
            },
            soldOut ? t("product.sold_out") : t("cart.add"),
          ),
        )
      : null,
  );
}
