// The leader's console (团长工作台): cockpit, products, waves, the live console, orders, picking
// lists and packing slips, pickup verification, members, referral, settings. What the API does
// not offer yet (read from the OpenAPI document) is shown as "not available yet", never faked.
// This module is the shell (navigation and routing); each screen is a module in screens/.
import { loadMessages, setTimeZone, t } from "../lib/i18n.js";
import { currentRoute, go, h, mount, problemBox } from "../lib/ui.js";
import { leaveScreen, loadSpec, session } from "./context.js";
import { afterSalesScreen } from "./screens/after-sales.js";
import { campaignsScreen } from "./screens/campaigns.js";
import { cockpitScreen } from "./screens/cockpit.js";
import { liveScreen } from "./screens/live.js";
import { loginScreen } from "./screens/login.js";
import { membersScreen } from "./screens/members.js";
import { ordersScreen } from "./screens/orders.js";
import { pickupScreen } from "./screens/pickup.js";
import { postsScreen } from "./screens/posts.js";
import { productsScreen } from "./screens/products.js";
import { referralScreen } from "./screens/referral.js";
import { rewardsScreen } from "./screens/rewards.js";
import { settingsScreen } from "./screens/settings.js";
import { signupScreen } from "./screens/signup.js";
import { wavesScreen } from "./screens/waves.js";

const root = document.getElementById("app");

// --- shell -----------------------------------------------------------------------------------

const NAV = [
  ["", "nav.cockpit"],
  ["products", "nav.products"],
  ["waves", "nav.waves"],
  ["live", "nav.live"],
  ["orders", "nav.orders"],
  ["pickup", "nav.pickup"],
  ["members", "nav.members"],
  ["after-sales", "nav.after_sales"],
  ["posts", "nav.posts"],
  ["campaigns", "nav.campaigns"],
  ["rewards", "nav.rewards"],
  ["referral", "nav.referral"],
  ["settings", "nav.settings"],
];

const SCREENS = {
  "": cockpitScreen,
  login: loginScreen,
  signup: signupScreen,
  products: productsScreen,
  waves: wavesScreen,
  live: liveScreen,
  orders: ordersScreen,
  pickup: pickupScreen,
  members: membersScreen,
  referral: referralScreen,
  settings: settingsScreen,
  "after-sales": afterSalesScreen,
  posts: postsScreen,
  campaigns: campaignsScreen,
  rewards: rewardsScreen,
};
const PUBLIC = new Set(["login", "signup"]);

async function render() {
  leaveScreen();
  const { parts, query } = currentRoute();
  const name = parts[0] || "";
  const login = session.get();
  if (!PUBLIC.has(name) && !login) return go("#/login");
  const main = h("main");
  if (PUBLIC.has(name)) {
    mount(root, h("div.phone", {}, main));
  } else {
    setTimeZone(login.community.timezone);
    mount(
      root,
      h(
        "div.console",
        {},
        h(
          "nav",
          {},
          h("div.brand", {}, login.community.name),
          NAV.map(([route, key]) =>
            h(
              `a${route === name ? ".active" : ""}`,
              { href: `#/${route}`, "data-nav": route || "cockpit" },
              t(key),
            ),
          ),
          h("a", { href: "#/login", onclick: () => session.clear() }, t("me.logout")),
        ),
        main,
      ),
    );
  }
  document.title = t("console.title");
  const screen = SCREENS[name] || ((body) => mount(body, h("h1", {}, t("common.not_found"))));
  try {
    await screen(main, parts.slice(1), query);
  } catch (error) {
    main.append(problemBox(error));
  }
}

await loadMessages();
await loadSpec();
window.addEventListener("hashchange", render);
render();
