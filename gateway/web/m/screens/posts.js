// Posts (知识与活动) from the leader.
import { t, when } from "../../lib/i18n.js";
import { empty, h, mount } from "../../lib/ui.js";
import { api } from "../context.js";

export async function postsScreen(body) {
  const posts = await api.get("/posts?limit=50");
  mount(
    body,
    h("h1", {}, t("posts.title")),
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
            ),
            p.event_at ? h("p.muted", {}, when(p.event_at)) : null,
            h("p.story", {}, p.body),
          ),
        )
      : empty(t("posts.empty")),
  );
}
