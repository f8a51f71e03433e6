// A drawing's page: the sheet in the viewer, its fields (R20), its revisions newest first, download, notes,
// where an upstream revision was delivered (its Drawings admins), and Delete for a project's own drawing.
import { path } from "./api.js";
import { badge, bytes, day, fill, h, said, when } from "./dom.js";
import { readableFailure } from "./connections.js";
import { connectedMark, obsoleteMark, origin } from "./marks.js";
import { notesPanel } from "./pins.js";
import { forgetRegister } from "./register.js";
import { route } from "./routes.js";
import { thumbnail } from "./thumbs.js";
import { act, confirmDialog, errorBox, flash, loading } from "./ui.js";
import { createViewer } from "./viewer.js";

export function drawingView(ctx, drawingId) {
  const box = h("div", { class: "drawing-page" });
  loading(
    box,
    () => ctx.api.get(path`/projects/${ctx.project.id}/drawings/${drawingId}`, ctx.signal),
    (drawing) => fill(box, page(ctx, drawing)),
    "Loading the drawing…",
  );
  return h("div", {}, h("a", { class: "back", href: route("project", ctx.project.id, "drawings") }, "← Register"), box);
}

/** The file link is asked for when needed: it is valid for 15 minutes. */
export function fileLink(ctx, revision) {
  return ctx.api.get(path`/projects/${ctx.project.id}/drawing-revisions/${revision.id}/file`, ctx.signal);
}

function page(ctx, drawing) {
  const { access } = ctx;
  const revisions = [...(drawing.revisions || [])].reverse(); // the API answers oldest first
  let viewed = drawing.current_revision || revisions[0] || null;
  const viewer = createViewer({ label: `Sheet ${drawing.number}, ${drawing.title}`, signal: ctx.signal });
  const details = h("div", { class: "details" });
  const history = h("ol", { class: "revisions" });
  const deliveries = h("div");
  const viewing = h("p", { class: "viewing", role: "status" });
  // Where an upstream revision went: for its Drawings admins (who may not read the connections: then shown if any)
  const showDeliveries = access.may.publish && !drawing.connected && (access.isUpstream || access.connections === null);
  const deliveriesPanel = h("section", { class: "panel", "aria-labelledby": "deliveries-title" }, h("h3", { id: "deliveries-title" }, "Delivered to"), deliveries);

  const open = async (revision) => {
    viewed = revision;
    fill(details, fields(drawing, revision));
    fill(viewing, viewingLabel(drawing, revision));
    history.querySelectorAll("li").forEach((li) => li.classList.toggle("current-view", li.dataset.revision === revision.id));
    if (showDeliveries) {
      deliveriesPanel.hidden = false;
      const none = () => {
        deliveriesPanel.hidden = !access.isUpstream; // in no downstream project, and not known to share: no panel
      };
      fill(deliveries, deliveriesOf(ctx, revision, none));
    }
    try {
      const link = await fileLink(ctx, revision);
      await viewer.open(link.url, revision.file.content_type);
    } catch (error) {
      fill(viewing, errorBox(error));
    }
  };

  fill(
    history,
    revisions.map((r) =>
      h(
        "li",
        { dataset: { revision: r.id } },
        thumbnail(r, "small"),
        h(
          "div",
          { class: "rev-text" },
          h("strong", {}, `Rev ${r.revision_number}`),
          r.status ? [" · ", said(r.status)] : null,
          " ",
          r.state === "published" ? null : badge(r.state),
          r.id === (drawing.current_revision && drawing.current_revision.id) ? h("span", { class: "mark current" }, "Current") : null,
          h("div", { class: "muted" }, r.published_at ? `Published ${when(r.published_at)}` : `Not published · ${bytes(r.file.size)}`),
        ),
        h(
          "div",
          { class: "rev-actions" },
          h("button", { type: "button", onclick: () => open(r), "aria-label": `View revision ${r.revision_number}` }, "View"),
          downloadButton(ctx, r, `Download revision ${r.revision_number}`),
        ),
      ),
    ),
  );

  const actions = h("div", { class: "actions" }, viewed ? downloadButton(ctx, viewed, "Download", true, () => viewed) : null, deleteButton(ctx, drawing));
  const el = h(
    "article",
    { class: "drawing", dataset: { drawing: drawing.id } },
    h(
      "header",
      { class: "drawing-head" },
      h("h2", {}, h("span", { class: "number" }, said(drawing.number)), " ", h("span", { class: "title" }, said(drawing.title))),
      h("div", { class: "marks" }, connectedMark(drawing), obsoleteMark(drawing)),
      actions,
    ),
    h(
      "div",
      { class: "drawing-body" },
      h("div", { class: "viewer-col" }, viewing, viewer.el),
      h(
        "div",
        { class: "side-col" },
        notesPanel(ctx, drawing, viewer, () => viewed),
        h("section", { class: "panel", "aria-labelledby": "details-title" }, h("h3", { id: "details-title" }, "Details"), details),
        h("section", { class: "panel", "aria-labelledby": "history-title" }, h("h3", { id: "history-title" }, "Revisions, newest first"), history),
        showDeliveries ? deliveriesPanel : null,
      ),
    ),
  );
  if (viewed) open(viewed);
  else fill(viewing, "This drawing has no revision you can see.");
  return el;
}

function viewingLabel(drawing, revision) {
  const current = drawing.current_revision && drawing.current_revision.id === revision.id;
  return [`Showing Rev ${revision.revision_number}`, current ? " (current)" : revision.state === "published" ? " (superseded)" : ` (${revision.state.replaceAll("_", " ")})`];
}

/** The fields copied with every revision (R20). */
function fields(drawing, r) {
  const row = (label, ...value) => h("div", {}, h("dt", {}, label), h("dd", {}, ...value));
  const from = origin(drawing) || origin(r);
  return h(
    "dl",
    { class: "fields" },
    row("Number", said(drawing.number)),
    row("Title", said(drawing.title)),
    row("Obsolete", drawing.obsolete ? "Yes" : "No"),
    row("Discipline", said(r.discipline.name), r.discipline.position !== null && r.discipline.position !== undefined ? h("span", { class: "muted" }, ` (position ${r.discipline.position})`) : null),
    row("Area", r.area ? [said(r.area.name), r.area.description ? h("div", { class: "muted" }, said(r.area.description)) : null] : "—"),
    row("Drawing date", day(r.drawing_date)),
    row("Received date", day(r.received_date)),
    row("Revision", said(r.revision_number)),
    row("Status", r.status ? said(r.status) : "—"),
    row("Set", r.drawing_set ? [said(r.drawing_set.name), h("span", { class: "muted" }, ` · ${day(r.drawing_set.date)}`)] : "—"),
    row("File", `${r.file.content_type === "application/pdf" ? "PDF" : r.file.content_type}, ${bytes(r.file.size)}`, r.file.state === "checking" ? " · being checked" : null),
    r.thumbnail && r.thumbnail.state === "unavailable" ? row("Preview", "None: ", said(r.thumbnail.reason || "the file could not be read")) : null,
    drawing.connected ? row("Comes from", from ? [said(from.project), " · ", said(from.company)] : "the upstream project") : null,
  );
}

function downloadButton(ctx, revision, label, primary = false, which = () => revision) {
  const button = h("button", { type: "button", class: primary ? "primary" : "", "aria-label": primary ? null : label }, primary ? label : "Download");
  button.addEventListener("click", () =>
    act(button, async () => {
      const link = await fileLink(ctx, which());
      const opened = window.open(link.url, "_blank", "noopener");
      if (!opened) location.assign(link.url);
    }),
  );
  return button;
}

function deleteButton(ctx, drawing) {
  if (!ctx.access.may.publish || drawing.connected) return null;
  const button = h("button", { type: "button", class: "danger" }, "Delete…");
  button.addEventListener("click", async () => {
    const yes = await confirmDialog({
      title: `Delete ${drawing.number}?`,
      body: [
        h("p", {}, "Delete ", h("strong", {}, said(drawing.number)), " ", said(drawing.title), " and all its revisions from this project's register?"),
        ctx.access.isUpstream ? h("p", {}, "It leaves the registers of the projects connected downstream too.") : null,
        h("p", { class: "muted" }, "Drawings admins still find its revisions in the Deleted report."),
      ],
      yes: "Delete the drawing",
      danger: true,
    });
    if (!yes) return;
    await act(button, async () => {
      await ctx.api.delete(path`/projects/${ctx.project.id}/drawings/${drawing.id}`);
      forgetRegister();
      flash("ok", `${drawing.number} was deleted.`, { next: true });
      ctx.go("drawings");
    });
  });
  return button;
}

const DELIVERY_WORDS = {
  waiting: "On its way",
  pending_review: "Waiting for their review",
  published: "Published there",
  deleted: "Deleted there",
  failed: "Copy failed",
};

function deliveriesOf(ctx, revision, none) {
  const box = h("div");
  loading(
    box,
    () => ctx.api.all(path`/projects/${ctx.project.id}/drawing-revisions/${revision.id}/deliveries`, ctx.signal),
    (items) =>
      fill(
        box,
        items.length === 0
          ? (none(), h("p", { class: "muted" }, `Rev ${revision.revision_number} is in no downstream project.`))
          : h(
              "ul",
              { class: "deliveries" },
              items.map((d) =>
                h(
                  "li",
                  {},
                  h("strong", {}, said(d.downstream.project_name)),
                  h("span", { class: "muted" }, " · ", said(d.downstream.company_name)),
                  h("div", {}, badge(DELIVERY_WORDS[d.state] || d.state, d.state), d.connection_status !== "active" ? h("span", { class: "muted" }, ` (connection ${d.connection_status})`) : null),
                  d.error ? h("p", { class: "failure-text" }, readableFailure(d.error)) : null,
                  d.error ? h("details", {}, h("summary", {}, "Details"), h("pre", {}, d.error)) : null,
                ),
              ),
            ),
      ),
    "Loading deliveries…",
  );
  return box;
}
