// Suggestions for a new sheet's fields, from its file's name and what the project has already.

/** "A-101 Ground floor plan.pdf" -> {number: "A-101", title: "Ground floor plan"}. */
export function suggest(filename) {
  const stem = filename.replace(/\.[A-Za-z0-9]{2,4}$/, "").trim();
  const match = stem.match(/^([A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*)(?:\s*[-_–—:]\s*|\s+)(.+)$/);
  if (match && /\d/.test(match[1])) return { number: match[1], title: tidy(match[2]) };
  if (/\d/.test(stem) && !/\s/.test(stem)) {
    const [number, ...rest] = stem.split("_");
    return { number, title: tidy(rest.join(" ")) };
  }
  return { number: "", title: tidy(stem) };
}

function tidy(text) {
  return text.replaceAll("_", " ").replace(/\s+/g, " ").trim();
}

/** The revision after `current`: 3 -> 4, "B" -> "C", "P02" -> "P03"; "" when it cannot tell. */
export function nextRevision(current) {
  if (!current) return "1";
  const digits = current.match(/^(.*?)(\d+)$/);
  if (digits) {
    const n = String(Number(digits[2]) + 1).padStart(digits[2].length, "0");
    return `${digits[1]}${n}`;
  }
  if (/^[A-Ya-y]$/.test(current)) return String.fromCharCode(current.charCodeAt(0) + 1);
  return "";
}

// The United States National CAD Standard's discipline designators (the first letters of a sheet number).
const DESIGNATORS = {
  A: "Architectural",
  C: "Civil",
  D: "Process",
  E: "Electrical",
  F: "Fire protection",
  FP: "Fire protection",
  G: "General",
  H: "Hazardous materials",
  I: "Interiors",
  L: "Landscape",
  M: "Mechanical",
  P: "Plumbing",
  Q: "Equipment",
  R: "Resource",
  S: "Structural",
  T: "Telecommunications",
  V: "Survey",
  X: "Other disciplines",
};

/** A discipline for a sheet number: one the project has that starts like it, else the standard's name. */
export function guessDiscipline(number, known) {
  const letters = (number.match(/^[A-Za-z]+/) || [""])[0].toUpperCase();
  const standard = DESIGNATORS[letters] || DESIGNATORS[letters.slice(0, 1)] || null;
  if (!standard) return "";
  const same = known.find((name) => name.toLowerCase() === standard.toLowerCase());
  return same || standard;
}
