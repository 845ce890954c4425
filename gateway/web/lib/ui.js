// A small DOM toolkit: elements are built with h(), never from HTML strings, so text from the
// API (names, comments, notes) is always shown as text.
import { has, t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const element = document.createElement(name || "div");
  if (classes.length) element.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function")
      element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "value") element.value = value;
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Like Element.append, but arrays (from .map) are flattened and null/false skipped.
export function add(element, ...children) {
  append(element, children);
}

export function mount(root, ...children) {
  root.replaceChildren();
  append(root, children);
}

// The problem+json of a failed call, said in the reader's language: what kind of failure, the
// reason when the API gives one we know, the server's own detail, and each field's complaint.
export function problemBox(error) {
  const problem = error.problem || { title: String(error.message || error) };
  const status = error.status || 0;
  const headline = has(`error.${status}`) ? t(`error.${status}`) : t("error.other");
  const reason =
    problem.reason && has(`reason.${problem.reason}`) ? t(`reason.${problem.reason}`) : null;
  const fields = Object.entries(problem.errors || {}).map(([field, messages]) =>
    h(
      "li",
      {},
      h("strong", {}, has(`field.${field}`) ? t(`field.${field}`) : field),
      ": ",
      []
        .concat(messages)
        .map((m) => (typeof m === "string" ? m : JSON.stringify(m)))
        .join(" "),
    ),
  );
  return h(
    "div.problem",
    { role: "alert", "data-status": String(status) },
    h("strong", {}, headline),
    reason ? h("p", {}, reason) : null,
    problem.detail ? h("p.detail", {}, problem.detail) : null,
    problem.retry_after_seconds
      ? h("p", {}, t("error.retry_after", { seconds: problem.retry_after_seconds }))
      : null,
    fields.length ? h("ul", {}, fields) : null,
  );
}

// Run an action from a form or button; its failure shows in ``where`` (or a toast).
export async function attempt(where, action) {
  if (where) where.replaceChildren();
  try {
    return await action();
  } catch (error) {
    if (!error.problem && !(error.status >= 0)) console.warn(error);
    if (where) where.append(problemBox(error));
    else toast(problemBox(error));
    return undefined;
  }
}

export function toast(content, ms = 3000) {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div#toasts", { id: "toasts", "aria-live": "polite" });
    document.body.append(box);
  }
  const item = h("div.toast", {}, content);
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), ms);
}

// Form values by name; numbers for inputs of type number (empty -> undefined).
export function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === "number")
      values[element.name] = element.value === "" ? undefined : Number(element.value);
    else if (element.type === "checkbox") values[element.name] = element.checked;
    else values[element.name] = element.value.trim();
  }
  return values;
}

export function field(label, input) {
  return h("label.field", {}, h("span", {}, label), input);
}

// "12.90" (yuan, as a person types it) -> 1290 fen.
export function yuanToCents(text) {
  if (text === undefined || text === null || String(text).trim() === "") return undefined;
  const value = Number(String(text).trim());
  return Number.isFinite(value) ? Math.round(value * 100) : NaN;
}

export function statusBadge(status) {
  return h(`span.badge.s-${status}`, {}, has(`status.${status}`) ? t(`status.${status}`) : status);
}

export function empty(text) {
  return h("p.empty", {}, text);
}

// A screen for what the API does not offer yet: said plainly, never with invented figures.
export function notYet(what) {
  return h(
    "div.not-yet",
    { "data-not-yet": what },
    h("strong", {}, t("common.not_yet")),
    h("p", {}, t(`not_yet.${what}`)),
  );
}

// "#/orders/abc?x=1" -> {parts: ["orders", "abc"], query: URLSearchParams}
export function currentRoute() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search] = raw.split("?");
  return {
    parts: path.split("/").filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search || ""),
  };
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

export function qrSvg(text, cell = 6) {
  // qrcode-generator (vendored from npm at install time); without it the code shows as digits only.
  if (typeof window.qrcode !== "function") return null;
  const qr = window.qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const size = (count + 8) * cell;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("role", "img");
  svg.setAttribute("class", "qr");
  const background = document.createElementNS(ns, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  svg.append(background);
  let d = "";
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (qr.isDark(row, col))
        d += `M${(col + 4) * cell} ${(row + 4) * cell}h${cell}v${cell}h-${cell}z`;
    }
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(path);
  return svg;
}

// Vendored libraries (fetched from npm at install time) may be missing: /web/vendor.json says
// which are there, so nothing is requested that would fail.
let vendorList = null;
const loaded = {};
export async function loadVendor(name) {
  if (!vendorList)
    vendorList = fetch("/web/vendor.json")
      .then((r) => r.json())
      .catch(() => ({}));
  const src = (await vendorList)[name];
  if (!src) return false;
  if (!loaded[src]) {
    loaded[src] = new Promise((resolve) => {
      const script = h("script", { src });
      script.addEventListener("load", () => resolve(true));
      script.addEventListener("error", () => resolve(false));
      document.head.append(script);
    });
  }
  return loaded[src];
}
