// Products: the list, and the form that adds or edits one.
import { money, t } from "../../lib/i18n.js";
import {
  attempt,
  empty,
  field,
  formValues,
  go,
  h,
  mount,
  statusBadge,
  toast,
  yuanToCents,
} from "../../lib/ui.js";
import { api } from "../context.js";
import { table } from "../widgets.js";

function productForm(product, onSaved) {
  const p = product || {};
  const problems = h("div");
  const form = h(
    "form.narrow",
    { id: "product-form" },
    field(t("field.product_name"), h("input", { name: "name", required: true, value: p.name })),
    field(
      t("field.price_yuan"),
      h("input", {
        name: "price",
        required: true,
        inputmode: "decimal",
        value: p.price_cents !== undefined ? (p.price_cents / 100).toFixed(2) : "",
      }),
    ),
    field(
      t("field.stock"),
      h("input", { name: "stock", type: "number", min: "0", value: p.stock ?? "" }),
    ),
    field(t("field.unit"), h("input", { name: "unit", value: p.unit, placeholder: "件" })),
    field(t("field.category"), h("input", { name: "category", value: p.category })),
    field(t("field.tags"), h("input", { name: "tags", value: (p.tags || []).join(", ") })),
    field(t("field.description"), h("textarea", { name: "description" }, p.description || "")),
    field(t("field.story"), h("textarea", { name: "story" }, p.story || "")),
    field(t("field.honest_notes"), h("textarea", { name: "honest_notes" }, p.honest_notes || "")),
    product
      ? field(
          t("field.status"),
          h(
            "select",
            { name: "status" },
            ["on_sale", "off_sale"].map((s) =>
              h("option", { value: s, selected: s === p.status }, t(`status.${s}`)),
            ),
          ),
        )
      : null,
    problems,
    h("button", { type: "submit" }, t("common.save")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const payload = {
        name: values.name,
        price_cents: yuanToCents(values.price),
        tags: values.tags
          ? values.tags
              .split(/[,,]/)
              .map((x) => x.trim())
              .filter(Boolean)
          : [],
      };
      for (const key of [
        "stock",
        "unit",
        "category",
        "description",
        "story",
        "honest_notes",
        "status",
      ]) {
        if (values[key] !== undefined && values[key] !== "") payload[key] = values[key];
      }
      const saved = product
        ? await api.patch(`/products/${product.id}`, payload)
        : await api.post("/products", payload);
      toast(t("common.saved"));
      onSaved(saved);
    });
  });
  return form;
}

export async function productsScreen(body, [productId]) {
  if (productId) {
    const product = await api.get(`/products/${encodeURIComponent(productId)}`);
    mount(
      body,
      h("h1", {}, product.name),
      productForm(product, () => go("#/products")),
    );
    return;
  }
  const products = await api.get("/products?limit=100");
  mount(
    body,
    h("h1", {}, t("nav.products")),
    products.items.length
      ? table(
          [t("field.product_name"), t("field.price_yuan"), t("field.stock"), t("field.status"), ""],
          products.items.map((p) =>
            h(
              "tr",
              { "data-product": p.id },
              h("td", {}, p.name),
              h("td", {}, money(p.price_cents)),
              h("td", {}, p.stock),
              h("td", {}, statusBadge(p.status)),
              h("td", {}, h("a", { href: `#/products/${p.id}` }, t("common.edit"))),
            ),
          ),
        )
      : empty(t("products.empty")),
    h("h2", {}, t("products.new")),
    productForm(null, () => go("#/products")),
  );
}
