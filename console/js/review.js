// Connected drawings waiting for review in this (downstream) project: publish some, or all (R21).
import { h, when } from "./dom.js";
import { act, flash, PAGE_SIZE, pagedList } from "./ui.js";

export function reviewView(ctx) {
  const selected = new Set();
  const problem = h("div", { class: "problem" });
  const count = h("span", { class: "count" }, "0");
  const publishSelected = h("button", { class: "primary", disabled: true }, "Publish selected (", count, ")");
  const publishAll = h("button", {}, "Publish all waiting");
  const update = () => {
    count.textContent = String(selected.size);
    publishSelected.disabled = selected.size === 0;
  };
  const publish = (button, body) =>
    act(
      button,
      async () => {
        const answer = await ctx.api.post(`/projects/${ctx.project.id}/connected-drawings/publish`, body);
        const n = answer.published.length;
        flash("ok", `Published ${n} drawing revision${n === 1 ? "" : "s"}.`);
        ctx.refresh();
      },
      problem,
    );
  publishSelected.addEventListener("click", () => publish(publishSelected, { revision_ids: [...selected] }));
  publishAll.addEventListener("click", () => publish(publishAll, { all: true }));

  const row = (r) => {
    const box = h("input", { type: "checkbox", "aria-label": `Select ${r.number}`, value: r.id });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(r.id);
      else selected.delete(r.id);
      update();
    });
    return h(
      "tr",
      { dataset: { revision: r.id } },
      h("td", {}, box),
      h("td", {}, h("strong", {}, r.number)),
      h("td", {}, r.title),
      h("td", {}, r.revision_number),
      h("td", {}, r.discipline ? r.discipline.name : "—"),
      h("td", {}, r.area ? r.area.name : "—"),
      h("td", {}, when(r.drawing_date || r.received_date)),
    );
  };
  const list = pagedList({
    load: (token) => ctx.api.page(`/projects/${ctx.project.id}/connected-drawings/review`, token, PAGE_SIZE),
    row,
    empty: "Nothing is waiting for review.",
    head: h("tr", {}, ["", "Number", "Title", "Revision", "Discipline", "Area", "Drawing date"].map((t) => h("th", {}, t))),
  });
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Connected drawings waiting for review"),
    h("p", { class: "muted" }, "Copies from the upstream project. Nobody else in this project sees them until they are published."),
    h("div", { class: "actions" }, publishSelected, publishAll),
    problem,
    list,
  );
}

