// A wave: its cut-off, its pickup, and its products at the wave's prices.
import { t, when } from "../../lib/i18n.js";
import { h, mount } from "../../lib/ui.js";
import { api } from "../context.js";
import { productCard } from "../widgets.js";

export async function waveScreen(body, [waveId]) {
  const wave = await api.get(`/waves/${encodeURIComponent(waveId)}`);
  const products = await Promise.all(
    wave.items.map((item) => api.get(`/products/${item.product_id}`)),
  );
  mount(
    body,
    h("h1", {}, wave.title),
    h("p.muted", {}, t("wave.cutoff", { at: when(wave.cutoff_at) })),
    h("p.muted", {}, t("wave.pickup", { at: when(wave.pickup_at), point: wave.pickup_point })),
    wave.items.map((item, index) =>
      productCard(products[index], {
        price: item.price_cents,
        remaining: item.remaining,
        limit: item.per_member_limit,
        open: wave.status === "open",
        channel: { type: "wave", id: wave.id },
      }),
    ),
  );
}
