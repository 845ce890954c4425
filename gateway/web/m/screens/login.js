// A member's login (a leader who logs in here is sent to the console).
import { t } from "../../lib/i18n.js";
import { attempt, field, formValues, go, h, mount } from "../../lib/ui.js";
import { api, session } from "../context.js";

export async function loginScreen(body, _parts, query) {
  const problems = h("div");
  const form = h(
    "form",
    { id: "login-form" },
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
        autocomplete: "current-password",
      }),
    ),
    field(
      t("field.community"),
      h("input", { name: "community", value: query.get("c") || "", placeholder: "xiaoya" }),
    ),
    problems,
    h("button", { type: "submit" }, t("login.submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      if (!values.community) values.community = null;
      const login = await api.post("/auth/login", values);
      if (login.role !== "member") {
        problems.append(
          h(
            "div.problem",
            {},
            t("login.not_member"),
            " ",
            h("a", { href: "/console/" }, t("login.to_console")),
          ),
        );
        return;
      }
      session.set({ token: login.token, community: login.community });
      go("#/");
    });
  });
  mount(body, h("h1", {}, t("login.title")), form);
}
