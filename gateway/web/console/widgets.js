// Pieces several console screens build with: tables, date inputs, the "sell this product at this
// price" rows of waves and live sessions, lists typed with commas, on/off badges.
import { money, t } from "../lib/i18n.js";
import { h, yuanToCents } from "../lib/ui.js";

export function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : undefined;
}

export function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function table(headers, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headers.map((x) => h("th", {}, x)),
      ),
    ),
    h("tbody", {}, rows),
  );
}

// Rows of "sell this product at this price" for waves and live sessions.
export function offerRows(products, priceLabel) {
  return table(
    ["", t("field.product_name"), priceLabel, t("field.quota"), t("field.per_member_limit")],
    products.map((p) =>
      h(
        "tr",
        { "data-offer": p.id },
        h(
          "td",
          {},
          h("input", { type: "checkbox", name: `include-${p.id}`, "aria-label": p.name }),
        ),
        h("td", {}, p.name, h("br"), h("span.muted", {}, money(p.price_cents))),
        h(
          "td",
          {},
          h("input", {
            name: `price-${p.id}`,
            inputmode: "decimal",
            value: (p.price_cents / 100).toFixed(2),
          }),
        ),
        h("td", {}, h("input", { name: `quota-${p.id}`, type: "number", min: "1" })),
        h("td", {}, h("input", { name: `limit-${p.id}`, type: "number", min: "1" })),
      ),
    ),
  );
}

export function chosenOffers(values, products, priceKey) {
  return products
    .filter((p) => values[`include-${p.id}`])
    .map((p) => {
      const item = { product_id: p.id, [priceKey]: yuanToCents(values[`price-${p.id}`]) };
      if (values[`quota-${p.id}`] !== undefined) item.quota = values[`quota-${p.id}`];
      if (values[`limit-${p.id}`] !== undefined) item.per_member_limit = values[`limit-${p.id}`];
      return item;
    });
}

export function splitList(text) {
  return (text || "")
    .split(/[,,、]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export function activeBadge(active) {
  return h(
    `span.badge.${active ? "s-open" : "s-closed"}`,
    {},
    t(active ? "campaigns.on" : "campaigns.off"),
  );
}
