// Message catalogues (zh-CN first; English with ?lang=en, remembered for the next visit).
const SUPPORTED = ["zh-CN", "en"];
let messages = {};
let lang = "zh-CN";

export function pickLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (SUPPORTED.includes(asked)) localStorage.setItem("linli.lang", asked);
  const kept = localStorage.getItem("linli.lang");
  return SUPPORTED.includes(kept) ? kept : "zh-CN";
}

export async function loadMessages() {
  lang = pickLanguage();
  const response = await fetch(`/web/i18n/${lang}.json`);
  messages = await response.json();
  document.documentElement.lang = lang;
}

export function language() {
  return lang;
}

// t("order.total", {amount: "¥1.00"}): the message, its {placeholders} filled in.
export function t(key, params = {}) {
  const text = Object.hasOwn(messages, key) ? messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? "").toString());
}

export function has(key) {
  return Object.hasOwn(messages, key);
}

export function money(cents) {
  if (cents === null || cents === undefined) return "—";
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

// Times are shown on the community's clock (Asia/Shanghai unless the community says otherwise).
let timeZone = "Asia/Shanghai";
export function setTimeZone(zone) {
  if (zone) timeZone = zone;
}

export function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(lang, {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return "—";
  return `${(ratio * 100).toFixed(1)}%`;
}
