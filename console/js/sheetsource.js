// What the viewer draws from: a PDF (pdf.js, served with the console under vendor/pdfjs/, never from a CDN) or
// a PNG/JPEG image. Each answers its pages' sizes and renders a page, whole or one region, into a new canvas.

const VENDOR = new URL("../vendor/pdfjs/", import.meta.url);
let pdfjs = null;

async function loadPdfjs() {
  if (!pdfjs) {
    pdfjs = await import(new URL("build/pdf.min.mjs", VENDOR).href);
    pdfjs.GlobalWorkerOptions.workerSrc = new URL("build/pdf.worker.min.mjs", VENDOR).href;
  }
  return pdfjs;
}

export class Cancelled extends Error {}

/** Open a sheet's file. `onProgress(fraction|null)` while it downloads. */
export async function openSheet(url, contentType, onProgress = () => {}) {
  if (contentType && contentType.startsWith("image/") && contentType !== "image/tiff") return openImage(url);
  if (contentType && contentType !== "application/pdf") {
    throw new Error("This kind of file cannot be shown in the browser; download it to open it.");
  }
  const lib = await loadPdfjs();
  const task = lib.getDocument({
    url,
    cMapUrl: new URL("cmaps/", VENDOR).href,
    cMapPacked: true,
    standardFontDataUrl: new URL("standard_fonts/", VENDOR).href,
    wasmUrl: new URL("wasm/", VENDOR).href,
    iccUrl: new URL("iccs/", VENDOR).href,
    enableXfa: false,
  });
  task.onProgress = ({ loaded, total }) => onProgress(total ? loaded / total : null);
  let doc;
  try {
    doc = await task.promise;
  } catch (error) {
    throw new Error(pdfProblem(error));
  }
  const pages = new Map();
  const page = async (n) => {
    if (!pages.has(n)) pages.set(n, doc.getPage(n));
    return pages.get(n);
  };
  return {
    pageCount: doc.numPages,
    /** The page's size in CSS px at zoom 1 (PDF points). */
    async size(n) {
      const vp = (await page(n)).getViewport({ scale: 1 });
      return { width: vp.width, height: vp.height };
    },
    /**
     * Render page `n` at `scale` into a new canvas of `width` x `height` device px, the page's origin at
     * (offsetX, offsetY); `region` omitted: the whole page. Answers {canvas, cancel, done}.
     */
    render(n, scale, region = null) {
      const canvas = document.createElement("canvas");
      let task = null;
      let cancelled = false;
      const done = page(n).then((p) => {
        if (cancelled) throw new Cancelled();
        const vp = p.getViewport({ scale, offsetX: region ? region.offsetX : 0, offsetY: region ? region.offsetY : 0 });
        canvas.width = Math.max(1, Math.ceil(region ? region.width : vp.width));
        canvas.height = Math.max(1, Math.ceil(region ? region.height : vp.height));
        task = p.render({ canvas, viewport: vp, background: "#ffffff" });
        return task.promise.then(
          () => canvas,
          (error) => {
            throw error && error.name === "RenderingCancelledException" ? new Cancelled() : error;
          },
        );
      });
      return {
        canvas,
        done,
        cancel() {
          cancelled = true;
          if (task) task.cancel();
        },
      };
    },
    destroy() {
      task.destroy(); // the loading task ends the document and its worker
    },
  };
}

function pdfProblem(error) {
  const name = error && error.name;
  if (name === "InvalidPDFException") return "This file is not a readable PDF.";
  if (name === "PasswordException") return "This PDF is protected by a password and cannot be shown here.";
  if (name === "MissingPDFException" || name === "ResponseException" || name === "UnexpectedResponseException") {
    return "The file could not be downloaded (its link may have expired): reload the page.";
  }
  return `The sheet could not be opened: ${(error && error.message) || error}`;
}

async function openImage(url) {
  const img = new Image();
  img.crossOrigin = "anonymous";
  img.decoding = "async";
  img.src = url;
  try {
    await img.decode();
  } catch {
    throw new Error("The image could not be loaded (its link may have expired): reload the page.");
  }
  return {
    pageCount: 1,
    async size() {
      return { width: img.naturalWidth, height: img.naturalHeight };
    },
    render(n, scale, region = null) {
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.ceil(region ? region.width : img.naturalWidth * scale));
      canvas.height = Math.max(1, Math.ceil(region ? region.height : img.naturalHeight * scale));
      const context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(img, region ? region.offsetX : 0, region ? region.offsetY : 0, img.naturalWidth * scale, img.naturalHeight * scale);
      return { canvas, done: Promise.resolve(canvas), cancel() {} };
    },
    destroy() {},
  };
}
