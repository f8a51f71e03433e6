// The Connection Manager of one project: its connections on either side, what it can do with each, and requests.
import { badge, duration, fill, h, when } from "./dom.js";
import { act, errorBox, flash, PAGE_SIZE, pagedList } from "./ui.js";

const POLL_MS = 1000;

export function connectionsView(ctx) {
  const list = pagedList({
    load: (token) => ctx.api.page(`/projects/${ctx.project.id}/connections`, token, PAGE_SIZE),
    row: (connection) => connectionCard(ctx, connection),
    empty: "No connections yet.",
  });
  return h(
    "div",
    {},
    h("section", { class: "card" }, h("h2", {}, "Connections"), list),
    h("section", { class: "card" }, h("h2", {}, "Request a connection"), requestSection(ctx)),
  );
}

function requestSection(ctx) {
  const intro = h(
    "p",
    { class: "muted" },
    "Ask an upstream project to share its drawings with this one. Its company approves, or approves every request automatically.",
  );
  return h(
    "div",
    {},
    intro,
    pagedList({
      load: () => ctx.api.get(`/projects/${ctx.project.id}/connectable-projects`),
      row: (target) => {
        const button = h("button", { class: "primary" }, "Request connection");
        button.addEventListener("click", () =>
          act(button, async () => {
            await ctx.api.post(`/projects/${ctx.project.id}/connections`, { upstream_project_id: target.project_id });
            flash("ok", `Connection to ${target.project_name} requested.`);
            ctx.refresh();
          }),
        );
        return h(
          "div",
          { class: "row target", dataset: { project: target.project_id } },
          h("span", {}, h("strong", {}, target.project_name), h("span", { class: "muted" }, ` · ${target.company_name}`)),
          button,
        );
      },
      empty: "No project can be requested from here now.",
    }),
  );
}

function projectLabel(ref, here) {
  return h(
    "span",
    { class: ref.project_id === here ? "project here" : "project" },
    h("strong", {}, ref.project_name),
    h("span", { class: "muted" }, ` · ${ref.company_name}`),
  );
}

export function connectionCard(ctx, connection) {
  const here = ctx.project.id;
  const side = connection.upstream.project_id === here ? "upstream" : "downstream";
  const card = h("article", { class: `connection status-${connection.status}`, dataset: { connection: connection.id } });
  const render = (c) => {
    fill(
      card,
      h(
        "header",
        {},
        projectLabel(c.upstream, here),
        h("span", { class: "arrow", title: "drawings flow this way" }, "→"),
        projectLabel(c.downstream, here),
        badge(c.status),
      ),
      h("p", { class: "muted side" }, `This project is the ${side} one.`),
      history(c),
      c.status === "active" || c.status === "disconnected" ? syncPart(ctx, c, render) : null,
      actions(ctx, c, side, render),
    );
  };
  render(connection);
  return card;
}

function history(c) {
  const lines = [h("li", {}, `Requested by ${c.requested_by} on ${when(c.requested_at)}`)];
  if (c.decided_by) {
    const verb = c.status === "cancelled" ? "Cancelled" : c.status === "rejected" ? "Rejected" : "Approved";
    lines.push(h("li", {}, `${verb} by ${c.decided_by} on ${when(c.decided_at)}`));
  } else if (c.status !== "pending" && c.decided_at) {
    lines.push(h("li", {}, `Approved automatically on ${when(c.decided_at)}`));
  }
  if (c.reason) lines.push(h("li", {}, "Reason: ", h("q", {}, c.reason)));
  if (c.disconnected_by) {
    lines.push(h("li", {}, `Disconnected by ${c.disconnected_by} on ${when(c.disconnected_at)}: `, h("q", {}, c.disconnect_reason)));
  }
  return h("ul", { class: "history" }, lines);
}

function progressBar(sync) {
  const total = sync.total || 0;
  const percent = total ? Math.round((100 * sync.copied) / total) : sync.status === "complete" ? 100 : 0;
  const label =
    sync.status === "complete"
      ? `Initial sync complete: ${sync.copied} of ${total} copied`
      : sync.status === "running"
        ? `Initial sync: ${sync.copied} of ${total} copied`
        : "Initial sync has not started yet";
  return h(
    "div",
    { class: "initial-sync" },
    h(
      "div",
      { class: "bar", role: "progressbar", "aria-label": "Initial sync", "aria-valuemin": 0, "aria-valuemax": total, "aria-valuenow": sync.copied },
      h("div", { class: "fill", style: `width: ${percent}%` }),
    ),
    h("span", { class: "bar-label" }, label),
  );
}

function syncPart(ctx, c, render) {
  const part = h("div", { class: "sync" }, progressBar(c.initial_sync));
  if (c.status === "active" && c.initial_sync.status !== "complete") {
    // Live: read the connection again until its initial sync completes (or the view goes away).
    ctx.later(POLL_MS, async () => {
      try {
        render(await ctx.api.get(`/connections/${c.id}`));
      } catch (error) {
        part.append(errorBox(error));
      }
    });
  }
  part.append(syncStatus(ctx, c));
  return part;
}

const FIGURES = [
  ["upstream_published", "Published upstream"],
  ["copied", "Copied"],
  ["pending_review", "Waiting for review"],
  ["published_downstream", "Published downstream"],
  ["failed", "Failed"],
];

function syncStatus(ctx, c) {
  const box = h("div", { class: "sync-status" }, h("span", { class: "muted" }, "Loading sync status…"));
  ctx.api.get(`/connections/${c.id}/sync-status`).then(
    (s) => {
      fill(
        box,
        h("h3", {}, "Sync status"),
        h(
          "dl",
          { class: "figures" },
          FIGURES.map(([key, label]) => h("div", { class: key === "failed" && s[key] ? "bad" : "" }, h("dt", {}, label), h("dd", {}, s[key]))),
          h("div", {}, h("dt", {}, "Lag of the newest change"), h("dd", {}, duration(s.lag_seconds))),
          h("div", {}, h("dt", {}, "Last synced"), h("dd", {}, when(s.last_synced_at))),
        ),
        s.failures && s.failures.length
          ? h(
              "table",
              { class: "failures" },
              h("thead", {}, h("tr", {}, h("th", {}, "Upstream revision"), h("th", {}, "Error"), h("th", {}, "At"))),
              h("tbody", {}, s.failures.map((f) => h("tr", {}, h("td", {}, f.upstream_revision_id), h("td", {}, f.error), h("td", {}, when(f.at))))),
            )
          : null,
      );
    },
    (error) => {
      if (error.status === 404) {
        fill(
          box,
          h("h3", {}, "Sync status"),
          h("p", { class: "unavailable" }, "Sync status is not available from this API yet."),
          h("p", { class: "muted" }, `The API answered: ${error.message}`),
        );
      } else {
        fill(box, h("h3", {}, "Sync status"), errorBox(error));
      }
    },
  );
  return box;
}

function actions(ctx, c, side, render) {
  const bar = h("div", { class: "actions" });
  const problem = h("div", { class: "problem" });
  const run = (button, path, body, done) =>
    act(
      button,
      async () => {
        const updated = await ctx.api.post(`/connections/${c.id}/${path}`, body);
        flash("ok", done);
        render(updated);
      },
      problem,
    );
  const button = (label, cls, onclick) => {
    const b = h("button", { class: cls }, label);
    b.addEventListener("click", () => onclick(b));
    return b;
  };
  if (c.status === "pending" && side === "upstream") {
    bar.append(
      button("Approve", "primary", (b) => run(b, "approve", {}, `Connection with ${c.downstream.project_name} approved.`)),
      button("Reject…", "", () => fill(form, rejectForm(c, run))),
    );
  }
  if (c.status === "pending" && side === "downstream") {
    bar.append(button("Cancel request", "", (b) => run(b, "cancel", {}, "Request cancelled.")));
  }
  if (c.status === "active") {
    bar.append(button("Disconnect…", "danger", () => fill(form, disconnectForm(c, run, () => fill(form)))));
  }
  const form = h("div", { class: "form-slot" });
  return bar.childElementCount ? h("div", {}, bar, form, problem) : problem;
}

function rejectForm(c, run) {
  const reason = h("input", { type: "text", name: "reason", maxlength: 1000, placeholder: "Reason (optional)" });
  const submit = h("button", { class: "primary" }, "Reject request");
  submit.addEventListener("click", () =>
    run(submit, "reject", reason.value.trim() ? { reason: reason.value.trim() } : {}, "Request rejected."),
  );
  return h("div", { class: "inline-form" }, reason, submit);
}

function disconnectForm(c, run, close) {
  const reason = h("input", { type: "text", name: "reason", maxlength: 1000, placeholder: "Reason (required)" });
  const submit = h("button", { class: "danger" }, "Disconnect for good");
  submit.addEventListener("click", () => run(submit, "disconnect", { reason: reason.value }, "Disconnected."));
  return h(
    "div",
    { class: "inline-form disconnect" },
    h(
      "p",
      { class: "warning", role: "note" },
      h("strong", {}, "This cannot be undone. "),
      `Once disconnected, ${c.downstream.project_name} can never connect again: not to ${c.upstream.project_name}, not to any other project (R16). `,
      "Drawings already copied stay in it; nothing new is copied.",
    ),
    reason,
    submit,
    h("button", { onclick: close }, "Keep the connection"),
  );
}
