// What the signed-in user may do in one project, from their directory entry and the project's connections:
// the console shows only the pages and actions they may use, and names people instead of showing their ids.
import { path, query } from "./api.js";

const LEVELS = ["none", "read_only", "standard", "admin"];

/** Whether `level` is at least `minimum` (none < read_only < standard < admin). */
export function atLeast(level, minimum) {
  return LEVELS.indexOf(level || "none") >= LEVELS.indexOf(minimum);
}

const LIVE = new Set(["pending", "active"]);
const COPIES = new Set(["active", "disconnected"]);

/**
 * The user's access to `project` ({id, company}): directory entry, tool levels, company adminship, connections
 * (when the user may read them), and the people of the directory by id.
 */
export async function accessTo(api, project, me, signal) {
  const directory = await api.all(path`/projects/${project.id}/directory`, signal);
  const entry = directory.find((e) => e.user_id === me) || null;
  const levels = entry ? entry.permissions : { connection_manager: "none", drawings: "none" };
  const access = {
    me,
    entry,
    cm: levels.connection_manager,
    drawings: levels.drawings,
    companyAdmin: Boolean(project.company && project.company.is_company_admin),
    people: new Map(directory.map((e) => [e.user_id, e])),
    connections: null,
    reviewProbe: false,
  };
  if (entry && atLeast(access.cm, "read_only")) {
    access.connections = (await api.page(path`/projects/${project.id}/connections`, null, 200, signal)).items;
  } else if (entry && access.drawings === "admin") {
    // No right to read connections: whether copies wait for review tells whether this is a downstream project.
    try {
      const page = await api.get(`${path`/projects/${project.id}/connected-drawings/review`}${query({ limit: 1 })}`, signal);
      access.reviewProbe = page.items.length > 0;
    } catch {
      access.reviewProbe = false;
    }
  }
  return describe(access, project);
}

function describe(access, project) {
  const id = project.id;
  const list = access.connections || [];
  const asDownstream = list.filter((c) => c.downstream.project_id === id);
  const asUpstream = list.filter((c) => c.upstream.project_id === id);
  return {
    ...access,
    asDownstream,
    asUpstream,
    /** Copies may come in: it has (or had) an upstream. */
    isDownstream: asDownstream.some((c) => COPIES.has(c.status)) || access.reviewProbe,
    /** It shares its drawings, or is asked to. */
    isUpstream: asUpstream.some((c) => LIVE.has(c.status) || c.status === "disconnected"),
    may: {
      register: atLeast(access.drawings, "read_only"),
      upload: atLeast(access.drawings, "standard"),
      publish: access.drawings === "admin",
      markup: atLeast(access.drawings, "standard"),
      review: access.drawings === "admin" && (asDownstream.some((c) => COPIES.has(c.status)) || access.reviewProbe),
      deleted: access.drawings === "admin",
      connections: atLeast(access.cm, "read_only"),
      manageConnections: access.cm === "admin",
      notifications: access.cm === "admin" || access.drawings === "admin",
      activity: access.cm === "admin",
    },
  };
}

/** A person's name from the directory, else their id. */
export function nameOf(access, userId, fallbackName = null) {
  if (fallbackName) return fallbackName;
  if (!userId) return "—";
  const entry = access && access.people.get(userId);
  return (entry && entry.name) || userId;
}
