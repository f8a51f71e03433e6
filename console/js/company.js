// Every connection of a company, either side, for its company admins (R41).
import { badge, h, when } from "./dom.js";
import { PAGE_SIZE, pagedList } from "./ui.js";

export function companyView(ctx, company) {
  const progress = (s) => (s.status === "not_started" ? "—" : `${s.copied} of ${s.total}${s.status === "complete" ? "" : " (running)"}`);
  return h(
    "section",
    { class: "card" },
    h("h2", {}, `Every connection of ${company.company_name}`),
    pagedList({
      load: (token) => ctx.api.page(`/companies/${company.company_id}/connections`, token, PAGE_SIZE),
      row: (c) =>
        h(
          "tr",
          { dataset: { connection: c.id } },
          h("td", {}, c.upstream.project_name, h("div", { class: "muted" }, c.upstream.company_name)),
          h("td", {}, c.downstream.project_name, h("div", { class: "muted" }, c.downstream.company_name)),
          h("td", {}, badge(c.status)),
          h("td", {}, when(c.requested_at), h("div", { class: "muted" }, c.requested_by)),
          h("td", {}, progress(c.initial_sync)),
        ),
      empty: "No project of this company has a connection.",
      head: h("tr", {}, ["Upstream", "Downstream", "Status", "Requested", "Initial sync"].map((t) => h("th", {}, t))),
    }),
  );
}
