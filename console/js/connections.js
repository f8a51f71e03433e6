// The Connection Manager of one project: its connections on either side, what the user can do with each, and
// (for a downstream project's CM admins) requests, or why none can be made.
import { nameOf } from "./access.js";
import { path } from "./api.js";
import { badge, duration, fill, h, said, when } from "./dom.js";
import { act, errorBox, flash, loading, PAGE_SIZE, pagedList } from "./ui.js";

const POLL_MS = 1000;
const LIVE = new Set(["pending", "active"]);

export function connectionsView(ctx) {
  const list = pagedList({
    load: (token) => ctx.api.page(path`/projects/${ctx.project.id}/connections`, token, PAGE_SIZE, ctx.signal),
    row: (connection) => connectionCard(ctx, connection),
    empty: "No connections yet.",
  });
  return h("div", {}, h("section", { class: "card" }, h("h2", {}, "Connections"), list), requestSection(ctx));
}

/** Only a downstream project's CM admins request; where nothing can be requested, say why. */
function requestSection(ctx) {
  const { access, project } = ctx;
  if (!access.may.manageConnections) return null;
  if (access.asUpstream.some((c) => LIVE.has(c.status))) return null; // the upstream side: requests mean nothing here
  const card = (...content) => h("section", { class: "card request" }, h("h2", {}, "Request a connection"), ...content);
  const live = access.asDownstream.find((c) => LIVE.has(c.status));
  if (live) {
    return card(
      h("p", { class: "why" }, "This project already has an upstream: ", said(live.upstream.project_name), ` (${live.status}). A project has one upstream at most.`),
    );
  }
  const gone = access.asDownstream.find((c) => c.status === "disconnected");
  if (gone) {
    return card(h("p", { class: "why" }, "This project was disconnected from ", said(gone.upstream.project_name), " and can never connect again."));
  }
  if (project.status === "inactive") return card(h("p", { class: "why" }, "This project is inactive: an inactive project cannot be connected."));
  const box = h("div");
  loading(
    box,
    () => Promise.all([ctx.api.get(path`/companies/${project.company_id}`, ctx.signal), ctx.api.all(path`/projects/${project.id}/connectable-projects`, ctx.signal)]),
    ([company, targets]) => {
      if (!company.connected_drawings_beta) {
        fill(box, h("p", { class: "why" }, said(company.name), " has not opted in to connected drawings. A company admin of ", said(company.name), " can turn it on."));
        return;
      }
      if (targets.length === 0) {
        fill(
          box,
          h(
            "p",
            { class: "why" },
            "No project can be requested now. You can request a project you can see in the Drawings tool (read-only or more), ",
            "of a company you belong to, that is active and not itself downstream of another project.",
          ),
        );
        return;
      }
      fill(box, targets.map((target) => targetRow(ctx, target)));
    },
  );
  return card(
    h("p", { class: "muted" }, "Ask an upstream project to share its drawings with this one. Its company approves, or approves every request automatically."),
    box,
  );
}

function targetRow(ctx, target) {
  const button = h("button", { class: "primary" }, "Request connection");
  button.addEventListener("click", () =>
    act(button, async () => {
      await ctx.api.post(path`/projects/${ctx.project.id}/connections`, { upstream_project_id: target.project_id });
      flash("ok", `Connection to ${target.project_name} requested.`);
      ctx.render({ again: true });
    }),
  );
  return h(
    "div",
    { class: "row target", dataset: { project: target.project_id } },
    h("span", {}, h("strong", {}, said(target.project_name)), h("span", { class: "muted" }, " · ", said(target.company_name))),
    button,
  );
}

function projectLabel(ref, here) {
  return h("span", { class: ref.project_id === here ? "project here" : "project" }, h("strong", {}, said(ref.project_name)), h("span", { class: "muted" }, " · ", said(ref.company_name)));
}

export function connectionCard(ctx, connection) {
  const here = ctx.project.id;
  const side = connection.upstream.project_id === here ? "upstream" : "downstream";
  const card = h("article", { class: `connection status-${connection.status}`, dataset: { connection: connection.id } });
  const render = (c) => {
    fill(
      card,
      h("header", {}, projectLabel(c.upstream, here), h("span", { class: "arrow", "aria-label": "shares its drawings with" }, "→"), projectLabel(c.downstream, here), badge(c.status)),
      h("p", { class: "muted side" }, `This project is the ${side} one.`),
      history(ctx, c),
      c.status === "active" || c.status === "disconnected" ? syncPart(ctx, c, render) : null,
      actions(ctx, c, side, render),
    );
  };
  render(connection);
  return card;
}

function history(ctx, c) {
  const who = (id, name) => said(nameOf(ctx.access, id, name));
  const lines = [h("li", {}, "Requested by ", who(c.requested_by, c.requested_by_name), ` on ${when(c.requested_at)}`)];
  if (c.decided_by) {
    const verb = c.status === "cancelled" ? "Cancelled" : c.status === "rejected" ? "Rejected" : "Approved";
    lines.push(h("li", {}, `${verb} by `, who(c.decided_by, c.decided_by_name), ` on ${when(c.decided_at)}`));
  } else if (c.status !== "pending" && c.decided_at) {
    lines.push(h("li", {}, `Approved automatically on ${when(c.decided_at)}`));
  }
  if (c.reason) lines.push(h("li", {}, "Reason: ", said(c.reason, "q")));
  if (c.disconnected_by) {
    lines.push(h("li", {}, "Disconnected by ", who(c.disconnected_by, c.disconnected_by_name), ` on ${when(c.disconnected_at)}: `, said(c.disconnect_reason, "q")));
  }
  return h("ul", { class: "history" }, lines);
}

/** The initial sync's bar: it never says "0 of 0" while the total is still being counted. */
export function progressLabel(sync) {
  const copied = sync.copied || 0;
  const total = sync.total || 0;
  if (sync.status === "complete") return `Initial sync complete: ${copied} of ${total} copied`;
  if (sync.status === "running") return total === 0 ? "Counting the drawings to copy…" : `Initial sync: ${copied} of ${total} copied`;
  return "Initial sync has not started yet";
}

function progressBar(sync) {
  const total = sync.total || 0;
  const copied = sync.copied || 0;
  const percent = total ? Math.round((100 * copied) / total) : sync.status === "complete" ? 100 : 0;
  const counting = sync.status === "running" && total === 0;
  return h(
    "div",
    { class: "initial-sync" },
    h(
      "div",
      {
        class: `bar${counting ? " counting" : ""}`,
        role: "progressbar",
        "aria-label": "Initial sync",
        "aria-valuemin": 0,
        "aria-valuemax": total,
        "aria-valuenow": counting ? null : copied,
        "aria-valuetext": progressLabel(sync),
      },
      h("div", { class: "fill", style: `width: ${percent}%` }),
    ),
    h("span", { class: "bar-label" }, progressLabel(sync)),
  );
}

function syncPart(ctx, c, render) {
  const part = h("div", { class: "sync" }, progressBar(c.initial_sync));
  if (c.status === "active" && c.initial_sync.status !== "complete") {
    // Live: read the connection again until its initial sync completes (or the view goes away).
    ctx.later(POLL_MS, async () => {
      try {
        render(await ctx.api.get(path`/connections/${c.id}`, ctx.signal));
      } catch (error) {
        if (error.code !== "aborted") part.append(errorBox(error, () => render(c)));
      }
    });
  }
  if (ctx.access.may.manageConnections) part.append(syncStatus(ctx, c));
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
  const box = h("div", { class: "sync-status" });
  loading(
    box,
    () => ctx.api.get(path`/connections/${c.id}/sync-status`, ctx.signal),
    (s) =>
      fill(
        box,
        h("h3", {}, "Sync status"),
        h(
          "dl",
          { class: "figures" },
          FIGURES.map(([key, label]) => h("div", { class: key === "failed" && s[key] ? "bad" : "" }, h("dt", {}, label), h("dd", {}, s[key] ?? "—"))),
          h("div", {}, h("dt", {}, "Lag of the newest change"), h("dd", {}, duration(s.lag_seconds))),
          h("div", {}, h("dt", {}, "Last synced"), h("dd", {}, when(s.last_synced_at))),
        ),
        s.failures && s.failures.length ? failures(s.failures) : null,
      ),
    "Loading sync status…",
  );
  return box;
}

function failures(list) {
  return h(
    "div",
    { class: "failures" },
    h("h4", {}, "Copies that failed"),
    h(
      "ul",
      {},
      list.map((f) =>
        h(
          "li",
          {},
          h("span", { class: "failure-text" }, readableFailure(f.error)),
          h("span", { class: "muted" }, ` · ${when(f.at)}`),
          h("details", {}, h("summary", {}, "Details"), h("p", {}, "Upstream revision ", h("code", {}, f.upstream_revision_id)), h("pre", {}, f.error)),
        ),
      ),
    ),
  );
}

const KNOWN_FAILURES = [
  [/AccessDenied|Forbidden|\b403\b/, "The downstream storage refused the copy (access denied). It will be retried; if it keeps failing, the buckets' permissions need a look."],
  [/NoSuchKey|NoSuchVersion|NotFound|\b404\b/, "The upstream file is no longer where its manifest says; the copy will be retried and the next change of the sheet repairs it."],
  [/SlowDown|Throttl|RequestLimitExceeded|ProvisionedThroughputExceeded|TooManyRequests|\b503\b/, "The storage asked us to slow down; the copy will be retried shortly."],
  [/Timeout|timed out|EndpointConnectionError|ConnectionError/i, "The storage did not answer in time; the copy will be retried."],
];

/** A failed copy's reason as a sentence (the raw text stays in the details). */
export function readableFailure(raw) {
  const known = KNOWN_FAILURES.find(([pattern]) => pattern.test(raw || ""));
  return known ? known[1] : "The copy failed; it will be retried.";
}

function actions(ctx, c, side, render) {
  const bar = h("div", { class: "actions" });
  const problem = h("div", { class: "problem" });
  if (!ctx.access.may.manageConnections) return problem;
  const run = (button, verb, body, done) =>
    act(
      button,
      async () => {
        const updated = await ctx.api.post(path`/connections/${c.id}/${verb}`, body);
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
  const form = h("div", { class: "form-slot" });
  if (c.status === "pending" && side === "upstream") {
    bar.append(
      button("Approve", "primary", (b) => run(b, "approve", {}, `Connection with ${c.downstream.project_name} approved.`)),
      button("Reject…", "", () => fill(form, rejectForm(run))),
    );
  }
  if (c.status === "pending" && side === "downstream") {
    bar.append(button("Cancel request", "", (b) => run(b, "cancel", {}, "Request cancelled.")));
  }
  if (c.status === "active") {
    bar.append(button("Disconnect…", "danger", () => fill(form, disconnectForm(c, run, () => fill(form)))));
  }
  return bar.childElementCount ? h("div", {}, bar, form, problem) : problem;
}

function rejectForm(run) {
  const reason = h("input", { type: "text", name: "reason", maxlength: 1000, placeholder: "Reason (optional)", "aria-label": "Reason (optional)", dir: "auto" });
  const submit = h("button", { class: "primary" }, "Reject request");
  submit.addEventListener("click", () => run(submit, "reject", reason.value.trim() ? { reason: reason.value.trim() } : {}, "Request rejected."));
  return h("div", { class: "inline-form" }, reason, submit);
}

function disconnectForm(c, run, close) {
  const reason = h("input", { type: "text", name: "reason", maxlength: 1000, placeholder: "Reason (required)", "aria-label": "Reason (required)", dir: "auto" });
  const submit = h("button", { class: "danger" }, "Disconnect for good");
  submit.addEventListener("click", () => run(submit, "disconnect", { reason: reason.value }, "Disconnected."));
  return h(
    "div",
    { class: "inline-form disconnect" },
    h(
      "p",
      { class: "warning", role: "note" },
      h("strong", {}, "This cannot be undone. "),
      "Once disconnected, ",
      said(c.downstream.project_name),
      " can never connect again: not to ",
      said(c.upstream.project_name),
      ", not to any other project. Drawings already copied stay in it; nothing new is copied.",
    ),
    reason,
    submit,
    h("button", { onclick: close }, "Keep the connection"),
  );
}
