// Runs the Arena's ESM against a tiny fake DOM and model: `node arena_front_end.mjs ESM SCENARIO`.
// Exits non-zero (via node:assert) when the scenario's expectations fail.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.parent = null;
    this.className = "";
    this.dataset = {};
    this.hidden = false;
    this.text = "";
    this.listeners = {};
    const props = {};
    this.style = { props, setProperty: (key, value) => (props[key] = value) };
    const classes = new Set();
    this.classList = {
      add: (name) => classes.add(name),
      toggle: (name, force) => (force ? classes.add(name) : classes.delete(name)),
      contains: (name) => classes.has(name),
    };
  }
  append(...nodes) {
    nodes.forEach((node) => this.appendChild(node));
  }
  appendChild(node) {
    node.parent = this;
    this.children.push(node);
    return node;
  }
  remove() {
    if (this.parent) this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = null;
  }
  set textContent(value) {
    this.text = String(value);
    this.children = [];
  }
  get textContent() {
    return this.text + this.children.map((c) => c.textContent).join("");
  }
  set innerHTML(_value) {
    throw new Error("the arena must never set innerHTML");
  }
  querySelectorAll(selector) {
    const name = selector.slice(1);
    const found = [];
    for (const child of this.children) {
      if (child.className.split(" ").includes(name)) found.push(child);
      found.push(...child.querySelectorAll(selector));
    }
    return found;
  }
  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null;
  }
  addEventListener(type, handler) {
    (this.listeners[type] ??= []).push(handler);
  }
  removeEventListener(type, handler) {
    this.listeners[type] = (this.listeners[type] ?? []).filter((h) => h !== handler);
  }
  dispatch(type, event) {
    (this.listeners[type] ?? []).forEach((handler) => handler(event));
  }
  getBoundingClientRect() {
    return { left: 10, top: 20, width: 200, height: 100 };
  }
}

function fakeModel(state) {
  const handlers = {};
  const sent = [];
  return {
    sent,
    get: (key) => state[key],
    set(key, value) {
      state[key] = value;
      (handlers[`change:${key}`] ?? []).forEach((handler) => handler());
    },
    on: (event, handler) => (handlers[event] ??= []).push(handler),
    off: (event, handler) => {
      handlers[event] = (handlers[event] ?? []).filter((h) => h !== handler);
    },
    send: (content) => sent.push(content),
  };
}

// A controllable clock, so throttling is checked without waiting.
let now = 1_000;
const timers = [];
Date.now = () => now;
globalThis.setTimeout = (fn, ms) => timers.push({ fn, at: now + ms }) && timers.length;
globalThis.clearTimeout = () => timers.splice(0);
function advance(ms) {
  now += ms;
  for (const timer of timers.splice(0)) {
    if (timer.at <= now) timer.fn();
    else timers.push(timer);
  }
}
globalThis.document = { createElement: (tag) => new FakeElement(tag) };

const [esmPath, scenario] = process.argv.slice(2);
const { default: widget } = await import(pathToFileURL(esmPath).href);
const el = new FakeElement("div");
const model = fakeModel({
  pointers: {
    me: { name: "Me", color: "#000000", x: 0.1, y: 0.1 },
    p2: { name: "<b>Brave Otter</b>", color: "#ff0000", x: 0.25, y: 0.5 },
    p3: { name: "Calm Heron", color: "#00ff00", x: null, y: null },
  },
  you: { id: "me", name: "Me", color: "#000000" },
  status: "connected",
  throttle_ms: 50,
});
const cleanup = widget.render({ model, el });
const area = el.querySelector(".arena-area");
const others = () => area.children.filter((node) => !node.classList.contains("arena-pointer-you"));
const pointer = (name) => others().find((node) => node.dataset.name === name);
const mine = () => area.children.find((node) => node.classList.contains("arena-pointer-you"));

const scenarios = {
  "draws-others": () => {
    const otter = pointer("<b>Brave Otter</b>");
    assert.equal(otter.className, "arena-pointer");
    assert.equal(otter.dataset.id, "p2");
    assert.equal(otter.style.left, "25%");
    assert.equal(otter.style.top, "50%");
    assert.equal(otter.style.props["--pointer-color"], "#ff0000");
    assert.equal(pointer("Me"), undefined);
    assert.equal(pointer("Calm Heron").hidden, true);
  },
  "names-are-text": () => {
    const label = pointer("<b>Brave Otter</b>").querySelector(".arena-pointer-label");
    assert.equal(label.textContent, "<b>Brave Otter</b>");
  },
  "follows-changes": () => {
    model.set("pointers", { p3: { name: "Calm Heron", color: "#00ff00", x: 0.5, y: 0.5 } });
    assert.equal(pointer("<b>Brave Otter</b>"), undefined);
    assert.equal(pointer("Calm Heron").hidden, false);
    model.set("status", "disconnected");
    assert.ok(area.classList.contains("arena-disconnected"));
    assert.match(el.querySelector(".arena-status").textContent, /^disconnected as Me/);
  },
  "throttles-moves": () => {
    const move = (x, y) => area.dispatch("pointermove", { clientX: x, clientY: y });
    move(110, 70); // sent at once: nothing sent before
    move(60, 70); // within 50 ms: held back
    move(210, 120); // replaces the held-back one
    assert.deepEqual(model.sent, [{ type: "move", x: 0.5, y: 0.5 }]);
    advance(50);
    assert.deepEqual(model.sent.at(-1), { type: "move", x: 1, y: 1 });
    assert.equal(model.sent.length, 2);
  },
  "draws-own-pointer": () => {
    const me = mine();
    assert.equal(me.querySelector(".arena-pointer-label").textContent, "Me (you)");
    assert.equal(me.hidden, true); // nowhere yet: the mouse has not moved, the server said nothing
    area.dispatch("pointermove", { clientX: 110, clientY: 70 });
    assert.equal(me.hidden, false); // follows the mouse at once, before any round trip
    assert.equal(me.style.left, "50%");
    assert.equal(me.style.top, "50%");
    area.dispatch("pointerleave", {});
    assert.equal(me.hidden, true);
    model.set("you", { id: "me", name: "Me", color: "#123456", x: 0.3, y: 0.4 });
    assert.equal(me.hidden, false); // the server's echo (a move from Python) places it
    assert.equal(me.style.left, "30%");
    assert.equal(me.style.props["--pointer-color"], "#123456");
    assert.match(el.querySelector(".arena-status").textContent, /· 2 others$/);
    model.set("status", "disconnected: replaced");
    assert.equal(me.hidden, true); // our moves go nowhere now: no pointer pretends they do
  },
  "cleans-up": () => {
    cleanup();
    area.dispatch("pointermove", { clientX: 110, clientY: 70 });
    assert.deepEqual(model.sent, []);
  },
};
scenarios[scenario]();
