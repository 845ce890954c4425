// The cockpit (经营驾驶舱): the join link, the day's figures, top products and charts.
import { money, percent, t } from "../../lib/i18n.js";
import { add, empty, formValues, go, h, loadVendor, mount, notYet } from "../../lib/ui.js";
import { api, offers, onLeave, session } from "../context.js";
import { table } from "../widgets.js";

export async function cockpitScreen(body, _parts, query) {
  const login = session.get();
  const joinUrl = `${location.origin}/c/${login.community.slug}/join`;
  mount(
    body,
    h("h1", {}, t("nav.cockpit")),
    h("p.muted", {}, t("cockpit.join_link"), " ", h("code", { id: "join-link" }, joinUrl)),
  );
  if (!offers("GET", "/dashboard")) {
    body.append(notYet("dashboard"));
    return;
  }
  // Without from/to the cockpit answers its default range on the community's clock.
  const range = new URLSearchParams(
    [...query].filter(([key, value]) => ["from", "to"].includes(key) && value),
  );
  const data = await api.get(`/dashboard${range.size ? `?${range}` : ""}`);
  const rangeForm = h(
    "form.row",
    { id: "range" },
    h("input", {
      name: "from",
      type: "date",
      value: data.from,
      style: "width:auto",
      "aria-label": t("cockpit.from"),
    }),
    "–",
    h("input", {
      name: "to",
      type: "date",
      value: data.to,
      style: "width:auto",
      "aria-label": t("cockpit.to"),
    }),
    h("button.secondary", { type: "submit" }, t("members.filter")),
    h("span.muted", {}, t("cockpit.range", { from: data.from || "", to: data.to || "" })),
  );
  rangeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`#/?${new URLSearchParams(formValues(rangeForm))}`);
  });
  body.append(rangeForm);
  const kpi = (label, value) =>
    h("div.kpi", {}, h("span.muted", {}, label), h("strong", {}, value));
  const live = data.live || {};
  body.append(
    h(
      "div.kpis",
      { id: "kpis" },
      kpi(t("cockpit.gmv"), money(data.gmv_cents)),
      kpi(t("cockpit.orders"), data.orders ?? "—"),
      kpi(t("cockpit.paying_members"), data.paying_members ?? "—"),
      kpi(t("cockpit.aov"), money(data.aov_cents)),
      kpi(t("cockpit.repurchase_rate"), percent(data.repurchase_rate)),
      kpi(t("cockpit.new_members"), data.new_members ?? "—"),
      kpi(t("cockpit.members_total"), data.members_total ?? "—"),
      kpi(t("cockpit.live_conversion"), percent(live.conversion_rate)),
      kpi(
        t("cockpit.live_sessions"),
        t("cockpit.live_detail", {
          sessions: live.sessions ?? "—",
          viewers: live.viewers ?? "—",
          buyers: live.buyers ?? "—",
        }),
      ),
      data.reminders
        ? kpi(
            t("cockpit.reminders"),
            t("cockpit.sent_converted", {
              sent: data.reminders.sent ?? "—",
              converted: data.reminders.converted ?? "—",
            }),
          )
        : null,
      data.referrals
        ? kpi(
            t("cockpit.referrals"),
            t("cockpit.invited_rewarded", {
              invited: data.referrals.invited ?? "—",
              rewarded: data.referrals.rewarded ?? "—",
            }),
          )
        : null,
      data.fulfillment
        ? kpi(
            t("cockpit.paid_to_completed"),
            data.fulfillment.avg_paid_to_completed_hours == null
              ? "—"
              : t("cockpit.hours", {
                  hours: Number(data.fulfillment.avg_paid_to_completed_hours).toFixed(1),
                }),
          )
        : null,
      kpi(t("cockpit.after_sales_rate"), percent(data.after_sales_rate)),
    ),
  );
  const top = data.top_products || [];
  body.append(h("h2", {}, t("cockpit.top_products")));
  add(
    body,
    top.length
      ? table(
          [t("field.product_name"), t("field.quantity"), t("cockpit.revenue")],
          top.map((p) =>
            h(
              "tr",
              {},
              h("td", {}, p.name),
              h("td", {}, p.quantity),
              h("td", {}, money(p.revenue_cents)),
            ),
          ),
          { id: "top-products" },
        )
      : empty(t("cockpit.no_sales")),
  );
  const daily = data.daily || [];
  const charts = h("div.charts");
  body.append(h("h2", {}, t("cockpit.by_day")), charts);
  if (!(await loadVendor("chart"))) {
    charts.append(h("p.muted", {}, t("cockpit.no_charts")));
    return;
  }
  const series = [
    ["gmv", (d) => d.gmv_cents / 100],
    ["orders", (d) => d.orders],
    ["new_members", (d) => d.new_members],
  ];
  for (const [name, value] of series) {
    const canvas = h("canvas", { "data-chart": name });
    charts.append(h("div.card", {}, h("h3", {}, t(`cockpit.${name}`)), canvas));
    const chart = new window.Chart(canvas, {
      type: name === "gmv" ? "line" : "bar",
      data: {
        labels: daily.map((d) => d.date),
        datasets: [
          {
            label: t(`cockpit.${name}`),
            data: daily.map(value),
            borderColor: "#2e7d32",
            backgroundColor: "#66bb6a",
          },
        ],
      },
      options: {
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true } },
      },
    });
    onLeave(() => chart.destroy());
  }
}
