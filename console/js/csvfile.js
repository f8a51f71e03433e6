// A list the API answers as CSV, downloaded as one file: its pages fetched with the token (a plain link to the
// API cannot carry it), joined under one header row, and saved through a Blob's link.
import { query } from "./api.js";
import { h } from "./dom.js";

const PAGE = 200; // the API's largest page

/**
 * Every CSV page of a list (`format=csv`, each page's `Next-Token` followed) as one text under one header row, at
 * most `cap` entries: {text, count, more} (`more`: entries were left out). `progress(count)` after each page.
 */
export async function csvPages(api, where, filters, cap, progress, signal) {
  let header = "";
  const rows = [];
  let token = null;
  do {
    const page = await api.text(`${where}${query({ ...filters, format: "csv", limit: PAGE, next_token: token })}`, signal);
    const [head, ...entries] = records(page.text);
    const taken = entries.slice(0, cap - rows.length);
    header = header || head || "";
    rows.push(...taken);
    token = page.nextToken;
    progress(rows.length);
    if (rows.length >= cap) return { text: header + rows.join(""), count: rows.length, more: Boolean(token) || taken.length < entries.length };
  } while (token);
  return { text: header + rows.join(""), count: rows.length, more: false };
}

/** A CSV text's records, each with its line end: a line break inside quotes belongs to its cell. */
function records(text) {
  const found = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === "\n" && !quoted) {
      found.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) found.push(text.slice(start));
  return found;
}

/** Save a text as a file: a Blob's link, clicked (the API needs the token, so a plain link to it would not do). */
export function save(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
