// The console: sign in, pick a project, and manage its connections. Talks only to the public API.
import { Api } from "./api.js";
import { finishHostedSignIn, forget, session, signInView, signOut } from "./auth.js";
import { companyView } from "./company.js";
import { connectionsView } from "./connections.js";
import { fill, h } from "./dom.js";
import { notificationsView } from "./notifications.js";
import { reviewView } from "./review.js";
import { clearFlash, errorBox, flash } from "./ui.js";

const app = document.getElementById("app");
const TABS = [
  ["connections", "Connections", connectionsView],
  ["review", "Review queue", reviewView],
  ["notifications", "Notifications", notificationsView],
];
let timers = [];

async function loadConfig() {
  const answer = await fetch("config.json", { cache: "no-store" });
  if (!answer.ok) throw new Error(`The console's config.json is missing (${answer.status}).`);
  return answer.json();
}

/** Where we are, from the address: #/project/<id>/<tab> or #/company/<id>. */
function place() {
  const [, kind, id, tab] = location.hash.split("/");
  return { kind: kind || null, id: id ? decodeURIComponent(id) : null, tab: tab || "connections" };
}

function go(kind, id, tab) {
  location.hash = `#/${kind}/${encodeURIComponent(id)}${tab ? `/${tab}` : ""}`;
}

function stopTimers() {
  for (const t of timers) clearTimeout(t);
  timers = [];
}

async function projectsOf(api, memberships) {
  const lists = await Promise.all(
    memberships.map((m) => api.get(`/companies/${m.company_id}/projects?limit=200`).then((p) => p.items.map((x) => ({ ...x, company: m })))),
  );
  return lists.flat();
}

async function main() {
  let config;
  try {
    config = await loadConfig();
    await finishHostedSignIn(config);
  } catch (error) {
    fill(app, errorBox(error));
    return;
  }
  const current = session();
  const whoami = document.getElementById("whoami");
  if (!current) {
    fill(whoami);
    fill(app, await signInView(config, () => main(), (e) => flash("error", e)));
    return;
  }
  // A refused token is forgotten: the API's message says why, and the next load asks to sign in.
  const api = new Api(config.api_url, current.token, forget);
  const docs = config.docs_url === undefined ? "/docs" : config.docs_url;
  fill(
    whoami,
    h("span", {}, "Signed in as ", h("strong", { class: "user-name" }, current.user)),
    docs ? h("a", { href: docs, target: "_blank", rel: "noopener" }, "API reference") : null,
    h("button", { class: "link", onclick: () => signOut(config) }, "Sign out"),
  );

  let memberships;
  let projects;
  try {
    memberships = (await api.get("/me/companies")).items;
    projects = await projectsOf(api, memberships);
  } catch (error) {
    fill(app, errorBox(error), h("button", { onclick: () => signOut(config) }, "Sign in again"));
    return;
  }

  const render = () => {
    stopTimers();
    const here = place();
    const ctx = {
      api,
      config,
      project: projects.find((p) => p.id === here.id) || null,
      refresh: render,
      later: (ms, fn) => timers.push(setTimeout(fn, ms)),
    };
    const picker = h(
      "select",
      { id: "project", "aria-label": "Project" },
      h("option", { value: "" }, "Choose a project…"),
      projects.map((p) =>
        h("option", { value: p.id, selected: here.kind === "project" && p.id === here.id }, `${p.name} — ${p.company.company_name}`),
      ),
    );
    picker.addEventListener("change", () => picker.value && go("project", picker.value, "connections"));
    const admin = memberships.filter((m) => m.is_company_admin);
    const nav = h(
      "nav",
      { class: "picker" },
      h("label", { for: "project" }, "Project "),
      picker,
      admin.map((m) =>
        h(
          "a",
          { href: `#/company/${encodeURIComponent(m.company_id)}`, class: here.kind === "company" && here.id === m.company_id ? "current" : "" },
          `All connections of ${m.company_name}`,
        ),
      ),
    );
    let body;
    if (here.kind === "project" && ctx.project) {
      const tabs = h(
        "div",
        { class: "tabs", role: "tablist" },
        TABS.map(([key, label]) =>
          h("a", { role: "tab", href: `#/project/${encodeURIComponent(ctx.project.id)}/${key}`, "aria-selected": key === here.tab ? "true" : "false" }, label),
        ),
      );
      const view = (TABS.find(([key]) => key === here.tab) || TABS[0])[2];
      body = h(
        "div",
        {},
        h("h1", {}, ctx.project.name, " ", h("span", { class: "muted" }, ctx.project.company.company_name)),
        ctx.project.status === "inactive" ? h("p", { class: "warning" }, "This project is inactive: it cannot be connected (R03).") : null,
        tabs,
        view(ctx),
      );
    } else if (here.kind === "company" && admin.some((m) => m.company_id === here.id)) {
      body = companyView(ctx, admin.find((m) => m.company_id === here.id));
    } else if (projects.length === 0) {
      body = h("p", { class: "muted" }, "You are in no project's directory yet. A company admin adds you to one.");
    } else {
      body = h("p", { class: "muted" }, "Choose a project to manage its connections.");
    }
    fill(app, nav, body);
  };
  window.onhashchange = () => {
    clearFlash();
    render();
  };
  render();
}

main();
