// A revision's thumbnail: the small image of its first page, or a placeholder that says why there is none.
import { h } from "./dom.js";

/**
 * `revision.thumbnail`: {state: pending|ready|unavailable, url, width, height, reason}. `size`: "small" (lists)
 * or "large" (a drawing's page). The image is decorative beside the sheet's number and title (alt="").
 */
export function thumbnail(revision, size = "small") {
  const thumb = revision && revision.thumbnail;
  const cls = `thumb thumb-${size}`;
  if (thumb && thumb.state === "ready" && thumb.url) {
    const img = h("img", {
      class: cls,
      src: thumb.url,
      alt: "",
      loading: "lazy",
      decoding: "async",
      width: thumb.width || null,
      height: thumb.height || null,
    });
    // A link that expired (they last 15 minutes) or a file that went away: the placeholder, not a broken image.
    img.addEventListener("error", () => img.replaceWith(placeholder(cls, "No preview", "The preview could not be loaded.")));
    return img;
  }
  if (thumb && thumb.state === "unavailable") {
    return placeholder(`${cls} thumb-unavailable`, "No preview", thumb.reason || "This file has no preview.");
  }
  if (thumb && thumb.state === "pending") return placeholder(`${cls} thumb-pending`, "Preview coming", "The preview is being made.");
  return placeholder(`${cls} thumb-none`, kindOf(revision), null); // no revision to show (a drawing with drafts only)
}

function kindOf(revision) {
  const type = revision && revision.file && revision.file.content_type;
  if (!type) return "Sheet";
  if (type === "application/pdf") return "PDF";
  return type.replace("image/", "").toUpperCase();
}

/** A small placeholder says its reason to screen readers and on hover; a large one shows it. */
function placeholder(cls, label, reason) {
  const small = cls.includes("thumb-small");
  return h(
    "span",
    { class: `${cls} thumb-placeholder`, title: reason || null },
    h("span", { class: "thumb-label" }, label),
    reason ? h("span", { class: small ? "sr-only" : "thumb-reason" }, `: ${reason}`) : null,
  );
}
