// What every view shares: error and success messages, confirmations, loads that can be retried, and lists that
// load a page at a time.
import { fill, h } from "./dom.js";

export const PAGE_SIZE = 20;

/** An API error as a person reads it: the API's own message (rule ids stay in the API and its docs). */
export function errorBox(error, retry = null) {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("span", { class: "message" }, error.message || String(error)),
    retry ? h("button", { class: "retry", onclick: retry }, "Retry") : null,
  );
}

/**
 * A message at the top of the page; a new one replaces the one before. Errors stay until closed, successes fade.
 * `next`: it is about the page the console goes to now (it stays through that one navigation).
 */
let fading = null;
export function flash(kind, content, { next = false } = {}) {
  const box = kind === "error" ? errorBox(content) : h("div", { class: "ok", role: "status", dataset: next ? { keep: "1" } : null }, content);
  box.append(h("button", { class: "close", "aria-label": "Dismiss", onclick: () => box.remove() }, "×"));
  clearTimeout(fading);
  fill(document.getElementById("alerts"), box);
  if (kind !== "error") fading = setTimeout(() => box.remove(), 8000);
}

export function clearFlash() {
  const alerts = document.getElementById("alerts");
  const kept = alerts.querySelector("[data-keep]");
  if (kept) {
    delete kept.dataset.keep;
    return;
  }
  clearTimeout(fading);
  fill(alerts);
}

/**
 * Load something into a box: "Loading…" meanwhile, then `show(result)`; a failure shows the API's message and
 * a Retry button, never "Loading…" for ever.
 */
export function loading(box, load, show, label = "Loading…") {
  const attempt = async () => {
    fill(box, h("p", { class: "muted loading" }, label));
    let result;
    try {
      result = await load();
    } catch (error) {
      fill(box, errorBox(error, attempt));
      return;
    }
    fill(box);
    show(result);
  };
  attempt();
  return box;
}

/**
 * A list that loads PAGE_SIZE items at a time and offers "Show more" while the API has a next_token.
 * `load(nextToken)` answers a page; `row(item)` makes one element; `empty` shows when there is nothing.
 * A table (`head`) becomes cards on a phone: each cell says its column through `data-label`. "Show more" used by
 * keyboard leaves the focus on the first item it brought (the button itself is gone), not lost at the page's top.
 */
export function pagedList({ load, row, empty, container = h("div", { class: "list" }), head = null, compact = false, onPage = () => {} }) {
  const body = head ? h("tbody") : container;
  if (head) fill(container, h("table", { class: compact ? "cards compact" : "cards" }, h("thead", {}, head), body));
  const labels = head ? [...head.querySelectorAll("th")].map((th) => th.dataset.label ?? th.textContent) : [];
  const status = h("div", { class: "paging" });
  const wrapper = h("div", {}, container, status);
  let count = 0;
  const more = async (token, focused = false) => {
    fill(status, h("span", { class: "muted loading" }, "Loading…"));
    try {
      const page = await load(token);
      for (const [i, item] of page.items.entries()) {
        const el = row(item);
        if (head) [...el.children].forEach((td, i) => labels[i] && td.setAttribute("data-label", labels[i]));
        body.append(el);
        if (focused && i === 0) {
          el.tabIndex = -1;
          el.focus();
        }
      }
      count += page.items.length;
      onPage(page.items, count);
      fill(status);
      if (count === 0) fill(status, h("p", { class: "muted empty" }, empty));
      if (page.next_token) {
        const button = h("button", { class: "more", onclick: () => more(page.next_token, document.activeElement === button) }, "Show more");
        status.append(button);
      }
    } catch (error) {
      fill(status, errorBox(error, () => more(token)));
    }
  };
  more(null);
  return wrapper;
}

/** Table headings: th elements from labels ("" for a column without one, read out as `hidden`). */
export function headings(labels) {
  return h(
    "tr",
    {},
    labels.map((label) =>
      typeof label === "string" ? h("th", { scope: "col" }, label) : h("th", { scope: "col", dataset: { label: "" } }, h("span", { class: "sr-only" }, label.hidden)),
    ),
  );
}

/** Run an action from a button: disable it meanwhile; show the API's message if it fails. */
export async function act(button, action, where = null) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (where) where.replaceChildren(errorBox(error));
    else flash("error", error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/**
 * Ask before something that cannot be undone: a modal dialog (Escape or "Cancel" says no). Resolves true or false.
 * `body` is text or elements; `yes` labels the confirming button.
 */
export function confirmDialog({ title, body, yes, danger = false }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" });
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const ok = h("button", { class: danger ? "danger" : "primary", onclick: () => close(true) }, yes);
    fill(
      dialog,
      h("h2", { id: "confirm-title" }, title),
      h("div", { class: "confirm-body" }, body),
      h("div", { class: "actions" }, ok, h("button", { onclick: () => close(false) }, "Cancel")),
    );
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}
