// Marks a sheet carries wherever it is listed: connected (and from where), obsolete, draft, its arrival.
import { h, said } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

/** The chain-link icon of a connected sheet (decorative: the text beside it says "Connected"). */
function linkIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const line = document.createElementNS(SVG, "path");
  line.setAttribute(
    "d",
    "M6.5 9.5l3-3M7 4.5l1.2-1.2a2.6 2.6 0 013.7 3.7L10.7 8.2M9 11.5l-1.2 1.2a2.6 2.6 0 01-3.7-3.7L5.3 7.8",
  );
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "1.6");
  line.setAttribute("stroke-linecap", "round");
  svg.append(line);
  return svg;
}

/** Where a connected drawing or revision comes from: {project, company} names, or null when not told. */
export function origin(item) {
  const source = (item && (item.source || (item.current_revision && item.current_revision.source))) || null;
  if (!source || !source.upstream_project_name) return null;
  return { project: source.upstream_project_name, company: source.upstream_company_name };
}

/** "Connected · from Harbor Tower (Apex Builders)": on every connected sheet, for every reader. */
export function connectedMark(item, { short = false } = {}) {
  if (!item || !item.connected) return null;
  const from = origin(item);
  return h(
    "span",
    { class: "mark connected", title: from ? `Connected: copied from ${from.project} (${from.company})` : "Connected: copied from the upstream project" },
    linkIcon(),
    h("span", { class: "mark-word" }, "Connected"),
    from && !short ? h("span", { class: "mark-from" }, " from ", said(from.project), from.company ? [" (", said(from.company), ")"] : null) : null,
  );
}

export function obsoleteMark(drawing) {
  return drawing && drawing.obsolete ? h("span", { class: "mark obsolete" }, "Obsolete") : null;
}

/** What a copy waiting for review is to this project. */
export function arrivalMark(revision) {
  const words = { new_drawing: "New drawing", new_revision: "New revision", metadata_change: "Metadata change" }[revision.arrival];
  return words ? h("span", { class: `mark arrival arrival-${revision.arrival}` }, words) : null;
}

/** "Rev 3 · Issued for construction". */
export function revisionLabel(revision) {
  if (!revision) return "No published revision";
  return [`Rev ${revision.revision_number}`, revision.status ? [" · ", said(revision.status)] : null];
}
