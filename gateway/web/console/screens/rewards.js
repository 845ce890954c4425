// The rewards catalogue (积分兑换): what members may buy with points.
import { money, t } from "../../lib/i18n.js";
import {
  attempt,
  empty,
  field,
  formValues,
  go,
  h,
  mount,
  notYet,
  toast,
  yuanToCents,
} from "../../lib/ui.js";
import { api, offers, session } from "../context.js";
import { activeBadge, table } from "../widgets.js";

function rewardTerms(reward) {
  const coupon = reward.coupon || {};
  if (reward.kind === "goods_coupon") {
    return t("rewards.goods_terms", {
      value: coupon.amount_cents ? money(coupon.amount_cents) : t("rewards.product_price"),
      days: coupon.valid_days,
    });
  }
  const value =
    coupon.kind === "percent"
      ? t("coupon.percent", { percent: coupon.percent, cap: money(coupon.cap_cents) })
      : money(coupon.amount_cents);
  return `${value} · ${t("campaigns.coupon_terms", { min: money(coupon.min_spend_cents || 0), days: coupon.valid_days })}`;
}

function rewardForm(products) {
  const problems = h("div");
  const kind = h(
    "select",
    { name: "kind" },
    ["goods_coupon", "coupon"].map((k) => h("option", { value: k }, t(`rewards.kind.${k}`))),
  );
  const productField = field(
    t("field.product_name"),
    h(
      "select",
      { name: "product_id" },
      products.map((p) => h("option", { value: p.id }, `${p.name} (${money(p.price_cents)})`)),
    ),
  );
  const minField = field(
    t("members.min_spend_yuan"),
    h("input", { name: "min_spend", inputmode: "decimal" }),
  );
  const amountInput = h("input", { name: "amount", inputmode: "decimal" });
  const amountLabel = h("span", {});
  const amountField = h("label.field", {}, amountLabel, amountInput);
  const sync = () => {
    const goods = kind.value === "goods_coupon";
    productField.hidden = !goods;
    minField.hidden = goods;
    amountLabel.textContent = goods ? t("rewards.amount_optional") : t("field.amount_yuan");
    amountInput.required = !goods;
  };
  kind.addEventListener("change", sync);
  sync();
  const form = h(
    "form.narrow",
    { id: "reward-form" },
    field(t("rewards.name"), h("input", { name: "name", required: true, maxlength: "60" })),
    field(
      t("rewards.points_cost"),
      h("input", { name: "points_cost", type: "number", min: "1", required: true }),
    ),
    field(t("rewards.kind"), kind),
    productField,
    amountField,
    minField,
    field(
      t("members.valid_days"),
      h("input", { name: "valid_days", type: "number", min: "1", value: "30", required: true }),
    ),
    problems,
    h("button", { type: "submit" }, t("rewards.create")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const coupon = { valid_days: v.valid_days };
      const amount = yuanToCents(v.amount);
      if (v.kind === "goods_coupon") {
        coupon.product_id = v.product_id;
        if (amount !== undefined) coupon.amount_cents = amount;
      } else {
        Object.assign(coupon, {
          kind: "fixed",
          amount_cents: amount,
          min_spend_cents: yuanToCents(v.min_spend) ?? 0,
        });
      }
      await api.post("/rewards", {
        name: v.name,
        points_cost: v.points_cost,
        kind: v.kind,
        coupon,
      });
      toast(t("common.saved"));
      go("#/rewards");
    });
  });
  return form;
}

export async function rewardsScreen(body) {
  mount(body, h("h1", {}, t("nav.rewards")));
  if (!offers("GET", "/rewards")) return body.append(notYet("rewards"));
  const leader = session.get().role === "leader";
  const [rewards, products] = await Promise.all([
    api.get("/rewards?limit=100"),
    api.get("/products?limit=100"),
  ]);
  const problems = h("div");
  // Name, cost and whether it is offered change in place; what the coupon is stays (make a new one).
  const row = (r) => {
    const name = h("input", {
      name: "name",
      value: r.name,
      maxlength: "60",
      "aria-label": t("rewards.name"),
    });
    const cost = h("input", {
      name: "points_cost",
      type: "number",
      min: "1",
      value: r.points_cost,
      style: "width:7rem",
      "aria-label": t("rewards.points_cost"),
    });
    const active = h("input", {
      name: "active",
      type: "checkbox",
      checked: r.active,
      style: "width:auto",
      "aria-label": t("rewards.offered"),
    });
    const save = () =>
      attempt(problems, async () => {
        await api.patch(`/rewards/${r.id}`, {
          name: name.value.trim(),
          points_cost: Number(cost.value),
          active: active.checked,
        });
        toast(t("common.saved"));
        go("#/rewards");
      });
    return h(
      "tr",
      { "data-reward": r.id },
      h("td", {}, leader ? name : r.name),
      h("td", {}, leader ? cost : r.points_cost),
      h("td", {}, t(`rewards.kind.${r.kind}`), h("br"), h("span.muted", {}, rewardTerms(r))),
      h(
        "td",
        {},
        leader ? h("label.row", {}, active, t("rewards.offered")) : activeBadge(r.active),
      ),
      h(
        "td",
        {},
        leader
          ? h("button.secondary", { "data-save": r.id, onclick: save }, t("common.save"))
          : null,
      ),
    );
  };
  body.append(
    h("p.muted", {}, t("rewards.intro")),
    problems,
    rewards.items.length
      ? table(
          [
            t("rewards.name"),
            t("rewards.points_cost"),
            t("rewards.kind"),
            t("rewards.offered"),
            "",
          ],
          rewards.items.map(row),
          { id: "rewards" },
        )
      : empty(t("rewards.empty")),
  );
  if (leader)
    body.append(
      h("h2", {}, t("rewards.new")),
      rewardForm(products.items.filter((p) => p.status === "on_sale")),
    );
}
