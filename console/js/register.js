// The register of a project: its current set, grouped by discipline, filtered on the page over what is loaded.
// Pages of 200 load one after another (the first shows at once); the list is windowed, so 2,000 sheets never
// put 2,000 rows in the DOM.
import { path, query } from "./api.js";
import { day, fill, h, natural, plural, said } from "./dom.js";
import { connectedMark, obsoleteMark, revisionLabel } from "./marks.js";
import { route } from "./routes.js";
import { thumbnail } from "./thumbs.js";
import { errorBox } from "./ui.js";
import { windowedList } from "./vlist.js";

const PAGE = 200;
const PHONE = window.matchMedia("(max-width: 40rem)");
const NO_AREA = "";
let kept = null; // the last register loaded, so that "back" from a drawing is instant: {key, items, done, at, filters}
let early = null; // the first page, asked for while the user's rights are read: {where, page}

function firstPageAt(projectId, drafts) {
  return `${path`/projects/${projectId}/drawings`}${query({ include_obsolete: true, include_drafts: drafts })}`;
}

/** Ask for the register's first page now (the page opening will want it), alongside the user's rights. */
export function prefetchRegister(api, projectId, signal) {
  const where = firstPageAt(projectId, false);
  early = { where, page: api.page(where, null, PAGE, signal) };
  early.page.catch(() => null); // a refusal is met again, and shown, by the page itself
}

export function registerView(ctx) {
  const { api, project, access, signal } = ctx;
  const filters = { text: "", area: "", discipline: "", set: "", obsolete: false, drafts: false };
  const state = { items: [], done: false };
  const cacheKey = (drafts) => `${project.id}|${drafts}`;
  if (kept && kept.key.startsWith(`${project.id}|`) && Date.now() - kept.at < 120_000) Object.assign(filters, kept.filters);

  const count = h("p", { class: "count", role: "status", "aria-live": "polite" });
  const problem = h("div", { class: "problem" });
  const empty = h("div", { class: "empty-state" });
  const list = windowedList({
    label: "Drawings",
    key: (e) => e.key,
    height: (e) => (e.kind === "group" ? (PHONE.matches ? 44 : 40) : PHONE.matches ? 96 : 64),
    render: (e) => (e.kind === "group" ? groupHeader(e) : row(ctx, e.drawing)),
  });
  signal.addEventListener("abort", () => {
    list.destroy();
    kept = { key: cacheKey(filters.drafts), items: state.items, done: state.done, at: Date.now(), filters: { ...filters }, scrollY: window.scrollY };
  });

  const controls = filterBar(ctx, filters, () => show(), () => load());

  /** Filter and group what is loaded, and show it. */
  const show = () => {
    const shown = state.items.filter((d) => matches(d, filters));
    const entries = grouped(shown);
    list.set(entries);
    const total = state.items.length;
    fill(
      count,
      shown.length === total ? plural(total, "sheet") : `${shown.length.toLocaleString()} of ${plural(total, "sheet")}`,
      state.done ? null : h("span", { class: "muted" }, " · loading more…"),
    );
    if (state.done && total === 0) fill(empty, h("p", { class: "muted" }, filters.drafts ? "No drawings or drafts yet." : "No drawings are published in this project yet."));
    else if (shown.length === 0 && total > 0) {
      fill(empty, h("p", { class: "muted" }, "No sheet matches these filters. "), h("button", { onclick: () => controls.clear() }, "Clear filters"));
    } else fill(empty);
    controls.options(state.items);
  };

  /** Every page, one after another; each shows as it arrives. */
  let loads = 0;
  const load = async () => {
    const mine = (loads += 1);
    const reuse = kept && kept.done && kept.key === cacheKey(filters.drafts) && Date.now() - kept.at < 120_000 ? kept : null;
    kept = null;
    state.items = reuse ? reuse.items : [];
    state.done = reuse ? reuse.done : false;
    fill(problem);
    show();
    if (reuse) requestAnimationFrame(() => window.scrollTo(0, reuse.scrollY)); // back where the reader was
    if (state.done) return;
    const where = firstPageAt(project.id, Boolean(filters.drafts && access.may.publish));
    let token = null;
    let head = early && early.where === where ? early.page : null;
    early = null;
    const next = async () => {
      try {
        do {
          const page = await (head || api.page(where, token, PAGE, signal));
          head = null;
          if (mine !== loads) return;
          state.items = state.items.concat(page.items);
          token = page.next_token;
          state.done = !token;
          show();
        } while (token);
      } catch (error) {
        if (error.code === "aborted" || mine !== loads) return;
        fill(problem, errorBox(error, () => {
          fill(problem);
          next();
        }));
      }
    };
    await next();
  };
  load();

  return h(
    "section",
    { class: "register" },
    h("h2", { class: "sr-only" }, "Drawings register"),
    controls.el,
    h("div", { class: "register-head" }, count, access.may.upload ? h("a", { class: "button", href: route("project", project.id, "upload") }, "Upload drawings") : null),
    problem,
    empty,
    list.el,
  );
}

/** Whether a drawing passes the filters. */
function matches(d, f) {
  if (!f.obsolete && d.obsolete) return false;
  if (f.area && (d.area ? d.area.id : NO_AREA) !== f.area) return false;
  if (f.discipline && d.discipline.name !== f.discipline) return false;
  const set = d.current_revision && d.current_revision.drawing_set;
  if (f.set && (!set || set.name !== f.set)) return false;
  if (f.text) {
    const words = f.text.toLowerCase();
    if (!d.number.toLowerCase().includes(words) && !d.title.toLowerCase().includes(words)) return false;
  }
  return true;
}

/** Groups in the disciplines' position order (then name), sheets by number in natural order within each. */
function grouped(drawings) {
  const groups = new Map();
  for (const d of drawings) {
    const name = d.discipline.name;
    if (!groups.has(name)) groups.set(name, { name, position: d.discipline.position, drawings: [] });
    groups.get(name).drawings.push(d);
  }
  const order = [...groups.values()].sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity) || natural(a.name, b.name));
  const entries = [];
  let position = 0;
  for (const g of order) {
    g.drawings.sort((a, b) => natural(a.number, b.number));
    // The size is in the key: a header whose count changed is drawn again.
    entries.push({ kind: "group", key: `group:${g.name}:${g.drawings.length}`, name: g.name, size: g.drawings.length, focusable: false });
    for (const d of g.drawings) {
      position += 1;
      entries.push({ kind: "row", key: d.id, drawing: d, position, size: drawings.length, focusable: true });
    }
  }
  return entries;
}

function groupHeader(e) {
  return h("div", { class: "vgroup" }, h("h3", {}, said(e.name), h("span", { class: "muted" }, ` · ${plural(e.size, "sheet")}`)));
}

function row(ctx, d) {
  const current = d.current_revision;
  const drafts = d.drafts || [];
  const shown = current || drafts[0] || null;
  const meta = [
    shown ? h("span", { class: "rev" }, revisionLabel(shown)) : null,
    d.area ? h("span", { class: "area" }, said(d.area.name)) : null,
    shown && shown.drawing_set ? h("span", { class: "set" }, said(shown.drawing_set.name)) : null,
    shown && shown.drawing_date ? h("span", { class: "date" }, day(shown.drawing_date)) : null,
  ].filter(Boolean);
  return h(
    "div",
    { class: `vrow${d.obsolete ? " is-obsolete" : ""}`, dataset: { drawing: d.id } },
    h(
      "a",
      { href: route("project", ctx.project.id, "drawings", d.id) },
      thumbnail(shown, "small"),
      h(
        "span",
        { class: "sheet" },
        h("span", { class: "line1" }, h("strong", { class: "number" }, said(d.number)), " ", h("span", { class: "title" }, said(d.title))),
        h("span", { class: "line2" }, meta.map((m, i) => [i ? h("span", { class: "sep", "aria-hidden": "true" }, " · ") : null, m])),
      ),
      h(
        "span",
        { class: "marks" },
        connectedMark(d),
        obsoleteMark(d),
        drafts.length && current ? h("span", { class: "mark draft" }, `${plural(drafts.length, "draft")} waiting`) : null,
        current ? null : h("span", { class: "mark draft" }, "Draft only"),
      ),
    ),
  );
}

/** The filters: search, area, discipline, set, obsolete shown or hidden, drafts (Drawings admins). */
function filterBar(ctx, filters, changed, reload) {
  const { api, project, access, signal } = ctx;
  const text = h("input", { type: "search", id: "reg-search", value: filters.text, placeholder: "Number or title", autocomplete: "off", dir: "auto" });
  const select = (id, label, key) => {
    const el = h("select", { id }, h("option", { value: "" }, `Any ${label.toLowerCase()}`));
    el.addEventListener("change", () => {
      filters[key] = el.value;
      changed();
    });
    return { el, field: h("div", { class: "field" }, h("label", { for: id }, label), el) };
  };
  const area = select("reg-area", "Area", "area");
  const discipline = select("reg-discipline", "Discipline", "discipline");
  const set = select("reg-set", "Set", "set");
  const obsolete = h("input", { type: "checkbox", id: "reg-obsolete", checked: filters.obsolete });
  const drafts = h("input", { type: "checkbox", id: "reg-drafts", checked: filters.drafts });
  let typing = 0;
  text.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      filters.text = text.value.trim();
      changed();
    }, 120);
  });
  obsolete.addEventListener("change", () => {
    filters.obsolete = obsolete.checked;
    changed();
  });
  drafts.addEventListener("change", () => {
    filters.drafts = drafts.checked;
    reload();
  });
  // The choices: what the project has (its areas, disciplines and sets), and what the loaded sheets use.
  const known = { area: new Map(), discipline: new Map(), set: new Map() };
  const setOptions = (which, el) => {
    const values = [...known[which].entries()].sort((a, b) => natural(a[1], b[1]));
    const have = [...el.options].slice(1).map((o) => o.value).join("\n");
    if (have === values.map(([v]) => v).join("\n")) return;
    const chosen = filters[which];
    el.replaceChildren(el.options[0], ...values.map(([value, label]) => h("option", { value, selected: value === chosen }, label)));
  };
  const fed = (which, pairs) => {
    for (const [value, label] of pairs) known[which].set(value, label);
  };
  Promise.allSettled([
    api.all(path`/projects/${project.id}/drawing-areas`, signal).then((items) => fed("area", items.map((a) => [a.id, a.name]))),
    api.all(path`/projects/${project.id}/drawing-disciplines`, signal).then((items) => fed("discipline", items.map((d) => [d.name, d.name]))),
    api.all(path`/projects/${project.id}/drawing-sets`, signal).then((items) => fed("set", items.map((s) => [s.name, s.name]))),
  ]).then(() => {
    setOptions("area", area.el);
    setOptions("discipline", discipline.el);
    setOptions("set", set.el);
  });
  const el = h(
    "form",
    { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
    h("div", { class: "field grow" }, h("label", { for: "reg-search" }, "Search"), text),
    area.field,
    discipline.field,
    set.field,
    h("div", { class: "checks" }, h("label", {}, obsolete, " Show obsolete"), access.may.publish ? h("label", {}, drafts, " Show drafts") : null),
  );
  return {
    el,
    /** The choices grow with the sheets loaded (a connected sheet's area, for instance). */
    options(items) {
      fed("area", items.filter((d) => d.area).map((d) => [d.area.id, d.area.name]));
      fed("discipline", items.map((d) => [d.discipline.name, d.discipline.name]));
      fed("set", items.map((d) => d.current_revision && d.current_revision.drawing_set).filter(Boolean).map((s) => [s.name, s.name]));
      setOptions("area", area.el);
      setOptions("discipline", discipline.el);
      setOptions("set", set.el);
    },
    clear() {
      Object.assign(filters, { text: "", area: "", discipline: "", set: "" });
      text.value = "";
      area.el.value = discipline.el.value = set.el.value = "";
      changed();
    },
  };
}

/** Forget the register kept for "back" (after a change: a delete, a publish). */
export function forgetRegister() {
  kept = null;
}
