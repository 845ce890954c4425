// The member's face of Linli (mobile H5): join, the wave's products, the live room, cart and
// checkout, orders with their timeline and pickup QR, points/coupons/tier, invite poster, inbox,
// showcases. Hash routes (#/live/<id>), so the gateway serves one page.

import { makeApi, makeSession, newKey } from "../lib/api.js";
import { loadMessages, money, setTimeZone, t, when } from "../lib/i18n.js";
import { connectRoom, purchaseLine } from "../lib/live-room.js";
import {
  attempt,
  currentRoute,
  empty,
  field,
  formValues,
  go,
  h,
  loadVendor,
  mount,
  problemBox,
  qrSvg,
  statusBadge,
  toast,
} from "../lib/ui.js";

const session = makeSession("linli.member");
const cartStore = makeSession("linli.member.cart");
const api = makeApi(session, () => {
  session.clear();
  go("#/login");
});
const root = document.getElementById("app");
let leaving = []; // what the current screen must stop when it is left (sockets, timers)

function onLeave(stop) {
  leaving.push(stop);
}

// --- screens ---------------------------------------------------------------------------------

async function joinScreen(body, [slug], query) {
  const invite = query.get("invite") || query.get("code") || "";
  const card = await api.get(`/communities/${encodeURIComponent(slug)}`);
  const problems = h("div");
  const form = h(
    "form",
    { id: "join-form" },
    field(
      t("field.phone"),
      h("input", { name: "phone", type: "tel", required: true, autocomplete: "tel" }),
    ),
    field(
      t("field.password"),
      h("input", {
        name: "password",
        type: "password",
        required: true,
        minlength: "8",
        autocomplete: "new-password",
      }),
    ),
    field(t("field.name"), h("input", { name: "name", required: true })),
    h(
      "div.row",
      {},
      h(
        "div.grow",
        {},
        field(t("field.building"), h("input", { name: "building", required: true })),
      ),
      h("div.grow", {}, field(t("field.unit"), h("input", { name: "unit", required: true }))),
    ),
    field(t("field.invite_code"), h("input", { name: "invite_code", value: invite })),
    problems,
    h("button", { type: "submit" }, t("join.submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      if (!values.invite_code) delete values.invite_code;
      const joined = await api.post(`/communities/${encodeURIComponent(slug)}/join`, values);
      if (joined.member && joined.member.status === "pending") {
        // The leader approves first (入群审核): nothing to browse or buy until then.
        mount(
          body,
          h("div.community-card", {}, h("h1", {}, card.name)),
          h(
            "div.card",
            { id: "pending" },
            h("h2", {}, t("join.pending_title")),
            h("p", {}, t("join.pending")),
          ),
        );
        return;
      }
      session.set({ token: joined.token, community: joined.community, member: joined.member });
      const next = query.get("next");
      go(next?.startsWith("#/") ? next : "#/");
    });
  });
  mount(
    body,
    h(
      "div.community-card",
      {},
      h("h1", {}, card.name),
      h("p", {}, t("join.leader", { name: card.leader_display_name })),
      h("p", {}, t("join.members", { count: card.members_total })),
    ),
    invite ? h("p.muted", {}, t("join.invited", { code: invite })) : null,
    h("h2", {}, t("join.title")),
    form,
    h(
      "p.muted",
      {},
      t("join.have_account"),
      " ",
      h("a", { href: `#/login?c=${encodeURIComponent(slug)}` }, t("login.title")),
    ),
  );
}

async function loginScreen(body, _parts, query) {
  const problems = h("div");
  const form = h(
    "form",
    { id: "login-form" },
    field(
      t("field.phone"),
      h("input", { name: "phone", type: "tel", required: true, autocomplete: "tel" }),
    ),
    field(
      t("field.password"),
      h("input", {
        name: "password",
        type: "password",
        required: true,
        autocomplete: "current-password",
      }),
    ),
    field(
      t("field.community"),
      h("input", { name: "community", value: query.get("c") || "", placeholder: "xiaoya" }),
    ),
    problems,
    h("button", { type: "submit" }, t("login.submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      if (!values.community) values.community = null;
      const login = await api.post("/auth/login", values);
      if (login.role !== "member") {
        problems.append(
          h(
            "div.problem",
            {},
            t("login.not_member"),
            " ",
            h("a", { href: "/console/" }, t("login.to_console")),
          ),
        );
        return;
      }
      session.set({ token: login.token, community: login.community });
      go("#/");
    });
  });
  mount(body, h("h1", {}, t("login.title")), form);
}

async function homeScreen(body) {
  const me = await api.get("/me");
  setTimeZone(me.community.timezone);
  const [waves, lives] = await Promise.all([
    api.get("/waves?status=open&limit=20"),
    api.get("/live-sessions?limit=20"),
  ]);
  const current = lives.items.filter((s) => s.status !== "ended");
  const picks = h("div", { id: "recommendations" });
  mount(
    body,
    h(
      "div.community-card",
      {},
      h("h1", {}, me.community.name),
      h("p", {}, t("home.hello", { name: me.account.display_name })),
    ),
    current.length ? h("h2", {}, t("home.live")) : null,
    current.map((live) =>
      h(
        "a.card",
        {
          href: `#/live/${live.id}`,
          style: "display:block;text-decoration:none;color:inherit",
          "data-live": live.id,
        },
        h("div.row", {}, h("strong.grow", {}, live.title), statusBadge(live.status)),
        h("p.muted", {}, live.host_persona || ""),
        h("p.muted", {}, t("live.scheduled_at", { at: when(live.scheduled_at) })),
      ),
    ),
    h("h2", {}, t("home.waves")),
    waves.items.length ? waves.items.map(waveCard) : empty(t("home.no_waves")),
    picks,
    h(
      "p",
      {},
      h("a", { href: "#/showcases" }, t("showcases.title")),
      " · ",
      h("a", { href: "#/posts" }, t("posts.title")),
    ),
  );
  await attempt(picks, () => drawRecommendations(picks));
}

// 猜你喜欢: bought together, a better one, popular with the neighbours. Nothing shows when crm
// has nothing to say; the home page never waits on it.
async function drawRecommendations(box) {
  const picks = await api.get("/me/recommendations");
  if (!picks.items.length) return;
  mount(
    box,
    h("h2", {}, t("home.for_you")),
    picks.items.map((p) =>
      h(
        "a.card.row",
        {
          href: `#/product/${encodeURIComponent(p.product_id)}`,
          style: "text-decoration:none;color:inherit",
          "data-recommendation": p.product_id,
        },
        h("strong.grow", {}, p.name),
        h("span.badge", {}, t(`recommend.${p.reason}`)),
      ),
    ),
  );
}

async function postsScreen(body) {
  const posts = await api.get("/posts?limit=50");
  mount(
    body,
    h("h1", {}, t("posts.title")),
    posts.items.length
      ? posts.items.map((p) =>
          h(
            "div.card",
            { "data-post": p.id },
            h(
              "div.row",
              {},
              h("strong.grow", {}, p.title),
              h("span.badge", {}, t(`posts.kind.${p.kind}`)),
            ),
            p.event_at ? h("p.muted", {}, when(p.event_at)) : null,
            h("p.story", {}, p.body),
          ),
        )
      : empty(t("posts.empty")),
  );
}

function waveCard(wave) {
  return h(
    "div.card",
    { "data-wave": wave.id },
    h("div.row", {}, h("strong.grow", {}, wave.title), statusBadge(wave.status)),
    h(
      "p.muted",
      {},
      t("wave.cutoff", { at: when(wave.cutoff_at) }),
      " · ",
      t("wave.pickup", { at: when(wave.pickup_at), point: wave.pickup_point }),
    ),
    h("a.button", { href: `#/wave/${wave.id}` }, t("wave.open")),
  );
}

async function waveScreen(body, [waveId]) {
  const wave = await api.get(`/waves/${encodeURIComponent(waveId)}`);
  const products = await Promise.all(
    wave.items.map((item) => api.get(`/products/${item.product_id}`)),
  );
  mount(
    body,
    h("h1", {}, wave.title),
    h("p.muted", {}, t("wave.cutoff", { at: when(wave.cutoff_at) })),
    h("p.muted", {}, t("wave.pickup", { at: when(wave.pickup_at), point: wave.pickup_point })),
    wave.items.map((item, index) =>
      productCard(products[index], {
        price: item.price_cents,
        remaining: item.remaining,
        limit: item.per_member_limit,
        open: wave.status === "open",
        channel: { type: "wave", id: wave.id },
      }),
    ),
  );
}

function productCard(product, offer) {
  const quantity = h("input", {
    type: "number",
    min: "1",
    value: "1",
    style: "width:5rem",
    "aria-label": t("field.quantity"),
  });
  const soldOut = offer.remaining === 0;
  return h(
    "div.card",
    { "data-product": product.id },
    h("h3", {}, product.name),
    h(
      "p",
      {},
      h("span.price.big", {}, money(offer.price)),
      " ",
      offer.price !== product.price_cents ? h("s.muted", {}, money(product.price_cents)) : null,
      " ",
      h("span.muted", {}, "/", product.unit || ""),
    ),
    offer.remaining !== null && offer.remaining !== undefined
      ? h("p.muted", {}, t("product.remaining", { count: offer.remaining }))
      : null,
    offer.limit ? h("p.muted", {}, t("product.limit", { count: offer.limit })) : null,
    product.description ? h("p", {}, product.description) : null,
    product.story
      ? h("div", {}, h("h3", {}, t("product.story")), h("p.story", {}, product.story))
      : null,
    product.honest_notes
      ? h(
          "div",
          {},
          h("h3", {}, t("product.honest_notes")),
          h("p.honest", {}, product.honest_notes),
        )
      : null,
    offer.open
      ? h(
          "div.row",
          {},
          quantity,
          h(
            "button",
            {
              disabled: soldOut,
              onclick: () => {
                addToCart(offer.channel, {
                  product_id: product.id,
                  name: product.name,
                  unit: product.unit,
                  unit_price_cents: offer.price,
                  quantity: Math.max(1, Number(quantity.value) || 1),
                });
              },
            },
            soldOut ? t("product.sold_out") : t("cart.add"),
          ),
        )
      : null,
  );
}

async function productScreen(body, [productId]) {
  const product = await api.get(`/products/${encodeURIComponent(productId)}`);
  mount(
    body,
    productCard(product, {
      price: product.price_cents,
      remaining: null,
      open: product.status === "on_sale" && product.stock > 0,
      channel: { type: "shop" },
    }),
  );
}

// A link from a product poster: the product, after joining for someone who is not a member yet.
async function sharedScreen(body, [slug, kind, productId], query) {
  if (kind !== "products") return notFoundScreen(body);
  const target = `#/product/${encodeURIComponent(productId)}`;
  if (session.get()) return go(target);
  const invite = query.get("invite");
  go(
    `#/join/${encodeURIComponent(slug)}?${new URLSearchParams({ ...(invite ? { invite } : {}), next: target })}`,
  );
}

// --- the live room ---------------------------------------------------------------------------

async function liveScreen(body, [sessionId]) {
  const state = { session: null, comments: [], purchases: [], connected: false };
  const parts = {
    status: h("div"),
    video: h("div"),
    pinned: h("div"),
    items: h("div"),
    ticker: h("div.ticker", { id: "ticker" }),
    comments: h("div.comments.card", { id: "comments" }),
    viewers: h("span", { id: "viewers" }),
    link: h("p.muted"),
  };
  const commentProblems = h("div");
  const commentInput = h("input", {
    name: "text",
    maxlength: "200",
    placeholder: t("live.comment_placeholder"),
    required: true,
  });
  const commentForm = h(
    "form.row",
    { id: "comment-form" },
    h("div.grow", {}, commentInput),
    h("button", { type: "submit" }, t("live.send")),
  );
  commentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(commentProblems, async () => {
      await api.post(`/live-sessions/${encodeURIComponent(sessionId)}/comments`, {
        text: commentInput.value,
      });
      commentInput.value = "";
    });
  });
  mount(
    body,
    parts.status,
    parts.video,
    parts.link,
    h("div.row", {}, h("span.muted", {}, t("live.watching")), parts.viewers),
    parts.pinned,
    h("h3", {}, t("live.purchases")),
    parts.ticker,
    h("h3", {}, t("live.items")),
    parts.items,
    h("h3", {}, t("live.comments")),
    parts.comments,
    commentForm,
    commentProblems,
  );

  const draw = {
    status() {
      const s = state.session;
      mount(
        parts.status,
        h("div.row", {}, h("h1.grow", {}, s.title), statusBadge(s.status)),
        s.host_persona ? h("p.muted", {}, s.host_persona) : null,
      );
    },
    video() {
      const url = state.session.stream_url;
      if (!url) return mount(parts.video, h("div.stream-box", {}, t("live.no_stream")));
      const video = h("video.live-video", { controls: true, playsinline: true, muted: true });
      const hls = /\.m3u8(\?|$)/i.test(url);
      const playable =
        /\.mp4(\?|$)/i.test(url) || (hls && video.canPlayType("application/vnd.apple.mpegurl"));
      if (playable && state.session.status === "live") {
        video.src = url;
        mount(parts.video, video);
      } else {
        mount(
          parts.video,
          h(
            "div.stream-box",
            { id: "stream-url" },
            h(
              "p",
              {},
              state.session.status === "live"
                ? t("live.stream_elsewhere")
                : t("live.stream_not_live"),
            ),
            h("code", {}, url),
          ),
        );
      }
    },
    pinned() {
      const s = state.session;
      const pin = s.pinned;
      if (!pin) return mount(parts.pinned, h("p.muted", {}, t("live.nothing_pinned")));
      const item = s.items.find((i) => i.product_id === pin.product_id) || {};
      mount(
        parts.pinned,
        h(
          "div.card.pinned",
          { id: "pinned" },
          h("p.muted", {}, t("live.pinned")),
          h("h3", {}, pin.name),
          h(
            "p",
            {},
            h("span.price.big", {}, money(pin.live_price_cents)),
            " ",
            item.list_price_cents ? h("s.muted", {}, money(item.list_price_cents)) : null,
          ),
          h(
            "p.muted",
            { id: "pinned-remaining" },
            t("product.remaining", { count: item.remaining ?? "—" }),
          ),
          buyButton(item, "buy-pinned"),
        ),
      );
    },
    items() {
      mount(
        parts.items,
        state.session.items.map((item) =>
          h(
            "div.card.row",
            { "data-item": item.product_id },
            h(
              "div.grow",
              {},
              h("strong", {}, item.name),
              h("br"),
              h("span.price", {}, money(item.live_price_cents)),
              " ",
              h("span.muted", {}, t("product.remaining", { count: item.remaining })),
            ),
            buyButton(item),
          ),
        ),
      );
    },
    viewers() {
      parts.viewers.textContent = String(
        state.session.stats ? (state.session.stats.watching ?? 0) : 0,
      );
    },
    comments() {
      mount(
        parts.comments,
        state.comments.length
          ? state.comments.map((c) =>
              h("p", { "data-comment": c.id }, h("strong", {}, c.author), ": ", c.text),
            )
          : h("p.muted", {}, t("live.no_comments")),
      );
      parts.comments.scrollTop = parts.comments.scrollHeight;
    },
    ticker() {
      mount(
        parts.ticker,
        state.purchases.length
          ? state.purchases
              .slice(-5)
              .reverse()
              .map((p) => h("p", {}, p))
          : h("span.muted", {}, t("live.no_purchases")),
      );
    },
    all() {
      for (const name of ["status", "video", "pinned", "items", "viewers", "comments", "ticker"])
        draw[name]();
    },
  };

  function buyButton(item, id) {
    const live = state.session.status === "live";
    const soldOut = item.remaining === 0;
    return h(
      "button",
      {
        id,
        disabled: !live || soldOut,
        onclick: () =>
          addToCart(
            { type: "live", id: state.session.id },
            {
              product_id: item.product_id,
              name: item.name,
              unit: item.unit,
              unit_price_cents: item.live_price_cents,
              quantity: 1,
            },
          ),
      },
      soldOut ? t("product.sold_out") : live ? t("live.buy") : t("live.not_live"),
    );
  }

  const handlers = {
    snapshot(message) {
      state.session = message.session;
      state.comments = (message.comments || []).slice().sort((a, b) => (a.at < b.at ? -1 : 1));
      draw.all();
    },
    status(message) {
      Object.assign(state.session, {
        status: message.status,
        started_at: message.started_at,
        ended_at: message.ended_at,
      });
      draw.all();
    },
    pinned(message) {
      state.session.pinned = {
        product_id: message.product_id,
        name: message.name,
        live_price_cents: message.live_price_cents,
      };
      draw.pinned();
    },
    comment(message) {
      state.comments.push(message.comment);
      state.comments = state.comments.slice(-100);
      draw.comments();
    },
    comment_hidden(message) {
      state.comments = state.comments.filter((c) => c.id !== message.comment_id);
      draw.comments();
    },
    purchase(message) {
      state.purchases.push(purchaseLine(message));
      draw.ticker();
    },
    stock(message) {
      for (const change of message.items || []) {
        const item = state.session.items.find((i) => i.product_id === change.product_id);
        if (item) item.remaining = change.remaining;
      }
      draw.items();
      draw.pinned();
    },
    viewers(message) {
      state.session.stats = {
        ...(state.session.stats || {}),
        watching: message.watching,
        viewers: message.viewers,
        peak_viewers: message.peak_viewers,
      };
      draw.viewers();
    },
  };
  const link = parts.link;
  const stop = connectRoom(sessionId, session.get().token, handlers, (how) => {
    link.dataset.connected = String(how === "connected");
    if (how === "connected") link.textContent = t("live.connected");
    else if (how === "reconnecting") link.textContent = t("live.reconnecting");
  });
  onLeave(stop);
}

// --- cart, checkout, orders -------------------------------------------------------------------

function cart() {
  return cartStore.get() || { channel: null, items: [], key: newKey() };
}

function addToCart(channel, line) {
  let current = cart();
  const same =
    current.channel &&
    current.channel.type === channel.type &&
    (current.channel.id || null) === (channel.id || null);
  if (!same) {
    if (current.items.length) toast(t("cart.replaced"));
    current = { channel, items: [], key: newKey() };
  }
  const existing = current.items.find((i) => i.product_id === line.product_id);
  if (existing) existing.quantity += line.quantity;
  else current.items.push(line);
  current.key = newKey(); // a changed cart is a new order attempt
  cartStore.set(current);
  go("#/cart");
}

async function cartScreen(body) {
  const current = cart();
  if (!current.items.length)
    return mount(body, h("h1", {}, t("cart.title")), empty(t("cart.empty")));
  const [coupons, points] = await Promise.all([
    api.get("/me/coupons?status=available"),
    api.get("/me/points"),
  ]);
  const subtotal = current.items.reduce((sum, i) => sum + i.unit_price_cents * i.quantity, 0);
  const problems = h("div");
  const couponSelect = h(
    "select",
    { name: "coupon_id" },
    h("option", { value: "" }, t("checkout.no_coupon")),
    coupons.items.map((c) => h("option", { value: c.id }, couponLabel(c))),
  );
  const pointsInput = h("input", {
    name: "points_to_use",
    type: "number",
    min: "0",
    max: String(points.balance),
    value: "0",
  });
  const note = h("input", { name: "note", maxlength: "200" });
  const form = h(
    "form",
    { id: "checkout-form" },
    field(t("checkout.coupon"), couponSelect),
    field(t("checkout.points", { balance: points.balance }), pointsInput),
    field(t("checkout.note"), note),
    problems,
    h("button", { type: "submit", id: "place-order" }, t("checkout.place")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const body = {
        items: current.items.map((i) => ({ product_id: i.product_id, quantity: i.quantity })),
      };
      if (current.channel && current.channel.type !== "shop") body.channel = current.channel;
      if (couponSelect.value) body.coupon_id = couponSelect.value;
      const use = Number(pointsInput.value) || 0;
      if (use > 0) body.points_to_use = use;
      if (note.value.trim()) body.note = note.value.trim();
      const order = await api.post("/orders", body, {
        headers: { "Idempotency-Key": current.key },
      });
      cartStore.clear();
      go(`#/orders/${order.id}`);
    });
  });
  mount(
    body,
    h("h1", {}, t("cart.title")),
    h("p.muted", {}, t(`channel.${current.channel ? current.channel.type : "shop"}`)),
    h(
      "table",
      {},
      h(
        "tbody",
        {},
        current.items.map((i) =>
          h(
            "tr",
            {},
            h("td", {}, i.name),
            h("td", {}, `× ${i.quantity}`),
            h("td", {}, money(i.unit_price_cents * i.quantity)),
          ),
        ),
      ),
    ),
    h("p", {}, t("checkout.subtotal"), " ", h("span.price", {}, money(subtotal))),
    h("p.muted", {}, t("checkout.final_note")),
    h(
      "button.secondary",
      {
        onclick: () => {
          cartStore.clear();
          go("#/cart");
        },
      },
      t("cart.clear"),
    ),
    form,
  );
}

function couponLabel(coupon) {
  const value =
    coupon.kind === "fixed"
      ? money(coupon.amount_cents)
      : t("coupon.percent", { percent: coupon.percent, cap: money(coupon.cap_cents) });
  return `${value} · ${t("coupon.min_spend", { amount: money(coupon.min_spend_cents) })} · ${t("coupon.until", { at: when(coupon.valid_until) })}`;
}

async function ordersScreen(body) {
  const orders = await api.get("/orders?limit=50");
  mount(
    body,
    h("h1", {}, t("orders.title")),
    orders.items.length
      ? orders.items.map((o) =>
          h(
            "a.card",
            { href: `#/orders/${o.id}`, style: "display:block;text-decoration:none;color:inherit" },
            h(
              "div.row",
              {},
              h("strong.grow", {}, o.lines.map((l) => `${l.name} × ${l.quantity}`).join(", ")),
              statusBadge(o.status),
            ),
            h("p.muted", {}, when(o.created_at), " · ", h("span.price", {}, money(o.total_cents))),
          ),
        )
      : empty(t("orders.empty")),
  );
}

async function orderScreen(body, [orderId]) {
  const problems = h("div");
  let timer = null;
  async function refresh() {
    const order = await api.get(`/orders/${encodeURIComponent(orderId)}`);
    draw(order);
    clearTimeout(timer);
    // The payment provider's webhook arrives on its own: keep looking while it may.
    if (order.status === "pending_payment")
      timer = setTimeout(() => refresh().catch(() => {}), 2500);
  }
  onLeave(() => clearTimeout(timer));
  function draw(order) {
    const pay = async () => {
      await attempt(problems, async () => {
        const started = await api.post(`/orders/${order.id}/pay`, { method: "sandbox" });
        const url = new URL(started.payment.pay_url, location.href);
        url.searchParams.set("return", `/m/#/orders/${order.id}`);
        location.href = url.toString();
      });
    };
    const cancel = () =>
      attempt(problems, async () => {
        await api.post(`/orders/${order.id}/cancel`);
        await refresh();
      });
    const pickup = order.pickup;
    mount(
      body,
      h("div.row", {}, h("h1.grow", {}, t("order.title")), statusBadge(order.status)),
      h("p.muted", {}, t("order.number", { id: order.id })),
      pickup
        ? h(
            "div.card",
            { id: "pickup" },
            h("h2", {}, t("order.pickup")),
            h("p.pickup-code", { id: "pickup-code" }, pickup.code),
            qrSvg(pickup.code),
            h("p", {}, t("order.pickup_where", { point: pickup.point, at: when(pickup.at) })),
          )
        : null,
      h(
        "div.card",
        {},
        order.lines.map((l) =>
          h(
            "div.row",
            {},
            h("span.grow", {}, `${l.name} × ${l.quantity}`),
            money(l.unit_price_cents * l.quantity),
          ),
        ),
        h("hr"),
        h("div.row", {}, h("span.grow", {}, t("checkout.subtotal")), money(order.subtotal_cents)),
        order.tier_discount_cents
          ? h(
              "div.row",
              {},
              h("span.grow", {}, t("order.tier_discount")),
              `-${money(order.tier_discount_cents)}`,
            )
          : null,
        order.coupon_discount_cents
          ? h(
              "div.row",
              {},
              h("span.grow", {}, t("order.coupon_discount")),
              `-${money(order.coupon_discount_cents)}`,
            )
          : null,
        order.points_used
          ? h(
              "div.row",
              {},
              h("span.grow", {}, t("order.points_discount", { points: order.points_used })),
              `-${money(order.points_discount_cents)}`,
            )
          : null,
        h(
          "div.row",
          {},
          h("strong.grow", {}, t("order.total")),
          h("span.price.big", { id: "order-total" }, money(order.total_cents)),
        ),
      ),
      order.status === "pending_payment"
        ? h("p.muted", {}, t("order.pay_before", { at: when(order.expires_at) }))
        : null,
      h(
        "div.row",
        {},
        order.status === "pending_payment"
          ? h("button", { id: "pay", onclick: pay }, t("order.pay"))
          : null,
        ["pending_payment", "paid"].includes(order.status)
          ? h("button.secondary", { id: "cancel", onclick: cancel }, t("order.cancel"))
          : null,
      ),
      problems,
      h("h2", {}, t("order.timeline")),
      h(
        "ol.timeline",
        { id: "timeline" },
        order.timeline.map((step) =>
          h(
            "li",
            { "data-status": step.status },
            h("strong", {}, t(`status.${step.status}`)),
            " ",
            h("span.muted", {}, when(step.at), step.by ? ` · ${t(`by.${step.by}`)}` : ""),
          ),
        ),
      ),
      afterSales,
    );
    if (order.status === "completed")
      drawAfterSales(order).catch((error) => afterSales.append(problemBox(error)));
  }
  const afterSales = h("div", { id: "after-sales" });
  // 售后: a completed order's problem, and what the leader decided.
  async function drawAfterSales(order) {
    const cases = (await api.get("/after-sales?limit=100")).items.filter(
      (c) => c.order_id === order.id,
    );
    const problems = h("div");
    const form = h(
      "form",
      { id: "after-sale-form" },
      field(
        t("after_sales.kind"),
        h(
          "select",
          { name: "kind" },
          ["damaged", "missing", "quality", "other"].map((k) =>
            h("option", { value: k }, t(`after_sales.kind.${k}`)),
          ),
        ),
      ),
      field(
        t("after_sales.description"),
        h("textarea", { name: "description", required: true, maxlength: "1000" }),
      ),
      problems,
      h("button", { type: "submit" }, t("after_sales.submit")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(problems, async () => {
        await api.post(`/orders/${order.id}/after-sales`, formValues(form));
        toast(t("after_sales.sent"));
        await drawAfterSales(order);
      });
    });
    mount(
      afterSales,
      h("h2", {}, t("after_sales.title")),
      cases.map((c) =>
        h(
          "div.card",
          { "data-case": c.id },
          h(
            "div.row",
            {},
            h("strong.grow", {}, t(`after_sales.kind.${c.kind}`)),
            statusBadge(c.status),
          ),
          h("p", {}, c.description),
          c.compensation
            ? h(
                "p",
                {},
                t("after_sales.compensated", {
                  what: t(`compensation.${c.compensation.type}`),
                  amount:
                    c.compensation.type === "points"
                      ? c.compensation.amount
                      : money(c.compensation.amount),
                }),
              )
            : null,
          c.reject_reason ? h("p.muted", {}, c.reject_reason) : null,
        ),
      ),
      cases.some((c) => c.status === "open") ? null : form,
    );
  }
  await loadVendor("qrcode");
  await refresh();
}

// --- me: points, coupons, tier, invite, inbox, showcases -------------------------------------

async function meScreen(body) {
  const [me, points, coupons] = await Promise.all([
    api.get("/me"),
    api.get("/me/points"),
    api.get("/me/coupons?status=all&limit=50"),
  ]);
  const member = me.member || {};
  const tier = member.tier || {};
  const invite = h("div.card", { id: "invite" }, h("p.muted", {}, "…"));
  const rewards = h("div", { id: "rewards" });
  mount(
    body,
    h(
      "div.community-card",
      {},
      h("h1", {}, me.account.display_name),
      h("p", {}, me.community.name),
    ),
    h(
      "div.card",
      {},
      h(
        "div.row",
        {},
        h("span.grow", {}, t("me.tier")),
        h("strong", { id: "tier" }, tier.name || "—"),
      ),
      tier.discount_percent
        ? h("p.muted", {}, t("me.tier_discount", { percent: tier.discount_percent }))
        : null,
      h("p.muted", {}, t("me.spend", { amount: money(tier.spend_cents || 0) })),
      h(
        "div.row",
        {},
        h("span.grow", {}, t("me.points")),
        h("strong", { id: "points" }, String(points.balance)),
      ),
      points.held ? h("p.muted", {}, t("me.points_held", { points: points.held })) : null,
    ),
    h("h2", {}, t("me.coupons")),
    coupons.items.length
      ? coupons.items.map((c) =>
          h("div.card.row", {}, h("span.grow", {}, couponLabel(c)), statusBadge(c.status)),
        )
      : empty(t("me.no_coupons")),
    h("h2", {}, t("me.invite")),
    invite,
    h("h2", {}, t("me.rewards")),
    rewards,
    h("h2", {}, t("me.points_ledger")),
    points.items.length
      ? h(
          "table",
          {},
          h(
            "tbody",
            {},
            points.items.map((e) =>
              h(
                "tr",
                {},
                h("td", {}, when(e.created_at)),
                h("td", {}, t(`points.${e.kind}`)),
                h("td", {}, e.delta > 0 ? `+${e.delta}` : String(e.delta)),
                h("td.muted", {}, e.reason || ""),
              ),
            ),
          ),
        )
      : empty(t("me.no_points")),
    h("h2", {}, t("me.notifications")),
    remindersToggle(member),
    h(
      "p",
      {},
      h("a", { href: "#/inbox" }, t("inbox.title")),
      " · ",
      h("a", { href: "#/showcases" }, t("showcases.title")),
    ),
    h(
      "button.secondary",
      {
        onclick: () => {
          session.clear();
          go("#/login");
        },
      },
      t("me.logout"),
    ),
  );
  // Points for coupons (积分兑换). Each click is one redemption: its own Idempotency-Key, so a
  // retried request never spends twice; too few points comes back as 409 and is said plainly.
  attempt(rewards, async () => {
    const offered = await api.get("/rewards?limit=50");
    const problems = h("div", { id: "redeem-problems" });
    const redeem = (reward, button) =>
      attempt(problems, async () => {
        button.disabled = true;
        try {
          const done = await api.post(
            `/rewards/${reward.id}/redeem`,
            {},
            { headers: { "Idempotency-Key": newKey() } },
          );
          toast(t("me.redeemed_coupon", { points: done.points_spent, balance: done.balance }));
          go("#/me");
        } finally {
          button.disabled = false;
        }
      });
    mount(
      rewards,
      offered.items.length
        ? offered.items.map((r) => {
            const short = r.points_cost > points.balance;
            const button = h(
              "button",
              { "data-redeem": r.id, class: short ? "secondary" : null },
              t("me.redeem"),
            );
            button.addEventListener("click", () => redeem(r, button));
            return h(
              "div.card.row",
              { "data-reward": r.id },
              h(
                "div.grow",
                {},
                h("strong", {}, r.name),
                h("br"),
                h("span.muted", {}, rewardTerms(r)),
              ),
              h(
                "span",
                {},
                t("me.reward_points", { points: r.points_cost }),
                short ? [h("br"), h("span.muted", {}, t("me.points_short"))] : null,
              ),
              button,
            );
          })
        : empty(t("me.no_rewards")),
      problems,
    );
  });
  await attempt(invite, async () => {
    const referral = await api.get("/me/referral");
    const posterBox = h("div");
    mount(
      invite,
      h(
        "p",
        {},
        t("me.invite_code"),
        " ",
        h("strong", { id: "invite-code" }, referral.invite_code),
      ),
      h("p.muted", { style: "word-break:break-all" }, referral.invite_url),
      h("p.muted", {}, t("me.invited", { invited: referral.invited, rewarded: referral.rewarded })),
      h(
        "button",
        {
          id: "show-poster",
          onclick: () =>
            attempt(posterBox, async () => {
              const url = await api.blobUrl("/me/referral/poster.png");
              mount(
                posterBox,
                h("img.poster", { src: url, alt: t("me.poster"), id: "poster" }),
                h("p.muted", {}, t("me.poster_hint")),
              );
            }),
        },
        t("me.poster"),
      ),
      posterBox,
    );
  });
}

function rewardTerms(reward) {
  const coupon = reward.coupon || {};
  if (reward.kind === "goods_coupon") {
    return t("me.goods_coupon", {
      value: coupon.amount_cents ? money(coupon.amount_cents) : t("me.product_price"),
      days: coupon.valid_days,
    });
  }
  const value =
    coupon.kind === "percent"
      ? t("coupon.percent", { percent: coupon.percent, cap: money(coupon.cap_cents) })
      : money(coupon.amount_cents);
  return `${value} · ${t("coupon.min_spend", { amount: money(coupon.min_spend_cents || 0) })} · ${t("me.valid_days", { days: coupon.valid_days })}`;
}

// 复购提醒: on unless the member says no; the change is saved at once.
function remindersToggle(member) {
  const problems = h("div");
  const box = h("input", {
    id: "reminders-opt-out",
    type: "checkbox",
    checked: !member.reminders_opt_out,
    style: "width:auto",
  });
  box.addEventListener("change", () =>
    attempt(problems, async () => {
      box.disabled = true;
      try {
        const saved = await api.patch("/me", { reminders_opt_out: !box.checked });
        box.checked = !saved.reminders_opt_out;
        toast(t(saved.reminders_opt_out ? "me.reminders_off" : "me.reminders_on"));
      } catch (error) {
        box.checked = !box.checked;
        throw error;
      } finally {
        box.disabled = false;
      }
    }),
  );
  return h(
    "div.card",
    { id: "reminders" },
    h("label.row", {}, box, h("span.grow", {}, t("me.reminders"))),
    h("p.muted", {}, t("me.reminders_hint")),
    problems,
  );
}

async function inboxScreen(body) {
  const inbox = await api.get("/me/inbox?limit=50");
  mount(
    body,
    h("h1", {}, t("inbox.title")),
    inbox.items.length
      ? inbox.items.map((m) =>
          h(
            "div.card",
            { "data-message": m.id },
            h("strong", {}, m.title),
            h("p", {}, m.body),
            h("p.muted", {}, when(m.created_at)),
            m.order_id ? h("a", { href: `#/orders/${m.order_id}` }, t("inbox.see_order")) : null,
          ),
        )
      : empty(t("inbox.empty")),
  );
}

async function showcasesScreen(body) {
  const [showcases, completed] = await Promise.all([
    api.get("/showcases?limit=50"),
    api.get("/orders?status=completed&limit=50"),
  ]);
  const problems = h("div");
  const form = h(
    "form",
    { id: "showcase-form" },
    field(
      t("showcases.order"),
      h(
        "select",
        { name: "order_id", required: true },
        completed.items.map((o) =>
          h("option", { value: o.id }, o.lines.map((l) => l.name).join(", ")),
        ),
      ),
    ),
    field(t("showcases.text"), h("textarea", { name: "text", required: true, maxlength: "500" })),
    problems,
    h("button", { type: "submit" }, t("showcases.post")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      await api.post("/showcases", formValues(form));
      toast(t("showcases.sent"));
      go("#/showcases");
    });
  });
  mount(
    body,
    h("h1", {}, t("showcases.title")),
    showcases.items.length
      ? showcases.items.map((s) =>
          h(
            "div.card",
            {},
            h("div.row", {}, h("strong.grow", {}, s.author), s.mine ? statusBadge(s.status) : null),
            h("p", {}, s.text),
            h("p.muted", {}, when(s.created_at)),
          ),
        )
      : empty(t("showcases.empty")),
    completed.items.length
      ? [h("h2", {}, t("showcases.mine")), form]
      : h("p.muted", {}, t("showcases.need_completed")),
  );
}

function notFoundScreen(body) {
  mount(body, h("h1", {}, t("common.not_found")), h("a", { href: "#/" }, t("common.home")));
}

// --- shell -----------------------------------------------------------------------------------

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
  for (const stop of leaving) stop();
  leaving = [];
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
