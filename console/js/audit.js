// The audit trail (R46) as people read it: who changed what, when, each field before and after, newest first,
// filtered by person, kind of change and dates, and downloaded as CSV. Company admins read their company's
// trail in the company's page, a project's Connection Manager admins the project's; anyone else is shown nothing.
import { query } from "./api.js";
import { csvPages, save } from "./csvfile.js";
import { fill, h, plural, said } from "./dom.js";
import { errorBox, headings, PAGE_SIZE, pagedList } from "./ui.js";

/** A download stops at this many entries, newest first (the UI says so): a year of a busy company fits. */
const CSV_CAP = 5000;
const SHOWN_FIELDS = 3; // more changed fields than this fold away
const LONG = 160; // a value longer than this folds away too

// Every kind of change: its name in the filter, and what the person did, in plain words. A `put` that created
// something (nothing before) says so with its third phrase.
const ACTIONS = {
  "company.create": ["Company created", "created the company"],
  "company.update": ["Company settings changed", "changed the company's settings"],
  "company_user.put": ["Company user added or changed", "changed a company user", "added a company user"],
  "company_user.remove": ["Company user removed", "removed a company user"],
  "project.create": ["Project created", "created a project"],
  "project.update": ["Project settings changed", "changed a project's settings"],
  "directory_entry.put": ["Directory entry added or changed", "changed someone's permissions in a project", "added someone to a project's directory"],
  "directory_entry.remove": ["Directory entry removed", "removed someone from a project's directory"],
  "notification_recipients.put": ["Notification recipients changed", "changed who is notified"],
  "connection.request": ["Connection requested", "requested a connection"],
  "connection.approve": ["Connection approved", "approved a connection"],
  "connection.reject": ["Connection request rejected", "rejected a connection request"],
  "connection.cancel": ["Connection request cancelled", "cancelled a connection request"],
  "connection.disconnect": ["Connection disconnected", "disconnected a connection"],
  "connection.reconcile": ["Reconcile requested", "asked for a connection to be reconciled"],
  "revision.create": ["Revision uploaded", "uploaded a revision"],
  "revision.publish": ["Revisions published", "published revisions"],
  "copy.publish": ["Connected copy published", "published a connected copy"],
  "drawing.update": ["Drawing edited", "edited a drawing"],
  "drawing.delete": ["Drawing deleted", "deleted a drawing"],
  "area.update": ["Area changed", "changed an area"],
  "markup.create": ["Markup added", "added a markup"],
  "webhook.create": ["Webhook registered", "registered a webhook"],
  "webhook.update": ["Webhook changed", "changed a webhook"],
  "webhook.rotate_secret": ["Webhook secret rotated", "rotated a webhook's secret"],
  "webhook.delete": ["Webhook deleted", "deleted a webhook"],
};

/**
 * The trail read from `where` (…/audit), in a card titled "Activity". `key` makes the page's ids unique,
 * `file` names the download, `projects` names project ids the reader knows (id → name).
 */
export function auditView(ctx, { where, key, file, projects = new Map() }) {
  const id = (part) => `${key}-${part}`;
  const section = h("section", { class: "card audit", "aria-labelledby": id("title") });
  const shown = h("div", { class: "audit-list" });
  const counted = h("p", { class: "muted small audit-count", role: "status" });
  const people = h("datalist", { id: id("people") });
  const known = new Map();
  let applied = {};
  let latest = 0; // filters applied again while a page loads: only the last one's answer is shown

  const form = filters(id, people, (wanted) => show(wanted));
  const download = csvDownload(ctx, where, file, () => applied);
  // The first page is read here, so a refused filter shows beside its field and a refused reader sees nothing.
  // While filters are refused, nothing is listed and nothing can be downloaded: the form is not what was applied.
  const show = async (wanted) => {
    const run = (latest += 1);
    form.mark({});
    download.ready(false);
    fill(counted);
    fill(shown, h("p", { class: "muted loading" }, "Loading…"));
    const read = (token, limit) => ctx.api.page(`${where}${query(wanted)}`, token, limit, ctx.signal);
    let first;
    try {
      first = await read(null, PAGE_SIZE);
    } catch (error) {
      if (run !== latest) return undefined;
      if (error.status === 403) return section.remove(); // not theirs to read: nothing to show, nothing to say
      if (error.status === 422 && form.mark(fieldErrors(error), error)) return fill(shown);
      return fill(shown, errorBox(error, () => show(wanted)));
    }
    if (run !== latest) return undefined;
    applied = wanted;
    download.ready(true);
    fill(
      shown,
      pagedList({
        load: (token) => (token ? read(token, PAGE_SIZE) : Promise.resolve(first)),
        row: (e) => entryRow(e, projects),
        empty: Object.keys(wanted).length ? "No change matches these filters." : "No change has been recorded yet.",
        head: headings(["When", "Who", "What", "Changes"]),
        onPage: (items, count) => {
          for (const e of items) if (!known.has(e.user_id)) known.set(e.user_id, e.user_name);
          fill(people, [...known].map(([userId, name]) => h("option", { value: userId }, name || userId)));
          fill(counted, count ? `${plural(count, "change")} shown, newest first.` : "");
        },
      }),
    );
  };
  fill(
    section,
    h("h2", { id: id("title"), tabindex: "-1" }, "Activity"),
    h("p", { class: "muted" }, "Every change people made here: who, when, and each field before and after. Entries are kept as long as the company."),
    form.el,
    people,
    download.el,
    counted,
    shown,
  );
  show({});
  return section;
}

/** The filters: who (a user id), what (a kind of change), from and to (days, the reader's own). */
function filters(id, people, apply) {
  const field = (label, input) =>
    h("div", { class: "field" }, h("label", { for: input.id }, label), input, h("span", { class: "field-error", id: `${input.id}-error` }));
  const described = (name) => ({ id: id(name), name, "aria-describedby": `${id(name)}-error` });
  const user = h("input", { type: "text", ...described("user_id"), list: people.id, autocomplete: "off", spellcheck: "false", maxlength: 128 });
  const action = h(
    "select",
    described("action"),
    h("option", { value: "" }, "Every kind"),
    Object.entries(ACTIONS).map(([value, [label]]) => h("option", { value }, label)),
  );
  const from = h("input", { type: "date", ...described("from") });
  const to = h("input", { type: "date", ...described("to") });
  const inputs = { user_id: user, action, from, to };
  const problem = h("div", { class: "problem" });
  const el = h(
    "form",
    { class: "audit-filters", role: "search", "aria-label": "Filter the activity", novalidate: true },
    field("Who (user id)", user),
    field("What", action),
    field("From", from),
    field("To", to),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Apply filters"), h("button", { type: "reset" }, "Clear")),
    problem,
  );
  const wanted = () => ({
    user_id: user.value.trim(),
    action: action.value,
    from: from.value ? startOf(from.value) : "",
    to: to.value ? endOf(to.value) : "",
  });
  el.onsubmit = (event) => {
    event.preventDefault();
    apply(Object.fromEntries(Object.entries(wanted()).filter(([, v]) => v)));
  };
  el.onreset = () => setTimeout(() => apply({})); // after the form has emptied its fields
  /** Each field's refusal beside it, and the API's sentence below (none: clear them all); true when a field's
   * was shown, the first such field focused. */
  const mark = (found, error = null) => {
    fill(problem, error ? errorBox({ message: quoted(error.message || "") }) : null); // names in `` as code
    for (const [name, input] of Object.entries(inputs)) {
      input.setAttribute("aria-invalid", found[name] ? "true" : "false");
      fill(el.querySelector(`#${input.id}-error`), quoted(found[name] || ""));
    }
    const first = Object.keys(inputs).find((name) => found[name]);
    if (first) inputs[first].focus();
    return Boolean(first);
  };
  return { el, mark };
}

/** The API's words, a `name` in them as code. */
const quoted = (text) => text.split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part));

/** The first moment of a day in the reader's time zone, and the last, as the API reads them (UTC). */
const startOf = (day) => localDay(day, 0, 0, 0, 0).toISOString();
const endOf = (day) => localDay(day, 23, 59, 59, 999).toISOString();
function localDay(day, ...time) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d, ...time);
}

/** A 422's details by the filter they name (`from`, `user_id`…), in the API's words. */
function fieldErrors(error) {
  const found = {};
  for (const d of error.details || []) {
    const name = String(d.field).split(".").pop();
    found[name] = found[name] ? `${found[name]} ${d.message}` : d.message;
  }
  return found;
}

/** One change: when (local, the UTC moment in its title), who, what and to what, and its fields. */
function entryRow(e, projects) {
  const [, did, made] = ACTIONS[e.action] || [e.action, e.action];
  const created = made && Object.keys(e.before).length === 0;
  return h(
    "tr",
    { dataset: { entry: e.id, action: e.action } },
    h("td", { class: "when" }, moment(e.at)),
    h("td", { class: "who" }, said(e.user_name || e.user_id), e.user_name ? h("div", { class: "muted small" }, e.user_id) : null),
    h("td", { class: "what" }, h("span", { class: "did" }, created ? made : did), target(e, projects)),
    h("td", { class: "changes" }, changes(e)),
  );
}

function moment(iso) {
  const at = new Date(iso);
  const local = at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  const utc = `${at.toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
  return h("time", { datetime: at.toISOString(), title: utc }, local);
}

/** The thing changed (its kind and id; a publish's many revisions folded) and the project it is in. */
function target(e, projects) {
  const kind = e.target_type.replaceAll("_", " ");
  const ids = e.target_ids.map((x) => h("code", {}, x));
  const named = e.project_ids.filter((p) => projects.has(p)).map((p) => projects.get(p));
  return h(
    "div",
    { class: "target muted small" },
    ids.length <= 3 ? [kind, " ", joined(ids)] : h("details", {}, h("summary", {}, plural(ids.length, kind)), joined(ids)),
    named.length ? h("div", {}, "in ", joined(named.map((n) => said(n)))) : null,
  );
}

const joined = (parts) => parts.flatMap((part, i) => (i ? [", ", part] : [part]));

/** Each field the change touched: before → after; a creation its values, a removal what was removed. */
function changes(e) {
  const names = [...new Set([...Object.keys(e.before), ...Object.keys(e.after)])];
  if (names.length === 0) return h("span", { class: "muted" }, "—");
  const line = (name) => {
    const had = name in e.before;
    const has = name in e.after;
    const label = h("span", { class: "field-name" }, name.replaceAll("_", " "), ": ");
    if (had && has) {
      return h(
        "li",
        { dataset: { field: name } },
        label,
        h("del", { class: empty(e.before[name]) ? "empty" : null }, h("span", { class: "sr-only" }, "from "), value(e.before[name])),
        h("span", { class: "arrow", "aria-hidden": "true" }, " → "),
        h("ins", {}, h("span", { class: "sr-only" }, " to "), value(e.after[name])),
      );
    }
    return h("li", { class: has ? "set" : "removed", dataset: { field: name } }, label, value(has ? e.after[name] : e.before[name]));
  };
  const removal = Object.keys(e.after).length === 0;
  const list = (some) => h("ul", { class: "fields" }, some.map(line));
  const rest = names.slice(SHOWN_FIELDS);
  return [
    removal ? h("div", { class: "small muted" }, "Removed:") : null,
    list(names.slice(0, SHOWN_FIELDS)),
    rest.length ? h("details", { class: "more-fields" }, h("summary", {}, `${plural(rest.length, "more field")}`), list(rest)) : null,
  ];
}

const empty = (v) => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);

/** A field's value in words: none, yes/no, a moment in local time, a list, or the fields of an object. */
function value(v) {
  if (empty(v)) return h("span", { class: "none" }, "none");
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") return v.toLocaleString();
  if (Array.isArray(v)) return joined(v.map(value));
  if (typeof v === "object") return joined(Object.entries(v).map(([k, x]) => [`${k.replaceAll("_", " ")}: `, value(x)]));
  const text = String(v);
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text) && !Number.isNaN(Date.parse(text))) return moment(text);
  if (text.length > LONG) return h("details", { class: "long" }, h("summary", {}, said(`${text.slice(0, 80)}…`)), said(text));
  return said(text);
}

/** "Download CSV": the applied filters' every entry, page after page, up to CSV_CAP, saved as one file. */
function csvDownload(ctx, where, file, filtersNow) {
  const status = h("span", { class: "small", role: "status" });
  const button = h("button", { type: "button" }, "Download CSV");
  button.onclick = async () => {
    button.disabled = true;
    fill(status, "Preparing the file…");
    try {
      const progress = (n) => fill(status, `Preparing the file: ${plural(n, "entry", "entries")} so far…`);
      const { text, count, more } = await csvPages(ctx.api, where, filtersNow(), CSV_CAP, progress, ctx.signal);
      save(text, file);
      fill(status, more ? `Saved the newest ${plural(count, "entry", "entries")}: a file stops there; narrow the dates for older ones.` : `Saved ${plural(count, "entry", "entries")}.`);
    } catch (error) {
      fill(status, errorBox(error));
    } finally {
      button.disabled = false;
    }
  };
  const el = h(
    "div",
    { class: "audit-download actions" },
    button,
    h("span", { class: "muted small" }, `The filters above, newest first, at most ${CSV_CAP.toLocaleString()} entries.`),
    status,
  );
  /** Offer the download of the filters just applied (a past download's outcome is about other filters). */
  const ready = (yes) => {
    button.disabled = !yes;
    fill(status);
  };
  return { el, ready };
}
