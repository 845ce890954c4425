// Members: the list, admission decisions, one member's card; showcases to review.
import { money, percent, t, when } from "../../lib/i18n.js";
import {
  attempt,
  empty,
  formValues,
  go,
  h,
  mount,
  notYet,
  statusBadge,
  toast,
  yuanToCents,
} from "../../lib/ui.js";
import { api, offers } from "../context.js";
import { table } from "../widgets.js";

async function memberDetail(body, memberId) {
  const m = await api.get(`/members/${encodeURIComponent(memberId)}`);
  const problems = h("div");
  const reload = () => go(`#/members/${m.id}`);
  const tags =
    m.tags && !Array.isArray(m.tags) ? m.tags : { manual: m.tags || [], auto: m.auto_tags || [] };
  const stats = m.order_stats || {};
  const small = (id, children, submit) => {
    const form = h("form.row", { id }, children, h("button", { type: "submit" }, t("common.save")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(problems, async () => {
        await submit(formValues(form));
        toast(t("common.saved"));
        reload();
      });
    });
    return form;
  };
  mount(
    body,
    h("div.row", {}, h("h1.grow", {}, m.name), statusBadge(m.status)),
    h("p.muted", {}, `${m.phone || ""} · ${m.building || ""} ${m.unit || ""}`),
    h(
      "div.kpis",
      {},
      h("div.kpi", {}, h("span.muted", {}, t("me.points")), h("strong", {}, m.points ?? "—")),
      h("div.kpi", {}, h("span.muted", {}, t("me.tier")), h("strong", {}, m.tier?.name || "—")),
      h(
        "div.kpi",
        {},
        h("span.muted", {}, t("members.paid_orders")),
        h("strong", {}, stats.paid_orders ?? "—"),
      ),
      h(
        "div.kpi",
        {},
        h("span.muted", {}, t("members.spent")),
        h("strong", {}, money(stats.spent_cents)),
      ),
      h(
        "div.kpi",
        {},
        h("span.muted", {}, t("members.last_order")),
        h("strong", {}, when(stats.last_order_at)),
      ),
    ),
    h("h2", {}, t("members.tags")),
    h(
      "p",
      {},
      tags.manual.map((tag) => [
        h(
          "span.badge",
          {},
          tag,
          " ",
          h(
            "a",
            {
              href: "#",
              onclick: (e) => {
                e.preventDefault();
                attempt(problems, async () => {
                  await api.patch(`/members/${m.id}`, { tags_remove: [tag] });
                  reload();
                });
              },
            },
            "×",
          ),
        ),
        " ",
      ]),
      tags.auto.map((tag) => [
        h("span.badge.s-available", { title: t("members.auto_tag") }, tag),
        " ",
      ]),
    ),
    small(
      "tag-form",
      h("input", {
        name: "tag",
        required: true,
        placeholder: t("members.tag"),
        style: "width:10rem",
      }),
      (v) => api.patch(`/members/${m.id}`, { tags_add: [v.tag] }),
    ),
    h("h3", {}, t("members.note")),
    small(
      "note-form",
      h("input.grow", { name: "note", value: m.note || "", style: "width:auto" }),
      (v) => api.patch(`/members/${m.id}`, { note: v.note }),
    ),
    (m.repurchase_predictions || []).length
      ? [
          h("h2", {}, t("members.predictions")),
          table(
            [
              t("field.product_name"),
              t("members.interval_days"),
              t("members.last_purchase"),
              t("members.next_due"),
              t("members.confidence"),
            ],
            m.repurchase_predictions.map((p) =>
              h(
                "tr",
                { "data-prediction": p.product_id || p.category },
                h(
                  "td",
                  {},
                  p.name || p.product_id || p.category,
                  p.product_id ? null : [" ", h("span.badge", {}, t("members.category"))],
                ),
                h("td", {}, p.interval_days),
                h("td", {}, when(p.last_purchase_at)),
                h("td", {}, when(p.next_due_at)),
                h("td", {}, percent(p.confidence)),
              ),
            ),
            { id: "predictions" },
          ),
        ]
      : [h("h2", {}, t("members.predictions")), empty(t("members.no_predictions"))],
    h("h2", {}, t("members.points_adjust")),
    small(
      "points-form",
      [
        h("input", {
          name: "delta",
          type: "number",
          required: true,
          placeholder: "+100 / -50",
          style: "width:8rem",
        }),
        h("input.grow", {
          name: "reason",
          required: true,
          placeholder: t("field.reason"),
          style: "width:auto",
        }),
      ],
      (v) => api.post(`/members/${m.id}/points`, { delta: v.delta, reason: v.reason }),
    ),
    h("h2", {}, t("members.give_coupon")),
    small(
      "coupon-form",
      [
        h("input", {
          name: "amount",
          required: true,
          inputmode: "decimal",
          placeholder: t("field.amount_yuan"),
          style: "width:8rem",
        }),
        h("input", {
          name: "min_spend",
          inputmode: "decimal",
          placeholder: t("members.min_spend_yuan"),
          style: "width:8rem",
        }),
        h("input", {
          name: "valid_days",
          type: "number",
          min: "1",
          value: "30",
          style: "width:6rem",
          "aria-label": t("members.valid_days"),
        }),
      ],
      (v) =>
        api.post(`/members/${m.id}/coupons`, {
          kind: "fixed",
          amount_cents: yuanToCents(v.amount),
          min_spend_cents: yuanToCents(v.min_spend) ?? 0,
          valid_days: v.valid_days,
        }),
    ),
    problems,
  );
}

export async function membersScreen(body, [memberId], query) {
  if (memberId) return memberDetail(body, memberId);
  mount(body, h("h1", {}, t("nav.members")));
  if (!offers("GET", "/members")) {
    body.append(notYet("members"));
  } else {
    const q = query.get("q") || "";
    const status = query.get("status") || "";
    const tag = query.get("tag") || "";
    const params = new URLSearchParams({
      limit: "100",
      ...(q ? { q } : {}),
      ...(status ? { status } : {}),
      ...(tag ? { tag } : {}),
    });
    const filters = h(
      "form.row",
      { id: "member-filters" },
      h("input.grow", {
        name: "q",
        value: q,
        placeholder: t("members.search"),
        style: "width:auto",
      }),
      h("input", { name: "tag", value: tag, placeholder: t("members.tag"), style: "width:8rem" }),
      h(
        "select",
        { name: "status", style: "width:auto" },
        h("option", { value: "" }, t("orders.all")),
        ["pending", "active", "rejected"].map((s) =>
          h("option", { value: s, selected: s === status }, t(`status.${s}`)),
        ),
      ),
      h("button", { type: "submit" }, t("members.filter")),
    );
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = formValues(filters);
      go(`#/members?${new URLSearchParams(Object.entries(values).filter(([, v]) => v))}`);
    });
    const members = await api.get(`/members?${params}`);
    const problems = h("div");
    const decide = (id, verdict) =>
      attempt(problems, async () => {
        await api.post(`/members/${id}/${verdict}`);
        go(`#/members?${params}`);
      });
    const canDecide = offers("POST", "/members/{member_id}/approve");
    body.append(
      filters,
      problems,
      members.items.length
        ? table(
            [
              t("field.name"),
              t("field.building"),
              t("field.unit_room"),
              t("field.status"),
              t("members.tags"),
              "",
            ],
            members.items.map((m) =>
              h(
                "tr",
                { "data-member": m.id },
                h("td", {}, m.name),
                h("td", {}, m.building || ""),
                h("td", {}, m.unit || ""),
                h("td", {}, statusBadge(m.status)),
                h("td", {}, [...(m.tags || []), ...(m.auto_tags || [])].join(", ")),
                h(
                  "td",
                  {},
                  canDecide && m.status === "pending"
                    ? [
                        h(
                          "button",
                          { "data-approve": m.id, onclick: () => decide(m.id, "approve") },
                          t("members.approve"),
                        ),
                        " ",
                        h(
                          "button.secondary",
                          { onclick: () => decide(m.id, "reject") },
                          t("members.reject"),
                        ),
                        " ",
                      ]
                    : null,
                  offers("GET", "/members/{member_id}")
                    ? h("a", { href: `#/members/${m.id}` }, t("common.open"))
                    : null,
                ),
              ),
            ),
          )
        : empty(t("members.empty")),
    );
  }
  body.append(h("h2", {}, t("showcases.review")));
  const showcases = await api.get("/showcases?status=pending&limit=50");
  const problems = h("div");
  body.append(
    problems,
    showcases.items.length
      ? table(
          [t("live.author"), t("showcases.text"), t("live.at"), ""],
          showcases.items.map((s) =>
            h(
              "tr",
              { "data-showcase": s.id },
              h("td", {}, s.author),
              h("td", {}, s.text),
              h("td", {}, when(s.created_at)),
              h(
                "td",
                {},
                h(
                  "button",
                  {
                    onclick: () =>
                      attempt(problems, async () => {
                        await api.post(`/showcases/${s.id}/approve`);
                        go("#/members");
                      }),
                  },
                  t("members.approve"),
                ),
                " ",
                h(
                  "button.secondary",
                  {
                    onclick: () =>
                      attempt(problems, async () => {
                        await api.post(`/showcases/${s.id}/reject`);
                        go("#/members");
                      }),
                  },
                  t("members.reject"),
                ),
              ),
            ),
          ),
        )
      : empty(t("showcases.none_pending")),
  );
}
