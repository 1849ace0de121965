// The Arena's front end: draws every participant's pointer, ours marked "(you)" with a ring, and
// reports ours to Python. Moves go to the kernel with model.send (throttled to about 20 Hz); the
// kernel owns the WebSocket, so the browser never needs to reach the API endpoint itself.
// Our own pointer follows the mouse at once (no round trip), and the server's echo of our moves
// (say, ada.move(...) from Python) places it when the mouse is elsewhere.

const DEFAULT_THROTTLE_MS = 50;

function clamp01(value) {
  return Math.min(1, Math.max(0, value));
}

function makePointer(id) {
  const node = document.createElement("div");
  node.className = "arena-pointer";
  node.dataset.id = id;
  const dot = document.createElement("span");
  dot.className = "arena-pointer-dot";
  const label = document.createElement("span");
  label.className = "arena-pointer-label";
  node.append(dot, label);
  return node;
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "arena";
  const status = document.createElement("div");
  status.className = "arena-status";
  const area = document.createElement("div");
  area.className = "arena-area";
  root.append(status, area);
  el.appendChild(root);

  const nodes = new Map(); // pointer id -> its element in the area (everyone else)
  const mine = makePointer("you");
  mine.classList.add("arena-pointer-you");
  mine.hidden = true;
  area.appendChild(mine);
  let local = null; // where the mouse is over the area right now, or null

  function drawMine() {
    const you = model.get("you") || {};
    const where = local ?? (typeof you.x === "number" && typeof you.y === "number" ? you : null);
    mine.dataset.name = you.name ?? "";
    mine.querySelector(".arena-pointer-label").textContent = `${you.name ?? ""} (you)`.trim();
    mine.style.setProperty("--pointer-color", String(you.color || "#888888"));
    // Not connected: our moves go nowhere, so don't pretend they do.
    mine.hidden = where === null || model.get("status") !== "connected";
    if (where !== null) {
      mine.style.left = `${clamp01(where.x) * 100}%`;
      mine.style.top = `${clamp01(where.y) * 100}%`;
    }
  }

  function drawPointers() {
    const pointers = model.get("pointers") || {};
    const myId = (model.get("you") || {}).id;
    for (const [id, node] of nodes) {
      if (!(id in pointers) || id === myId) {
        node.remove();
        nodes.delete(id);
      }
    }
    for (const [id, pointer] of Object.entries(pointers)) {
      if (id === myId) continue;
      let node = nodes.get(id);
      if (!node) {
        node = makePointer(id);
        area.appendChild(node);
        nodes.set(id, node);
      }
      // Names are user-chosen: only ever set as text, never as HTML.
      node.dataset.name = pointer.name ?? "";
      node.querySelector(".arena-pointer-label").textContent = pointer.name ?? id;
      node.style.setProperty("--pointer-color", String(pointer.color || "#888888"));
      const placed = typeof pointer.x === "number" && typeof pointer.y === "number";
      node.hidden = !placed;
      if (placed) {
        node.style.left = `${clamp01(pointer.x) * 100}%`;
        node.style.top = `${clamp01(pointer.y) * 100}%`;
      }
    }
    drawMine();
    drawStatus();
  }

  function drawStatus() {
    const you = model.get("you") || {};
    const state = model.get("status") || "";
    const others = nodes.size;
    const who = you.name ? ` as ${you.name}` : "";
    status.textContent = `${state}${who} · ${others} other${others === 1 ? "" : "s"}`;
    status.style.setProperty("--pointer-color", String(you.color || "#888888"));
    area.classList.toggle("arena-disconnected", state !== "connected");
  }

  // Throttle: send at once if the last send is old enough, else once when it is (latest wins).
  let lastSent = 0;
  let pending = null;
  let timer = null;

  function flush() {
    timer = null;
    if (pending === null) return;
    lastSent = Date.now();
    model.send({ type: "move", x: pending.x, y: pending.y });
    pending = null;
  }

  function onPointerMove(event) {
    const box = area.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    pending = {
      x: clamp01((event.clientX - box.left) / box.width),
      y: clamp01((event.clientY - box.top) / box.height),
    };
    local = pending;
    drawMine();
    const wait = (model.get("throttle_ms") ?? DEFAULT_THROTTLE_MS) - (Date.now() - lastSent);
    if (wait <= 0) {
      flush();
    } else if (timer === null) {
      timer = setTimeout(flush, wait);
    }
  }

  function onPointerLeave() {
    local = null;
    drawMine();
  }

  area.addEventListener("pointermove", onPointerMove);
  area.addEventListener("pointerleave", onPointerLeave);
  model.on("change:pointers", drawPointers);
  model.on("change:you", drawPointers);
  model.on("change:status", drawPointers);
  drawPointers();

  return () => {
    area.removeEventListener("pointermove", onPointerMove);
    area.removeEventListener("pointerleave", onPointerLeave);
    model.off("change:pointers", drawPointers);
    model.off("change:you", drawPointers);
    model.off("change:status", drawPointers);
    if (timer !== null) clearTimeout(timer);
  };
}

export default { render };
