// The live room's websocket, for the member's live room and the leader's live console: the token
// as the second subprotocol (browsers cannot set headers), a ping every 20 s so that idle proxies
// keep the connection, frames that are not JSON ignored, and a reconnect 3 s after the connection
// drops (the server then sends a fresh snapshot).
import { t } from "./i18n.js";

const PING_EVERY_MS = 20000;
const RECONNECT_AFTER_MS = 3000;

// handlers: {snapshot(message), purchase(message), ...}, one per message type; other types are
// ignored. onState("connected" | "reconnecting" | "closed") says how the connection stands.
// Returns stop(): closes the socket for good.
export function connectRoom(sessionId, token, handlers, onState = () => {}) {
  let socket = null;
  let stopped = false;
  let pinger = null;
  let retry = null;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/v1/live-sessions/${encodeURIComponent(sessionId)}/ws`;
    socket = new WebSocket(url, ["linli.v1", token]);
    socket.addEventListener("open", () => {
      onState("connected");
      pinger = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, PING_EVERY_MS);
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && Object.hasOwn(handlers, message.type)) handlers[message.type](message);
    });
    socket.addEventListener("close", () => {
      clearInterval(pinger);
      if (stopped) {
        onState("closed");
        return;
      }
      onState("reconnecting");
      retry = setTimeout(open, RECONNECT_AFTER_MS);
    });
  }
  open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    clearInterval(pinger);
    if (socket) socket.close();
  };
}

// "王* 买了 2 × 有机鲜牛奶": a purchase message as the ticker shows it.
export function purchaseLine(message) {
  const what = (message.items || []).map((i) => `${i.quantity} × ${i.name}`).join(", ");
  return t("live.bought", { buyer: message.buyer, what });
}
