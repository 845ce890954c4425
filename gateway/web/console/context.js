// What every screen of the console shares: the leader's login, the API client, what the current
// screen must stop when it is left, and which endpoints the API offers.
import { makeApi, makeSession } from "../lib/api.js";
import { go } from "../lib/ui.js";

export const session = makeSession("linli.leader");
export const api = makeApi(session, () => {
  session.clear();
  go("#/login");
});
let leaving = [];
let spec = null;

// What the current screen must stop when it is left (sockets, charts).
export function onLeave(stop) {
  leaving.push(stop);
}

export function leaveScreen() {
  for (const stop of leaving) stop();
  leaving = [];
}

export async function loadSpec() {
  spec = await fetch("/api/v1/openapi.json")
    .then((r) => r.json())
    .catch(() => null);
}

// Does the API offer this endpoint yet? (The OpenAPI document lists every route the gateway has.)
export function offers(method, path) {
  const operations = spec?.paths ? spec.paths[`/api/v1${path}`] : null;
  return Boolean(operations?.[method.toLowerCase()]);
}
