// One file on its way into a project: a presigned PUT straight to S3 (with exactly the headers the API listed,
// by XMLHttpRequest for its progress), then a draft revision, whose file check is followed until it is done.
import { path } from "./api.js";

const TYPES = { pdf: "application/pdf", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", tif: "image/tiff", tiff: "image/tiff" };
const CHECK_EVERY_MS = 1500;
const CHECK_FOR_MS = 180_000;
const PARALLEL = 3;

/** The content type the API accepts for a file, or null. */
export function typeOf(file) {
  if (Object.values(TYPES).includes(file.type)) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return TYPES[ext] || null;
}

/**
 * A file's journey. `state`: queued, uploading, uploaded, saving, draft, published, failed, cancelled.
 * `onchange(this)` after every step and every progress event.
 */
export class FileUpload {
  constructor(api, projectId, file, onchange) {
    Object.assign(this, { api, projectId, file, onchange });
    this.state = "queued";
    this.loaded = 0;
    this.error = null;
    this.failedAt = null; // "upload" or "save": what Retry does again
    this.uploadId = null;
    this.revision = null;
    this.xhr = null;
    this.contentType = typeOf(file);
  }

  get total() {
    return this.file.size;
  }

  set(state, extra = {}) {
    Object.assign(this, { state }, extra);
    this.onchange(this);
  }

  /** The presigned PUT; resolves when the bytes are in S3 (or it failed, or was cancelled). */
  async upload() {
    if (!this.contentType) {
      this.set("failed", { error: "Only PDF, PNG, JPEG and TIFF files can be uploaded.", failedAt: "type" });
      return;
    }
    this.set("uploading", { loaded: 0, error: null, failedAt: null });
    let answer;
    try {
      answer = await this.api.post(path`/projects/${this.projectId}/drawing-uploads`, {
        filename: this.file.name,
        content_type: this.contentType,
        size: this.file.size,
      });
    } catch (error) {
      if (this.state === "cancelled") return;
      this.set("failed", { error: error.message, failedAt: "upload" });
      return;
    }
    if (this.state === "cancelled") return;
    await new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open(answer.method || "PUT", answer.url);
      for (const [name, value] of Object.entries(answer.headers || {})) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => {
        this.loaded = event.loaded;
        this.onchange(this);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) this.set("uploaded", { loaded: this.total, uploadId: answer.upload_id });
        else this.set("failed", { error: storageRefusal(xhr), failedAt: "upload" });
        resolve();
      };
      xhr.onerror = () => {
        this.set("failed", { error: "The file could not be sent to storage (network error, or storage refused this site).", failedAt: "upload" });
        resolve();
      };
      xhr.ontimeout = () => {
        this.set("failed", { error: "Storage did not answer in time.", failedAt: "upload" });
        resolve();
      };
      xhr.onabort = () => resolve();
      xhr.send(this.file);
    });
    this.xhr = null;
  }

  cancel() {
    if (this.xhr) this.xhr.abort();
    this.set("cancelled", { error: null });
  }

  /** The draft revision from the uploaded file and the fields chosen. */
  async save(fields) {
    this.set("saving", { error: null });
    try {
      const revision = await this.api.post(path`/projects/${this.projectId}/drawing-revisions`, { upload_id: this.uploadId, ...fields });
      this.set("draft", { revision, failedAt: null });
      this.follow();
      return revision;
    } catch (error) {
      this.set("failed", { error: error.message, failedAt: "save" });
      return null;
    }
  }

  /** Read the draft again while its file is being checked or its thumbnail made. */
  async follow() {
    const until = Date.now() + CHECK_FOR_MS;
    while (this.revision && Date.now() < until && pendingCheck(this.revision)) {
      await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
      if (this.state === "cancelled") return;
      try {
        const fresh = await this.api.get(path`/projects/${this.projectId}/drawing-revisions/${this.revision.id}`);
        this.revision = { ...fresh, state: this.state === "published" ? "published" : fresh.state };
        this.onchange(this);
      } catch (error) {
        if (error.status === 404) return; // deleted meanwhile: nothing to follow
      }
    }
  }
}

export function pendingCheck(revision) {
  return revision.file.state === "checking" || (revision.thumbnail && revision.thumbnail.state === "pending");
}

function storageRefusal(xhr) {
  const code = (xhr.responseText.match(/<Code>([^<]+)<\/Code>/) || [])[1];
  const words = {
    AccessDenied: "Storage refused the file (access denied): the upload link may have expired; retry.",
    SignatureDoesNotMatch: "Storage refused the file: the upload was not sent as signed; retry.",
    RequestTimeTooSkewed: "Storage refused the file: this device's clock is wrong.",
    EntityTooLarge: "The file is larger than storage accepts.",
    SlowDown: "Storage is busy and asked to slow down; retry in a moment.",
    ServiceUnavailable: "Storage is not available right now; retry in a moment.",
  };
  return words[code] || `Storage answered ${xhr.status}${code ? ` (${code})` : ""}; retry.`;
}

/** Uploads run a few at a time, in the order they were added. */
export function uploadQueue() {
  const waiting = [];
  let active = 0;
  const pump = () => {
    while (active < PARALLEL && waiting.length) {
      const next = waiting.shift();
      if (next.state !== "queued") continue;
      active += 1;
      next.upload().finally(() => {
        active -= 1;
        pump();
      });
    }
  };
  return {
    add(upload) {
      upload.set("queued", { error: null, loaded: 0 });
      waiting.push(upload);
      pump();
    },
  };
}
