// The Deleted Drawing Revisions report (R28), for Drawings admins: what left the register, when, and by whom;
// a connected sheet the upstream project deleted is here too.
import { nameOf } from "./access.js";
import { path } from "./api.js";
import { h, said, when } from "./dom.js";
import { connectedMark } from "./marks.js";
import { thumbnail } from "./thumbs.js";
import { headings, PAGE_SIZE, pagedList } from "./ui.js";

export function deletedView(ctx) {
  const { api, project, access, signal } = ctx;
  const by = (r) => {
    if (r.connected) return "the upstream project"; // its people are not this project's to name
    return said(nameOf(access, r.deleted_by));
  };
  return h(
    "section",
    { class: "card deleted" },
    h("h2", {}, "Deleted drawing revisions"),
    h("p", { class: "muted" }, "Revisions deleted from this project's register. Their files are kept."),
    pagedList({
      load: (token) => api.page(path`/projects/${project.id}/reports/deleted-drawing-revisions`, token, PAGE_SIZE, signal),
      row: (r) =>
        h(
          "tr",
          { dataset: { revision: r.id } },
          h("td", { class: "thumb-cell" }, thumbnail(r, "small")),
          h("td", { class: "sheet-cell" }, h("strong", {}, said(r.number)), " ", said(r.title), h("div", { class: "marks" }, connectedMark(r))),
          h("td", {}, said(r.revision_number)),
          h("td", {}, said(r.discipline ? r.discipline.name : "—")),
          h("td", {}, when(r.deleted_at)),
          h("td", {}, by(r)),
        ),
      empty: "No drawing revision has been deleted in this project.",
      head: headings([{ hidden: "Preview" }, "Sheet", "Revision", "Discipline", "Deleted", "By"]),
      compact: true,
    }),
  );
}
