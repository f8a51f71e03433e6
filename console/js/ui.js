// What every view shares: error and success messages, and lists that load a page at a time.
import { fill, h } from "./dom.js";

export const PAGE_SIZE = 20;

/** An API error as a person reads it: its message, and the rule it cites. */
export function errorBox(error) {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("span", { class: "message" }, error.message || String(error)),
    error.rule ? h("span", { class: "rule", title: "The rule that forbids it" }, error.rule) : null,
  );
}

/** Messages at the top of the page: errors stay until closed, successes fade. */
export function flash(kind, content) {
  const box = kind === "error" ? errorBox(content) : h("div", { class: "ok", role: "status" }, content);
  box.append(h("button", { class: "close", "aria-label": "Dismiss", onclick: () => box.remove() }, "×"));
  document.getElementById("alerts").append(box);
  if (kind !== "error") setTimeout(() => box.remove(), 6000);
}

export function clearFlash() {
  fill(document.getElementById("alerts"));
}

/**
 * A list that loads PAGE_SIZE items at a time and offers "Show more" while the API has a next_token.
 * `load(nextToken)` answers a page; `row(item)` makes one element; `empty` shows when there is nothing.
 */
export function pagedList({ load, row, empty, container = h("div", { class: "list" }), head = null, onPage = () => {} }) {
  const body = head ? h("tbody") : container;
  if (head) fill(container, h("table", {}, h("thead", {}, head), body));
  const status = h("div", { class: "paging" });
  const wrapper = h("div", {}, container, status);
  let count = 0;
  const more = async (token) => {
    fill(status, h("span", { class: "muted" }, "Loading…"));
    try {
      const page = await load(token);
      for (const item of page.items) body.append(row(item));
      count += page.items.length;
      onPage(page.items);
      fill(status);
      if (count === 0) fill(status, h("p", { class: "muted empty" }, empty));
      if (page.next_token) {
        status.append(h("button", { class: "more", onclick: () => more(page.next_token) }, "Show more"));
      }
    } catch (error) {
      fill(status, errorBox(error));
    }
  };
  more(null);
  return wrapper;
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
