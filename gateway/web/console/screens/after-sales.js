// After-sales (售后): the cases by status, resolved with a compensation or rejected.
import { money, t, when } from "../../lib/i18n.js";
import {
  add,
  attempt,
  empty,
  formValues,
  go,
  h,
  mount,
  notYet,
  statusBadge,
  yuanToCents,
} from "../../lib/ui.js";
import { api, offers, session } from "../context.js";

export async function afterSalesScreen(body, _parts, query) {
  mount(body, h("h1", {}, t("nav.after_sales")));
  if (!offers("GET", "/after-sales")) return body.append(notYet("after_sales"));
  const status = query.get("status") || "open";
  const cases = await api.get(
    `/after-sales?limit=100${status !== "all" ? `&status=${status}` : ""}`,
  );
  const problems = h("div");
  const leader = session.get().role === "leader";
  body.append(
    h(
      "div.row",
      {},
      ["open", "resolved", "rejected", "all"].map((s) =>
        h(
          `a.button${s === status ? "" : ".secondary"}`,
          { href: `#/after-sales?status=${s}` },
          s === "all" ? t("orders.all") : t(`status.${s}`),
        ),
      ),
    ),
    problems,
  );
  const resolveForm = (c) => {
    const form = h(
      "form.row",
      { "data-resolve": c.id },
      h(
        "select",
        { name: "type", style: "width:auto" },
        ["refund", "coupon", "points"].map((x) =>
          h("option", { value: x }, t(`compensation.${x}`)),
        ),
      ),
      h("input", {
        name: "amount",
        required: true,
        placeholder: t("after_sales.amount"),
        style: "width:8rem",
      }),
      h("button", { type: "submit" }, t("after_sales.resolve")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const v = formValues(form);
      const amount = v.type === "points" ? Number(v.amount) : yuanToCents(v.amount);
      attempt(problems, async () => {
        await api.post(`/after-sales/${c.id}/resolve`, { compensation: { type: v.type, amount } });
        go(`#/after-sales?status=${status}`);
      });
    });
    const reject = h(
      "form.row",
      { "data-reject": c.id },
      h("input.grow", {
        name: "reason",
        required: true,
        placeholder: t("field.reason"),
        style: "width:auto",
      }),
      h("button.secondary", { type: "submit" }, t("members.reject")),
    );
    reject.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(problems, async () => {
        await api.post(`/after-sales/${c.id}/reject`, { reason: formValues(reject).reason });
        go(`#/after-sales?status=${status}`);
      });
    });
    return [form, reject];
  };
  add(
    body,
    cases.items.length
      ? cases.items.map((c) =>
          h(
            "div.card",
            { "data-case": c.id },
            h(
              "div.row",
              {},
              h("strong.grow", {}, t(`after_sales.kind.${c.kind}`)),
              statusBadge(c.status),
            ),
            h("p", {}, c.description),
            h(
              "p.muted",
              {},
              when(c.created_at),
              " · ",
              h("a", { href: `#/orders/${c.order_id}` }, t("after_sales.order")),
            ),
            c.compensation
              ? h(
                  "p",
                  {},
                  t("after_sales.compensated", {
                    what: t(`compensation.${c.compensation.type}`),
                    amount:
                      c.compensation.type === "points"
                        ? c.compensation.amount
                        : money(c.compensation.amount),
                  }),
                )
              : null,
            c.reject_reason ? h("p.muted", {}, c.reject_reason) : null,
            c.status === "open" && leader ? resolveForm(c) : null,
          ),
        )
      : empty(t("after_sales.empty")),
  );
}
