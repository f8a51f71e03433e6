// What this project was sent (R31–R37), and who gets it: the CM and Drawings recipient settings (R38).
import { fill, h, when } from "./dom.js";
import { act, errorBox, flash, PAGE_SIZE, pagedList } from "./ui.js";

const EVENTS = {
  connection_requested: "Connection requested (R31)",
  connection_rejected: "Request rejected (R32)",
  connection_created: "Connection created (R33)",
  initial_sync_complete: "Initial sync complete (R34)",
  drawings_published: "Drawings published upstream (R35)",
  drawings_deleted: "Drawings deleted upstream (R36)",
  connection_disabled: "Connection disabled (R37)",
};

export function notificationsView(ctx) {
  return h(
    "div",
    {},
    h("section", { class: "card" }, h("h2", {}, "Who is notified"), h("div", { class: "settings" }, settingsForm(ctx, "connection-manager"), settingsForm(ctx, "drawings"))),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Notifications sent"),
      pagedList({
        load: (token) => ctx.api.page(`/projects/${ctx.project.id}/notifications`, token, PAGE_SIZE),
        row: (n) =>
          h(
            "tr",
            {},
            h("td", {}, when(n.sent_at)),
            h("td", {}, EVENTS[n.event] || n.event),
            h("td", {}, n.subject),
            h("td", {}, n.recipients.join(", ")),
          ),
        empty: "Nothing has been sent for this project yet.",
        head: h("tr", {}, ["Sent", "Event", "Subject", "To"].map((t) => h("th", {}, t))),
      }),
    ),
  );
}

const TOOLS = {
  "connection-manager": {
    title: "Connection Manager events",
    who: "Default: the project's CM admins. Selected: only those ticked (CM admins of the project, or company admins).",
    eligible: (entry) => entry.permissions.connection_manager === "admin",
    extra: true,
  },
  drawings: {
    title: "Drawings events",
    who: "Default: the project's Drawings admins. Selected: only those ticked (Drawings admins).",
    eligible: (entry) => entry.permissions.drawings === "admin",
    extra: false,
  },
};

function settingsForm(ctx, tool) {
  const spec = TOOLS[tool];
  const form = h("form", { class: "recipients", dataset: { tool } }, h("h3", {}, spec.title), h("p", { class: "muted" }, "Loading…"));
  const path = `/projects/${ctx.project.id}/settings/${tool}`;
  Promise.all([ctx.api.get(path), ctx.api.page(`/projects/${ctx.project.id}/directory`, null, 200)]).then(
    ([settings, directory]) => {
      const current = settings.notification_recipients;
      const chosen = new Set(current.user_ids);
      const mode = (value, label) =>
        h("label", {}, h("input", { type: "radio", name: `${tool}-mode`, value, checked: current.mode === value }), ` ${label}`);
      const people = directory.items
        .filter(spec.eligible)
        .map((e) => {
          chosen.delete(e.user_id);
          return h(
            "label",
            { class: "person" },
            h("input", { type: "checkbox", name: "user", value: e.user_id, checked: current.user_ids.includes(e.user_id) }),
            ` ${e.name || e.user_id} `,
            h("span", { class: "muted" }, e.user_id),
          );
        });
      const others = h("input", { type: "text", name: "others", value: [...chosen].join(", "), placeholder: "user ids, comma-separated" });
      const problem = h("div", { class: "problem" });
      const save = h("button", { class: "primary", type: "submit" }, "Save");
      fill(
        form,
        h("h3", {}, spec.title),
        h("p", { class: "muted" }, spec.who),
        h("div", { class: "modes" }, mode("default", "Default"), mode("selected", "Selected people")),
        h("div", { class: "people" }, people.length ? people : h("span", { class: "muted" }, "No eligible member in the directory.")),
        spec.extra ? h("label", { class: "others" }, "Company admins: ", others) : null,
        h("div", { class: "actions" }, save),
        problem,
      );
      form.onsubmit = (event) => {
        event.preventDefault();
        const ids = [...form.querySelectorAll("input[name=user]:checked")].map((i) => i.value);
        if (spec.extra) ids.push(...others.value.split(",").map((s) => s.trim()).filter(Boolean));
        const body = { notification_recipients: { mode: form.querySelector(`input[name=${tool}-mode]:checked`).value, user_ids: ids } };
        act(save, async () => {
          await ctx.api.put(path, body);
          problem.replaceChildren();
          flash("ok", `${spec.title}: recipients saved.`);
        }, problem);
      };
    },
    (error) => fill(form, h("h3", {}, spec.title), errorBox(error)),
  );
  return form;
}
