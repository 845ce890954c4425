// A link from a product poster: the product, after joining for someone who is not a member yet.
import { go } from "../../lib/ui.js";
import { session } from "../context.js";
import { notFoundScreen } from "./not-found.js";

// A link from a product poster: the product, after joining for someone who is not a member yet.
export async function sharedScreen(body, [slug, kind, productId], query) {
  if (kind !== "products") return notFoundScreen(body);
  const target = `#/product/${encodeURIComponent(productId)}`;
  if (session.get()) return go(target);
  const invite = query.get("invite");
  go(
    `#/join/${encodeURIComponent(slug)}?${new URLSearchParams({ ...(invite ? { invite } : {}), next: target })}`,
  );
}
