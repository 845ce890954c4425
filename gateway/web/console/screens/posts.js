// Posts (知识与活动): knowledge and events for the members.
import { t, when } from "../../lib/i18n.js";
import {
  add,
  attempt,
  empty,
  field,
  formValues,
  go,
  h,
  mount,
  notYet,
  statusBadge,
  toast,
} from "../../lib/ui.js";
import { api, offers } from "../context.js";
import { isoFromLocal } from "../widgets.js";

export async function postsScreen(body) {
  mount(body, h("h1", {}, t("nav.posts")));
  if (!offers("GET", "/posts")) return body.append(notYet("posts"));
  const posts = await api.get("/posts?limit=50");
  const problems = h("div");
  const form = h(
    "form.narrow",
    { id: "post-form" },
    field(
      t("posts.kind"),
      h(
        "select",
        { name: "kind" },
        ["knowledge", "event"].map((k) => h("option", { value: k }, t(`posts.kind.${k}`))),
      ),
    ),
    field(t("field.title"), h("input", { name: "title", required: true, maxlength: "80" })),
    field(t("posts.body"), h("textarea", { name: "body", required: true, rows: "5" })),
    field(t("posts.event_at"), h("input", { name: "event_at", type: "datetime-local" })),
    problems,
    h("button", { type: "submit" }, t("posts.publish")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const payload = { kind: v.kind, title: v.title, body: v.body };
      if (v.event_at) payload.event_at = isoFromLocal(v.event_at);
      await api.post("/posts", payload);
      toast(t("common.saved"));
      go("#/posts");
    });
  });
  add(
    body,
    posts.items.length
      ? posts.items.map((p) =>
          h(
            "div.card",
            { "data-post": p.id },
            h(
              "div.row",
              {},
              h("strong.grow", {}, p.title),
              h("span.badge", {}, t(`posts.kind.${p.kind}`)),
              " ",
              statusBadge(p.status),
            ),
            p.event_at ? h("p.muted", {}, when(p.event_at)) : null,
            h("p.story", {}, p.body),
          ),
        )
      : empty(t("posts.empty")),
    h("h2", {}, t("posts.new")),
    form,
  );
}
