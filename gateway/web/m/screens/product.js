// One product at its shop price.
import { mount } from "../../lib/ui.js";
import { api } from "../context.js";
import { productCard } from "../widgets.js";

export async function productScreen(body, [productId]) {
  const product = await api.get(`/products/${encodeURIComponent(productId)}`);
  mount(
    body,
    productCard(product, {
      price: product.price_cents,
      remaining: null,
      open: product.status === "on_sale" && product.stock > 0,
      channel: { type: "shop" },
    }),
  );
}
