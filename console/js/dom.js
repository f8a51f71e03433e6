// Small DOM helpers: the console builds its page from these instead of a framework. Text from the API only ever
// becomes text nodes (never markup), and a person's text is isolated for direction with `said()`.

/** An element: h("button", {class: "primary", onclick: fn}, "Text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace everything inside `el` (0 and "" are shown; null, undefined and false are not). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Text someone typed (a title, a reason, a name): isolated so its direction cannot spill over its neighbours. */
export function said(text, tag = "bdi") {
  return h(tag, { dir: "auto" }, text === null || text === undefined ? "" : String(text));
}

/** A date and time in the reader's locale, or a dash. */
export function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A calendar date (YYYY-MM-DD from the API) in the reader's locale, or a dash. */
export function day(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** A duration in words: 42 s, 3 min, 2 h. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** A size in bytes, in words: 812 KB, 4.2 MB. */
export function bytes(n) {
  if (n === null || n === undefined) return "—";
  if (n < 1000) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A status word as a coloured badge. */
export function badge(text, kind = text) {
  return h("span", { class: `badge badge-${kind}` }, text.replaceAll("_", " "));
}

/** "1 drawing", "3 drawings". */
export function plural(n, one, many = `${one}s`) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Natural order of drawing numbers: A-2 before A-10. */
export const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }).compare;
