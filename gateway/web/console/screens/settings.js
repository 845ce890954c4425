// Settings: points, reminders, tiers, referral rules, admission; staff and channels below.
import { t } from "../../lib/i18n.js";
import {
  attempt,
  field,
  formValues,
  h,
  mount,
  notYet,
  problemBox,
  toast,
  yuanToCents,
} from "../../lib/ui.js";
import { api, offers, session } from "../context.js";
import { channelsSection } from "./settings-channels.js";
import { staffSection } from "./settings-staff.js";

export async function settingsScreen(body) {
  const settings = await api.get("/community/settings");
  const leader = session.get().role === "leader";
  const problems = h("div");
  const tiers = h(
    "tbody",
    {},
    settings.tiers.map((tier) => tierRow(tier)),
  );
  const referral = settings.referral || {};
  const quiet = settings.quiet_hours || {};
  const form = h(
    "form",
    { id: "settings-form" },
    h("h2", {}, t("settings.points")),
    h(
      "div.narrow",
      {},
      field(
        t("settings.points_per_yuan"),
        h("input", {
          name: "points_per_yuan",
          type: "number",
          min: "0",
          max: "100",
          value: settings.points_per_yuan,
        }),
      ),
      field(
        t("settings.max_points_ratio_percent"),
        h("input", {
          name: "max_points_ratio_percent",
          type: "number",
          min: "0",
          max: "100",
          value: settings.max_points_ratio_percent,
        }),
      ),
    ),
    h("h2", {}, t("settings.reminders")),
    h(
      "div.narrow",
      {},
      field(
        t("settings.reminder_hour"),
        h("input", {
          name: "reminder_hour",
          type: "number",
          min: "0",
          max: "23",
          value: settings.reminder_hour,
        }),
      ),
      h(
        "div.row",
        {},
        h("span", {}, t("settings.quiet_hours")),
        h("input", {
          name: "quiet_start",
          type: "time",
          value: quiet.start,
          style: "width:auto",
          "aria-label": t("settings.quiet_start"),
        }),
        "–",
        h("input", {
          name: "quiet_end",
          type: "time",
          value: quiet.end,
          style: "width:auto",
          "aria-label": t("settings.quiet_end"),
        }),
      ),
      h("p.muted", {}, t("settings.quiet_hint")),
    ),
    h("h2", {}, t("settings.tiers")),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, t("settings.tier_name")),
          h("th", {}, t("settings.tier_min_spend")),
          h("th", {}, t("settings.tier_discount")),
          h("th"),
        ),
      ),
      tiers,
    ),
    h(
      "button.secondary",
      {
        type: "button",
        onclick: () => tiers.append(tierRow({ name: "", min_spend_cents: 0, discount_percent: 0 })),
      },
      t("settings.add_tier"),
    ),
    h("h2", {}, t("settings.referral")),
    h(
      "div.narrow",
      {},
      field(
        t("settings.referrer_reward"),
        h("input", {
          name: "referrer_reward",
          inputmode: "decimal",
          value: (referral.referrer_reward_cents / 100).toFixed(2),
        }),
      ),
      field(
        t("settings.invitee_reward"),
        h("input", {
          name: "invitee_reward",
          inputmode: "decimal",
          value: (referral.invitee_reward_cents / 100).toFixed(2),
        }),
      ),
      field(
        t("settings.min_first_order"),
        h("input", {
          name: "min_first_order",
          inputmode: "decimal",
          value: (referral.min_first_order_cents / 100).toFixed(2),
        }),
      ),
      field(
        t("settings.weekly_cap"),
        h("input", { name: "weekly_cap", type: "number", min: "1", value: referral.weekly_cap }),
      ),
      field(
        t("settings.showcase_points"),
        h("input", {
          name: "showcase_points",
          type: "number",
          min: "0",
          value: referral.showcase_points,
        }),
      ),
      h(
        "label.row",
        {},
        h("input", {
          name: "allow_same_household",
          type: "checkbox",
          checked: referral.allow_same_household,
          style: "width:auto",
        }),
        t("settings.allow_same_household"),
      ),
    ),
    problems,
    leader
      ? h("button", { type: "submit" }, t("common.save"))
      : h("p.muted", {}, t("settings.leader_only")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const tierList = [...tiers.querySelectorAll("tr")].map((row) => ({
        name: row.querySelector("[name=tier_name]").value.trim(),
        min_spend_cents: yuanToCents(row.querySelector("[name=tier_min]").value) ?? 0,
        discount_percent: Number(row.querySelector("[name=tier_discount]").value) || 0,
      }));
      await api.put("/community/settings", {
        points_per_yuan: values.points_per_yuan,
        max_points_ratio_percent: values.max_points_ratio_percent,
        tiers: tierList,
        ...(values.reminder_hour !== undefined ? { reminder_hour: values.reminder_hour } : {}),
        ...(values.quiet_start && values.quiet_end
          ? { quiet_hours: { start: values.quiet_start, end: values.quiet_end } }
          : {}),
        referral: {
          referrer_reward_cents: yuanToCents(values.referrer_reward),
          invitee_reward_cents: yuanToCents(values.invitee_reward),
          min_first_order_cents: yuanToCents(values.min_first_order),
          weekly_cap: values.weekly_cap,
          showcase_points: values.showcase_points,
          allow_same_household: values.allow_same_household,
        },
      });
      toast(t("common.saved"));
    });
  });
  mount(body, h("h1", {}, t("nav.settings")), form, h("h2", {}, t("settings.admission")));
  if (!settings.admission?.mode) return body.append(notYet("admission"));
  // Admission (入群方式) and the welcome guide (新人指南): their own form, saved on their own.
  const admissionProblems = h("div");
  const admission = h(
    "form.narrow",
    { id: "admission-form" },
    field(
      t("settings.admission_mode"),
      h(
        "select",
        { name: "mode" },
        ["open", "approval", "invite_or_approval"].map((mode) =>
          h(
            "option",
            { value: mode, selected: mode === settings.admission.mode },
            t(`admission.${mode}`),
          ),
        ),
      ),
    ),
    field(
      t("settings.allowed_buildings"),
      h("input", {
        name: "allowed_buildings",
        value: (settings.admission.allowed_buildings || []).join(", "),
      }),
    ),
    field(
      t("settings.welcome_guide"),
      h("textarea", { name: "welcome_guide", rows: "5" }, settings.welcome_guide || ""),
    ),
    admissionProblems,
    leader ? h("button", { type: "submit" }, t("common.save")) : null,
  );
  admission.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(admissionProblems, async () => {
      const v = formValues(admission);
      await api.put("/community/settings", {
        admission: {
          mode: v.mode,
          allowed_buildings: v.allowed_buildings
            .split(/[,,]/)
            .map((x) => x.trim())
            .filter(Boolean),
        },
        welcome_guide: v.welcome_guide,
      });
      toast(t("common.saved"));
    });
  });
  body.append(admission, h("h2", {}, t("settings.staff")));
  if (leader && offers("GET", "/community/staff")) {
    const staff = h("div", { id: "staff-box" });
    body.append(staff);
    await staffSection(staff).catch((error) => mount(staff, problemBox(error)));
  } else {
    body.append(leader ? notYet("staff") : h("p.muted", {}, t("settings.leader_only")));
  }
  body.append(h("h2", {}, t("settings.channels")));
  if (!leader || !offers("GET", "/community/channels"))
    return body.append(leader ? notYet("channels") : h("p.muted", {}, t("settings.leader_only")));
  const channels = h("div", { id: "channels-box" });
  body.append(channels);
  await channelsSection(channels).catch((error) => mount(channels, problemBox(error)));
}

function tierRow(tier) {
  const row = h(
    "tr",
    {},
    h("td", {}, h("input", { name: "tier_name", value: tier.name, required: true })),
    h(
      "td",
      {},
      h("input", {
        name: "tier_min",
        inputmode: "decimal",
        value: (tier.min_spend_cents / 100).toFixed(2),
      }),
    ),
    h(
      "td",
      {},
      h("input", {
        name: "tier_discount",
        type: "number",
        min: "0",
        max: "30",
        value: tier.discount_percent,
      }),
    ),
    h("td", {}),
  );
  row.lastChild.append(
    h("button.secondary", { type: "button", onclick: () => row.remove() }, t("common.remove")),
  );
  return row;
}
