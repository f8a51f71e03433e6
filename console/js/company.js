// A company's page, for its company admins: every connection of its projects, either side, its webhooks, and its
// activity (the audit trail).
import { path } from "./api.js";
import { auditView } from "./audit.js";
import { badge, h, said, when } from "./dom.js";
import { progressLabel } from "./connections.js";
import { headings, PAGE_SIZE, pagedList } from "./ui.js";
import { webhooksView } from "./webhooks.js";

export function companyView(ctx, company) {
  const progress = (s) => (s.status === "not_started" ? "—" : progressLabel(s).replace(/^Initial sync( complete)?: /, ""));
  const connections = h(
    "section",
    { class: "card company-connections" },
    h("h1", { class: "in-card" }, "Every connection of ", said(company.company_name)),
    pagedList({
      load: (token) => ctx.api.page(path`/companies/${company.company_id}/connections`, token, PAGE_SIZE, ctx.signal),
      row: (c) =>
        h(
          "tr",
          { dataset: { connection: c.id } },
          h("td", {}, said(c.upstream.project_name), h("div", { class: "muted" }, said(c.upstream.company_name))),
          h("td", {}, said(c.downstream.project_name), h("div", { class: "muted" }, said(c.downstream.company_name))),
          h("td", {}, badge(c.status)),
          h("td", {}, when(c.requested_at), h("div", { class: "muted" }, said(c.requested_by_name || c.requested_by))),
          h("td", {}, progress(c.initial_sync)),
        ),
      empty: "No project of this company has a connection.",
      head: headings(["Upstream", "Downstream", "Status", "Requested", "Initial sync"]),
    }),
  );
  const activity = auditView(ctx, {
    where: path`/companies/${company.company_id}/audit`,
    key: "company-audit",
    file: `audit-${company.company_id}.csv`,
    projects: ctx.projectNames,
  });
  return h("div", { class: "company-page" }, connections, webhooksView(ctx, company), activity);
}
