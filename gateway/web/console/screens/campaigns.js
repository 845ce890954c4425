// Campaigns (自动化营销): the list with their figures, a new campaign, one campaign.
import { money, t, when } from "../../lib/i18n.js";
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
import { activeBadge, splitList, table } from "../widgets.js";

const TRIGGERS = ["member_joined", "birthday", "inactive", "repurchase_due"];

function triggerText(trigger) {
  const days = trigger.days ?? "";
  return (
    t(`campaigns.trigger.${trigger.type}`) +
    (days ? ` · ${t(`campaigns.days.${trigger.type}`, { days })}` : "")
  );
}

function actionText(action) {
  if (action.type === "message") return `${t("campaigns.action.message")}: ${action.template}`;
  if (action.type === "coupon") {
    return `${t("campaigns.action.coupon")}: ${money(action.amount_cents)} · ${t(
      "campaigns.coupon_terms",
      { min: money(action.min_spend_cents || 0), days: action.valid_days },
    )}`;
  }
  return `${t("campaigns.action.points")}: ${action.amount}`;
}

function audienceText(audience) {
  const tags = audience?.tags_any || [];
  return tags.length ? t("campaigns.tags_any", { tags: tags.join("、") }) : t("campaigns.everyone");
}

function scheduleText(schedule) {
  return schedule && schedule.hour !== undefined && schedule.hour !== null
    ? t("campaigns.not_before", { hour: schedule.hour })
    : t("campaigns.any_hour");
}

// The actions the form offers: each one ticked is sent, in this order.
function campaignActions(values) {
  const actions = [];
  if (values.with_message) actions.push({ type: "message", template: values.template });
  if (values.with_coupon) {
    const coupon = {
      type: "coupon",
      amount_cents: yuanToCents(values.coupon_amount),
      valid_days: values.coupon_days,
    };
    const min = yuanToCents(values.coupon_min);
    if (min !== undefined) coupon.min_spend_cents = min;
    actions.push(coupon);
  }
  if (values.with_points) actions.push({ type: "points", amount: values.points });
  return actions;
}

function campaignForm() {
  const problems = h("div");
  const days = h("input", {
    name: "days",
    type: "number",
    min: "1",
    max: "365",
    placeholder: "30",
  });
  const trigger = h(
    "select",
    { name: "trigger" },
    TRIGGERS.map((x) => h("option", { value: x }, t(`campaigns.trigger.${x}`))),
  );
  const daysField = field(t("campaigns.days"), days);
  const showDays = () => {
    daysField.hidden = !["inactive", "repurchase_due"].includes(trigger.value);
  };
  trigger.addEventListener("change", showDays);
  showDays();
  const tick = (name, label, checked) =>
    h(
      "label.row",
      {},
      h("input", { name, type: "checkbox", checked, style: "width:auto" }),
      h("strong", {}, label),
    );
  const form = h(
    "form",
    { id: "campaign-form" },
    h(
      "div.narrow",
      {},
      field(t("campaigns.name"), h("input", { name: "name", required: true, maxlength: "60" })),
      field(t("campaigns.trigger"), trigger),
      daysField,
      field(
        t("campaigns.audience_tags"),
        h("input", { name: "tags", placeholder: t("campaigns.audience_hint") }),
      ),
      field(
        t("campaigns.hour"),
        h("input", { name: "hour", type: "number", min: "0", max: "23", placeholder: "9" }),
      ),
    ),
    h("h3", {}, t("campaigns.actions")),
    h(
      "div.card",
      {},
      tick("with_message", t("campaigns.action.message"), true),
      field(
        t("campaigns.template"),
        h("textarea", {
          name: "template",
          rows: "3",
          maxlength: "500",
          placeholder: t("campaigns.template_hint", {
            name: "{name}",
            product: "{product}",
            community: "{community}",
          }),
        }),
      ),
    ),
    h(
      "div.card",
      {},
      tick("with_coupon", t("campaigns.action.coupon"), false),
      h(
        "div.row",
        {},
        h("input", {
          name: "coupon_amount",
          inputmode: "decimal",
          placeholder: t("field.amount_yuan"),
          style: "width:8rem",
        }),
        h("input", {
          name: "coupon_min",
          inputmode: "decimal",
          placeholder: t("members.min_spend_yuan"),
          style: "width:8rem",
        }),
        h("input", {
          name: "coupon_days",
          type: "number",
          min: "1",
          value: "7",
          style: "width:6rem",
          "aria-label": t("members.valid_days"),
        }),
      ),
    ),
    h(
      "div.card",
      {},
      tick("with_points", t("campaigns.action.points"), false),
      h("input", {
        name: "points",
        type: "number",
        min: "1",
        placeholder: t("campaigns.points_amount"),
        style: "width:10rem",
      }),
    ),
    h(
      "label.row",
      {},
      h("input", { name: "active", type: "checkbox", checked: true, style: "width:auto" }),
      t("campaigns.start_now"),
    ),
    problems,
    h("button", { type: "submit" }, t("campaigns.create")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const payload = {
        name: v.name,
        trigger: { type: v.trigger },
        actions: campaignActions(v),
        active: v.active,
      };
      if (!daysField.hidden && v.days !== undefined) payload.trigger.days = v.days;
      const tags = splitList(v.tags);
      if (tags.length) payload.audience = { tags_any: tags };
      if (v.hour !== undefined) payload.schedule = { hour: v.hour };
      const created = await api.post("/campaigns", payload);
      toast(t("common.saved"));
      go(`#/campaigns/${created.id}`);
    });
  });
  return form;
}

function statsCells(stats) {
  const s = stats || {};
  return [
    h("td", { "data-stat": "sent" }, s.sent ?? "—"),
    h("td", { "data-stat": "converted" }, s.converted ?? "—"),
    h("td", { "data-stat": "revenue" }, money(s.revenue_cents)),
  ];
}

export async function campaignsScreen(body, [campaignId]) {
  mount(body, h("h1", {}, t("nav.campaigns")));
  if (!offers("GET", "/campaigns")) return body.append(notYet("campaigns"));
  if (campaignId) return campaignDetail(body, campaignId);
  const campaigns = await api.get("/campaigns?limit=100");
  // The list leaves the figures out (they are counted per campaign): each one's come from its own page.
  const detailed = await Promise.all(
    campaigns.items.map((c) => api.get(`/campaigns/${c.id}`).catch(() => c)),
  );
  const leader = session.get().role === "leader";
  const problems = h("div");
  const toggle = (c) =>
    attempt(problems, async () => {
      await api.patch(`/campaigns/${c.id}`, { active: !c.active });
      go("#/campaigns");
    });
  body.append(
    h("p.muted", {}, t("campaigns.intro")),
    problems,
    detailed.length
      ? table(
          [
            t("campaigns.name"),
            t("campaigns.trigger"),
            t("campaigns.audience"),
            t("field.status"),
            t("campaigns.sent"),
            t("campaigns.converted"),
            t("cockpit.revenue"),
            "",
          ],
          detailed.map((c) =>
            h(
              "tr",
              { "data-campaign": c.id },
              h(
                "td",
                {},
                c.name,
                c.system ? [" ", h("span.badge", {}, t("campaigns.system"))] : null,
              ),
              h("td", {}, triggerText(c.trigger || {})),
              h("td", {}, audienceText(c.audience)),
              h("td", {}, activeBadge(c.active)),
              statsCells(c.stats),
              h(
                "td",
                {},
                leader
                  ? [
                      h(
                        "button.secondary",
                        { "data-toggle": c.id, onclick: () => toggle(c) },
                        t(c.active ? "campaigns.pause" : "campaigns.resume"),
                      ),
                      " ",
                    ]
                  : null,
                h("a", { href: `#/campaigns/${c.id}` }, t("common.open")),
              ),
            ),
          ),
          { id: "campaigns" },
        )
      : empty(t("campaigns.empty")),
  );
  if (leader) body.append(h("h2", {}, t("campaigns.new")), campaignForm());
}

async function campaignDetail(body, campaignId) {
  const c = await api.get(`/campaigns/${encodeURIComponent(campaignId)}`);
  const leader = session.get().role === "leader";
  const problems = h("div");
  const stats = c.stats || {};
  const kpi = (label, value, id) =>
    h("div.kpi", {}, h("span.muted", {}, label), h("strong", { id }, value));
  const edit = h(
    "form.narrow",
    { id: "campaign-edit" },
    field(
      t("campaigns.name"),
      h("input", { name: "name", required: true, maxlength: "60", value: c.name }),
    ),
    field(
      t("campaigns.audience_tags"),
      h("input", { name: "tags", value: (c.audience?.tags_any || []).join(", ") }),
    ),
    field(
      t("campaigns.hour"),
      h("input", {
        name: "hour",
        type: "number",
        min: "0",
        max: "23",
        value: c.schedule?.hour ?? "",
      }),
    ),
    h("button", { type: "submit" }, t("common.save")),
  );
  edit.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(edit);
      const payload = { name: v.name, audience: { tags_any: splitList(v.tags) } };
      payload.schedule = v.hour === undefined ? {} : { hour: v.hour };
      await api.patch(`/campaigns/${c.id}`, payload);
      toast(t("common.saved"));
      go(`#/campaigns/${c.id}`);
    });
  });
  const toggle = () =>
    attempt(problems, async () => {
      await api.patch(`/campaigns/${c.id}`, { active: !c.active });
      go(`#/campaigns/${c.id}`);
    });
  mount(
    body,
    h("p", {}, h("a", { href: "#/campaigns" }, `← ${t("nav.campaigns")}`)),
    h("div.row", {}, h("h1.grow", {}, c.name), activeBadge(c.active)),
    h(
      "div.kpis",
      { id: "campaign-stats" },
      kpi(t("campaigns.sent"), stats.sent ?? "—", "stat-sent"),
      kpi(t("campaigns.converted"), stats.converted ?? "—", "stat-converted"),
      kpi(t("cockpit.revenue"), money(stats.revenue_cents), "stat-revenue"),
    ),
    h("p.muted", {}, t("campaigns.converted_hint")),
    h(
      "table",
      {},
      h(
        "tbody",
        {},
        h("tr", {}, h("th", {}, t("campaigns.trigger")), h("td", {}, triggerText(c.trigger || {}))),
        h("tr", {}, h("th", {}, t("campaigns.audience")), h("td", {}, audienceText(c.audience))),
        h("tr", {}, h("th", {}, t("campaigns.schedule")), h("td", {}, scheduleText(c.schedule))),
        h(
          "tr",
          {},
          h("th", {}, t("campaigns.actions")),
          h(
            "td",
            {},
            h(
              "ul",
              {},
              (c.actions || []).map((a) => h("li", {}, actionText(a))),
            ),
          ),
        ),
        h("tr", {}, h("th", {}, t("campaigns.created")), h("td", {}, when(c.created_at))),
      ),
    ),
    problems,
    leader
      ? [
          h(
            "button",
            { id: "toggle-campaign", onclick: toggle },
            t(c.active ? "campaigns.pause" : "campaigns.resume"),
          ),
          h("h2", {}, t("common.edit")),
          edit,
        ]
      : null,
  );
}
