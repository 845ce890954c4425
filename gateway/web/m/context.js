// What every screen of the member's pages shares: the login and the cart (per tab), the API
// client, and what the current screen must stop when it is left (sockets, timers).
import { makeApi, makeSession } from "../lib/api.js";
import { go } from "../lib/ui.js";

export const session = makeSession("linli.member");
export const cartStore = makeSession("linli.member.cart");
export const api = makeApi(session, () => {
  session.clear();
  go("#/login");
});
let leaving = [];

export function onLeave(stop) {
  leaving.push(stop);
}

export function leaveScreen() {
  for (const stop of leaving) stop();
  leaving = [];
}
