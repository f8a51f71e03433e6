// A company's webhooks, for its company admins: the endpoints its programs registered for the company's events,
// adding one, its signing secret (shown once), a test delivery, rotating, turning off and on, deleting, and the
// log of what was delivered to it.
import { path } from "./api.js";
import { badge, fill, h, said, when } from "./dom.js";
import { act, confirmDialog, errorBox, flash, headings, loading, PAGE_SIZE, pagedList } from "./ui.js";

// The bus's event types a webhook may receive (the API's enum, less webhook.test), each in plain words.
const EVENT_TYPES = {
  "connection.requested": "a connection is requested",
  "connection.approved": "a connection is approved",
  "connection.rejected": "a request is rejected",
  "connection.cancelled": "a request is cancelled",
  "connection.disconnected": "a connection ends",
  "initial_sync.completed": "every published drawing reached the downstream project",
  "copies.landed": "copies arrived downstream, waiting for review",
  "drawings.deleted_upstream": "drawings deleted upstream left the downstream register",
  "copies.published": "connected copies were published downstream",
  "copy.failed": "a copy failed for good",
  "reconcile.repaired": "a reconcile repaired differences",
};

export function webhooksView(ctx, company) {
  const where = path`/companies/${company.company_id}/webhooks`;
  const list = h("div", { class: "webhooks" });
  const empty = h("p", { class: "muted empty" }, "No webhook yet: add one below.");
  empty.hidden = true; // until the list has arrived
  const counted = () => (empty.hidden = list.childElementCount > 0);
  // By id: an endpoint added while the list is still loading comes back in that list too, and shows once.
  const shown = new Map();
  const add = (hook, secret) => {
    const before = shown.get(hook.id);
    if (before && !secret) return; // shown already (with its secret, if it was just added)
    const item = endpoint(ctx, where, hook, secret, counted);
    if (before) before.replaceWith(item);
    else list.append(item);
    shown.set(hook.id, item);
    counted();
  };
  const box = h("div");
  loading(
    box,
    () => ctx.api.all(where, ctx.signal),
    (hooks) => {
      hooks.forEach((hook) => add(hook, null));
      counted();
    },
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "webhooks-title" },
    h("h2", { id: "webhooks-title", tabindex: "-1" }, "Webhooks"),
    h(
      "p",
      { class: "muted" },
      "Your programs can receive this company's events as they happen: each is a signed POST to an endpoint of yours, ",
      "about your own projects only. The API's documentation describes the events and how to check a signature.",
    ),
    // The list stays in the page while it loads: an endpoint added meanwhile shows (and takes the focus) at once.
    box,
    list,
    empty,
    addForm(ctx, where, (hook) => add(hook, hook.secret)),
  );
}

/** One endpoint: what it receives and its state, its actions, the outcome of a test, and its deliveries. */
function endpoint(ctx, where, hook, secret, changed) {
  const at = `${where}/${encodeURIComponent(hook.id)}`;
  const titleId = `webhook-${hook.id}`;
  const info = h("div");
  const secretBox = h("div");
  const outcome = h("p", { class: "outcome", role: "status" });
  const problem = h("div", { class: "problem" });
  const log = deliveries(ctx, at);
  const toggle = h("button", { type: "button" });
  const article = h("article", { class: "webhook", dataset: { webhook: hook.id }, "aria-labelledby": titleId });
  const show = (current) => {
    hook = current;
    article.dataset.enabled = String(hook.enabled);
    fill(info, state(hook, titleId));
    fill(toggle, hook.enabled ? "Turn off" : "Turn on");
  };
  const test = h("button", { type: "button" }, "Send a test");
  const revealed = (value, rotated) => {
    fill(secretBox, secretPanel(value, rotated, hook, () => test.focus()));
    secretBox.querySelector(".secret").focus();
  };
  test.onclick = async () => {
    fill(problem);
    fill(outcome, h("span", { class: "muted" }, "Sending a test event…"));
    const sent = await act(test, () => ctx.api.post(`${at}/test`), problem);
    fill(outcome, sent ? [badge(sent.status), " ", testOutcome(sent)] : null);
    if (sent) log.reload();
  };
  const rotate = h("button", { type: "button" }, "Rotate secret");
  rotate.onclick = async () => {
    const yes = await confirmDialog({
      title: "Rotate this webhook's secret?",
      body: [
        h("p", {}, "A new secret signs every delivery from now on, and it is shown once."),
        h("p", {}, "The current secret keeps signing deliveries for 24 hours too, so your receiver can switch to the new one without losing any."),
      ],
      yes: "Rotate secret",
    });
    if (!yes) return rotate.focus();
    await act(
      rotate,
      async () => {
        const rotated = await ctx.api.post(`${at}/rotate-secret`);
        fill(problem);
        show(rotated);
        revealed(rotated.secret, true);
      },
      problem,
    );
  };
  toggle.onclick = () =>
    act(
      toggle,
      async () => {
        show(await ctx.api.patch(at, { enabled: !hook.enabled }));
        fill(problem);
        flash("ok", hook.enabled ? "The webhook is on: events are delivered to it again." : "The webhook is off: no event is delivered to it.");
      },
      problem,
    );
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  remove.onclick = async () => {
    const yes = await confirmDialog({
      title: "Delete this webhook?",
      body: [h("p", {}, h("code", {}, said(hook.url))), h("p", {}, "No event is delivered to it any more, deliveries waiting for it are dropped, and its log can no longer be read.")],
      yes: "Delete webhook",
      danger: true,
    });
    if (!yes) return remove.focus();
    await act(
      remove,
      async () => {
        await ctx.api.delete(at);
        article.remove();
        changed();
        flash("ok", ["Webhook deleted: ", said(hook.url)]);
        document.getElementById("webhooks-title").focus();
      },
      problem,
    );
  };

  show(hook);
  fill(article, info, secretBox, h("div", { class: "actions" }, test, rotate, toggle, remove), outcome, problem, log.el);
  if (secret) requestAnimationFrame(() => revealed(secret, false));
  return article;
}

/** The endpoint's URL, on or off (and why), what it receives, and the previous secret's window after a rotation. */
function state(hook, titleId) {
  const off = hook.disabled_reason ? [h("strong", {}, "Turned off after failing: "), said(hook.disabled_reason)] : "Turned off: no event is delivered to it.";
  return [
    h("header", {}, h("h3", { id: titleId }, h("code", {}, said(hook.url))), badge(hook.enabled ? "enabled" : "disabled")),
    hook.description ? h("p", { class: "description" }, said(hook.description)) : null,
    hook.enabled ? null : h("p", { class: hook.disabled_reason ? "warning" : "why" }, off),
    h("p", { class: "small muted receives" }, "Receives:"),
    h("ul", { class: "event-types", "aria-label": "Event types it receives" }, hook.event_types.map((t) => h("li", {}, h("code", {}, t)))),
    hook.previous_secret_valid_until
      ? h("p", { class: "small previous-secret" }, `After the last rotation, the previous secret signs deliveries too until ${when(hook.previous_secret_valid_until)}.`)
      : null,
  ];
}

/** A secret, this once: to copy now, with a plain warning that it will not be shown again. */
function secretPanel(secret, rotated, hook, done) {
  const id = `secret-${hook.id}`;
  const value = h("code", { class: "secret-value", id }, secret);
  const copied = h("span", { class: "copied", role: "status" });
  const copy = h("button", { type: "button", class: "primary" }, "Copy secret");
  copy.onclick = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      fill(copied, "Copied.");
    } catch {
      getSelection().selectAllChildren(value);
      fill(copied, "The browser did not let the console copy it: it is selected, copy it with your keyboard.");
    }
  };
  const panel = h(
    "div",
    { class: "secret", tabindex: "-1", role: "group", "aria-labelledby": `${id}-title` },
    h("h4", { id: `${id}-title` }, rotated ? "The new signing secret" : "The signing secret"),
    h("p", {}, h("strong", {}, "Copy it now: it will not be shown again."), " Your receiver checks each delivery's ", h("code", {}, "Connectability-Signature"), " with it."),
    h("div", { class: "secret-line" }, value, copy),
    copied,
    h("button", { type: "button", onclick: () => (panel.remove(), done()) }, "I have copied it"),
  );
  return panel;
}

/** A test delivery's outcome in words: delivered with the answer's code, or failed with the code or the reason. */
function testOutcome(sent) {
  const took = `in ${sent.duration_ms.toLocaleString()} ms`;
  if (sent.status === "delivered") return `Test delivered: the endpoint answered ${sent.response_code} ${took}.`;
  return ["Test failed: ", said(sent.error || (sent.response_code ? `the endpoint answered ${sent.response_code}.` : "no answer."))];
}

/** The endpoint's delivery log, newest first, a page at a time; loaded when opened, again after a test. */
function deliveries(ctx, at) {
  const box = h("div");
  const el = h("details", { class: "deliveries" }, h("summary", {}, "Last deliveries"), box);
  let stale = true;
  const load = () => {
    stale = false;
    fill(
      box,
      pagedList({
        load: (token) => ctx.api.page(`${at}/deliveries`, token, PAGE_SIZE, ctx.signal),
        row: (d) =>
          h(
            "tr",
            { dataset: { delivery: d.id } },
            h("td", {}, when(d.at)),
            h("td", {}, h("code", {}, d.event_type)),
            h("td", {}, badge(d.status), d.attempt > 1 ? h("span", { class: "muted small" }, ` attempt ${d.attempt}`) : null),
            h("td", { class: "response" }, d.response_code ?? "—", d.error ? h("div", { class: "muted small" }, said(d.error)) : null),
          ),
        empty: "Nothing was delivered to it yet.",
        head: headings(["Time", "Event", "Status", "Response"]),
        compact: true,
      }),
    );
  };
  el.addEventListener("toggle", () => el.open && stale && load());
  return { el, reload: () => (el.open ? load() : (stale = true)) };
}

/** Add an endpoint: its URL, the event types it receives, a description; the API's refusals beside their field. */
function addForm(ctx, where, added) {
  const field = (label, input, hint = null) =>
    h("div", { class: "field" }, h("label", { for: input.id }, label), hint ? h("span", { class: "field-hint", id: `${input.id}-hint` }, hint) : null, input, h("span", { class: "field-error", id: `${input.id}-error` }));
  const url = h("input", { type: "url", id: "webhook-url", name: "url", required: true, maxlength: 2048, autocomplete: "off", spellcheck: "false", "aria-describedby": "webhook-url-hint webhook-url-error" });
  const description = h("input", { type: "text", id: "webhook-description", name: "description", maxlength: 500, "aria-describedby": "webhook-description-error" });
  const choices = Object.entries(EVENT_TYPES).map(([type, words]) =>
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "event_types", value: type }), h("span", {}, h("code", {}, type), h("span", { class: "muted small" }, words))),
  );
  const types = h(
    "fieldset",
    { class: "event-choices", "aria-describedby": "webhook-types-error" },
    h("legend", {}, "Events it receives"),
    h("div", { class: "choices" }, choices),
    h("span", { class: "field-error", id: "webhook-types-error" }),
  );
  const problem = h("div", { class: "problem" });
  const save = h("button", { type: "submit", class: "primary" }, "Add webhook");
  const form = h(
    "form",
    { class: "webhook-form", novalidate: true, "aria-labelledby": "webhook-add-title" },
    h("h3", { id: "webhook-add-title" }, "Add a webhook"),
    field("Endpoint URL", url, "An https address on the public internet: private, loopback and link-local addresses are refused."),
    types,
    field("Description (optional)", description),
    problem,
    h("div", { class: "actions" }, save),
  );
  const errors = { url: [url, "webhook-url-error"], event_types: [types, "webhook-types-error"], description: [description, "webhook-description-error"] };
  const mark = (found) => {
    for (const [name, [input, errorId]] of Object.entries(errors)) {
      if (input !== types) input.setAttribute("aria-invalid", found[name] ? "true" : "false");
      fill(form.querySelector(`#${errorId}`), found[name] || "");
    }
    const first = Object.keys(errors).find((name) => found[name]);
    if (first) (first === "event_types" ? types.querySelector("input") : errors[first][0]).focus();
  };
  form.onsubmit = (event) => {
    event.preventDefault();
    const chosen = [...form.querySelectorAll("input[name=event_types]:checked")].map((i) => i.value);
    const missing = { url: url.value.trim() ? null : "Enter the endpoint's URL.", event_types: chosen.length ? null : "Choose at least one event type." };
    fill(problem);
    mark(missing);
    if (missing.url || missing.event_types) return;
    const body = { url: url.value.trim(), event_types: chosen, description: description.value.trim() || null };
    act(save, async () => {
      try {
        const hook = await ctx.api.post(where, body);
        mark({});
        form.reset();
        added(hook);
      } catch (error) {
        const found = {};
        for (const d of error.details || []) {
          const name = String(d.field).split(".")[0];
          if (name in errors) found[name] = found[name] ? `${found[name]} ${d.message}` : d.message;
        }
        const inFields = Object.values(found);
        if (inFields.length === 0 || !inFields.includes(error.message)) fill(problem, errorBox(error));
        mark(found);
      }
    });
  };
  return form;
}
