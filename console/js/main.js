// The console: sign in, pick a project, and use the pages the user may use. Talks only to the public API.
// Routes (mails link to them): #/project/<id>/<page>[/<drawing id>] and #/company/<id>.
import { accessTo } from "./access.js";
import { Api, path, TIMEOUT_MS } from "./api.js";
import { auditView } from "./audit.js";
import { finishHostedSignIn, forget, session, signInView, signOut } from "./auth.js";
import { companyView } from "./company.js";
import { connectionsView } from "./connections.js";
import { deletedView } from "./deleted.js";
import { fill, h, said } from "./dom.js";
import { drawingView } from "./drawing.js";
import { notificationsView } from "./notifications.js";
import { notInDirectory } from "./project.js";
import { prefetchRegister, registerView } from "./register.js";
import { place, route } from "./routes.js";
import { reviewView } from "./review.js";
import { clearFlash, errorBox, loading } from "./ui.js";
import { uploadView } from "./upload.js";

const app = document.getElementById("app");
// Each page: its route, its tab's label, who may open it, and the view.
const PAGES = [
  { key: "drawings", label: "Drawings", may: "register", view: (ctx) => (ctx.here.sub ? drawingView(ctx, ctx.here.sub) : registerView(ctx)) },
  { key: "upload", label: "Upload", may: "upload", view: uploadView },
  { key: "review", label: "Review queue", may: "review", view: reviewView },
  { key: "deleted", label: "Deleted", may: "deleted", view: deletedView },
  { key: "connections", label: "Connections", may: "connections", view: connectionsView },
  { key: "notifications", label: "Notifications", may: "notifications", view: notificationsView },
  { key: "activity", label: "Activity", may: "activity", view: (ctx) => auditView(ctx, { where: path`/projects/${ctx.project.id}/audit`, key: "project-audit", file: `audit-${ctx.project.id}.csv` }) },
];
let timers = [];
let leaving = new AbortController();

async function loadConfig() {
  const answer = await fetch("config.json", { cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!answer.ok) throw new Error(`The console's config.json is missing (${answer.status}).`);
  return answer.json();
}

/** Every project of every company the user belongs to, every page of each. */
async function projectsOf(api, memberships) {
  const lists = await Promise.all(
    memberships.map((m) => api.all(path`/companies/${m.company_id}/projects`).then((items) => items.map((x) => ({ ...x, company: m })))),
  );
  return lists.flat();
}

async function main() {
  let config;
  try {
    config = await loadConfig();
    await finishHostedSignIn(config);
  } catch (error) {
    fill(app, errorBox(error, () => location.reload()));
    return;
  }
  const current = session();
  const whoami = document.getElementById("whoami");
  if (!current) {
    fill(whoami);
    fill(app, await signInView(config, () => main()));
    return;
  }
  // A refused token is forgotten: the API's message says why, and the next load asks to sign in.
  const api = new Api(config.api_url, current.token, forget, config.request_timeout_ms);
  const docs = config.docs_url === undefined ? "/docs" : config.docs_url;
  fill(
    whoami,
    h("span", { class: "signed-in" }, "Signed in as ", h("strong", { class: "user-name", title: current.userId, dataset: { user: current.userId } }, said(current.user))),
    docs ? h("a", { href: docs, target: "_blank", rel: "noopener" }, "API reference") : null,
    h("button", { class: "link", onclick: () => signOut(config) }, "Sign out"),
  );

  let memberships;
  let projects;
  const start = async () => {
    memberships = (await api.all("/me/companies")).filter(Boolean);
    projects = await projectsOf(api, memberships);
  };
  try {
    await start();
  } catch (error) {
    fill(app, errorBox(error, () => main()), h("button", { onclick: () => signOut(config) }, "Sign in again"));
    return;
  }
  if (!location.hash.startsWith("#/") && projects.length === 1) {
    history.replaceState(null, "", route("project", projects[0].id));
  }

  const accessCache = new Map();
  const render = ({ again = false } = {}) => {
    timers.forEach(clearTimeout);
    timers = [];
    leaving.abort();
    leaving = new AbortController();
    const here = place();
    if (again) accessCache.clear();
    const admin = memberships.filter((m) => m.is_company_admin);
    fill(app, picker(projects, admin, here), body(here, admin));
  };
  const body = (here, admin) => {
    if (here.kind === "project") {
      const project = projects.find((p) => p.id === here.id);
      if (!project) return h("p", { class: "notice" }, "This project is not one of yours, or it does not exist. Choose one of yours above.");
      const box = h("div", { class: "project-page" });
      const title = h("h1", {}, said(project.name), " ", h("span", { class: "muted" }, said(project.company.company_name)));
      const signal = leaving.signal;
      if (!accessCache.has(project.id)) {
        if ((here.tab || "drawings") === "drawings" && !here.sub) prefetchRegister(api, project.id, signal);
        accessCache.set(project.id, accessTo(api, project, current.userId, signal));
      }
      loading(
        box,
        () => accessCache.get(project.id).catch((error) => {
          accessCache.delete(project.id);
          throw error;
        }),
        (access) => fill(box, projectPage({ api, config, project, access, here, signal, render }, here)),
      );
      return h("div", {}, title, box);
    }
    if (here.kind === "company" && admin.some((m) => m.company_id === here.id)) {
      const projectNames = new Map(projects.map((p) => [p.id, p.name]));
      return companyView({ api, config, signal: leaving.signal, projectNames }, admin.find((m) => m.company_id === here.id));
    }
    if (projects.length === 0) return h("p", { class: "notice" }, "You are in no project's directory yet. A company admin adds you to one.");
    return h("p", { class: "notice" }, "Choose a project.");
  };
  window.onhashchange = () => {
    clearFlash();
    render();
    window.scrollTo(0, 0); // a new page starts at its top (the register puts its reader back where they were)
  };
  render();
}

function picker(projects, admin, here) {
  const select = h(
    "select",
    { id: "project", "aria-label": "Project" },
    h("option", { value: "" }, "Choose a project…"),
    projects.map((p) => h("option", { value: p.id, selected: here.kind === "project" && p.id === here.id }, `${p.name} — ${p.company.company_name}`)),
  );
  select.addEventListener("change", () => select.value && (location.hash = route("project", select.value)));
  return h(
    "nav",
    { class: "picker", "aria-label": "Projects and companies" },
    h("label", { for: "project" }, "Project"),
    select,
    admin.map((m) =>
      h(
        "a",
        { href: route("company", m.company_id), "aria-current": here.kind === "company" && here.id === m.company_id ? "page" : null },
        "All connections of ",
        said(m.company_name),
      ),
    ),
  );
}

function projectPage(ctx, here) {
  const { project, access } = ctx;
  // The project's name heads the page already (body): it shows while the user's rights load.
  if (!access.entry) return notInDirectory(ctx);
  const pages = PAGES.filter((p) => access.may[p.may]);
  if (pages.length === 0) {
    return h("p", { class: "notice" }, "You have no permission in this project's tools yet. A company admin can give you some.");
  }
  const page = pages.find((p) => p.key === here.tab);
  if (!here.tab || !page) {
    if (here.tab && PAGES.some((p) => p.key === here.tab)) {
      const allowed = pages.map((p) => p.label).join(", ");
      return h("div", {}, tabs(project, pages, null), h("p", { class: "notice" }, `This page is not open to you in this project. You can use: ${allowed}.`));
    }
    history.replaceState(null, "", route("project", project.id, pages[0].key));
    return projectPage(ctx, { ...here, tab: pages[0].key });
  }
  const later = (ms, fn) => timers.push(setTimeout(fn, ms));
  const refresh = () => ctx.render();
  const full = { ...ctx, here, later, refresh, go: (tab, sub) => (location.hash = route("project", project.id, tab, sub)) };
  return h(
    "div",
    {},
    project.status === "inactive" ? h("p", { class: "warning" }, "This project is inactive: it cannot be connected.") : null,
    tabs(project, pages, page.key),
    h("div", { class: "page", id: "page" }, page.view(full)),
  );
}

function tabs(project, pages, currentKey) {
  return h(
    "nav",
    { class: "tabs", "aria-label": "Pages of this project" },
    pages.map((p) => h("a", { href: route("project", project.id, p.key), "aria-current": p.key === currentKey ? "page" : null, dataset: { tab: p.key } }, p.label)),
  );
}

main();
