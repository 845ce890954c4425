// Settings, staff (店员/助理): the leader's helpers at the pickup desk.
import { t, when } from "../../lib/i18n.js";
import { attempt, empty, field, formValues, h, mount, problemBox, toast } from "../../lib/ui.js";
import { api } from "../context.js";
import { table } from "../widgets.js";

function staffForm(onAdded) {
  const problems = h("div");
  const form = h(
    "form.narrow",
    { id: "staff-form" },
    field(
      t("staff.display_name"),
      h("input", { name: "display_name", required: true, maxlength: "40" }),
    ),
    field(t("field.phone"), h("input", { name: "phone", type: "tel", required: true })),
    field(
      t("staff.password"),
      h("input", {
        name: "password",
        type: "password",
        required: true,
        minlength: "8",
        autocomplete: "new-password",
      }),
    ),
    problems,
    h("button", { type: "submit" }, t("staff.add")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      await api.post("/community/staff", formValues(form));
      toast(t("common.saved"));
      onAdded();
    });
  });
  return form;
}

export async function staffSection(box) {
  const staff = await api.get("/community/staff");
  const problems = h("div");
  const reload = () => staffSection(box).catch((error) => mount(box, problemBox(error)));
  const remove = (s) =>
    attempt(problems, async () => {
      if (!window.confirm(t("staff.confirm_remove", { name: s.display_name }))) return;
      await api.del(`/community/staff/${s.id}`);
      toast(t("common.saved"));
      await reload();
    });
  mount(
    box,
    h("p.muted", {}, t("staff.intro")),
    problems,
    staff.items.length
      ? table(
          [t("staff.display_name"), t("field.phone"), t("staff.added_at"), ""],
          staff.items.map((s) =>
            h(
              "tr",
              { "data-staff": s.id },
              h("td", {}, s.display_name),
              h("td", {}, s.phone),
              h("td", {}, when(s.created_at)),
              h(
                "td",
                {},
                h(
                  "button.secondary",
                  { "data-remove-staff": s.id, onclick: () => remove(s) },
                  t("common.remove"),
                ),
              ),
            ),
          ),
          { id: "staff" },
        )
      : empty(t("staff.empty")),
    h("h3", {}, t("staff.new")),
    staffForm(reload),
  );
}
