// The leader's console (团长工作台): cockpit, products, waves, the live console, orders, picking
// lists and packing slips, pickup verification, members, referral, settings. What the API does
// not offer yet (read from the OpenAPI document) is shown as "not available yet", never faked.
import { loadMessages, money, percent, setTimeZone, t, when } from "/web/lib/i18n.js";
import { makeApi, makeSession } from "/web/lib/api.js";
import {
  add, attempt, currentRoute, empty, field, formValues, go, h, loadVendor, mount, notYet, problemBox, statusBadge, toast,
  yuanToCents,
} from "/web/lib/ui.js";

const session = makeSession("linli.leader");
const api = makeApi(session, () => {
  session.clear();
  go("#/login");
});
const root = document.getElementById("app");
let leaving = [];
let spec = null;

function onLeave(stop) {
  leaving.push(stop);
}

// Does the API offer this endpoint yet? (The OpenAPI document lists every route the gateway has.)
function offers(method, path) {
  const operations = spec && spec.paths ? spec.paths[`/api/v1${path}`] : null;
  return Boolean(operations && operations[method.toLowerCase()]);
}

function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : undefined;
}

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function table(headers, rows, attrs = {}) {
  return h("table", attrs, h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))), h("tbody", {}, rows));
}

// --- login and signup ------------------------------------------------------------------------

async function loginScreen(body) {
  const problems = h("div");
  const form = h("form.narrow", { id: "login-form" },
    field(t("field.phone"), h("input", { name: "phone", type: "tel", required: true })),
    field(t("field.password"), h("input", { name: "password", type: "password", required: true })),
    field(t("field.community"), h("input", { name: "community", placeholder: "xiaoya" })),
    problems, h("button", { type: "submit" }, t("login.submit")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      if (!values.community) values.community = null;
      const login = await api.post("/auth/login", values);
      if (login.role === "member") {
        problems.append(h("div.problem", {}, t("console.member_login"), " ", h("a", { href: "/m/" }, t("console.to_member"))));
        return;
      }
      session.set({ token: login.token, community: login.community, role: login.role });
      go("#/");
    });
  });
  mount(body, h("h1", {}, t("console.title")), h("h2", {}, t("login.title")), form,
    h("p", {}, t("console.no_account"), " ", h("a", { href: "#/signup" }, t("console.signup"))));
}

async function signupScreen(body) {
  const problems = h("div");
  const form = h("form.narrow", { id: "signup-form" },
    field(t("field.community_name"), h("input", { name: "community_name", required: true })),
    field(t("field.slug"), h("input", { name: "slug", required: true, pattern: "[a-z0-9][a-z0-9\\-]{2,39}" })),
    field(t("field.display_name"), h("input", { name: "display_name", required: true })),
    field(t("field.phone"), h("input", { name: "phone", type: "tel", required: true })),
    field(t("field.password"), h("input", { name: "password", type: "password", required: true, minlength: "8" })),
    problems, h("button", { type: "submit" }, t("console.signup")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const created = await api.post("/leaders/signup", formValues(form));
      session.set({ token: created.token, community: created.community, role: created.role });
      go("#/");
    });
  });
  mount(body, h("h1", {}, t("console.signup")), form, h("p", {}, h("a", { href: "#/login" }, t("login.title"))));
}

// --- cockpit ---------------------------------------------------------------------------------

async function cockpitScreen(body, _parts, query) {
  const login = session.get();
  const joinUrl = `${location.origin}/c/${login.community.slug}/join`;
  mount(body, h("h1", {}, t("nav.cockpit")),
    h("p.muted", {}, t("cockpit.join_link"), " ", h("code", { id: "join-link" }, joinUrl)));
  if (!offers("GET", "/dashboard")) {
    body.append(notYet("dashboard"));
    return;
  }
  // Without from/to the cockpit answers its default range on the community's clock.
  const range = new URLSearchParams([...query].filter(([key, value]) => ["from", "to"].includes(key) && value));
  const data = await api.get(`/dashboard${range.size ? `?${range}` : ""}`);
  const rangeForm = h("form.row", { id: "range" },
    h("input", { name: "from", type: "date", value: data.from, style: "width:auto", "aria-label": t("cockpit.from") }), "–",
    h("input", { name: "to", type: "date", value: data.to, style: "width:auto", "aria-label": t("cockpit.to") }),
    h("button.secondary", { type: "submit" }, t("members.filter")),
    h("span.muted", {}, t("cockpit.range", { from: data.from || "", to: data.to || "" })));
  rangeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`#/?${new URLSearchParams(formValues(rangeForm))}`);
  });
  body.append(rangeForm);
  const kpi = (label, value) => h("div.kpi", {}, h("span.muted", {}, label), h("strong", {}, value));
  const live = data.live || {};
  body.append(h("div.kpis", { id: "kpis" },
    kpi(t("cockpit.gmv"), money(data.gmv_cents)),
    kpi(t("cockpit.orders"), data.orders ?? "—"),
    kpi(t("cockpit.paying_members"), data.paying_members ?? "—"),
    kpi(t("cockpit.aov"), money(data.aov_cents)),
    kpi(t("cockpit.repurchase_rate"), percent(data.repurchase_rate)),
    kpi(t("cockpit.new_members"), data.new_members ?? "—"),
    kpi(t("cockpit.members_total"), data.members_total ?? "—"),
    kpi(t("cockpit.live_conversion"), percent(live.conversion_rate)),
    kpi(t("cockpit.live_sessions"), t("cockpit.live_detail", { sessions: live.sessions ?? "—", viewers: live.viewers ?? "—", buyers: live.buyers ?? "—" })),
    data.reminders ? kpi(t("cockpit.reminders"), t("cockpit.sent_converted", { sent: data.reminders.sent ?? "—", converted: data.reminders.converted ?? "—" })) : null,
    data.referrals ? kpi(t("cockpit.referrals"), t("cockpit.invited_rewarded", { invited: data.referrals.invited ?? "—", rewarded: data.referrals.rewarded ?? "—" })) : null,
    data.fulfillment ? kpi(t("cockpit.paid_to_completed"), data.fulfillment.avg_paid_to_completed_hours == null ? "—"
      : t("cockpit.hours", { hours: Number(data.fulfillment.avg_paid_to_completed_hours).toFixed(1) })) : null,
    kpi(t("cockpit.after_sales_rate"), percent(data.after_sales_rate))));
  const top = data.top_products || [];
  body.append(h("h2", {}, t("cockpit.top_products")));
  add(body, top.length ? table([t("field.product_name"), t("field.quantity"), t("cockpit.revenue")],
    top.map((p) => h("tr", {}, h("td", {}, p.name), h("td", {}, p.quantity), h("td", {}, money(p.revenue_cents)))), { id: "top-products" })
    : empty(t("cockpit.no_sales")));
  const daily = data.daily || [];
  const charts = h("div.charts");
  body.append(h("h2", {}, t("cockpit.by_day")), charts);
  if (!(await loadVendor("chart"))) {
    charts.append(h("p.muted", {}, t("cockpit.no_charts")));
    return;
  }
  const series = [["gmv", (d) => d.gmv_cents / 100], ["orders", (d) => d.orders], ["new_members", (d) => d.new_members]];
  for (const [name, value] of series) {
    const canvas = h("canvas", { "data-chart": name });
    charts.append(h("div.card", {}, h("h3", {}, t(`cockpit.${name}`)), canvas));
    const chart = new window.Chart(canvas, {
      type: name === "gmv" ? "line" : "bar",
      data: { labels: daily.map((d) => d.date), datasets: [{ label: t(`cockpit.${name}`), data: daily.map(value), borderColor: "#2e7d32", backgroundColor: "#66bb6a" }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    });
    onLeave(() => chart.destroy());
  }
}

// --- products --------------------------------------------------------------------------------

function productForm(product, onSaved) {
  const p = product || {};
  const problems = h("div");
  const form = h("form.narrow", { id: "product-form" },
    field(t("field.product_name"), h("input", { name: "name", required: true, value: p.name })),
    field(t("field.price_yuan"), h("input", { name: "price", required: true, inputmode: "decimal", value: p.price_cents !== undefined ? (p.price_cents / 100).toFixed(2) : "" })),
    field(t("field.stock"), h("input", { name: "stock", type: "number", min: "0", value: p.stock ?? "" })),
    field(t("field.unit"), h("input", { name: "unit", value: p.unit, placeholder: "件" })),
    field(t("field.category"), h("input", { name: "category", value: p.category })),
    field(t("field.tags"), h("input", { name: "tags", value: (p.tags || []).join(", ") })),
    field(t("field.description"), h("textarea", { name: "description" }, p.description || "")),
    field(t("field.story"), h("textarea", { name: "story" }, p.story || "")),
    field(t("field.honest_notes"), h("textarea", { name: "honest_notes" }, p.honest_notes || "")),
    product ? field(t("field.status"), h("select", { name: "status" },
      ["on_sale", "off_sale"].map((s) => h("option", { value: s, selected: s === p.status }, t(`status.${s}`))))) : null,
    problems, h("button", { type: "submit" }, t("common.save")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const payload = { name: values.name, price_cents: yuanToCents(values.price),
        tags: values.tags ? values.tags.split(/[,,]/).map((x) => x.trim()).filter(Boolean) : [] };
      for (const key of ["stock", "unit", "category", "description", "story", "honest_notes", "status"]) {
        if (values[key] !== undefined && values[key] !== "") payload[key] = values[key];
      }
      const saved = product ? await api.patch(`/products/${product.id}`, payload) : await api.post("/products", payload);
      toast(t("common.saved"));
      onSaved(saved);
    });
  });
  return form;
}

async function productsScreen(body, [productId]) {
  if (productId) {
    const product = await api.get(`/products/${encodeURIComponent(productId)}`);
    mount(body, h("h1", {}, product.name), productForm(product, () => go("#/products")));
    return;
  }
  const products = await api.get("/products?limit=100");
  mount(body, h("h1", {}, t("nav.products")),
    products.items.length ? table([t("field.product_name"), t("field.price_yuan"), t("field.stock"), t("field.status"), ""],
      products.items.map((p) => h("tr", { "data-product": p.id }, h("td", {}, p.name), h("td", {}, money(p.price_cents)),
        h("td", {}, p.stock), h("td", {}, statusBadge(p.status)), h("td", {}, h("a", { href: `#/products/${p.id}` }, t("common.edit"))))))
      : empty(t("products.empty")),
    h("h2", {}, t("products.new")),
    productForm(null, () => go("#/products")));
}

// Rows of "sell this product at this price" for waves and live sessions.
function offerRows(products, priceLabel) {
  return table(["", t("field.product_name"), priceLabel, t("field.quota"), t("field.per_member_limit")],
    products.map((p) => h("tr", { "data-offer": p.id },
      h("td", {}, h("input", { type: "checkbox", name: `include-${p.id}`, "aria-label": p.name })),
      h("td", {}, p.name, h("br"), h("span.muted", {}, money(p.price_cents))),
      h("td", {}, h("input", { name: `price-${p.id}`, inputmode: "decimal", value: (p.price_cents / 100).toFixed(2) })),
      h("td", {}, h("input", { name: `quota-${p.id}`, type: "number", min: "1" })),
      h("td", {}, h("input", { name: `limit-${p.id}`, type: "number", min: "1" })))));
}

function chosenOffers(values, products, priceKey) {
  return products.filter((p) => values[`include-${p.id}`]).map((p) => {
    const item = { product_id: p.id, [priceKey]: yuanToCents(values[`price-${p.id}`]) };
    if (values[`quota-${p.id}`] !== undefined) item.quota = values[`quota-${p.id}`];
    if (values[`limit-${p.id}`] !== undefined) item.per_member_limit = values[`limit-${p.id}`];
    return item;
  });
}

// --- waves -----------------------------------------------------------------------------------

async function wavesScreen(body, [waveId]) {
  if (waveId) return waveDetail(body, waveId);
  const [waves, products] = await Promise.all([api.get("/waves?limit=100"), api.get("/products?limit=100")]);
  const onSale = products.items.filter((p) => p.status === "on_sale");
  const problems = h("div");
  const now = new Date();
  const form = h("form", { id: "wave-form" },
    h("div.narrow", {},
      field(t("field.title"), h("input", { name: "title", required: true })),
      field(t("field.cutoff_at"), h("input", { name: "cutoff_at", type: "datetime-local", required: true, value: localInput(new Date(now.getTime() + 86400000)) })),
      field(t("field.pickup_at"), h("input", { name: "pickup_at", type: "datetime-local", required: true, value: localInput(new Date(now.getTime() + 2 * 86400000)) })),
      field(t("field.pickup_point"), h("input", { name: "pickup_point", required: true })),
      field(t("field.packing_note"), h("textarea", { name: "packing_note" }))),
    offerRows(onSale, t("field.wave_price")),
    problems, h("button", { type: "submit" }, t("waves.create")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const payload = { title: values.title, cutoff_at: isoFromLocal(values.cutoff_at), pickup_at: isoFromLocal(values.pickup_at),
        pickup_point: values.pickup_point, items: chosenOffers(values, onSale, "price_cents") };
      if (values.packing_note) payload.packing_note = values.packing_note;
      const wave = await api.post("/waves", payload);
      go(`#/waves/${wave.id}`);
    });
  });
  mount(body, h("h1", {}, t("nav.waves")),
    waves.items.length ? table([t("field.title"), t("field.cutoff_at"), t("field.pickup_at"), t("field.status"), ""],
      waves.items.map((w) => h("tr", { "data-wave": w.id }, h("td", {}, w.title), h("td", {}, when(w.cutoff_at)), h("td", {}, when(w.pickup_at)),
        h("td", {}, statusBadge(w.status)), h("td", {}, h("a", { href: `#/waves/${w.id}` }, t("common.open"))))))
      : empty(t("waves.empty")),
    h("h2", {}, t("waves.new")), onSale.length ? form : empty(t("waves.need_products")));
}

async function waveDetail(body, waveId) {
  const wave = await api.get(`/waves/${encodeURIComponent(waveId)}`);
  const problems = h("div");
  const lists = h("div", { id: "lists" });
  const move = (status) => attempt(problems, async () => {
    const moved = await api.post(`/waves/${wave.id}/fulfillment`, { status });
    toast(t("waves.moved", { count: moved.moved, status: t(`status.${status}`) }));
  });
  const showPicking = (groupBy) => attempt(lists, async () => {
    const list = await api.get(`/waves/${wave.id}/picking-list?group_by=${groupBy}`);
    if (groupBy === "product") {
      mount(lists, h("h3", {}, t("waves.picking_by_product")), table([t("field.product_name"), t("field.quantity"), t("waves.orders")],
        list.products.map((p) => h("tr", {}, h("td", {}, p.name), h("td", {}, p.quantity), h("td", {}, p.orders))), { id: "picking-list" }));
    } else {
      const rows = [];
      for (const b of list.buildings) for (const u of b.units) for (const m of u.members) {
        rows.push(h("tr", {}, h("td", {}, b.building), h("td", {}, u.unit), h("td", {}, m.name),
          h("td", {}, m.items.map((i) => `${i.name} × ${i.quantity}`).join(", "))));
      }
      mount(lists, h("h3", {}, t("waves.picking_by_member")), table([t("field.building"), t("field.unit_room"), t("field.name"), t("waves.items")], rows, { id: "picking-list" }));
    }
  });
  const showPurchase = () => attempt(lists, async () => {
    const list = await api.get(`/waves/${wave.id}/purchase-list`);
    mount(lists, h("h3", {}, t("waves.purchase_list")), h("p.muted", {}, t("waves.needed_by", { at: when(list.needed_by) })),
      table([t("field.product_name"), t("field.quantity"), t("field.unit"), t("waves.orders")],
        list.products.map((p) => h("tr", {}, h("td", {}, p.name), h("td", {}, p.quantity), h("td", {}, p.unit), h("td", {}, p.orders)))));
  });
  const download = (path, name) => attempt(problems, async () => {
    const url = await api.blobUrl(path);
    const link = h("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
  });
  // Packing slips are printable HTML behind the leader's token: fetched, then opened as a page.
  const slips = (paper) => attempt(problems, async () => {
    const url = await api.blobUrl(`/waves/${wave.id}/packing-slips?paper=${paper}`);
    window.open(url, "_blank");
  });
  mount(body,
    h("div.row", {}, h("h1.grow", {}, wave.title), statusBadge(wave.status)),
    h("p.muted", {}, t("wave.cutoff", { at: when(wave.cutoff_at) }), " · ", t("wave.pickup", { at: when(wave.pickup_at), point: wave.pickup_point })),
    table([t("field.product_name"), t("field.wave_price"), t("field.quota"), t("waves.sold"), t("waves.remaining")],
      wave.items.map((i) => h("tr", {}, h("td", {}, i.name), h("td", {}, money(i.price_cents)), h("td", {}, i.quota ?? "—"),
        h("td", {}, i.sold), h("td", {}, i.remaining ?? "—")))),
    h("h2", {}, t("waves.fulfillment")),
    h("div.row", {},
      wave.status === "open" ? h("button.secondary", { id: "close-wave", onclick: () => attempt(problems, async () => { await api.post(`/waves/${wave.id}/close`); go(`#/waves/${wave.id}`); }) }, t("waves.close")) : null,
      ["packed", "delivering", "ready_for_pickup"].map((s) => h("button", { "data-move": s, onclick: () => move(s) }, t(`waves.move.${s}`)))),
    problems,
    h("h2", {}, t("waves.documents")),
    h("div.row", {},
      h("button.secondary", { id: "picking-product", onclick: () => showPicking("product") }, t("waves.picking_by_product")),
      h("button.secondary", { id: "picking-member", onclick: () => showPicking("member") }, t("waves.picking_by_member")),
      h("button.secondary", { onclick: showPurchase }, t("waves.purchase_list")),
      h("button.secondary", { onclick: () => download(`/waves/${wave.id}/picking-list?format=csv`, `picking-${wave.id}.csv`) }, t("waves.picking_csv")),
      h("button.secondary", { onclick: () => download(`/waves/${wave.id}/purchase-list?format=csv`, `purchase-${wave.id}.csv`) }, t("waves.purchase_csv")),
      h("button.secondary", { id: "slips-a4", onclick: () => slips("a4") }, t("waves.slips_a4")),
      h("button.secondary", { id: "slips-80mm", onclick: () => slips("80mm") }, t("waves.slips_80mm"))),
    lists);
}

// --- live sessions ---------------------------------------------------------------------------

async function liveScreen(body, [sessionId]) {
  if (sessionId) return liveConsole(body, sessionId);
  const [lives, products] = await Promise.all([api.get("/live-sessions?limit=100"), api.get("/products?limit=100")]);
  const onSale = products.items.filter((p) => p.status === "on_sale");
  const problems = h("div");
  const form = h("form", { id: "live-form" },
    h("div.narrow", {},
      field(t("field.title"), h("input", { name: "title", required: true })),
      field(t("field.host_persona"), h("input", { name: "host_persona", required: true })),
      field(t("field.scheduled_at"), h("input", { name: "scheduled_at", type: "datetime-local", required: true, value: localInput(new Date(Date.now() + 3600000)) })),
      field(t("field.stream_url"), h("input", { name: "stream_url", type: "url", placeholder: "https://…/live.m3u8" }))),
    offerRows(onSale, t("field.live_price")),
    problems, h("button", { type: "submit" }, t("live.create")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const payload = { title: values.title, host_persona: values.host_persona, scheduled_at: isoFromLocal(values.scheduled_at),
        items: chosenOffers(values, onSale, "live_price_cents") };
      if (values.stream_url) payload.stream_url = values.stream_url;
      const created = await api.post("/live-sessions", payload);
      go(`#/live/${created.id}`);
    });
  });
  mount(body, h("h1", {}, t("nav.live")),
    lives.items.length ? table([t("field.title"), t("field.scheduled_at"), t("field.status"), t("live.gmv"), ""],
      lives.items.map((s) => h("tr", { "data-live": s.id }, h("td", {}, s.title), h("td", {}, when(s.scheduled_at)), h("td", {}, statusBadge(s.status)),
        h("td", {}, money(s.stats ? s.stats.gmv_cents : 0)), h("td", {}, h("a", { href: `#/live/${s.id}` }, t("common.open"))))))
      : empty(t("live.empty")),
    h("h2", {}, t("live.new")), onSale.length ? form : empty(t("waves.need_products")));
}

async function liveConsole(body, sessionId) {
  const path = `/live-sessions/${encodeURIComponent(sessionId)}`;
  let live = await api.get(path);
  const problems = h("div");
  const parts = { head: h("div"), stats: h("div.kpis", { id: "live-stats" }), items: h("div"), sales: h("div.ticker", { id: "sales" }), comments: h("div", { id: "live-comments" }) };
  const sales = [];
  const action = (name, payload) => attempt(problems, async () => {
    live = await api.post(`${path}/${name}`, payload);
    draw();
  });
  function draw() {
    mount(parts.head, h("div.row", {}, h("h1.grow", {}, live.title), statusBadge(live.status)),
      h("p.muted", {}, live.host_persona, " · ", when(live.scheduled_at)),
      live.stream_url ? h("p.muted", {}, t("field.stream_url"), ": ", h("code", {}, live.stream_url)) : null,
      h("div.row", {},
        live.status === "scheduled" ? h("button", { id: "start-live", onclick: () => action("start") }, t("live.start")) : null,
        live.status === "live" ? h("button.danger", { id: "end-live", onclick: () => action("end") }, t("live.end")) : null));
    const s = live.stats || {};
    const kpi = (label, value, id) => h("div.kpi", {}, h("span.muted", {}, label), h("strong", { id }, value));
    mount(parts.stats, kpi(t("live.watching"), s.watching ?? 0, "stat-watching"), kpi(t("live.viewers"), s.viewers ?? 0),
      kpi(t("live.peak"), s.peak_viewers ?? 0), kpi(t("live.buyers"), s.buyers ?? 0), kpi(t("live.orders"), s.orders ?? 0, "stat-orders"),
      kpi(t("live.gmv"), money(s.gmv_cents || 0), "stat-gmv"), kpi(t("live.conversion"), percent(s.conversion_rate)));
    mount(parts.items, table([t("field.product_name"), t("field.live_price"), t("field.quota"), t("waves.sold"), t("waves.remaining"), ""],
      live.items.map((i) => h("tr", { "data-item": i.product_id }, h("td", {}, i.name, live.pinned && live.pinned.product_id === i.product_id ? [" ", h("span.badge.s-live", {}, t("live.pinned"))] : null),
        h("td", {}, money(i.live_price_cents)), h("td", {}, i.quota), h("td", {}, i.sold), h("td", { "data-remaining": i.product_id }, i.remaining),
        h("td", {}, live.status === "live" ? h("button.secondary", { "data-pin": i.product_id, onclick: () => action("pin", { product_id: i.product_id }) }, t("live.pin")) : null)))));
    mount(parts.sales, sales.length ? sales.slice(-8).reverse().map((x) => h("p", {}, x)) : h("span.muted", {}, t("live.no_purchases")));
  }
  async function loadComments() {
    const comments = await api.get(`${path}/comments?limit=50`);
    mount(parts.comments, comments.items.length ? table([t("live.author"), t("live.comment"), t("live.at"), ""],
      comments.items.map((c) => h("tr", { "data-comment": c.id }, h("td", {}, c.author), h("td", {}, c.hidden ? h("s.muted", {}, c.text) : c.text), h("td", {}, when(c.at)),
        h("td", {}, c.hidden ? t("live.hidden") : h("button.secondary", { "data-hide": c.id, onclick: () => attempt(problems, async () => {
          await api.post(`${path}/comments/${c.id}/hide`);
          await loadComments();
        }) }, t("live.hide")))))) : empty(t("live.no_comments")));
  }
  mount(body, parts.head, problems, parts.stats, h("h2", {}, t("live.items")), parts.items,
    h("h2", {}, t("live.sales")), parts.sales, h("h2", {}, t("live.comments")), parts.comments);
  draw();
  await loadComments();
  // Sales, stock, viewers and comments arrive over the live room's websocket as they happen.
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let stopped = false;
  let socket = null;
  let retry = null;
  const refreshSoon = () => api.get(path).then((fresh) => { live = fresh; draw(); }).catch(() => {});
  function open() {
    socket = new WebSocket(`${scheme}://${location.host}/api/v1${path}/ws`, ["linli.v1", session.get().token]);
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "snapshot") {
        live = message.session;
        draw();
      } else if (message.type === "purchase") {
        sales.push(t("live.bought", { buyer: message.buyer, what: (message.items || []).map((i) => `${i.quantity} × ${i.name}`).join(", ") }));
        refreshSoon(); // the stats (orders, GMV) come with the session
      } else if (message.type === "stock") {
        for (const change of message.items || []) {
          const item = live.items.find((i) => i.product_id === change.product_id);
          if (item) item.remaining = change.remaining;
        }
        draw();
      } else if (message.type === "viewers") {
        live.stats = { ...(live.stats || {}), watching: message.watching, viewers: message.viewers, peak_viewers: message.peak_viewers };
        draw();
      } else if (message.type === "comment" || message.type === "comment_hidden") {
        loadComments().catch(() => {});
      } else if (message.type === "status" || message.type === "pinned") {
        refreshSoon();
      }
    });
    socket.addEventListener("close", () => {
      if (!stopped) retry = setTimeout(open, 3000);
    });
  }
  open();
  onLeave(() => {
    stopped = true;
    clearTimeout(retry);
    socket.close();
  });
}

// --- orders ----------------------------------------------------------------------------------

const ORDER_STATUSES = ["pending_payment", "paid", "packed", "delivering", "ready_for_pickup", "completed", "cancelled", "refunding", "refunded"];

async function ordersScreen(body, [orderId], query) {
  if (orderId) return orderDetail(body, orderId);
  const status = query.get("status") || "";
  const orders = await api.get(`/orders?limit=100${status ? `&status=${status}` : ""}`);
  const filter = h("select", { id: "order-filter", onchange: (e) => go(`#/orders${e.target.value ? `?status=${e.target.value}` : ""}`) },
    h("option", { value: "" }, t("orders.all")), ORDER_STATUSES.map((s) => h("option", { value: s, selected: s === status }, t(`status.${s}`))));
  mount(body, h("h1", {}, t("nav.orders")), field(t("field.status"), filter),
    orders.items.length ? table([t("orders.created"), t("orders.lines"), t("order.total"), t("orders.channel"), t("field.status"), ""],
      orders.items.map((o) => h("tr", { "data-order": o.id }, h("td", {}, when(o.created_at)),
        h("td", {}, o.lines.map((l) => `${l.name} × ${l.quantity}`).join(", ")), h("td", {}, money(o.total_cents)),
        h("td", {}, t(`channel.${(o.channel && o.channel.type) || "shop"}`)), h("td", {}, statusBadge(o.status)),
        h("td", {}, h("a", { href: `#/orders/${o.id}` }, t("common.open"))))))
      : empty(t("orders.empty")));
}

async function orderDetail(body, orderId) {
  const order = await api.get(`/orders/${encodeURIComponent(orderId)}`);
  const problems = h("div");
  const reload = () => go(`#/orders/${order.id}`);
  const act = (fn) => attempt(problems, async () => { await fn(); reload(); });
  const refundForm = h("form.row", { id: "refund-form" },
    h("input", { name: "amount", placeholder: t("field.amount_yuan"), inputmode: "decimal", required: true, style: "width:8rem" }),
    h("input.grow", { name: "reason", placeholder: t("field.reason"), required: true, style: "width:auto" }),
    h("button.danger", { type: "submit" }, t("orders.refund")));
  refundForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = formValues(refundForm);
    act(() => api.post(`/orders/${order.id}/refund`, { amount_cents: yuanToCents(values.amount), reason: values.reason }));
  });
  const pointInput = h("input", { name: "pickup_point", placeholder: t("field.pickup_point"), id: "order-pickup-point" });
  const moveOrder = (status) => act(() => {
    const payload = { status };
    if (pointInput.value.trim()) payload.pickup_point = pointInput.value.trim();
    return api.post(`/orders/${order.id}/fulfillment`, payload);
  });
  const paidStates = ["paid", "packed", "delivering"];
  mount(body,
    h("div.row", {}, h("h1.grow", {}, t("order.title")), statusBadge(order.status)),
    h("p.muted", {}, t("order.number", { id: order.id }), " · ", t(`channel.${(order.channel && order.channel.type) || "shop"}`)),
    table([t("field.product_name"), t("field.quantity"), t("field.price_yuan")],
      order.lines.map((l) => h("tr", {}, h("td", {}, l.name), h("td", {}, l.quantity), h("td", {}, money(l.unit_price_cents))))),
    h("p", {}, t("checkout.subtotal"), " ", money(order.subtotal_cents), " · ", t("order.discount"), " ", money(order.discount_cents),
      " · ", h("strong", {}, t("order.total"), " ", money(order.total_cents))),
    order.pickup ? h("p", { id: "order-pickup" }, t("order.pickup_where", { point: order.pickup.point, at: when(order.pickup.at) })) : null,
    h("div.row", {},
      order.status === "pending_payment" ? h("button", { id: "mark-paid", onclick: () => act(() => api.post(`/orders/${order.id}/mark-paid`)) }, t("orders.mark_paid")) : null,
      ["pending_payment", "paid"].includes(order.status) ? h("button.secondary", { onclick: () => act(() => api.post(`/orders/${order.id}/cancel`)) }, t("order.cancel")) : null),
    paidStates.includes(order.status) ? h("div.card", {}, h("h3", {}, t("orders.fulfillment")), h("div.row", {}, pointInput,
      ["packed", "delivering", "ready_for_pickup"].map((s) => h("button.secondary", { "data-order-move": s, onclick: () => moveOrder(s) }, t(`waves.move.${s}`))))) : null,
    // Money given back is the leader's decision: staff (店员/助理) are refused by the API anyway.
    session.get().role === "leader" && ["paid", "packed", "delivering", "ready_for_pickup", "completed", "refunding"].includes(order.status)
      ? h("div.card", {}, h("h3", {}, t("orders.refund")), refundForm) : null,
    problems,
    h("h2", {}, t("order.timeline")),
    h("ol.timeline", { id: "timeline" }, order.timeline.map((step) => h("li", {}, h("strong", {}, t(`status.${step.status}`)), " ",
      h("span.muted", {}, when(step.at), step.by ? ` · ${t(`by.${step.by}`)}` : "")))));
}

// --- pickup verification ---------------------------------------------------------------------

async function pickupScreen(body) {
  const result = h("div", { id: "pickup-result" });
  const form = h("form.row.narrow", { id: "pickup-form" },
    h("input.grow", { name: "code", inputmode: "numeric", pattern: "\\d{6}", maxlength: "6", required: true, placeholder: "123456", style: "width:auto;font-size:1.5rem;letter-spacing:.2rem" }),
    h("button", { type: "submit" }, t("pickup.verify")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(result, async () => {
      const done = await api.post("/pickups/verify", { code: formValues(form).code });
      mount(result, h("div.card", { "data-verified": done.order_id },
        h("h2", {}, t("pickup.done")),
        h("p", {}, `${done.member.name} · ${done.member.building} ${done.member.unit}`),
        h("ul", {}, done.items.map((i) => h("li", {}, `${i.name} × ${i.quantity}`))),
        h("a", { href: `#/orders/${done.order_id}` }, t("common.open"))));
      form.reset();
    });
  });
  mount(body, h("h1", {}, t("nav.pickup")), h("p.muted", {}, t("pickup.hint")), form, result);
}

// --- members, showcases ----------------------------------------------------------------------

async function memberDetail(body, memberId) {
  const m = await api.get(`/members/${encodeURIComponent(memberId)}`);
  const problems = h("div");
  const reload = () => go(`#/members/${m.id}`);
  const tags = m.tags && !Array.isArray(m.tags) ? m.tags : { manual: m.tags || [], auto: m.auto_tags || [] };
  const stats = m.order_stats || {};
  const small = (id, children, submit) => {
    const form = h("form.row", { id }, children, h("button", { type: "submit" }, t("common.save")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(problems, async () => {
        await submit(formValues(form));
        toast(t("common.saved"));
        reload();
      });
    });
    return form;
  };
  mount(body,
    h("div.row", {}, h("h1.grow", {}, m.name), statusBadge(m.status)),
    h("p.muted", {}, `${m.phone || ""} · ${m.building || ""} ${m.unit || ""}`),
    h("div.kpis", {},
      h("div.kpi", {}, h("span.muted", {}, t("me.points")), h("strong", {}, m.points ?? "—")),
      h("div.kpi", {}, h("span.muted", {}, t("me.tier")), h("strong", {}, (m.tier && m.tier.name) || "—")),
      h("div.kpi", {}, h("span.muted", {}, t("members.paid_orders")), h("strong", {}, stats.paid_orders ?? "—")),
      h("div.kpi", {}, h("span.muted", {}, t("members.spent")), h("strong", {}, money(stats.spent_cents))),
      h("div.kpi", {}, h("span.muted", {}, t("members.last_order")), h("strong", {}, when(stats.last_order_at)))),
    h("h2", {}, t("members.tags")),
    h("p", {}, tags.manual.map((tag) => [h("span.badge", {}, tag, " ",
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); attempt(problems, async () => { await api.patch(`/members/${m.id}`, { tags_remove: [tag] }); reload(); }); } }, "×")), " "]),
      tags.auto.map((tag) => [h("span.badge.s-available", { title: t("members.auto_tag") }, tag), " "])),
    small("tag-form", h("input", { name: "tag", required: true, placeholder: t("members.tag"), style: "width:10rem" }),
      (v) => api.patch(`/members/${m.id}`, { tags_add: [v.tag] })),
    h("h3", {}, t("members.note")),
    small("note-form", h("input.grow", { name: "note", value: m.note || "", style: "width:auto" }), (v) => api.patch(`/members/${m.id}`, { note: v.note })),
    (m.repurchase_predictions || []).length ? [h("h2", {}, t("members.predictions")),
      table([t("field.product_name"), t("members.interval_days"), t("members.last_purchase"), t("members.next_due"), t("members.confidence")],
        m.repurchase_predictions.map((p) => h("tr", { "data-prediction": p.product_id || p.category },
          h("td", {}, p.name || p.product_id || p.category, p.product_id ? null : [" ", h("span.badge", {}, t("members.category"))]),
          h("td", {}, p.interval_days), h("td", {}, when(p.last_purchase_at)), h("td", {}, when(p.next_due_at)),
          h("td", {}, percent(p.confidence)))), { id: "predictions" })]
      : [h("h2", {}, t("members.predictions")), empty(t("members.no_predictions"))],
    h("h2", {}, t("members.points_adjust")),
    small("points-form", [h("input", { name: "delta", type: "number", required: true, placeholder: "+100 / -50", style: "width:8rem" }),
      h("input.grow", { name: "reason", required: true, placeholder: t("field.reason"), style: "width:auto" })],
    (v) => api.post(`/members/${m.id}/points`, { delta: v.delta, reason: v.reason })),
    h("h2", {}, t("members.give_coupon")),
    small("coupon-form", [h("input", { name: "amount", required: true, inputmode: "decimal", placeholder: t("field.amount_yuan"), style: "width:8rem" }),
      h("input", { name: "min_spend", inputmode: "decimal", placeholder: t("members.min_spend_yuan"), style: "width:8rem" }),
      h("input", { name: "valid_days", type: "number", min: "1", value: "30", style: "width:6rem", "aria-label": t("members.valid_days") })],
    (v) => api.post(`/members/${m.id}/coupons`, { kind: "fixed", amount_cents: yuanToCents(v.amount),
      min_spend_cents: yuanToCents(v.min_spend) ?? 0, valid_days: v.valid_days })),
    problems);
}

async function membersScreen(body, [memberId], query) {
  if (memberId) return memberDetail(body, memberId);
  mount(body, h("h1", {}, t("nav.members")));
  if (!offers("GET", "/members")) {
    body.append(notYet("members"));
  } else {
    const q = query.get("q") || "";
    const status = query.get("status") || "";
    const tag = query.get("tag") || "";
    const params = new URLSearchParams({ limit: "100", ...(q ? { q } : {}), ...(status ? { status } : {}), ...(tag ? { tag } : {}) });
    const filters = h("form.row", { id: "member-filters" },
      h("input.grow", { name: "q", value: q, placeholder: t("members.search"), style: "width:auto" }),
      h("input", { name: "tag", value: tag, placeholder: t("members.tag"), style: "width:8rem" }),
      h("select", { name: "status", style: "width:auto" }, h("option", { value: "" }, t("orders.all")),
        ["pending", "active", "rejected"].map((s) => h("option", { value: s, selected: s === status }, t(`status.${s}`)))),
      h("button", { type: "submit" }, t("members.filter")));
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = formValues(filters);
      go(`#/members?${new URLSearchParams(Object.entries(values).filter(([, v]) => v))}`);
    });
    const members = await api.get(`/members?${params}`);
    const problems = h("div");
    const decide = (id, verdict) => attempt(problems, async () => {
      await api.post(`/members/${id}/${verdict}`);
      go(`#/members?${params}`);
    });
    const canDecide = offers("POST", "/members/{member_id}/approve");
    body.append(filters, problems, members.items.length ? table([t("field.name"), t("field.building"), t("field.unit_room"), t("field.status"), t("members.tags"), ""],
      members.items.map((m) => h("tr", { "data-member": m.id }, h("td", {}, m.name), h("td", {}, m.building || ""), h("td", {}, m.unit || ""),
        h("td", {}, statusBadge(m.status)), h("td", {}, [...(m.tags || []), ...(m.auto_tags || [])].join(", ")),
        h("td", {}, canDecide && m.status === "pending" ? [h("button", { "data-approve": m.id, onclick: () => decide(m.id, "approve") }, t("members.approve")), " ",
          h("button.secondary", { onclick: () => decide(m.id, "reject") }, t("members.reject")), " "] : null,
          offers("GET", "/members/{member_id}") ? h("a", { href: `#/members/${m.id}` }, t("common.open")) : null))))
      : empty(t("members.empty")));
  }
  body.append(h("h2", {}, t("showcases.review")));
  const showcases = await api.get("/showcases?status=pending&limit=50");
  const problems = h("div");
  body.append(problems, showcases.items.length ? table([t("live.author"), t("showcases.text"), t("live.at"), ""],
    showcases.items.map((s) => h("tr", { "data-showcase": s.id }, h("td", {}, s.author), h("td", {}, s.text), h("td", {}, when(s.created_at)),
      h("td", {}, h("button", { onclick: () => attempt(problems, async () => { await api.post(`/showcases/${s.id}/approve`); go("#/members"); }) }, t("members.approve")), " ",
        h("button.secondary", { onclick: () => attempt(problems, async () => { await api.post(`/showcases/${s.id}/reject`); go("#/members"); }) }, t("members.reject"))))))
    : empty(t("showcases.none_pending")));
}

// --- after-sales -----------------------------------------------------------------------------

async function afterSalesScreen(body, _parts, query) {
  mount(body, h("h1", {}, t("nav.after_sales")));
  if (!offers("GET", "/after-sales")) return body.append(notYet("after_sales"));
  const status = query.get("status") || "open";
  const cases = await api.get(`/after-sales?limit=100${status !== "all" ? `&status=${status}` : ""}`);
  const problems = h("div");
  const leader = session.get().role === "leader";
  body.append(h("div.row", {}, ["open", "resolved", "rejected", "all"].map((s) =>
    h(`a.button${s === status ? "" : ".secondary"}`, { href: `#/after-sales?status=${s}` }, s === "all" ? t("orders.all") : t(`status.${s}`)))), problems);
  const resolveForm = (c) => {
    const form = h("form.row", { "data-resolve": c.id },
      h("select", { name: "type", style: "width:auto" }, ["refund", "coupon", "points"].map((x) => h("option", { value: x }, t(`compensation.${x}`)))),
      h("input", { name: "amount", required: true, placeholder: t("after_sales.amount"), style: "width:8rem" }),
      h("button", { type: "submit" }, t("after_sales.resolve")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const v = formValues(form);
      const amount = v.type === "points" ? Number(v.amount) : yuanToCents(v.amount);
      attempt(problems, async () => {
        await api.post(`/after-sales/${c.id}/resolve`, { compensation: { type: v.type, amount } });
        go(`#/after-sales?status=${status}`);
      });
    });
    const reject = h("form.row", { "data-reject": c.id }, h("input.grow", { name: "reason", required: true, placeholder: t("field.reason"), style: "width:auto" }),
      h("button.secondary", { type: "submit" }, t("members.reject")));
    reject.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(problems, async () => {
        await api.post(`/after-sales/${c.id}/reject`, { reason: formValues(reject).reason });
        go(`#/after-sales?status=${status}`);
      });
    });
    return [form, reject];
  };
  add(body, cases.items.length ? cases.items.map((c) => h("div.card", { "data-case": c.id },
    h("div.row", {}, h("strong.grow", {}, t(`after_sales.kind.${c.kind}`)), statusBadge(c.status)),
    h("p", {}, c.description),
    h("p.muted", {}, when(c.created_at), " · ", h("a", { href: `#/orders/${c.order_id}` }, t("after_sales.order"))),
    c.compensation ? h("p", {}, t("after_sales.compensated", { what: t(`compensation.${c.compensation.type}`),
      amount: c.compensation.type === "points" ? c.compensation.amount : money(c.compensation.amount) })) : null,
    c.reject_reason ? h("p.muted", {}, c.reject_reason) : null,
    c.status === "open" && leader ? resolveForm(c) : null)) : empty(t("after_sales.empty")));
}

// --- posts (知识与活动) ------------------------------------------------------------------------

async function postsScreen(body) {
  mount(body, h("h1", {}, t("nav.posts")));
  if (!offers("GET", "/posts")) return body.append(notYet("posts"));
  const posts = await api.get("/posts?limit=50");
  const problems = h("div");
  const form = h("form.narrow", { id: "post-form" },
    field(t("posts.kind"), h("select", { name: "kind" }, ["knowledge", "event"].map((k) => h("option", { value: k }, t(`posts.kind.${k}`))))),
    field(t("field.title"), h("input", { name: "title", required: true, maxlength: "80" })),
    field(t("posts.body"), h("textarea", { name: "body", required: true, rows: "5" })),
    field(t("posts.event_at"), h("input", { name: "event_at", type: "datetime-local" })),
    problems, h("button", { type: "submit" }, t("posts.publish")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const payload = { kind: v.kind, title: v.title, body: v.body };
      if (v.event_at) payload.event_at = isoFromLocal(v.event_at);
      await api.post("/posts", payload);
      toast(t("common.saved"));
      go("#/posts");
    });
  });
  add(body, posts.items.length ? posts.items.map((p) => h("div.card", { "data-post": p.id },
    h("div.row", {}, h("strong.grow", {}, p.title), h("span.badge", {}, t(`posts.kind.${p.kind}`)), " ", statusBadge(p.status)),
    p.event_at ? h("p.muted", {}, when(p.event_at)) : null,
    h("p.story", {}, p.body))) : empty(t("posts.empty")), h("h2", {}, t("posts.new")), form);
}

// --- campaigns (自动化营销) --------------------------------------------------------------------

const TRIGGERS = ["member_joined", "birthday", "inactive", "repurchase_due"];

function splitList(text) {
  return (text || "").split(/[,,、]/).map((x) => x.trim()).filter(Boolean);
}

function triggerText(trigger) {
  const days = trigger.days ?? "";
  return t(`campaigns.trigger.${trigger.type}`) + (days ? ` · ${t(`campaigns.days.${trigger.type}`, { days })}` : "");
}

function actionText(action) {
  if (action.type === "message") return `${t("campaigns.action.message")}: ${action.template}`;
  if (action.type === "coupon") {
    return `${t("campaigns.action.coupon")}: ${money(action.amount_cents)} · ${t("campaigns.coupon_terms",
      { min: money(action.min_spend_cents || 0), days: action.valid_days })}`;
  }
  return `${t("campaigns.action.points")}: ${action.amount}`;
}

function audienceText(audience) {
  const tags = (audience && audience.tags_any) || [];
  return tags.length ? t("campaigns.tags_any", { tags: tags.join("、") }) : t("campaigns.everyone");
}

function scheduleText(schedule) {
  return schedule && schedule.hour !== undefined && schedule.hour !== null ? t("campaigns.not_before", { hour: schedule.hour }) : t("campaigns.any_hour");
}

function activeBadge(active) {
  return h(`span.badge.${active ? "s-open" : "s-closed"}`, {}, t(active ? "campaigns.on" : "campaigns.off"));
}

// The actions the form offers: each one ticked is sent, in this order.
function campaignActions(values) {
  const actions = [];
  if (values.with_message) actions.push({ type: "message", template: values.template });
  if (values.with_coupon) {
    const coupon = { type: "coupon", amount_cents: yuanToCents(values.coupon_amount), valid_days: values.coupon_days };
    const min = yuanToCents(values.coupon_min);
    if (min !== undefined) coupon.min_spend_cents = min;
    actions.push(coupon);
  }
  if (values.with_points) actions.push({ type: "points", amount: values.points });
  return actions;
}

function campaignForm() {
  const problems = h("div");
  const days = h("input", { name: "days", type: "number", min: "1", max: "365", placeholder: "30" });
  const trigger = h("select", { name: "trigger" }, TRIGGERS.map((x) => h("option", { value: x }, t(`campaigns.trigger.${x}`))));
  const daysField = field(t("campaigns.days"), days);
  const showDays = () => { daysField.hidden = !["inactive", "repurchase_due"].includes(trigger.value); };
  trigger.addEventListener("change", showDays);
  showDays();
  const tick = (name, label, checked) => h("label.row", {}, h("input", { name, type: "checkbox", checked, style: "width:auto" }), h("strong", {}, label));
  const form = h("form", { id: "campaign-form" },
    h("div.narrow", {},
      field(t("campaigns.name"), h("input", { name: "name", required: true, maxlength: "60" })),
      field(t("campaigns.trigger"), trigger), daysField,
      field(t("campaigns.audience_tags"), h("input", { name: "tags", placeholder: t("campaigns.audience_hint") })),
      field(t("campaigns.hour"), h("input", { name: "hour", type: "number", min: "0", max: "23", placeholder: "9" }))),
    h("h3", {}, t("campaigns.actions")),
    h("div.card", {}, tick("with_message", t("campaigns.action.message"), true),
      field(t("campaigns.template"), h("textarea", { name: "template", rows: "3", maxlength: "500", placeholder: t("campaigns.template_hint", { name: "{name}", product: "{product}", community: "{community}" }) }))),
    h("div.card", {}, tick("with_coupon", t("campaigns.action.coupon"), false),
      h("div.row", {},
        h("input", { name: "coupon_amount", inputmode: "decimal", placeholder: t("field.amount_yuan"), style: "width:8rem" }),
        h("input", { name: "coupon_min", inputmode: "decimal", placeholder: t("members.min_spend_yuan"), style: "width:8rem" }),
        h("input", { name: "coupon_days", type: "number", min: "1", value: "7", style: "width:6rem", "aria-label": t("members.valid_days") }))),
    h("div.card", {}, tick("with_points", t("campaigns.action.points"), false),
      h("input", { name: "points", type: "number", min: "1", placeholder: t("campaigns.points_amount"), style: "width:10rem" })),
    h("label.row", {}, h("input", { name: "active", type: "checkbox", checked: true, style: "width:auto" }), t("campaigns.start_now")),
    problems, h("button", { type: "submit" }, t("campaigns.create")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const payload = { name: v.name, trigger: { type: v.trigger }, actions: campaignActions(v), active: v.active };
      if (!daysField.hidden && v.days !== undefined) payload.trigger.days = v.days;
      const tags = splitList(v.tags);
      if (tags.length) payload.audience = { tags_any: tags };
      if (v.hour !== undefined) payload.schedule = { hour: v.hour };
      const created = await api.post("/campaigns", payload);
      toast(t("common.saved"));
      go(`#/campaigns/${created.id}`);
    });
  });
  return form;
}

function statsCells(stats) {
  const s = stats || {};
  return [h("td", { "data-stat": "sent" }, s.sent ?? "—"), h("td", { "data-stat": "converted" }, s.converted ?? "—"),
    h("td", { "data-stat": "revenue" }, money(s.revenue_cents))];
}

async function campaignsScreen(body, [campaignId]) {
  mount(body, h("h1", {}, t("nav.campaigns")));
  if (!offers("GET", "/campaigns")) return body.append(notYet("campaigns"));
  if (campaignId) return campaignDetail(body, campaignId);
  const campaigns = await api.get("/campaigns?limit=100");
  // The list leaves the figures out (they are counted per campaign): each one's come from its own page.
  const detailed = await Promise.all(campaigns.items.map((c) => api.get(`/campaigns/${c.id}`).catch(() => c)));
  const leader = session.get().role === "leader";
  const problems = h("div");
  const toggle = (c) => attempt(problems, async () => {
    await api.patch(`/campaigns/${c.id}`, { active: !c.active });
    go("#/campaigns");
  });
  body.append(h("p.muted", {}, t("campaigns.intro")), problems,
    detailed.length ? table([t("campaigns.name"), t("campaigns.trigger"), t("campaigns.audience"), t("field.status"),
      t("campaigns.sent"), t("campaigns.converted"), t("cockpit.revenue"), ""],
    detailed.map((c) => h("tr", { "data-campaign": c.id },
      h("td", {}, c.name, c.system ? [" ", h("span.badge", {}, t("campaigns.system"))] : null),
      h("td", {}, triggerText(c.trigger || {})), h("td", {}, audienceText(c.audience)), h("td", {}, activeBadge(c.active)),
      statsCells(c.stats),
      h("td", {}, leader ? [h("button.secondary", { "data-toggle": c.id, onclick: () => toggle(c) }, t(c.active ? "campaigns.pause" : "campaigns.resume")), " "] : null,
        h("a", { href: `#/campaigns/${c.id}` }, t("common.open"))))), { id: "campaigns" })
      : empty(t("campaigns.empty")));
  if (leader) body.append(h("h2", {}, t("campaigns.new")), campaignForm());
}

async function campaignDetail(body, campaignId) {
  const c = await api.get(`/campaigns/${encodeURIComponent(campaignId)}`);
  const leader = session.get().role === "leader";
  const problems = h("div");
  const stats = c.stats || {};
  const kpi = (label, value, id) => h("div.kpi", {}, h("span.muted", {}, label), h("strong", { id }, value));
  const edit = h("form.narrow", { id: "campaign-edit" },
    field(t("campaigns.name"), h("input", { name: "name", required: true, maxlength: "60", value: c.name })),
    field(t("campaigns.audience_tags"), h("input", { name: "tags", value: ((c.audience || {}).tags_any || []).join(", ") })),
    field(t("campaigns.hour"), h("input", { name: "hour", type: "number", min: "0", max: "23", value: (c.schedule || {}).hour ?? "" })),
    h("button", { type: "submit" }, t("common.save")));
  edit.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(edit);
      const payload = { name: v.name, audience: { tags_any: splitList(v.tags) } };
      payload.schedule = v.hour === undefined ? {} : { hour: v.hour };
      await api.patch(`/campaigns/${c.id}`, payload);
      toast(t("common.saved"));
      go(`#/campaigns/${c.id}`);
    });
  });
  const toggle = () => attempt(problems, async () => {
    await api.patch(`/campaigns/${c.id}`, { active: !c.active });
    go(`#/campaigns/${c.id}`);
  });
  mount(body,
    h("p", {}, h("a", { href: "#/campaigns" }, `← ${t("nav.campaigns")}`)),
    h("div.row", {}, h("h1.grow", {}, c.name), activeBadge(c.active)),
    h("div.kpis", { id: "campaign-stats" },
      kpi(t("campaigns.sent"), stats.sent ?? "—", "stat-sent"),
      kpi(t("campaigns.converted"), stats.converted ?? "—", "stat-converted"),
      kpi(t("cockpit.revenue"), money(stats.revenue_cents), "stat-revenue")),
    h("p.muted", {}, t("campaigns.converted_hint")),
    h("table", {}, h("tbody", {},
      h("tr", {}, h("th", {}, t("campaigns.trigger")), h("td", {}, triggerText(c.trigger || {}))),
      h("tr", {}, h("th", {}, t("campaigns.audience")), h("td", {}, audienceText(c.audience))),
      h("tr", {}, h("th", {}, t("campaigns.schedule")), h("td", {}, scheduleText(c.schedule))),
      h("tr", {}, h("th", {}, t("campaigns.actions")), h("td", {}, h("ul", {}, (c.actions || []).map((a) => h("li", {}, actionText(a)))))),
      h("tr", {}, h("th", {}, t("campaigns.created")), h("td", {}, when(c.created_at))))),
    problems,
    leader ? [h("button", { id: "toggle-campaign", onclick: toggle }, t(c.active ? "campaigns.pause" : "campaigns.resume")),
      h("h2", {}, t("common.edit")), edit] : null);
}

// --- rewards catalogue (积分兑换) --------------------------------------------------------------

function rewardTerms(reward) {
  const coupon = reward.coupon || {};
  if (reward.kind === "goods_coupon") {
    return t("rewards.goods_terms", { value: coupon.amount_cents ? money(coupon.amount_cents) : t("rewards.product_price"), days: coupon.valid_days });
  }
  const value = coupon.kind === "percent" ? t("coupon.percent", { percent: coupon.percent, cap: money(coupon.cap_cents) }) : money(coupon.amount_cents);
  return `${value} · ${t("campaigns.coupon_terms", { min: money(coupon.min_spend_cents || 0), days: coupon.valid_days })}`;
}

function rewardForm(products) {
  const problems = h("div");
  const kind = h("select", { name: "kind" }, ["goods_coupon", "coupon"].map((k) => h("option", { value: k }, t(`rewards.kind.${k}`))));
  const productField = field(t("field.product_name"), h("select", { name: "product_id" },
    products.map((p) => h("option", { value: p.id }, `${p.name} (${money(p.price_cents)})`))));
  const minField = field(t("members.min_spend_yuan"), h("input", { name: "min_spend", inputmode: "decimal" }));
  const amountInput = h("input", { name: "amount", inputmode: "decimal" });
  const amountLabel = h("span", {});
  const amountField = h("label.field", {}, amountLabel, amountInput);
  const sync = () => {
    const goods = kind.value === "goods_coupon";
    productField.hidden = !goods;
    minField.hidden = goods;
    amountLabel.textContent = goods ? t("rewards.amount_optional") : t("field.amount_yuan");
    amountInput.required = !goods;
  };
  kind.addEventListener("change", sync);
  sync();
  const form = h("form.narrow", { id: "reward-form" },
    field(t("rewards.name"), h("input", { name: "name", required: true, maxlength: "60" })),
    field(t("rewards.points_cost"), h("input", { name: "points_cost", type: "number", min: "1", required: true })),
    field(t("rewards.kind"), kind), productField, amountField, minField,
    field(t("members.valid_days"), h("input", { name: "valid_days", type: "number", min: "1", value: "30", required: true })),
    problems, h("button", { type: "submit" }, t("rewards.create")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const coupon = { valid_days: v.valid_days };
      const amount = yuanToCents(v.amount);
      if (v.kind === "goods_coupon") {
        coupon.product_id = v.product_id;
        if (amount !== undefined) coupon.amount_cents = amount;
      } else {
        Object.assign(coupon, { kind: "fixed", amount_cents: amount, min_spend_cents: yuanToCents(v.min_spend) ?? 0 });
      }
      await api.post("/rewards", { name: v.name, points_cost: v.points_cost, kind: v.kind, coupon });
      toast(t("common.saved"));
      go("#/rewards");
    });
  });
  return form;
}

async function rewardsScreen(body) {
  mount(body, h("h1", {}, t("nav.rewards")));
  if (!offers("GET", "/rewards")) return body.append(notYet("rewards"));
  const leader = session.get().role === "leader";
  const [rewards, products] = await Promise.all([api.get("/rewards?limit=100"), api.get("/products?limit=100")]);
  const problems = h("div");
  // Name, cost and whether it is offered change in place; what the coupon is stays (make a new one).
  const row = (r) => {
    const name = h("input", { name: "name", value: r.name, maxlength: "60", "aria-label": t("rewards.name") });
    const cost = h("input", { name: "points_cost", type: "number", min: "1", value: r.points_cost, style: "width:7rem", "aria-label": t("rewards.points_cost") });
    const active = h("input", { name: "active", type: "checkbox", checked: r.active, style: "width:auto", "aria-label": t("rewards.offered") });
    const save = () => attempt(problems, async () => {
      await api.patch(`/rewards/${r.id}`, { name: name.value.trim(), points_cost: Number(cost.value), active: active.checked });
      toast(t("common.saved"));
      go("#/rewards");
    });
    return h("tr", { "data-reward": r.id },
      h("td", {}, leader ? name : r.name), h("td", {}, leader ? cost : r.points_cost),
      h("td", {}, t(`rewards.kind.${r.kind}`), h("br"), h("span.muted", {}, rewardTerms(r))),
      h("td", {}, leader ? h("label.row", {}, active, t("rewards.offered")) : activeBadge(r.active)),
      h("td", {}, leader ? h("button.secondary", { "data-save": r.id, onclick: save }, t("common.save")) : null));
  };
  body.append(h("p.muted", {}, t("rewards.intro")), problems,
    rewards.items.length ? table([t("rewards.name"), t("rewards.points_cost"), t("rewards.kind"), t("rewards.offered"), ""],
      rewards.items.map(row), { id: "rewards" }) : empty(t("rewards.empty")));
  if (leader) body.append(h("h2", {}, t("rewards.new")), rewardForm(products.items.filter((p) => p.status === "on_sale")));
}

// --- referral --------------------------------------------------------------------------------

async function referralScreen(body, _parts, query) {
  const period = query.get("period") === "month" ? "month" : "week";
  const [board, records] = await Promise.all([api.get(`/referral/leaderboard?period=${period}`), api.get("/referrals?limit=100")]);
  mount(body, h("h1", {}, t("nav.referral")),
    h("div.row", {}, ["week", "month"].map((p) => h(`a.button${p === period ? "" : ".secondary"}`, { href: `#/referral?period=${p}` }, t(`referral.${p}`)))),
    h("h2", {}, t("referral.leaderboard")),
    board.items.length ? table([t("referral.rank"), t("field.name"), t("referral.count")],
      board.items.map((e) => h("tr", {}, h("td", {}, e.rank), h("td", {}, e.name), h("td", {}, e.count)))) : empty(t("referral.no_entries")),
    h("h2", {}, t("referral.records")),
    records.items.length ? table([t("referral.referrer"), t("referral.invitee"), t("field.status"), t("referral.reason"), t("referral.rewards")],
      records.items.map((r) => h("tr", {}, h("td", {}, r.referrer_name), h("td", {}, r.invitee_name), h("td", {}, statusBadge(r.status)),
        h("td", {}, r.reason ? t(`referral.reason.${r.reason}`) : ""), h("td", {}, `${money(r.referrer_reward_cents)} / ${money(r.invitee_reward_cents)}`))))
      : empty(t("referral.no_records")));
}

// --- notification channels (通知渠道) and what they delivered --------------------------------

function channelTarget(c) {
  if (c.type === "webhook") return c.url;
  return `${c.host}:${c.port} · ${c.from || ""} → ${(c.to || []).join(", ")}`;
}

function channelForm(onAdded) {
  const problems = h("div");
  const type = h("select", { name: "type" }, ["webhook", "smtp"].map((x) => h("option", { value: x }, t(`channels.type.${x}`))));
  const webhook = h("div", {}, field(t("channels.url"), h("input", { name: "url", type: "url", placeholder: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…" })));
  const smtp = h("div", {},
    h("div.row", {}, h("div.grow", {}, field(t("channels.host"), h("input", { name: "host", placeholder: "smtp.example.com" }))),
      field(t("channels.port"), h("input", { name: "port", type: "number", min: "1", max: "65535", value: "587", style: "width:6rem" }))),
    field(t("channels.username"), h("input", { name: "username", autocomplete: "off" })),
    field(t("channels.password"), h("input", { name: "password", type: "password", autocomplete: "new-password" })),
    field(t("channels.from"), h("input", { name: "from", type: "email" })),
    field(t("channels.to"), h("input", { name: "to", placeholder: "a@example.com, b@example.com" })),
    h("label.row", {}, h("input", { name: "starttls", type: "checkbox", checked: true, style: "width:auto" }), t("channels.starttls")));
  const sync = () => {
    webhook.hidden = type.value !== "webhook";
    smtp.hidden = type.value !== "smtp";
  };
  type.addEventListener("change", sync);
  sync();
  const form = h("form.narrow", { id: "channel-form" },
    field(t("channels.type"), type), field(t("channels.name"), h("input", { name: "name", maxlength: "40" })),
    webhook, smtp, problems, h("button", { type: "submit" }, t("channels.add")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const payload = { type: v.type };
      if (v.name) payload.name = v.name;
      if (v.type === "webhook") payload.url = v.url;
      else {
        Object.assign(payload, { host: v.host, port: v.port, from: v.from, to: splitList(v.to), starttls: v.starttls });
        if (v.username) payload.username = v.username;
        if (v.password) payload.password = v.password;
      }
      await api.post("/community/channels", payload);
      toast(t("common.saved"));
      onAdded();
    });
  });
  return form;
}

async function channelsSection(box) {
  const [channels, deliveries] = await Promise.all([api.get("/community/channels"), api.get("/community/deliveries?limit=30")]);
  const problems = h("div");
  const reload = () => channelsSection(box).catch((error) => mount(box, problemBox(error)));
  const remove = (c) => attempt(problems, async () => {
    if (!window.confirm(t("channels.confirm_remove"))) return;
    await api.del(`/community/channels/${c.id}`);
    toast(t("common.saved"));
    await reload();
  });
  const names = Object.fromEntries(channels.items.map((c) => [c.id, c.name || t(`channels.type.${c.type}`)]));
  mount(box, h("p.muted", {}, t("channels.intro")), problems,
    channels.items.length ? table([t("channels.type"), t("channels.column_name"), t("channels.target"), t("campaigns.created"), ""],
      channels.items.map((c) => h("tr", { "data-channel": c.id }, h("td", {}, t(`channels.type.${c.type}`)), h("td", {}, c.name || ""),
        h("td", { style: "word-break:break-all" }, channelTarget(c)), h("td", {}, when(c.created_at)),
        h("td", {}, h("button.secondary", { "data-remove-channel": c.id, onclick: () => remove(c) }, t("common.remove"))))), { id: "channels" })
      : empty(t("channels.empty")),
    h("h3", {}, t("channels.new")), channelForm(reload),
    h("h3", {}, t("channels.deliveries")),
    deliveries.items.length ? table([t("live.at"), t("channels.channel"), t("channels.subject"), t("field.status"), t("channels.attempts"), t("channels.last_error")],
      deliveries.items.map((d) => h("tr", { "data-delivery": d.id }, h("td", {}, when(d.created_at)), h("td", {}, names[d.channel_id] || "—"),
        h("td", {}, d.subject, d.recipient ? h("span.muted", {}, ` → ${d.recipient}`) : null),
        h("td", {}, h(`span.badge.s-${d.status === "delivered" ? "paid" : d.status === "failed" ? "rejected" : "pending"}`, {}, t(`delivery.${d.status}`))),
        h("td", {}, d.attempts), h("td.muted", { style: "word-break:break-all" }, d.last_error || ""))), { id: "deliveries" })
      : empty(t("channels.no_deliveries")));
}

// --- staff (店员/助理): the leader's helpers at the pickup desk ----------------------------------

function staffForm(onAdded) {
  const problems = h("div");
  const form = h("form.narrow", { id: "staff-form" },
    field(t("staff.display_name"), h("input", { name: "display_name", required: true, maxlength: "40" })),
    field(t("field.phone"), h("input", { name: "phone", type: "tel", required: true })),
    field(t("staff.password"), h("input", { name: "password", type: "password", required: true, minlength: "8", autocomplete: "new-password" })),
    problems, h("button", { type: "submit" }, t("staff.add")));
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

async function staffSection(box) {
  const staff = await api.get("/community/staff");
  const problems = h("div");
  const reload = () => staffSection(box).catch((error) => mount(box, problemBox(error)));
  const remove = (s) => attempt(problems, async () => {
    if (!window.confirm(t("staff.confirm_remove", { name: s.display_name }))) return;
    await api.del(`/community/staff/${s.id}`);
    toast(t("common.saved"));
    await reload();
  });
  mount(box, h("p.muted", {}, t("staff.intro")), problems,
    staff.items.length ? table([t("staff.display_name"), t("field.phone"), t("staff.added_at"), ""],
      staff.items.map((s) => h("tr", { "data-staff": s.id }, h("td", {}, s.display_name), h("td", {}, s.phone), h("td", {}, when(s.created_at)),
        h("td", {}, h("button.secondary", { "data-remove-staff": s.id, onclick: () => remove(s) }, t("common.remove"))))), { id: "staff" })
      : empty(t("staff.empty")),
    h("h3", {}, t("staff.new")), staffForm(reload));
}

// --- settings --------------------------------------------------------------------------------

async function settingsScreen(body) {
  const settings = await api.get("/community/settings");
  const leader = session.get().role === "leader";
  const problems = h("div");
  const tiers = h("tbody", {}, settings.tiers.map((tier) => tierRow(tier)));
  const referral = settings.referral || {};
  const quiet = settings.quiet_hours || {};
  const form = h("form", { id: "settings-form" },
    h("h2", {}, t("settings.points")),
    h("div.narrow", {},
      field(t("settings.points_per_yuan"), h("input", { name: "points_per_yuan", type: "number", min: "0", max: "100", value: settings.points_per_yuan })),
      field(t("settings.max_points_ratio_percent"), h("input", { name: "max_points_ratio_percent", type: "number", min: "0", max: "100", value: settings.max_points_ratio_percent }))),
    h("h2", {}, t("settings.reminders")),
    h("div.narrow", {},
      field(t("settings.reminder_hour"), h("input", { name: "reminder_hour", type: "number", min: "0", max: "23", value: settings.reminder_hour })),
      h("div.row", {}, h("span", {}, t("settings.quiet_hours")),
        h("input", { name: "quiet_start", type: "time", value: quiet.start, style: "width:auto", "aria-label": t("settings.quiet_start") }), "–",
        h("input", { name: "quiet_end", type: "time", value: quiet.end, style: "width:auto", "aria-label": t("settings.quiet_end") })),
      h("p.muted", {}, t("settings.quiet_hint"))),
    h("h2", {}, t("settings.tiers")),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("settings.tier_name")), h("th", {}, t("settings.tier_min_spend")), h("th", {}, t("settings.tier_discount")), h("th"))), tiers),
    h("button.secondary", { type: "button", onclick: () => tiers.append(tierRow({ name: "", min_spend_cents: 0, discount_percent: 0 })) }, t("settings.add_tier")),
    h("h2", {}, t("settings.referral")),
    h("div.narrow", {},
      field(t("settings.referrer_reward"), h("input", { name: "referrer_reward", inputmode: "decimal", value: (referral.referrer_reward_cents / 100).toFixed(2) })),
      field(t("settings.invitee_reward"), h("input", { name: "invitee_reward", inputmode: "decimal", value: (referral.invitee_reward_cents / 100).toFixed(2) })),
      field(t("settings.min_first_order"), h("input", { name: "min_first_order", inputmode: "decimal", value: (referral.min_first_order_cents / 100).toFixed(2) })),
      field(t("settings.weekly_cap"), h("input", { name: "weekly_cap", type: "number", min: "1", value: referral.weekly_cap })),
      field(t("settings.showcase_points"), h("input", { name: "showcase_points", type: "number", min: "0", value: referral.showcase_points })),
      h("label.row", {}, h("input", { name: "allow_same_household", type: "checkbox", checked: referral.allow_same_household, style: "width:auto" }), t("settings.allow_same_household"))),
    problems,
    leader ? h("button", { type: "submit" }, t("common.save")) : h("p.muted", {}, t("settings.leader_only")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const tierList = [...tiers.querySelectorAll("tr")].map((row) => ({
        name: row.querySelector("[name=tier_name]").value.trim(),
        min_spend_cents: yuanToCents(row.querySelector("[name=tier_min]").value) ?? 0,
        discount_percent: Number(row.querySelector("[name=tier_discount]").value) || 0,
      }));
      await api.put("/community/settings", {
        points_per_yuan: values.points_per_yuan, max_points_ratio_percent: values.max_points_ratio_percent, tiers: tierList,
        ...(values.reminder_hour !== undefined ? { reminder_hour: values.reminder_hour } : {}),
        ...(values.quiet_start && values.quiet_end ? { quiet_hours: { start: values.quiet_start, end: values.quiet_end } } : {}),
        referral: { referrer_reward_cents: yuanToCents(values.referrer_reward), invitee_reward_cents: yuanToCents(values.invitee_reward),
          min_first_order_cents: yuanToCents(values.min_first_order), weekly_cap: values.weekly_cap, showcase_points: values.showcase_points,
          allow_same_household: values.allow_same_household },
      });
      toast(t("common.saved"));
    });
  });
  mount(body, h("h1", {}, t("nav.settings")), form, h("h2", {}, t("settings.admission")));
  if (!settings.admission || !settings.admission.mode) return body.append(notYet("admission"));
  // Admission (入群方式) and the welcome guide (新人指南): their own form, saved on their own.
  const admissionProblems = h("div");
  const admission = h("form.narrow", { id: "admission-form" },
    field(t("settings.admission_mode"), h("select", { name: "mode" }, ["open", "approval", "invite_or_approval"].map((mode) =>
      h("option", { value: mode, selected: mode === settings.admission.mode }, t(`admission.${mode}`))))),
    field(t("settings.allowed_buildings"), h("input", { name: "allowed_buildings", value: (settings.admission.allowed_buildings || []).join(", ") })),
    field(t("settings.welcome_guide"), h("textarea", { name: "welcome_guide", rows: "5" }, settings.welcome_guide || "")),
    admissionProblems,
    leader ? h("button", { type: "submit" }, t("common.save")) : null);
  admission.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(admissionProblems, async () => {
      const v = formValues(admission);
      await api.put("/community/settings", {
        admission: { mode: v.mode, allowed_buildings: v.allowed_buildings.split(/[,,]/).map((x) => x.trim()).filter(Boolean) },
        welcome_guide: v.welcome_guide,
      });
      toast(t("common.saved"));
    });
  });
  body.append(admission, h("h2", {}, t("settings.staff")));
  if (leader && offers("GET", "/community/staff")) {
    const staff = h("div", { id: "staff-box" });
    body.append(staff);
    await staffSection(staff).catch((error) => mount(staff, problemBox(error)));
  } else {
    body.append(leader ? notYet("staff") : h("p.muted", {}, t("settings.leader_only")));
  }
  body.append(h("h2", {}, t("settings.channels")));
  if (!leader || !offers("GET", "/community/channels")) return body.append(leader ? notYet("channels") : h("p.muted", {}, t("settings.leader_only")));
  const channels = h("div", { id: "channels-box" });
  body.append(channels);
  await channelsSection(channels).catch((error) => mount(channels, problemBox(error)));
}

function tierRow(tier) {
  const row = h("tr", {},
    h("td", {}, h("input", { name: "tier_name", value: tier.name, required: true })),
    h("td", {}, h("input", { name: "tier_min", inputmode: "decimal", value: (tier.min_spend_cents / 100).toFixed(2) })),
    h("td", {}, h("input", { name: "tier_discount", type: "number", min: "0", max: "30", value: tier.discount_percent })),
    h("td", {}));
  row.lastChild.append(h("button.secondary", { type: "button", onclick: () => row.remove() }, t("common.remove")));
  return row;
}

// --- shell -----------------------------------------------------------------------------------

const NAV = [["", "nav.cockpit"], ["products", "nav.products"], ["waves", "nav.waves"], ["live", "nav.live"], ["orders", "nav.orders"],
  ["pickup", "nav.pickup"], ["members", "nav.members"], ["after-sales", "nav.after_sales"], ["posts", "nav.posts"], ["campaigns", "nav.campaigns"],
  ["rewards", "nav.rewards"], ["referral", "nav.referral"], ["settings", "nav.settings"]];

const SCREENS = {
  "": cockpitScreen, login: loginScreen, signup: signupScreen, products: productsScreen, waves: wavesScreen, live: liveScreen,
  orders: ordersScreen, pickup: pickupScreen, members: membersScreen, referral: referralScreen, settings: settingsScreen,
  "after-sales": afterSalesScreen, posts: postsScreen,
  campaigns: campaignsScreen, rewards: rewardsScreen,
};
const PUBLIC = new Set(["login", "signup"]);

async function render() {
  for (const stop of leaving) stop();
  leaving = [];
  const { parts, query } = currentRoute();
  const name = parts[0] || "";
  const login = session.get();
  if (!PUBLIC.has(name) && !login) return go("#/login");
  const main = h("main");
  if (PUBLIC.has(name)) {
    mount(root, h("div.phone", {}, main));
  } else {
    setTimeZone(login.community.timezone);
    mount(root, h("div.console", {},
      h("nav", {}, h("div.brand", {}, login.community.name),
        NAV.map(([route, key]) => h(`a${route === name ? ".active" : ""}`, { href: `#/${route}`, "data-nav": route || "cockpit" }, t(key))),
        h("a", { href: "#/login", onclick: () => session.clear() }, t("me.logout"))),
      main));
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
spec = await fetch("/api/v1/openapi.json").then((r) => r.json()).catch(() => null);
window.addEventListener("hashchange", render);
render();
