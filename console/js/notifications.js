// What this project was sent, and who gets it: the Connection Manager and Drawings recipient settings.
import { path } from "./api.js";
import { fill, h, said, when } from "./dom.js";
import { act, flash, headings, loading, PAGE_SIZE, pagedList } from "./ui.js";

const EVENTS = {
  connection_requested: "Connection requested",
  connection_rejected: "Request rejected",
  connection_created: "Connection created",
  initial_sync_complete: "Initial sync complete",
  drawings_published: "Drawings published upstream",
  drawings_deleted: "Drawings deleted upstream",
  connection_disabled: "Connection disabled",
};

export function notificationsView(ctx) {
  const { may } = ctx.access;
  const forms = [may.manageConnections ? settingsForm(ctx, "connection-manager") : null, may.publish ? settingsForm(ctx, "drawings") : null];
  return h(
    "div",
    {},
    h("section", { class: "card" }, h("h2", {}, "Who is notified"), h("div", { class: "settings" }, forms)),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Notifications sent"),
      pagedList({
        load: (token) => ctx.api.page(path`/projects/${ctx.project.id}/notifications`, token, PAGE_SIZE, ctx.signal),
        row: (n) =>
          h(
            "tr",
            {},
            h("td", {}, when(n.sent_at)),
            h("td", {}, EVENTS[n.event] || n.event.replaceAll("_", " ")),
            h("td", {}, said(n.subject)),
            h("td", { class: "recipients-cell" }, n.recipients.join(", ")),
          ),
        empty: "Nothing has been sent for this project yet.",
        head: headings(["Sent", "Event", "Subject", "To"]),
      }),
    ),
  );
}

const TOOLS = {
  "connection-manager": {
    title: "Connection Manager events",
    who: "Default: the project's Connection Manager admins. Selected: only the people ticked below.",
  },
  drawings: {
    title: "Drawings events",
    who: "Default: the project's Drawings admins. Selected: only the people ticked below.",
  },
};

const ROLE_NAMES = {
  connection_manager_admin: "Connection Manager admin",
  drawings_admin: "Drawings admin",
  company_admin: "company admin",
};

function settingsForm(ctx, tool) {
  const spec = TOOLS[tool];
  const form = h("form", { class: "recipients", dataset: { tool } }, h("h3", {}, spec.title));
  const box = h("div");
  form.append(box);
  const where = path`/projects/${ctx.project.id}/settings/${tool}`;
  loading(
    box,
    () => ctx.api.get(where, ctx.signal),
    (settings) => {
      const current = settings.notification_recipients;
      const eligible = settings.eligible;
      const listed = new Set(eligible.map((p) => p.user_id));
      const mode = (value, label) => h("label", {}, h("input", { type: "radio", name: `${tool}-mode`, value, checked: current.mode === value }), ` ${label}`);
      const person = (p) =>
        h(
          "label",
          { class: "person" },
          h("input", { type: "checkbox", name: "user", value: p.user_id, checked: current.user_ids.includes(p.user_id) }),
          " ",
          said(p.name || p.user_id),
          p.email ? h("span", { class: "muted" }, " ", p.email) : null,
          p.roles && p.roles.length ? h("span", { class: "muted roles" }, ` · ${p.roles.map((r) => ROLE_NAMES[r] || r.replaceAll("_", " ")).join(", ")}`) : null,
        );
      // Someone chosen before who is no longer eligible is shown, so saving does not drop them unseen.
      const stale = current.user_ids.filter((id) => !listed.has(id)).map((id) => ({ user_id: id, name: ctx.access.people.get(id)?.name, roles: ["no longer eligible"] }));
      const problem = h("div", { class: "problem" });
      const save = h("button", { class: "primary", type: "submit" }, "Save");
      fill(
        box,
        h("p", { class: "muted" }, spec.who),
        h("fieldset", { class: "modes" }, h("legend", { class: "sr-only" }, `${spec.title}: who`), mode("default", "Default"), mode("selected", "Selected people")),
        h(
          "fieldset",
          { class: "people" },
          h("legend", { class: "sr-only" }, `${spec.title}: selected people`),
          eligible.length || stale.length ? [...eligible, ...stale].map(person) : h("span", { class: "muted" }, "Nobody can be chosen yet."),
        ),
        h("div", { class: "actions" }, save),
        problem,
      );
      form.onsubmit = (event) => {
        event.preventDefault();
        const ids = [...form.querySelectorAll("input[name=user]:checked")].map((i) => i.value);
        const body = { notification_recipients: { mode: form.querySelector(`input[name=${tool}-mode]:checked`).value, user_ids: ids } };
        act(
          save,
          async () => {
            await ctx.api.put(where, body);
            problem.replaceChildren();
            flash("ok", `${spec.title}: recipients saved.`);
          },
          problem,
        );
      };
    },
  );
  return form;
}
