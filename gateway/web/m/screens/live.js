// The live room: the stream, the pinned item, items at live prices, purchases and comments as they happen.
import { money, t } from "../../lib/i18n.js";
import { connectRoom, purchaseLine } from "../../lib/live-room.js";
import { attempt, h, mount, statusBadge } from "../../lib/ui.js";
import { addToCart } from "../cart.js";
import { api, onLeave, session } from "../context.js";

export async function liveScreen(body, [sessionId]) {
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
