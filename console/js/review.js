// Connected drawings waiting for review in this (downstream) project: look at each one, then publish some or all.
// Nobody else in the project sees a copy before a Drawings admin publishes it.
import { path } from "./api.js";
import { day, fill, h, plural, said } from "./dom.js";
import { fileLink } from "./drawing.js";
import { arrivalMark, connectedMark } from "./marks.js";
import { forgetRegister } from "./register.js";
import { thumbnail } from "./thumbs.js";
import { act, confirmDialog, errorBox, flash, headings } from "./ui.js";
import { createViewer } from "./viewer.js";

const SHOWN = 50; // rows added to the table at a time (the whole queue is loaded, for its count)

export function reviewView(ctx) {
  const { api, project, signal } = ctx;
  const selected = new Set();
  const problem = h("div", { class: "problem" });
  const count = h("span", { class: "count" }, "0");
  const publishSelected = h("button", { class: "primary", disabled: true }, "Publish selected (", count, ")");
  const publishAll = h("button", { disabled: true }, "Publish all waiting");
  const summary = h("p", { class: "summary", role: "status" }, "Loading the copies waiting for review…");
  const body = h("tbody");
  const more = h("div", { class: "paging" });
  let waiting = [];
  let done = false;
  let rendered = 0;

  const update = () => {
    count.textContent = String(selected.size);
    publishSelected.disabled = selected.size === 0;
    publishAll.disabled = !done || waiting.length === 0;
    fill(publishAll, done && waiting.length ? `Publish all ${waiting.length} waiting` : "Publish all waiting");
    if (done) fill(summary, waiting.length ? `${plural(waiting.length, "copy", "copies")} waiting for review.` : "Nothing is waiting for review.");
  };
  const publish = (button, body, n) =>
    act(
      button,
      async () => {
        const answer = await api.post(path`/projects/${project.id}/connected-drawings/publish`, body);
        const published = answer.published.length;
        forgetRegister();
        ctx.refresh();
        flash("ok", `Published ${published} drawing revision${published === 1 ? "" : "s"}${n && n !== published ? ` of ${n}` : ""}.`);
      },
      problem,
    );
  publishSelected.addEventListener("click", () => publish(publishSelected, { revision_ids: [...selected] }, selected.size));
  publishAll.addEventListener("click", async () => {
    const n = waiting.length;
    const yes = await confirmDialog({
      title: `Publish all ${plural(n, "copy", "copies")}?`,
      body: h("p", {}, `Everyone in this project with access to Drawings will see ${n === 1 ? "it" : `these ${n}`} in the register.`),
      yes: `Publish ${n}`,
    });
    if (yes) publish(publishAll, { all: true }, n);
  });

  const row = (r) => {
    const box = h("input", { type: "checkbox", "aria-label": `Select ${r.number}`, value: r.id });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(r.id);
      else selected.delete(r.id);
      update();
    });
    // The thumbnail opens the preview too, for the pointer; keyboards and screen readers have the Preview button.
    const look = h("button", { type: "button", class: "thumb-button", tabindex: "-1", "aria-hidden": "true" }, thumbnail(r, "small"));
    look.addEventListener("click", () => preview(ctx, r, publish));
    const cells = [
      h("td", { class: "pick" }, box),
      h("td", { class: "thumb-cell" }, look),
      h("td", { class: "sheet-cell" }, h("strong", {}, said(r.number)), " ", said(r.title), h("div", { class: "marks" }, arrivalMark(r), connectedMark(r, { short: true }))),
      h("td", {}, said(r.revision_number), r.status ? h("div", { class: "muted" }, said(r.status)) : null),
      h("td", {}, said(r.discipline ? r.discipline.name : "—")),
      h("td", {}, r.area ? said(r.area.name) : "—"),
      h("td", {}, day(r.drawing_date || r.received_date)),
      h("td", { class: "row-actions" }, h("button", { type: "button", "aria-label": `Preview ${r.number}`, onclick: () => preview(ctx, r, publish) }, "Preview")),
    ];
    const labels = ["", "", "Sheet", "Revision", "Discipline", "Area", "Drawing date", ""];
    cells.forEach((td, i) => labels[i] && td.setAttribute("data-label", labels[i]));
    return h("tr", { dataset: { revision: r.id } }, cells);
  };
  const showMore = () => {
    const next = waiting.slice(rendered, rendered + SHOWN);
    body.append(...next.map(row));
    rendered += next.length;
    fill(more, rendered < waiting.length ? h("button", { class: "more", onclick: showMore }, `Show more (${waiting.length - rendered} more)`) : null);
  };

  const load = async () => {
    let token = null;
    try {
      do {
        const page = await api.page(path`/projects/${project.id}/connected-drawings/review`, token, 200, signal);
        waiting = waiting.concat(page.items);
        token = page.next_token;
        if (rendered < SHOWN) showMore();
        else fill(more, h("button", { class: "more", onclick: showMore }, `Show more (${waiting.length - rendered} more)`));
      } while (token);
      done = true;
      update();
    } catch (error) {
      if (error.code !== "aborted") fill(summary, errorBox(error, () => ctx.refresh()));
    }
  };
  load();

  return h(
    "section",
    { class: "card review" },
    h("h2", {}, "Connected drawings waiting for review"),
    h("p", { class: "muted" }, "Copies from the upstream project. Nobody else in this project sees them until they are published."),
    summary,
    h("div", { class: "actions" }, publishSelected, publishAll),
    problem,
    h("table", { class: "cards compact review-table" }, h("thead", {}, headings([{ hidden: "Select" }, { hidden: "Preview" }, "Sheet", "Revision", "Discipline", "Area", "Drawing date", { hidden: "Actions" }])), body),
    more,
  );
}

/** A copy in the viewer, in a dialog, with "Publish this one". */
function preview(ctx, r, publish) {
  const closing = new AbortController();
  const viewer = createViewer({ label: `Preview of ${r.number}, ${r.title}`, signal: closing.signal, tallest: 0.6 });
  const dialog = h("dialog", { class: "preview", "aria-labelledby": "preview-title" });
  const close = () => {
    closing.abort();
    dialog.close();
    dialog.remove();
  };
  const publishOne = h("button", { class: "primary" }, "Publish this one");
  publishOne.addEventListener("click", () => {
    close();
    publish(publishOne, { revision_ids: [r.id] }, 1);
  });
  fill(
    dialog,
    h(
      "header",
      {},
      h("h2", { id: "preview-title" }, said(r.number), " ", said(r.title)),
      h("p", { class: "marks" }, arrivalMark(r), ` Rev ${r.revision_number}`, r.status ? [" · ", said(r.status)] : null),
    ),
    viewer.el,
    h("div", { class: "actions" }, publishOne, h("button", { onclick: close }, "Close")),
  );
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  document.body.append(dialog);
  dialog.showModal();
  fileLink({ ...ctx, signal: closing.signal }, r).then(
    (link) => viewer.open(link.url, r.file.content_type),
    (error) => viewer.el.prepend(errorBox(error)),
  );
}
