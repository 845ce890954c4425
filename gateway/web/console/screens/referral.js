// Referral (邀请): the leaderboard by week or month, and every referral with its rewards.
import { money, t } from "../../lib/i18n.js";
import { empty, h, mount, statusBadge } from "../../lib/ui.js";
import { api } from "../context.js";
import { table } from "../widgets.js";

export async function referralScreen(body, _parts, query) {
  const period = query.get("period") === "month" ? "month" : "week";
  const [board, records] = await Promise.all([
    api.get(`/referral/leaderboard?period=${period}`),
    api.get("/referrals?limit=100"),
  ]);
  mount(
    body,
    h("h1", {}, t("nav.referral")),
    h(
      "div.row",
      {},
      ["week", "month"].map((p) =>
        h(
          `a.button${p === period ? "" : ".secondary"}`,
          { href: `#/referral?period=${p}` },
          t(`referral.${p}`),
        ),
      ),
    ),
    h("h2", {}, t("referral.leaderboard")),
    board.items.length
      ? table(
          [t("referral.rank"), t("field.name"), t("referral.count")],
          board.items.map((e) =>
            h("tr", {}, h("td", {}, e.rank), h("td", {}, e.name), h("td", {}, e.count)),
          ),
        )
      : empty(t("referral.no_entries")),
    h("h2", {}, t("referral.records")),
    records.items.length
      ? table(
          [
            t("referral.referrer"),
            t("referral.invitee"),
            t("field.status"),
            t("referral.reason"),
            t("referral.rewards"),
          ],
          records.items.map((r) =>
            h(
              "tr",
              {},
              h("td", {}, r.referrer_name),
              h("td", {}, r.invitee_name),
              h("td", {}, statusBadge(r.status)),
              h("td", {}, r.reason ? t(`referral.reason.${r.reason}`) : ""),
              h("td", {}, `${money(r.referrer_reward_cents)} / ${money(r.invitee_reward_cents)}`),
            ),
          ),
        )
      : empty(t("referral.no_records")),
  );
}
