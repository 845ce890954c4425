// A new leader signs up: their community, its address (slug) and their own account.
import { t } from "../../lib/i18n.js";
import { attempt, field, formValues, go, h, mount } from "../../lib/ui.js";
import { api, session } from "../context.js";

export async function signupScreen(body) {
  const problems = h("div");
  const form = h(
    "form.narrow",
    { id: "signup-form" },
    field(t("field.community_name"), h("input", { name: "community_name", required: true })),
    field(
      t("field.slug"),
      h("input", { name: "slug", required: true, pattern: "[a-z0-9][a-z0-9\\-]{2,39}" }),
    ),
    field(t("field.display_name"), h("input", { name: "display_name", required: true })),
    field(t("field.phone"), h("input", { name: "phone", type: "tel", required: true })),
    field(
      t("field.password"),
      h("input", { name: "password", type: "password", required: true, minlength: "8" }),
    ),
    problems,
    h("button", { type: "submit" }, t("console.signup")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const created = await api.post("/leaders/signup", formValues(form));
      session.set({ token: created.token, community: created.community, role: created.role });
      go("#/");
    });
  });
  mount(
    body,
    h("h1", {}, t("console.signup")),
    form,
    h("p", {}, h("a", { href: "#/login" }, t("login.title"))),
  );
}
