// A windowed list: thousands of entries, and only the ones near the screen in the DOM (at most MAX_NODES).
// The page itself scrolls (no inner scroll box, which phones handle badly); entries have fixed heights.
import { h } from "./dom.js";

const OVERSCAN_PX = 500;
export const MAX_NODES = 100;

/**
 * `render(entry)` makes an entry's element; `key(entry)` names it; `height(entry)` is its height in px (asked
 * again when the window resizes, so a phone's taller cards fit). Rows get `focusable` elements (links): arrow
 * keys move between them, and the focused one is kept while it scrolls out of the window.
 */
export function windowedList({ render, key, height, label, focusable = "a" }) {
  const el = h("div", { class: "vlist", role: "list", "aria-label": label });
  let entries = [];
  let offsets = [0];
  const nodes = new Map(); // key -> element
  let frame = 0;
  let destroyed = false;

  const measure = () => {
    offsets = new Array(entries.length + 1);
    offsets[0] = 0;
    for (let i = 0; i < entries.length; i += 1) offsets[i + 1] = offsets[i] + height(entries[i]);
    el.style.height = `${offsets[entries.length]}px`;
  };

  /** The first entry whose bottom is below `y` px from the list's top. */
  const indexAt = (y) => {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const update = () => {
    frame = 0;
    if (destroyed) return;
    if (!el.isConnected) {
      schedule(); // not on the page yet: once it is
      return;
    }
    const top = -el.getBoundingClientRect().top;
    const start = Math.max(0, indexAt(top - OVERSCAN_PX));
    const end = Math.min(entries.length, indexAt(top + window.innerHeight + OVERSCAN_PX) + 1, start + MAX_NODES - 1);
    const wanted = [];
    for (let i = start; i < end; i += 1) wanted.push(i);
    const focused = el.contains(document.activeElement) ? document.activeElement.closest("[data-index]") : null;
    const kept = focused ? Number(focused.dataset.index) : -1;
    if (kept >= 0 && kept < entries.length && (kept < start || kept >= end)) {
      if (kept < start) wanted.unshift(kept);
      else wanted.push(kept);
    }
    const keys = new Set(wanted.map((i) => key(entries[i])));
    for (const [k, node] of nodes) {
      if (!keys.has(k)) {
        node.remove();
        nodes.delete(k);
      }
    }
    let previous = null;
    for (const i of wanted) {
      const entry = entries[i];
      const k = key(entry);
      let node = nodes.get(k);
      if (!node) {
        node = render(entry);
        node.setAttribute("role", "listitem");
        nodes.set(k, node);
      }
      node.dataset.index = String(i);
      if (entry.position) {
        // Where the row is among the rows shown (group headers apart), as a screen reader says it.
        node.setAttribute("aria-posinset", String(entry.position));
        node.setAttribute("aria-setsize", String(entry.size));
      }
      node.style.top = `${offsets[i]}px`;
      node.style.height = `${offsets[i + 1] - offsets[i]}px`;
      const place = previous ? previous.nextSibling : el.firstChild;
      if (node !== place) el.insertBefore(node, place);
      previous = node;
    }
  };

  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(update);
  };

  /** Bring entry `i` on screen, render it, and focus its link. */
  const focusIndex = (i) => {
    if (i < 0 || i >= entries.length) return;
    const listTop = el.getBoundingClientRect().top + window.scrollY;
    const y = listTop + offsets[i];
    const bottom = listTop + offsets[i + 1];
    if (y < window.scrollY + 80) window.scrollTo({ top: y - 80 });
    else if (bottom > window.scrollY + window.innerHeight - 20) window.scrollTo({ top: bottom - window.innerHeight + 20 });
    update();
    const node = nodes.get(key(entries[i]));
    const target = node && (node.matches(focusable) ? node : node.querySelector(focusable));
    if (target) target.focus();
  };

  el.addEventListener("keydown", (event) => {
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
    const row = event.target.closest("[data-index]");
    if (!row) return;
    const here = Number(row.dataset.index);
    let next = { ArrowDown: here + 1, ArrowUp: here - 1, Home: 0, End: entries.length - 1 }[event.key];
    const step = event.key === "ArrowUp" || event.key === "End" ? -1 : 1;
    while (next >= 0 && next < entries.length && !entries[next].focusable) next += step;
    if (next >= 0 && next < entries.length) {
      event.preventDefault();
      focusIndex(next);
    }
  });

  const onResize = () => {
    measure();
    schedule();
  };
  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", onResize);

  return {
    el,
    /** New entries; `fresh` drops every rendered element (their content changed). */
    set(list, fresh = false) {
      entries = list;
      if (fresh) {
        for (const node of nodes.values()) node.remove();
        nodes.clear();
      }
      measure();
      update();
    },
    /** How many entries are in the DOM now. */
    rendered: () => nodes.size,
    focusIndex,
    destroy() {
      destroyed = true;
      window.removeEventListener("scroll", schedule);
      window.removeEventListener("resize", onResize);
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
