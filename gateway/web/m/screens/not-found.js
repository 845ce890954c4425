// A route that is not there.
import { t } from "../../lib/i18n.js";
import { h, mount } from "../../lib/ui.js";

export function notFoundScreen(body) {
  mount(body, h("h1", {}, t("common.not_found")), h("a", { href: "#/" }, t("common.home")));
}
