// Showcases (晒单): the neighbours' and the member's own, and a new one for a completed order.
import { t, when } from "../../lib/i18n.js";
import {
  attempt,
  empty,
  field,
  formValues,
  go,
  h,
  mount,
  statusBadge,
  toast,
} from "../../lib/ui.js";
import { api } from "../context.js";

export async function showcasesScreen(body) {
  const [showcases, completed] = await Promise.all([
    api.get("/showcases?limit=50"),
    api.get("/orders?status=completed&limit=50"),
  ]);
  const problems = h("div");
  const form = h(
    "form",
    { id: "showcase-form" },
    field(
      t("showcases.order"),
      h(
        "select",
        { name: "order_id", required: true },
        completed.items.map((o) =>
          h("option", { value: o.id }, o.lines.map((l) => l.name).join(", ")),
        ),
      ),
    ),
    field(t("showcases.text"), h("textarea", { name: "text", required: true, maxlength: "500" })),
    problems,
    h("button", { type: "submit" }, t("showcases.post")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      await api.post("/showcases", formValues(form));
      toast(t("showcases.sent"));
      go("#/showcases");
    });
  });
  mount(
    body,
    h("h1", {}, t("showcases.title")),
    showcases.items.length
      ? showcases.items.map((s) =>
          h(
            "div.card",
            {},
            h("div.row", {}, h("strong.grow", {}, s.author), s.mine ? statusBadge(s.status) : null),
            h("p", {}, s.text),
            h("p.muted", {}, when(s.created_at)),
          ),
        )
      : empty(t("showcases.empty")),
    completed.items.length
      ? [h("h2", {}, t("showcases.mine")), form]
      : h("p.muted", {}, t("showcases.need_completed")),
  );
}
