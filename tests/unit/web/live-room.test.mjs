// The shared live-room client (gateway/web/lib/live-room.js) on a fake WebSocket and fake timers:
// both faces rely on its ping, its guard against frames that are not JSON, and its reconnect.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

class FakeSocket {
  static OPEN = 1;
  static made = [];
  constructor(url, protocols) {
    Object.assign(this, { url, protocols, readyState: 0, sent: [], listeners: {} });
    FakeSocket.made.push(this);
  }
  addEventListener(type, listener) {
    this.listeners[type] = [...(this.listeners[type] || []), listener];
  }
  emit(type, event = {}) {
    for (const listener of this.listeners[type] || []) listener(event);
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.emit("open");
  }
  close() {
    this.readyState = 3;
    this.emit("close");
  }
}

// A clock of our own (Debian's node 18 has no mock.timers): tick(ms) runs what falls due.
const clock = { now: 0, timers: new Map(), next: 1 };
function schedule(run, ms, every) {
  const id = clock.next++;
  clock.timers.set(id, { run, at: clock.now + ms, every: every ? ms : null });
  return id;
}
function tick(ms) {
  const end = clock.now + ms;
  for (;;) {
    const due = [...clock.timers]
      .filter(([, timer]) => timer.at <= end)
      .sort(([, a], [, b]) => a.at - b.at);
    if (!due.length) break;
    const [id, timer] = due[0];
    clock.now = timer.at;
    if (timer.every) timer.at += timer.every;
    else clock.timers.delete(id);
    timer.run();
  }
  clock.now = end;
}
globalThis.setTimeout = (run, ms) => schedule(run, ms, false);
globalThis.setInterval = (run, ms) => schedule(run, ms, true);
globalThis.clearTimeout = (id) => clock.timers.delete(id);
globalThis.clearInterval = (id) => clock.timers.delete(id);
globalThis.WebSocket = FakeSocket;
globalThis.location = { protocol: "https:", host: "linli.example" };
const { connectRoom } = await import("../../../gateway/web/lib/live-room.js");

beforeEach(() => {
  FakeSocket.made = [];
  clock.timers.clear();
});

test("it connects with the token as the second subprotocol and pings every 20 s", () => {
  const states = [];
  const stop = connectRoom("s 1", "tok", {}, (state) => states.push(state));
  const [socket] = FakeSocket.made;
  assert.equal(socket.url, "wss://linli.example/api/v1/live-sessions/s%201/ws");
  assert.deepEqual(socket.protocols, ["linli.v1", "tok"]);
  socket.open();
  assert.deepEqual(states, ["connected"]);
  tick(19999);
  assert.deepEqual(socket.sent, []);
  tick(1);
  tick(20000);
  assert.deepEqual(socket.sent, [{ type: "ping" }, { type: "ping" }]);
  stop();
  tick(60000);
  assert.equal(socket.sent.length, 2);
  assert.deepEqual(states, ["connected", "closed"]);
});

test("a frame that is not JSON, or not a message it handles, is ignored", () => {
  const seen = [];
  connectRoom("s1", "tok", { purchase: (message) => seen.push(message) });
  const [socket] = FakeSocket.made;
  socket.open();
  for (const data of [
    "not json",
    "null",
    "42",
    '"text"',
    '{"type":"constructor"}',
    '{"type":"pong"}',
    "{}",
  ]) {
    socket.emit("message", { data });
  }
  socket.emit("message", { data: '{"type":"purchase","buyer":"王*"}' });
  assert.deepEqual(seen, [{ type: "purchase", buyer: "王*" }]);
});

test("a dropped connection is opened again after 3 s, and never once stopped", () => {
  const states = [];
  const stop = connectRoom("s1", "tok", {}, (state) => states.push(state));
  FakeSocket.made[0].open();
  FakeSocket.made[0].close();
  assert.deepEqual(states, ["connected", "reconnecting"]);
  tick(2999);
  assert.equal(FakeSocket.made.length, 1);
  tick(1);
  assert.equal(FakeSocket.made.length, 2);
  FakeSocket.made[1].close();
  stop();
  tick(10000);
  assert.equal(FakeSocket.made.length, 2);
});
