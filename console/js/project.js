// A project the user can see but is not in the directory of: a company admin may add themselves.
import { path } from "./api.js";
import { h } from "./dom.js";
import { act, flash } from "./ui.js";

export function notInDirectory(ctx) {
  const { api, project, access } = ctx;
  if (!access.companyAdmin) {
    return h("p", { class: "notice" }, "You are not in this project's directory. A company admin of its company can add you.");
  }
  const problem = h("div", { class: "problem" });
  const add = h("button", { class: "primary" }, "Add me to this project as an admin");
  add.addEventListener("click", () =>
    act(
      add,
      async () => {
        await api.put(path`/projects/${project.id}/directory/${access.me}`, {
          permissions: { connection_manager: "admin", drawings: "admin" },
        });
        flash("ok", "You are in the project's directory now, as an admin of its Connection Manager and Drawings.");
        ctx.render({ again: true });
      },
      problem,
    ),
  );
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "You are not in this project's directory"),
    h(
      "p",
      {},
      "As a company admin you see every project of your company, but a project's tools are open only to the people in its directory. ",
      "Add yourself to use them (you can change your permissions or leave later, under the project's directory in the API).",
    ),
    h("div", { class: "actions" }, add),
    problem,
  );
}
