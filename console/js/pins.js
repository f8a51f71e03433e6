// Markups: notes pinned at a point of a sheet. They belong to this project's drawing (never copied either way),
// so they stay when a newer revision becomes current; each says the revision it was made on.
// A pin's data: {"kind": "pin", "page": 1, "x": 0.42, "y": 0.31, "note": "..."}, x and y fractions of the page.
import { nameOf } from "./access.js";
import { path } from "./api.js";
import { fill, h, said, when } from "./dom.js";
import { act, loading } from "./ui.js";

const MAX_NOTE = 2000;

/** The notes panel of a drawing; it puts the pins on `viewer` and adds new ones at a point the user picks. */
export function notesPanel(ctx, drawing, viewer, viewed) {
  const { api, project, access, signal } = ctx;
  const where = path`/projects/${project.id}/drawings/${drawing.id}/markups`;
  const revisions = new Map((drawing.revisions || []).map((r) => [r.id, r]));
  const list = h("ol", { class: "notes" });
  const form = h("div", { class: "note-form-slot" });
  const problem = h("div", { class: "problem" });
  let pins = [];
  const box = h("div");

  const madeOn = (m) => {
    const r = revisions.get(m.revision_id);
    if (!r) return "made on an earlier revision";
    return m.revision_id === (viewed() && viewed().id) ? `Rev ${r.revision_number}` : `made on Rev ${r.revision_number}`;
  };

  const show = () => {
    const markers = pins.map((m, i) => {
      const marker = h(
        "button",
        { type: "button", class: "pin", "aria-label": `Note ${i + 1}: ${m.data.note || "(no text)"}, ${madeOn(m)}`, dataset: { markup: m.id } },
        h("span", { "aria-hidden": "true" }, String(i + 1)),
      );
      marker.addEventListener("click", () => {
        const item = list.querySelector(`[data-markup="${CSS.escape(m.id)}"]`);
        list.querySelectorAll(".current").forEach((n) => n.classList.remove("current"));
        if (item) {
          item.classList.add("current");
          item.scrollIntoView({ block: "nearest" });
        }
      });
      return { page: m.data.page || 1, x: m.data.x, y: m.data.y, el: marker };
    });
    viewer.setMarkers(markers);
    fill(
      list,
      pins.map((m, i) =>
        h(
          "li",
          { dataset: { markup: m.id } },
          h(
            "button",
            { type: "button", class: "note-go", onclick: () => viewer.centreOn(m.data.page || 1, m.data.x, m.data.y), "aria-label": `Show note ${i + 1} on the sheet` },
            String(i + 1),
          ),
          h(
            "div",
            { class: "note-body" },
            said(m.data.note || "", "p"),
            h("p", { class: "muted" }, said(nameOf(access, m.created_by)), ` · ${when(m.created_at)} · `, madeOn(m)),
          ),
        ),
      ),
    );
    if (pins.length === 0) fill(list, h("li", { class: "muted empty" }, access.may.markup ? "No notes yet. Add one at a point of the sheet." : "No notes on this sheet."));
  };

  const add = h("button", { type: "button", class: "add-note" }, "Add a note");
  add.addEventListener("click", async () => {
    const revision = viewed();
    if (!revision) return;
    add.disabled = true;
    fill(form, h("p", { class: "hint", role: "status" }, "Tap or click the sheet where the note goes, or press Enter for the centre of the view. Escape cancels."));
    const point = await viewer.pick();
    add.disabled = false;
    if (!point) {
      fill(form);
      add.focus();
      return;
    }
    fill(form, noteForm(point, revision));
  });

  const noteForm = (point, revision) => {
    const text = h("textarea", { id: "note-text", rows: 3, maxlength: MAX_NOTE, dir: "auto", required: true });
    const save = h("button", { type: "submit", class: "primary" }, "Save note");
    const cancel = h("button", { type: "button", onclick: () => fill(form) }, "Cancel");
    const element = h(
      "form",
      { class: "note-form" },
      h("label", { for: "note-text" }, `Note at this point (on Rev ${revision.revision_number})`),
      text,
      h("div", { class: "actions" }, save, cancel),
    );
    element.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!text.value.trim()) {
        text.focus();
        return;
      }
      act(
        save,
        async () => {
          const markup = await api.post(where, { revision_id: revision.id, data: { kind: "pin", page: point.page, x: point.x, y: point.y, note: text.value.trim() } });
          pins.push(markup);
          fill(form);
          fill(problem);
          show();
          add.focus();
        },
        problem,
      );
    });
    setTimeout(() => text.focus());
    return element;
  };

  loading(
    box,
    () => api.all(where, signal),
    (markups) => {
      pins = markups.filter((m) => m.data && m.data.kind === "pin" && Number.isFinite(m.data.x) && Number.isFinite(m.data.y));
      pins.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
      show();
      fill(box, list);
    },
    "Loading notes…",
  );

  return h(
    "section",
    { class: "panel notes-panel", "aria-labelledby": "notes-title" },
    h("h3", { id: "notes-title" }, "Notes"),
    access.may.markup ? h("div", { class: "actions" }, add) : null,
    form,
    problem,
    box,
  );
}
