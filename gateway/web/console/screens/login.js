// The leader's login (a member who logs in here is sent to the member's pages).
import { t } from "../../lib/i18n.js";
import { attempt, field, formValues, go, h, mount } from "../../lib/ui.js";
import { api, session } from "../context.js";

export async function loginScreen(body) {
  const problems = h("div");
  const form = h(
    "form.narrow",
    { id: "login-form" },
    field(t("field.phone"), h("input", { name: "phone", type: "tel", required: true })),
    field(t("field.password"), h("input", { name: "password", type: "password", required: true })),
    field(t("field.community"), h("input", { name: "community", placeholder: "xiaoya" })),
    problems,
    h("button", { type: "submit" }, t("login.submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      if (!values.community) values.community = null;
      const login = await api.post("/auth/login", values);
      if (login.role === "member") {
        problems.append(
          h(
            "div.problem",
            {},
            t("console.member_login"),
            " ",
            h("a", { href: "/m/" }, t("console.to_member")),
          ),
        );
        return;
      }
      session.set({ token: login.token, community: login.community, role: login.role });
      go("#/");
    });
  });
  mount(
    body,
    h("h1", {}, t("console.title")),
    h("h2", {}, t("login.title")),
    form,
    h("p", {}, t("console.no_account"), " ", h("a", { href: "#/signup" }, t("console.signup"))),
  );
}
