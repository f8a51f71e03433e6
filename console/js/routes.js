// The console's addresses. Mails link to them, so they stay stable:
// #/project/<project id>/<page>[/<drawing id>] (page: drawings, upload, review, deleted, connections, notifications,
// activity)
// and #/company/<company id>.

export function route(kind, id, tab = null, sub = null) {
  return `#/${kind}/${encodeURIComponent(id)}${tab ? `/${tab}` : ""}${sub ? `/${encodeURIComponent(sub)}` : ""}`;
}

/** Where we are, from the address. */
export function place() {
  const [, kind, id, tab, sub] = location.hash.split("/");
  const decode = (part) => {
    try {
      return part ? decodeURIComponent(part) : null;
    } catch {
      return null;
    }
  };
  return { kind: kind || null, id: decode(id), tab: tab || null, sub: decode(sub) };
}
