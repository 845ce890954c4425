// Joining a community from its invite link; pending until the leader approves when asked.
import { t } from "../../lib/i18n.js";
import { attempt, field, formValues, go, h, mount } from "../../lib/ui.js";
import { api, session } from "../context.js";

export async function joinScreen(body, [slug], query) {
  const invite = query.get("invite") || query.get("code") || "";
  const card = await api.get(`/communities/${encodeURIComponent(slug)}`);
  const problems = h("div");
  const form = h(
    "form",
    { id: "join-form" },
    field(
      t("field.phone"),
      h("input", { name: "phone", type: "tel", required: true, autocomplete: "tel" }),
    ),
    field(
      t("field.password"),
      h("input", {
        name: "password",
        type: "password",
        required: true,
        minlength: "8",
        autocomplete: "new-password",
      }),
    ),
    field(t("field.name"), h("input", { name: "name", required: true })),
    h(
      "div.row",
      {},
      h(
        "div.grow",
        {},
        field(t("field.building"), h("input", { name: "building", required: true })),
      ),
      h("div.grow", {}, field(t("field.unit"), h("input", { name: "unit", required: true }))),
    ),
    field(t("field.invite_code"), h("input", { name: "invite_code", value: invite })),
    problems,
    h("button", { type: "submit" }, t("join.submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      if (!values.invite_code) delete values.invite_code;
      const joined = await api.post(`/communities/${encodeURIComponent(slug)}/join`, values);
      if (joined.member && joined.member.status === "pending") {
        // The leader approves first (入群审核): nothing to browse or buy until then.
        mount(
          body,
          h("div.community-card", {}, h("h1", {}, card.name)),
          h(
            "div.card",
            { id: "pending" },
            h("h2", {}, t("join.pending_title")),
            h("p", {}, t("join.pending")),
          ),
        );
        return;
      }
      session.set({ token: joined.token, community: joined.community, member: joined.member });
      const next = query.get("next");
      go(next?.startsWith("#/") ? next : "#/");
    });
  });
  mount(
    body,
    h(
      "div.community-card",
      {},
      h("h1", {}, card.name),
      h("p", {}, t("join.leader", { name: card.leader_display_name })),
      h("p", {}, t("join.members", { count: card.members_total })),
    ),
    invite ? h("p.muted", {}, t("join.invited", { code: invite })) : null,
    h("h2", {}, t("join.title")),
    form,
    h(
      "p.muted",
      {},
      t("join.have_account"),
      " ",
      h("a", { href: `#/login?c=${encodeURIComponent(slug)}` }, t("login.title")),
    ),
  );
}
