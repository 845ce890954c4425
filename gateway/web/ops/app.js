// The platform operator's console (平台运维): service health, parked events (replay, discard),
// communities (suspend, resume), failing deliveries and the audit trail. Its own login: an
// operator's token is of no community, so it is kept apart from the leader's.
import { makeApi, makeSession } from "../lib/api.js";
import { loadMessages, t } from "../lib/i18n.js";
import { currentRoute, go, h, mount, problemBox } from "../lib/ui.js";
import { SCREENS } from "./screens.js";

const root = document.getElementById("app");
export const session = makeSession("linli.operator");
export const api = makeApi(session, () => {
  session.clear();
  go("#/login");
});

const NAV = [
  ["", "ops.nav.services"],
  ["parked", "ops.nav.parked"],
  ["communities", "ops.nav.communities"],
  ["deliveries", "ops.nav.deliveries"],
  ["audit", "ops.nav.audit"],
];

async function render() {
  const { parts } = currentRoute();
  const name = parts[0] || "";
  const login = session.get();
  if (name !== "login" && !login) return go("#/login");
  const main = h("main");
  if (name === "login") {
    mount(root, h("div.phone", {}, main));
  } else {
    mount(
      root,
      h(
        "div.console",
        {},
        h(
          "nav",
          {},
          h("div.brand", {}, t("ops.title")),
          NAV.map(([route, key]) =>
            h(
              `a${route === name ? ".active" : ""}`,
              { href: `#/${route}`, "data-nav": route || "services" },
              t(key),
            ),
          ),
          h("a", { href: "#/login", onclick: () => session.clear() }, t("me.logout")),
        ),
        main,
      ),
    );
  }
  document.title = t("ops.title");
  const screen = SCREENS[name] || ((body) => mount(body, h("h1", {}, t("common.not_found"))));
  try {
    await screen(main, { api, session });
  } catch (error) {
    main.append(problemBox(error));
  }
}

await loadMessages();
window.addEventListener("hashchange", render);
render();
