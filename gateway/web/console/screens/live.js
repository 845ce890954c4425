// Live sessions: the list, a new session, and the live console of one session.
import { money, percent, t, when } from "../../lib/i18n.js";
import { connectRoom, purchaseLine } from "../../lib/live-room.js";
import { attempt, empty, field, formValues, go, h, mount, statusBadge } from "../../lib/ui.js";
import { api, onLeave, session } from "../context.js";
import { chosenOffers, isoFromLocal, localInput, offerRows, table } from "../widgets.js";

export async function liveScreen(body, [sessionId]) {
  if (sessionId) return liveConsole(body, sessionId);
  const [lives, products] = await Promise.all([
    api.get("/live-sessions?limit=100"),
    api.get("/products?limit=100"),
  ]);
  const onSale = products.items.filter((p) => p.status === "on_sale");
  const problems = h("div");
  const form = h(
    "form",
    { id: "live-form" },
    h(
      "div.narrow",
      {},
      field(t("field.title"), h("input", { name: "title", required: true })),
      field(t("field.host_persona"), h("input", { name: "host_persona", required: true })),
      field(
        t("field.scheduled_at"),
        h("input", {
          name: "scheduled_at",
          type: "datetime-local",
          required: true,
          value: localInput(new Date(Date.now() + 3600000)),
        }),
      ),
      field(
        t("field.stream_url"),
        h("input", { name: "stream_url", type: "url", placeholder: "https://…/live.m3u8" }),
      ),
    ),
    offerRows(onSale, t("field.live_price")),
    problems,
    h("button", { type: "submit" }, t("live.create")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const payload = {
        title: values.title,
        host_persona: values.host_persona,
        scheduled_at: isoFromLocal(values.scheduled_at),
        items: chosenOffers(values, onSale, "live_price_cents"),
      };
      if (values.stream_url) payload.stream_url = values.stream_url;
      const created = await api.post("/live-sessions", payload);
      go(`#/live/${created.id}`);
    });
  });
  mount(
    body,
    h("h1", {}, t("nav.live")),
    lives.items.length
      ? table(
          [t("field.title"), t("field.scheduled_at"), t("field.status"), t("live.gmv"), ""],
          lives.items.map((s) =>
            h(
              "tr",
              { "data-live": s.id },
              h("td", {}, s.title),
              h("td", {}, when(s.scheduled_at)),
              h("td", {}, statusBadge(s.status)),
              h("td", {}, money(s.stats ? s.stats.gmv_cents : 0)),
              h("td", {}, h("a", { href: `#/live/${s.id}` }, t("common.open"))),
            ),
          ),
        )
      : empty(t("live.empty")),
    h("h2", {}, t("live.new")),
    onSale.length ? form : empty(t("waves.need_products")),
  );
}

async function liveConsole(body, sessionId) {
  const path = `/live-sessions/${encodeURIComponent(sessionId)}`;
  let live = await api.get(path);
  const problems = h("div");
  const parts = {
    head: h("div"),
    stats: h("div.kpis", { id: "live-stats" }),
    items: h("div"),
    sales: h("div.ticker", { id: "sales" }),
    comments: h("div", { id: "live-comments" }),
  };
  const sales = [];
  const action = (name, payload) =>
    attempt(problems, async () => {
      live = await api.post(`${path}/${name}`, payload);
      draw();
    });
  function draw() {
    mount(
      parts.head,
      h("div.row", {}, h("h1.grow", {}, live.title), statusBadge(live.status)),
      h("p.muted", {}, live.host_persona, " · ", when(live.scheduled_at)),
      live.stream_url
        ? h("p.muted", {}, t("field.stream_url"), ": ", h("code", {}, live.stream_url))
        : null,
      h(
        "div.row",
        {},
        live.status === "scheduled"
          ? h("button", { id: "start-live", onclick: () => action("start") }, t("live.start"))
          : null,
        live.status === "live"
          ? h("button.danger", { id: "end-live", onclick: () => action("end") }, t("live.end"))
          : null,
      ),
    );
    const s = live.stats || {};
    const kpi = (label, value, id) =>
      h("div.kpi", {}, h("span.muted", {}, label), h("strong", { id }, value));
    mount(
      parts.stats,
      kpi(t("live.watching"), s.watching ?? 0, "stat-watching"),
      kpi(t("live.viewers"), s.viewers ?? 0),
      kpi(t("live.peak"), s.peak_viewers ?? 0),
      kpi(t("live.buyers"), s.buyers ?? 0),
      kpi(t("live.orders"), s.orders ?? 0, "stat-orders"),
      kpi(t("live.gmv"), money(s.gmv_cents || 0), "stat-gmv"),
      kpi(t("live.conversion"), percent(s.conversion_rate)),
    );
    mount(
      parts.items,
      table(
        [
          t("field.product_name"),
          t("field.live_price"),
          t("field.quota"),
          t("waves.sold"),
          t("waves.remaining"),
          "",
        ],
        live.items.map((i) =>
          h(
            "tr",
            { "data-item": i.product_id },
            h(
              "td",
              {},
              i.name,
              live.pinned && live.pinned.product_id === i.product_id
                ? [" ", h("span.badge.s-live", {}, t("live.pinned"))]
                : null,
            ),
            h("td", {}, money(i.live_price_cents)),
            h("td", {}, i.quota),
            h("td", {}, i.sold),
            h("td", { "data-remaining": i.product_id }, i.remaining),
            h(
              "td",
              {},
              live.status === "live"
                ? h(
                    "button.secondary",
                    {
                      "data-pin": i.product_id,
                      onclick: () => action("pin", { product_id: i.product_id }),
                    },
                    t("live.pin"),
                  )
                : null,
            ),
          ),
        ),
      ),
    );
    mount(
      parts.sales,
      sales.length
        ? sales
            .slice(-8)
            .reverse()
            .map((x) => h("p", {}, x))
        : h("span.muted", {}, t("live.no_purchases")),
    );
  }
  async function loadComments() {
    const comments = await api.get(`${path}/comments?limit=50`);
    mount(
      parts.comments,
      comments.items.length
        ? table(
            [t("live.author"), t("live.comment"), t("live.at"), ""],
            comments.items.map((c) =>
              h(
                "tr",
                { "data-comment": c.id },
                h("td", {}, c.author),
                h("td", {}, c.hidden ? h("s.muted", {}, c.text) : c.text),
                h("td", {}, when(c.at)),
                h(
                  "td",
                  {},
                  c.hidden
                    ? t("live.hidden")
                    : h(
                        "button.secondary",
                        {
                          "data-hide": c.id,
                          onclick: () =>
                            attempt(problems, async () => {
                              await api.post(`${path}/comments/${c.id}/hide`);
                              await loadComments();
                            }),
                        },
                        t("live.hide"),
                      ),
                ),
              ),
            ),
          )
        : empty(t("live.no_comments")),
    );
  }
  mount(
    body,
    parts.head,
    problems,
    parts.stats,
    h("h2", {}, t("live.items")),
    parts.items,
    h("h2", {}, t("live.sales")),
    parts.sales,
    h("h2", {}, t("live.comments")),
    parts.comments,
  );
  draw();
  await loadComments();
  // Sales, stock, viewers and comments arrive over the live room's websocket as they happen.
  const refreshSoon = () =>
    api
      .get(path)
      .then((fresh) => {
        live = fresh;
        draw();
      })
      .catch(() => {});
  const reloadComments = () => loadComments().catch(() => {});
  const handlers = {
    snapshot(message) {
      live = message.session;
      draw();
    },
    purchase(message) {
      sales.push(purchaseLine(message));
      refreshSoon(); // the stats (orders, GMV) come with the session
    },
    stock(message) {
      for (const change of message.items || []) {
        const item = live.items.find((i) => i.product_id === change.product_id);
        if (item) item.remaining = change.remaining;
      }
      draw();
    },
    viewers(message) {
      live.stats = {
        ...(live.stats || {}),
        watching: message.watching,
        viewers: message.viewers,
        peak_viewers: message.peak_viewers,
      };
      draw();
    },
    comment: reloadComments,
    comment_hidden: reloadComments,
    status: refreshSoon,
    pinned: refreshSoon,
  };
  onLeave(connectRoom(sessionId, session.get().token, handlers));
}
