// Upload and publish a project's own drawings: drop many files (or choose them), each goes straight to S3 with
// its own progress bar; check the suggested fields; save them as drafts; publish some or all in one call.
import { path, query } from "./api.js";
import { bytes, fill, h, plural, said } from "./dom.js";
import { forgetRegister } from "./register.js";
import { route } from "./routes.js";
import { guessDiscipline, nextRevision, suggest } from "./sheetnames.js";
import { thumbnail } from "./thumbs.js";
import { act, errorBox, flash } from "./ui.js";
import { FileUpload, pendingCheck, uploadQueue } from "./uploads.js";

const PUBLISH_AT_ONCE = 2000;
const ACCEPT = ".pdf,.png,.jpg,.jpeg,.tif,.tiff,application/pdf,image/png,image/jpeg,image/tiff";
const STATE_WORDS = {
  queued: "Waiting",
  uploading: "Uploading",
  uploaded: "Uploaded",
  saving: "Saving",
  draft: "Draft",
  published: "Published",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function uploadView(ctx) {
  const { api, project, access, signal } = ctx;
  const queue = uploadQueue();
  const files = []; // {upload, card, inputs, refresh}
  const known = { byNumber: new Map(), disciplines: new Set(), areas: new Set(), sets: new Map() };
  const lists = h("div", { hidden: true }, h("datalist", { id: "disciplines-list" }), h("datalist", { id: "areas-list" }), h("datalist", { id: "sets-list" }));
  const problem = h("div", { class: "problem" });
  const cards = h("div", { class: "files" });
  const overall = h("div", { class: "overall", hidden: true });
  const select = h("input", { type: "checkbox", id: "select-all" });
  const draftsBox = h("div");

  // -- what the project has: for suggestions, and to tell a new drawing from a new revision ------------------
  const learn = (drawing) => {
    known.byNumber.set(drawing.number.toLowerCase(), drawing);
    known.disciplines.add(drawing.discipline.name);
    if (drawing.area) known.areas.add(drawing.area.name);
    const set = drawing.current_revision && drawing.current_revision.drawing_set;
    if (set) known.sets.set(set.name, set.date);
  };
  const refreshLists = () => {
    const [disciplines, areas, sets] = lists.children;
    fill(disciplines, [...known.disciplines].sort().map((v) => h("option", { value: v })));
    fill(areas, [...known.areas].sort().map((v) => h("option", { value: v })));
    fill(sets, [...known.sets.keys()].sort().map((v) => h("option", { value: v })));
  };
  (async () => {
    const where = `${path`/projects/${project.id}/drawings`}${query({ include_obsolete: true, include_drafts: access.may.publish })}`;
    const extra = [
      api.all(path`/projects/${project.id}/drawing-disciplines`, signal).then((items) => items.forEach((d) => known.disciplines.add(d.name))),
      api.all(path`/projects/${project.id}/drawing-areas`, signal).then((items) => items.forEach((a) => known.areas.add(a.name))),
      api.all(path`/projects/${project.id}/drawing-sets`, signal).then((items) => items.forEach((s) => known.sets.set(s.name, s.date))),
    ].map((p) => p.catch(() => null)); // suggestions only
    try {
      const drawings = await api.all(where, signal);
      drawings.forEach(learn);
      fill(draftsBox, existingDrafts(drawings));
    } catch {
      // suggestions only: the upload works without them
    }
    await Promise.allSettled(extra);
    refreshLists();
    files.forEach((f) => f.hint());
  })();

  // -- the fields every file of this batch shares ------------------------------------------------------------
  const batch = {
    set: h("input", { type: "text", id: "batch-set", list: "sets-list", maxlength: 200, dir: "auto" }),
    setDate: h("input", { type: "date", id: "batch-set-date" }),
    status: h("input", { type: "text", id: "batch-status", maxlength: 64, placeholder: "e.g. For construction", dir: "auto" }),
    drawingDate: h("input", { type: "date", id: "batch-drawing-date" }),
    receivedDate: h("input", { type: "date", id: "batch-received-date" }),
  };
  batch.set.addEventListener("change", () => {
    const date = known.sets.get(batch.set.value.trim());
    if (date) batch.setDate.value = date;
  });
  const field = (label, input, note = null) => h("div", { class: "field" }, h("label", { for: input.id }, label), input, note);

  // -- adding files ----------------------------------------------------------------------------------------
  const add = (list) => {
    for (const file of list) {
      const upload = new FileUpload(api, project.id, file, () => entry.refresh());
      const entry = fileCard(ctx, upload, known, { retry: () => retry(entry), remove: () => remove(entry), changed: () => updateOverall() });
      files.push(entry);
      cards.append(entry.card);
      queue.add(upload);
    }
    updateOverall();
  };
  const retry = (entry) => {
    if (entry.upload.failedAt === "save") saveOne(entry);
    else queue.add(entry.upload);
  };
  const remove = (entry) => {
    if (["queued", "uploading"].includes(entry.upload.state)) entry.upload.cancel();
    entry.card.remove();
    files.splice(files.indexOf(entry), 1);
    updateOverall();
  };

  const picker = h("input", { type: "file", id: "file-input", multiple: true, accept: ACCEPT, class: "sr-only-input" });
  picker.addEventListener("change", () => {
    add([...picker.files]);
    picker.value = "";
  });
  const drop = h(
    "div",
    { class: "dropzone", dataset: { drop: "files" } },
    h("p", { class: "drop-words" }, "Drop PDF sheets here"),
    h("p", { class: "muted drop-or" }, "or"),
    h("label", { for: "file-input", class: "button primary" }, "Choose files…"),
    picker,
    h("p", { class: "muted small" }, "PDF, PNG, JPEG or TIFF, up to 5 GB each. Number and title are read from the file's name, as in “A-101 Ground floor plan.pdf”."),
  );
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    add([...((event.dataTransfer && event.dataTransfer.files) || [])]);
  });

  // -- progress of the whole batch ---------------------------------------------------------------------------
  const overallBar = h("progress", { max: 1, value: 0, "aria-label": "All files" });
  const overallText = h("span", {});
  overall.append(overallBar, overallText);
  const saveButton = h("button", { type: "button" }, "Save as drafts");
  const publishSelected = h("button", { type: "button", class: "primary" }, "Publish selected");
  const publishAll = h("button", { type: "button" }, "Publish all");
  const bar = h(
    "div",
    { class: "actions upload-actions", hidden: true },
    access.may.publish ? h("label", { class: "select-all" }, select, " Select every file") : null,
    saveButton,
    access.may.publish ? [publishSelected, publishAll] : h("span", { class: "muted" }, "A Drawings admin of the project publishes drafts."),
  );
  const updateOverall = () => {
    const live = files.map((f) => f.upload).filter((u) => u.state !== "cancelled");
    overall.hidden = bar.hidden = live.length === 0;
    const total = live.reduce((n, u) => n + u.total, 0);
    const loaded = live.reduce((n, u) => n + Math.min(u.loaded, u.total), 0);
    overallBar.max = Math.max(total, 1);
    overallBar.value = loaded;
    const sent = live.filter((u) => !["queued", "uploading"].includes(u.state) && !(u.state === "failed" && u.failedAt !== "save")).length;
    const failed = live.filter((u) => u.state === "failed").length;
    fill(overallText, `${sent} of ${plural(live.length, "file")} uploaded · ${bytes(loaded)} of ${bytes(total)}`, failed ? h("span", { class: "bad" }, ` · ${failed} failed`) : null);
    const ready = live.filter((u) => ["uploaded", "draft"].includes(u.state));
    saveButton.disabled = !live.some((u) => u.state === "uploaded");
    publishAll.disabled = ready.length === 0;
    const chosen = files.filter((f) => f.selected() && ["uploaded", "draft"].includes(f.upload.state));
    publishSelected.disabled = chosen.length === 0;
    fill(publishSelected, `Publish selected (${chosen.length})`);
    fill(publishAll, ready.length ? `Publish all ${ready.length}` : "Publish all");
    select.checked = files.length > 0 && files.every((f) => f.selected());
  };
  select.addEventListener("change", () => {
    files.forEach((f) => f.select(select.checked));
    updateOverall();
  });

  // -- drafts, then publishing -------------------------------------------------------------------------------
  const fieldsOf = (entry) => {
    const values = entry.values();
    const body = { number: values.number, title: values.title, revision_number: values.revision, discipline: { name: values.discipline } };
    if (values.area) body.area = { name: values.area };
    const set = batch.set.value.trim();
    if (set) body.drawing_set = { name: set, date: batch.setDate.value || known.sets.get(set) };
    if (batch.status.value.trim()) body.status = batch.status.value.trim();
    if (batch.drawingDate.value) body.drawing_date = batch.drawingDate.value;
    if (batch.receivedDate.value) body.received_date = batch.receivedDate.value;
    return body;
  };
  const saveOne = async (entry) => {
    if (!entry.valid()) return null;
    if (batch.set.value.trim() && !batch.setDate.value && !known.sets.get(batch.set.value.trim())) {
      fill(problem, errorBox(new Error("A new set needs its date: fill in the set's date above.")));
      batch.setDate.focus();
      return null;
    }
    const revision = await entry.upload.save(fieldsOf(entry));
    updateOverall();
    return revision;
  };
  const saveAll = async (entries) => {
    fill(problem);
    const saved = [];
    for (const entry of entries) {
      if (entry.upload.state === "draft") saved.push(entry.upload.revision);
      else if (entry.upload.state === "uploaded") {
        const revision = await saveOne(entry);
        if (revision) saved.push(revision);
      }
    }
    return saved;
  };
  saveButton.addEventListener("click", async () => {
    await act(saveButton, async () => {
      const saved = await saveAll(files.filter((f) => f.upload.state === "uploaded"));
      if (saved.length) flash("ok", `${plural(saved.length, "draft")} saved. ${access.may.publish ? "Publish them when they are ready." : "A Drawings admin of the project publishes them."}`);
    });
    updateOverall(); // after act, which enables its button again
  });
  const publish = async (button, entries) => {
    await act(
      button,
      async () => {
        const drafts = await saveAll(entries);
        const expected = entries.filter((e) => ["uploaded", "draft", "failed"].includes(e.upload.state)).length;
        if (drafts.length === 0) return;
        const ids = drafts.map((r) => r.id);
        for (let i = 0; i < ids.length; i += PUBLISH_AT_ONCE) {
          await api.post(path`/projects/${project.id}/drawing-revisions/publish`, { revision_ids: ids.slice(i, i + PUBLISH_AT_ONCE) });
        }
        for (const entry of entries) {
          if (entry.upload.state === "draft") entry.upload.set("published");
        }
        forgetRegister();
        updateOverall();
        flash("ok", `Published ${plural(ids.length, "drawing revision")}${expected > ids.length ? `; ${expected - ids.length} not ready` : ""}.`);
      },
      problem,
    );
    updateOverall();
  };
  publishSelected.addEventListener("click", () => publish(publishSelected, files.filter((f) => f.selected())));
  publishAll.addEventListener("click", () => publish(publishAll, files.slice()));

  return h(
    "section",
    { class: "card upload" },
    h("h2", {}, "Upload drawings"),
    lists,
    drop,
    h(
      "fieldset",
      { class: "batch" },
      h("legend", {}, "For every file"),
      field("Set", batch.set),
      field("Set date", batch.setDate),
      field("Status", batch.status),
      field("Drawing date", batch.drawingDate),
      field("Received date", batch.receivedDate),
    ),
    overall,
    bar,
    problem,
    cards,
    access.may.publish ? draftsBox : null,
  );

  /** Drafts saved before (this page or another time), publishable from here too. */
  function existingDrafts(drawings) {
    const drafts = drawings.flatMap((d) => (d.drafts || []).map((r) => ({ ...r, drawing: d })));
    if (drafts.length === 0) return null;
    const button = h("button", { type: "button" }, `Publish these ${plural(drafts.length, "draft")}`);
    const box = h("div", { class: "problem" });
    button.addEventListener("click", () =>
      act(
        button,
        async () => {
          const ids = drafts.map((r) => r.id);
          for (let i = 0; i < ids.length; i += PUBLISH_AT_ONCE) {
            await api.post(path`/projects/${project.id}/drawing-revisions/publish`, { revision_ids: ids.slice(i, i + PUBLISH_AT_ONCE) });
          }
          forgetRegister();
          flash("ok", `Published ${plural(ids.length, "drawing revision")}.`);
          ctx.refresh();
        },
        box,
      ),
    );
    return h(
      "section",
      { class: "drafts" },
      h("h3", {}, "Drafts saved earlier"),
      h("ul", {}, drafts.slice(0, 50).map((r) => h("li", {}, thumbnail(r, "small"), h("strong", {}, said(r.number)), " ", said(r.title), ` · Rev ${r.revision_number}`))),
      drafts.length > 50 ? h("p", { class: "muted" }, `and ${drafts.length - 50} more`) : null,
      h("div", { class: "actions" }, button),
      box,
    );
  }
}

/** One file's card: name, progress, state, the fields of its sheet, and its own Retry, Cancel and Remove. */
function fileCard(ctx, upload, known, { retry, remove, changed }) {
  const n = fileCard.count = (fileCard.count || 0) + 1;
  const guess = suggest(upload.file.name);
  const id = (name) => `file-${n}-${name}`;
  const input = (name, value, extra = {}) => h("input", { type: "text", id: id(name), name, value, dir: "auto", required: true, ...extra });
  const inputs = {
    number: input("number", guess.number, { maxlength: 64 }),
    title: input("title", guess.title, { maxlength: 300 }),
    revision: input("revision", "1", { maxlength: 64, class: "short" }),
    discipline: input("discipline", "", { list: "disciplines-list", maxlength: 64 }),
    area: input("area", "", { list: "areas-list", maxlength: 200, required: false }),
  };
  const touched = new Set();
  for (const [name, el] of Object.entries(inputs)) {
    el.addEventListener("input", () => {
      touched.add(name);
      if (name === "number") hint();
    });
  }
  const pick = h("input", { type: "checkbox", "aria-label": `Select ${upload.file.name}`, checked: true });
  pick.addEventListener("change", changed);
  const bar = h("progress", { max: 1, value: 0, "aria-label": `Upload of ${upload.file.name}` });
  const state = h("span", { class: "state", role: "status" });
  const buttons = h("span", { class: "file-actions" });
  const note = h("p", { class: "sheet-hint" });
  const check = h("div", { class: "check" });
  const field = (label, el) => h("div", { class: "field" }, h("label", { for: el.id }, label), el, h("span", { class: "field-error", id: `${el.id}-error` }));
  const fieldsBox = h("div", { class: "file-fields" }, field("Number", inputs.number), field("Title", inputs.title), field("Revision", inputs.revision), field("Discipline", inputs.discipline), field("Area", inputs.area));
  const card = h(
    "article",
    { class: "file", dataset: { file: upload.file.name } },
    h("header", {}, ctx.access.may.publish ? pick : null, h("span", { class: "name" }, said(upload.file.name)), h("span", { class: "muted size" }, bytes(upload.file.size)), state, buttons),
    bar,
    fieldsBox,
    note,
    check,
  );

  /** New drawing, or the next revision of one the project has: then its revision, discipline and area follow. */
  const hint = () => {
    const drawing = known.byNumber.get(inputs.number.value.trim().toLowerCase());
    if (drawing) {
      const current = drawing.current_revision;
      fill(note, h("span", { class: "mark arrival arrival-new_revision" }, "New revision"), ` of ${drawing.number}`, current ? ` (now Rev ${current.revision_number})` : " (drafts only so far)");
      if (!touched.has("revision") && current) inputs.revision.value = nextRevision(current.revision_number) || inputs.revision.value;
      if (!touched.has("discipline")) inputs.discipline.value = drawing.discipline.name;
      if (!touched.has("area") && drawing.area) inputs.area.value = drawing.area.name;
      if (!touched.has("title") && !inputs.title.value) inputs.title.value = drawing.title;
    } else {
      fill(note, inputs.number.value.trim() ? h("span", { class: "mark arrival arrival-new_drawing" }, "New drawing") : "");
      if (!touched.has("discipline")) inputs.discipline.value = guessDiscipline(inputs.number.value, [...known.disciplines]);
    }
  };
  hint();

  const refresh = () => {
    const u = upload;
    bar.max = Math.max(u.total, 1);
    bar.value = Math.min(u.loaded, u.total);
    const percent = u.total ? Math.round((100 * Math.min(u.loaded, u.total)) / u.total) : 0;
    fill(state, u.state === "uploading" ? `Uploading ${percent}%` : STATE_WORDS[u.state], u.state === "failed" ? [": ", u.error] : null);
    state.className = `state state-${u.state}`;
    card.dataset.state = u.state;
    const locked = !["queued", "uploading", "uploaded", "failed"].includes(u.state) || (u.state === "failed" && u.failedAt === "type");
    Object.values(inputs).forEach((el) => (el.disabled = locked));
    fill(
      buttons,
      ["queued", "uploading"].includes(u.state) ? h("button", { type: "button", onclick: () => u.cancel() }, "Cancel") : null,
      u.state === "failed" && u.failedAt !== "type" ? h("button", { type: "button", onclick: retry }, "Retry") : null,
      ["cancelled", "failed", "uploaded", "queued"].includes(u.state) ? h("button", { type: "button", class: "link", onclick: remove, "aria-label": `Remove ${u.file.name}` }, "Remove") : null,
    );
    pick.disabled = u.state === "published";
    const refusedKind = u.state === "failed" && u.failedAt === "type";
    fieldsBox.hidden = refusedKind || Boolean(u.revision); // nothing to fill in for a file that cannot go
    bar.hidden = refusedKind;
    if (refusedKind) fill(note);
    if (u.revision) {
      const r = u.revision;
      // Saved: the sheet's fields as a line, with the way to its page.
      fieldsBox.hidden = true;
      fill(
        note,
        h("strong", {}, said(r.number)),
        " ",
        said(r.title),
        ` · Rev ${r.revision_number} · `,
        said(r.discipline.name),
        r.area ? [" · ", said(r.area.name)] : null,
        " ",
        h("a", { href: route("project", ctx.project.id, "drawings", r.drawing_id) }, "Open the drawing"),
      );
      const words = r.file.state === "checking" ? "being checked" : "checked";
      const thumb = r.thumbnail ? { pending: "preview being made", ready: "preview ready", unavailable: `no preview: ${r.thumbnail.reason || "unreadable"}` }[r.thumbnail.state] : null;
      fill(check, thumbnail(r, "small"), h("span", { class: pendingCheck(r) ? "muted" : "" }, `File ${words}`, thumb ? ` · ${thumb}` : ""));
    }
    changed();
  };
  refresh();

  const valid = () => {
    let ok = true;
    for (const [name, el] of Object.entries(inputs)) {
      const missing = el.required && !el.value.trim();
      el.setAttribute("aria-invalid", missing ? "true" : "false");
      el.setAttribute("aria-describedby", `${el.id}-error`);
      fill(card.querySelector(`#${CSS.escape(el.id)}-error`), missing ? `${name[0].toUpperCase()}${name.slice(1)} is needed` : "");
      if (missing && ok) {
        el.focus();
        ok = false;
      }
    }
    return ok;
  };
  return {
    upload,
    card,
    refresh,
    hint,
    valid,
    selected: () => !ctx.access.may.publish || pick.checked,
    select: (on) => (pick.checked = on),
    values: () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()])),
  };
}
