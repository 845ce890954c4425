// Home: the community, its live sessions and open waves, and 猜你喜欢.
import { setTimeZone, t, when } from "../../lib/i18n.js";
import { attempt, empty, h, mount, statusBadge } from "../../lib/ui.js";
import { api } from "../context.js";

export async function homeScreen(body) {
  const me = await api.get("/me");
  setTimeZone(me.community.timezone);
  const [waves, lives] = await Promise.all([
    api.get("/waves?status=open&limit=20"),
    api.get("/live-sessions?limit=20"),
  ]);
  const current = lives.items.filter((s) => s.status !== "ended");
  const picks = h("div", { id: "recommendations" });
  mount(
    body,
    h(
      "div.community-card",
      {},
      h("h1", {}, me.community.name),
      h("p", {}, t("home.hello", { name: me.account.display_name })),
    ),
    me.community.suspended
      ? h(
          "div.problem",
          { id: "community-suspended", role: "alert" },
          t("community.suspended_notice", { reason: me.community.suspended_reason || "" }),
        )
      : null,
    current.length ? h("h2", {}, t("home.live")) : null,
    current.map((live) =>
      h(
        "a.card",
        {
          href: `#/live/${live.id}`,
          style: "display:block;text-decoration:none;color:inherit",
          "data-live": live.id,
        },
        h("div.row", {}, h("strong.grow", {}, live.title), statusBadge(live.status)),
        h("p.muted", {}, live.host_persona || ""),
        h("p.muted", {}, t("live.scheduled_at", { at: when(live.scheduled_at) })),
      ),
    ),
    h("h2", {}, t("home.waves")),
    waves.items.length ? waves.items.map(waveCard) : empty(t("home.no_waves")),
    picks,
    h(
      "p",
      {},
      h("a", { href: "#/showcases" }, t("showcases.title")),
      " · ",
      h("a", { href: "#/posts" }, t("posts.title")),
    ),
  );
  await attempt(picks, () => drawRecommendations(picks));
}

// 猜你喜欢: bought together, a better one, popular with the neighbours. Nothing shows when crm
// has nothing to say; the home page never waits on it.
async function drawRecommendations(box) {
  const picks = await api.get("/me/recommendations");
  if (!picks.items.length) return;
  mount(
    box,
    h("h2", {}, t("home.for_you")),
    picks.items.map((p) =>
      h(
        "a.card.row",
        {
          href: `#/product/${encodeURIComponent(p.product_id)}`,
          style: "text-decoration:none;color:inherit",
          "data-recommendation": p.product_id,
        },
        h("strong.grow", {}, p.name),
        h("span.badge", {}, t(`recommend.${p.reason}`)),
      ),
    ),
  );
}

function waveCard(wave) {
  return h(
    "div.card",
    { "data-wave": wave.id },
    h("div.row", {}, h("strong.grow", {}, wave.title), statusBadge(wave.status)),
    h(
      "p.muted",
      {},
      t("wave.cutoff", { at: when(wave.cutoff_at) }),
      " · ",
      t("wave.pickup", { at: when(wave.pickup_at), point: wave.pickup_point }),
    ),
    h("a.button", { href: `#/wave/${wave.id}` }, t("wave.open")),
  );
}
