// The member's face of Linli (mobile H5): join, the wave's products, the live room, cart and
// checkout, orders with their timeline and pickup QR, points/coupons/tier, invite poster, inbox,
// showcases. Hash routes (#/live/<id>), so the gateway serves one page. This module is the shell
// (tabs and routing); each screen is a module in screens/.
import { loadMessages, t } from "../lib/i18n.js";
import { currentRoute, go, h, mount, problemBox } from "../lib/ui.js";
import { leaveScreen, session } from "./context.js";
import { cartScreen } from "./screens/cart.js";
import { homeScreen } from "./screens/home.js";
import { inboxScreen } from "./screens/inbox.js";
import { joinScreen } from "./screens/join.js";
import { liveScreen } from "./screens/live.js";
import { loginScreen } from "./screens/login.js";
import { meScreen } from "./screens/me.js";
import { notFoundScreen } from "./screens/not-found.js";
import { orderScreen } from "./screens/order.js";
import { ordersScreen } from "./screens/orders.js";
import { postsScreen } from "./screens/posts.js";
import { productScreen } from "./screens/product.js";
import { sharedScreen } from "./screens/shared.js";
import { showcasesScreen } from "./screens/showcases.js";
import { waveScreen } from "./screens/wave.js";

const root = document.getElementById("app");

const SCREENS = {
  "": homeScreen,
  join: joinScreen,
  login: loginScreen,
  wave: waveScreen,
  product: productScreen,
  c: sharedScreen,
  live: liveScreen,
  cart: cartScreen,
  posts: postsScreen,
  orders: ordersScreen,
  me: meScreen,
  inbox: inboxScreen,
  showcases: showcasesScreen,
};
const PUBLIC = new Set(["join", "login", "c"]);

function tabbar(active) {
  const tabs = [
    ["", "tab.home"],
    ["cart", "tab.cart"],
    ["orders", "tab.orders"],
    ["me", "tab.me"],
  ];
  return h(
    "nav.tabbar",
    {},
    tabs.map(([name, key]) =>
      h(`a${name === active ? ".active" : ""}`, { href: `#/${name}` }, t(key)),
    ),
  );
}

async function render() {
  leaveScreen();
  const { parts, query } = currentRoute();
  let name = parts[0] || "";
  if (name === "orders" && parts[1]) name = "order";
  if (!PUBLIC.has(name) && !session.get()) return go("#/login");
  const screen = name === "order" ? orderScreen : SCREENS[name] || notFoundScreen;
  const body = h("main.phone");
  mount(root, body, session.get() && !PUBLIC.has(name) ? tabbar(parts[0] || "") : null);
  document.title = `${t("app.member_title")}`;
  try {
    await screen(body, parts.slice(1), query);
  } catch (error) {
    body.append(problemBox(error));
  }
}

await loadMessages();
window.addEventListener("hashchange", render);
render();
