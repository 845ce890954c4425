// The cart (kept per tab): one channel at a time, and how a coupon is described.

import { newKey } from "../lib/api.js";
import { money, t, when } from "../lib/i18n.js";
import { go, toast } from "../lib/ui.js";
import { cartStore } from "./context.js";

export function cart() {
  return cartStore.get() || { channel: null, items: [], key: newKey() };
}

export function addToCart(channel, line) {
  let current = cart();
  const same =
    current.channel &&
    current.channel.type === channel.type &&
    (current.channel.id || null) === (channel.id || null);
  if (!same) {
    if (current.items.length) toast(t("cart.replaced"));
    current = { channel, items: [], key: newKey() };
  }
  const existing = current.items.find((i) => i.product_id === line.product_id);
  if (existing) existing.quantity += line.quantity;
  else current.items.push(line);
  current.key = newKey(); // a changed cart is a new order attempt
  cartStore.set(current);
  go("#/cart");
}

export function couponLabel(coupon) {
  const value =
    coupon.kind === "fixed"
      ? money(coupon.amount_cents)
      : t("coupon.percent", { percent: coupon.percent, cap: money(coupon.cap_cents) });
  return `${value} · ${t("coupon.min_spend", { amount: money(coupon.min_spend_cents) })} · ${t("coupon.until", { at: when(coupon.valid_until) })}`;
}
