// Me: tier, points and their ledger, coupons, rewards for points, invite poster, reminders.

import { newKey } from "../../lib/api.js";
import { money, t, when } from "../../lib/i18n.js";
import { attempt, empty, go, h, mount, statusBadge, toast } from "../../lib/ui.js";
import { couponLabel } from "../cart.js";
import { api, session } from "../context.js";

export async function meScreen(body) {
  const [me, points, coupons] = await Promise.all([
    api.get("/me"),
    api.get("/me/points"),
    api.get("/me/coupons?status=all&limit=50"),
  ]);
  const member = me.member || {};
  const tier = member.tier || {};
  const invite = h("div.card", { id: "invite" }, h("p.muted", {}, "…"));
  const rewards = h("div", { id: "rewards" });
  mount(
    body,
    h(
      "div.community-card",
      {},
      h("h1", {}, me.account.display_name),
      h("p", {}, me.community.name),
    ),
    h(
      "div.card",
      {},
      h(
        "div.row",
        {},
        h("span.grow", {}, t("me.tier")),
        h("strong", { id: "tier" }, tier.name || "—"),
      ),
      tier.discount_percent
        ? h("p.muted", {}, t("me.tier_discount", { percent: tier.discount_percent }))
        : null,
      h("p.muted", {}, t("me.spend", { amount: money(tier.spend_cents || 0) })),
      h(
        "div.row",
        {},
        h("span.grow", {}, t("me.points")),
        h("strong", { id: "points" }, String(points.balance)),
      ),
      points.held ? h("p.muted", {}, t("me.points_held", { points: points.held })) : null,
    ),
    h("h2", {}, t("me.coupons")),
    coupons.items.length
      ? coupons.items.map((c) =>
          h("div.card.row", {}, h("span.grow", {}, couponLabel(c)), statusBadge(c.status)),
        )
      : empty(t("me.no_coupons")),
    h("h2", {}, t("me.invite")),
    invite,
    h("h2", {}, t("me.rewards")),
    rewards,
    h("h2", {}, t("me.points_ledger")),
    points.items.length
      ? h(
          "table",
          {},
          h(
            "tbody",
            {},
            points.items.map((e) =>
              h(
                "tr",
                {},
                h("td", {}, when(e.created_at)),
                h("td", {}, t(`points.${e.kind}`)),
                h("td", {}, e.delta > 0 ? `+${e.delta}` : String(e.delta)),
                h("td.muted", {}, e.reason || ""),
              ),
            ),
          ),
        )
      : empty(t("me.no_points")),
    h("h2", {}, t("me.notifications")),
    remindersToggle(member),
    h(
      "p",
      {},
      h("a", { href: "#/inbox" }, t("inbox.title")),
      " · ",
      h("a", { href: "#/showcases" }, t("showcases.title")),
    ),
    h(
      "button.secondary",
      {
        onclick: () => {
          session.clear();
          go("#/login");
        },
      },
      t("me.logout"),
    ),
  );
  // Points for coupons (积分兑换). Each click is one redemption: its own Idempotency-Key, so a
  // retried request never spends twice; too few points comes back as 409 and is said plainly.
  attempt(rewards, async () => {
    const offered = await api.get("/rewards?limit=50");
    const problems = h("div", { id: "redeem-problems" });
    const redeem = (reward, button) =>
      attempt(problems, async () => {
        button.disabled = true;
        try {
          const done = await api.post(
            `/rewards/${reward.id}/redeem`,
            {},
            { headers: { "Idempotency-Key": newKey() } },
          );
          toast(t("me.redeemed_coupon", { points: done.points_spent, balance: done.balance }));
          go("#/me");
        } finally {
          button.disabled = false;
        }
      });
    mount(
      rewards,
      offered.items.length
        ? offered.items.map((r) => {
            const short = r.points_cost > points.balance;
            const button = h(
              "button",
              { "data-redeem": r.id, class: short ? "secondary" : null },
              t("me.redeem"),
            );
            button.addEventListener("click", () => redeem(r, button));
            return h(
              "div.card.row",
              { "data-reward": r.id },
              h(
                "div.grow",
                {},
                h("strong", {}, r.name),
                h("br"),
                h("span.muted", {}, rewardTerms(r)),
              ),
              h(
                "span",
                {},
                t("me.reward_points", { points: r.points_cost }),
                short ? [h("br"), h("span.muted", {}, t("me.points_short"))] : null,
              ),
              button,
            );
          })
        : empty(t("me.no_rewards")),
      problems,
    );
  });
  await attempt(invite, async () => {
    const referral = await api.get("/me/referral");
    const posterBox = h("div");
    mount(
      invite,
      h(
        "p",
        {},
        t("me.invite_code"),
        " ",
        h("strong", { id: "invite-code" }, referral.invite_code),
      ),
      h("p.muted", { style: "word-break:break-all" }, referral.invite_url),
      h("p.muted", {}, t("me.invited", { invited: referral.invited, rewarded: referral.rewarded })),
      h(
        "button",
        {
          id: "show-poster",
          onclick: () =>
            attempt(posterBox, async () => {
              const url = await api.blobUrl("/me/referral/poster.png");
              mount(
                posterBox,
                h("img.poster", { src: url, alt: t("me.poster"), id: "poster" }),
                h("p.muted", {}, t("me.poster_hint")),
              );
            }),
        },
        t("me.poster"),
      ),
      posterBox,
    );
  });
}

function rewardTerms(reward) {
  const coupon = reward.coupon || {};
  if (reward.kind === "goods_coupon") {
    return t("me.goods_coupon", {
      value: coupon.amount_cents ? money(coupon.amount_cents) : t("me.product_price"),
      days: coupon.valid_days,
    });
  }
  const value =
    coupon.kind === "percent"
      ? t("coupon.percent", { percent: coupon.percent, cap: money(coupon.cap_cents) })
      : money(coupon.amount_cents);
  return `${value} · ${t("coupon.min_spend", { amount: money(coupon.min_spend_cents || 0) })} · ${t("me.valid_days", { days: coupon.valid_days })}`;
}

// 复购提醒: on unless the member says no; the change is saved at once.
function remindersToggle(member) {
  const problems = h("div");
  const box = h("input", {
    id: "reminders-opt-out",
    type: "checkbox",
    checked: !member.reminders_opt_out,
    style: "width:auto",
  });
  box.addEventListener("change", () =>
    attempt(problems, async () => {
      box.disabled = true;
      try {
        const saved = await api.patch("/me", { reminders_opt_out: !box.checked });
        box.checked = !saved.reminders_opt_out;
        toast(t(saved.reminders_opt_out ? "me.reminders_off" : "me.reminders_on"));
      } catch (error) {
        box.checked = !box.checked;
        throw error;
      } finally {
        box.disabled = false;
      }
    }),
  );
  return h(
    "div.card",
    { id: "reminders" },
    h("label.row", {}, box, h("span.grow", {}, t("me.reminders"))),
    h("p.muted", {}, t("me.reminders_hint")),
    problems,
  );
}
