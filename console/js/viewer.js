// The sheet viewer: zoom, pan, pinch, double-tap, fit to width, and keys for all of it. Large sheets (A0) render
// progressively: a quick low-resolution pass of the whole page, a sharper one, then only the visible area at the
// zoom shown. Markers (markup pins) sit on the sheet at fractions of the page; `pick()` asks for a point.
import { fill, h } from "./dom.js";
import { Cancelled, openSheet } from "./sheetsource.js";

const PASSES = [768, 2048]; // the whole page's longer side, in device px, pass after pass
const MAX_ZOOM = 8; // CSS px per PDF point
const SETTLE_MS = 140; // after the last move, the visible area is sharpened
const TAP_PX = 8;
const DOUBLE_TAP_MS = 320;

export function createViewer({ label, signal, tallest = 0.72 }) {
  const stage = h("div", {
    class: "stage",
    tabindex: "0",
    role: "application",
    "aria-roledescription": "sheet viewer",
    "aria-label": label,
    "aria-describedby": "viewer-keys",
  });
  const layer = h("div", { class: "layer" });
  const markers = h("div", { class: "markers" });
  const status = h("div", { class: "viewer-status", role: "status" }, "Loading the sheet…");
  const crosshair = h("div", { class: "crosshair", hidden: true, "aria-hidden": "true" });
  stage.append(layer, markers, crosshair, status);
  const zoomText = h("output", { class: "zoom-level", "aria-live": "off" }, "—");
  const pageText = h("span", { class: "page-of" });
  const tool = (text, title, onclick, extra = {}) => h("button", { type: "button", title, "aria-label": title, onclick, ...extra }, text);
  const prev = tool("‹", "Previous page", () => showPage(pageNo - 1), { hidden: true });
  const next = tool("›", "Next page", () => showPage(pageNo + 1), { hidden: true });
  const toolbar = h(
    "div",
    { class: "viewer-tools", role: "toolbar", "aria-label": "Viewer" },
    tool("−", "Zoom out", () => zoomBy(1 / 1.4)),
    zoomText,
    tool("+", "Zoom in", () => zoomBy(1.4)),
    tool("Fit width", "Fit width", () => fit("width")),
    tool("Whole sheet", "Fit the whole sheet", () => fit("page")),
    prev,
    pageText,
    next,
  );
  const keys = h(
    "p",
    { id: "viewer-keys", class: "sr-only" },
    "Plus and minus zoom, arrow keys pan, 0 fits the width, W shows the whole sheet. On a touch screen: pinch to zoom, drag to pan, double-tap to zoom in.",
  );
  const el = h("div", { class: "viewer", dataset: { state: "loading" } }, toolbar, stage, keys);

  let sheet = null;
  let pageNo = 1;
  let size = { width: 1, height: 1 };
  let view = { s: 1, x: 0, y: 0 }; // CSS px per point; the page's origin in the stage
  let fitting = "page"; // keep fitting on resize until the user zooms
  let base = null; // {canvas, scale}
  let sharp = null; // {canvas, s, x, y}
  let work = []; // render tasks to cancel
  let settle = 0;
  let shown = [];
  let picking = null;
  let opening = 0;

  const dpr = () => window.devicePixelRatio || 1;
  const box = () => ({ w: stage.clientWidth || 1, h: stage.clientHeight || 1 });
  const fitScale = (how) => {
    const { w, h: hh } = box();
    const width = w / size.width;
    return how === "width" ? width : Math.min(width, hh / size.height);
  };

  /** Keep the page on screen: centred when smaller than the stage, edges never inside it when larger. */
  const clamp = (v) => {
    const { w, h: hh } = box();
    const s = Math.min(MAX_ZOOM, Math.max(fitScale("page") * 0.5, v.s));
    const pw = size.width * s;
    const ph = size.height * s;
    const x = pw <= w ? (w - pw) / 2 : Math.min(0, Math.max(w - pw, v.x));
    const y = ph <= hh ? (hh - ph) / 2 : Math.min(0, Math.max(hh - ph, v.y));
    return { s, x, y };
  };

  const paint = () => {
    if (base) {
      const k = view.s / base.scale;
      base.canvas.style.transform = `translate(${view.x}px, ${view.y}px) scale(${k})`;
    }
    if (sharp) {
      const k = view.s / sharp.s;
      sharp.canvas.style.transform = `translate(${view.x - sharp.x * k}px, ${view.y - sharp.y * k}px) scale(${k})`;
    }
    for (const m of shown) {
      m.el.style.left = `${view.x + m.x * size.width * view.s}px`;
      m.el.style.top = `${view.y + m.y * size.height * view.s}px`;
    }
    zoomText.value = `${Math.round(view.s * 100)}%`;
  };

  const setView = (v, { keepFit = false } = {}) => {
    view = clamp(v);
    if (!keepFit) fitting = null;
    paint();
    clearTimeout(settle);
    settle = setTimeout(sharpen, SETTLE_MS);
  };

  const zoomAt = (factor, cx, cy) => {
    const s = Math.min(MAX_ZOOM, Math.max(fitScale("page") * 0.5, view.s * factor));
    setView({ s, x: cx - ((cx - view.x) * s) / view.s, y: cy - ((cy - view.y) * s) / view.s });
  };
  const zoomBy = (factor) => {
    const { w, h: hh } = box();
    zoomAt(factor, w / 2, hh / 2);
  };
  const fit = (how) => {
    const s = fitScale(how);
    setView({ s, x: 0, y: 0 }, { keepFit: true });
    fitting = how;
  };

  const cancelWork = () => {
    for (const task of work) task.cancel();
    work = [];
  };

  /** The visible area at the zoom shown, when the whole-page pass is not sharp enough for it. */
  const sharpen = async () => {
    if (!sheet || !base) return;
    const ratio = dpr();
    if (view.s * ratio <= base.scale * 1.05) {
      if (sharp) sharp.canvas.remove();
      sharp = null;
      return;
    }
    const { w, h: hh } = box();
    const task = sheet.render(pageNo, view.s * ratio, { offsetX: view.x * ratio, offsetY: view.y * ratio, width: w * ratio, height: hh * ratio });
    work.push(task);
    const at = { ...view };
    try {
      const canvas = await task.done;
      canvas.className = "sharp";
      canvas.style.width = `${w}px`;
      canvas.style.height = `${hh}px`;
      canvas.style.transformOrigin = "0 0";
      canvas.style.transform = "none";
      if (sharp) sharp.canvas.replaceWith(canvas);
      else layer.append(canvas);
      sharp = { canvas, s: at.s, x: at.x, y: at.y };
      paint();
    } catch (error) {
      if (!(error instanceof Cancelled)) console.warn("sharpening failed", error);
    } finally {
      work = work.filter((t) => t !== task);
    }
  };

  /** Whole-page passes, coarse to fine: each replaces the one before as soon as it is drawn. */
  const renderPasses = async () => {
    const ratio = dpr();
    const longest = Math.max(size.width, size.height);
    const wanted = Math.max(fitScale("width") * ratio, 1);
    const scales = PASSES.map((px) => Math.min(px / longest, wanted * 1.5));
    const unique = scales.filter((s, i) => i === 0 || s > scales[i - 1] * 1.2);
    for (const scale of unique) {
      const task = sheet.render(pageNo, scale);
      work.push(task);
      try {
        const canvas = await task.done;
        canvas.className = "base";
        canvas.style.transformOrigin = "0 0";
        if (base) base.canvas.replaceWith(canvas);
        else layer.prepend(canvas);
        base = { canvas, scale };
        paint();
        el.dataset.state = "ready";
        status.hidden = true;
      } catch (error) {
        if (error instanceof Cancelled) return;
        throw error;
      } finally {
        work = work.filter((t) => t !== task);
      }
    }
    sharpen();
  };

  const showPage = async (n) => {
    if (!sheet || n < 1 || n > sheet.pageCount) return;
    cancelWork();
    pageNo = n;
    size = await sheet.size(n);
    if (base) base.canvas.remove();
    if (sharp) sharp.canvas.remove();
    base = sharp = null;
    prev.hidden = next.hidden = sheet.pageCount < 2;
    prev.disabled = n === 1;
    next.disabled = n === sheet.pageCount;
    fill(pageText, sheet.pageCount > 1 ? `Page ${n} of ${sheet.pageCount}` : "");
    // The stage as tall as the sheet at its width (a landscape sheet on a phone wastes no screen), within bounds.
    const tall = (box().w * size.height) / size.width + 24;
    stage.style.height = `${Math.round(Math.min(window.innerHeight * tallest, Math.max(window.innerHeight * 0.4, tall)))}px`;
    fit(fitting || "page");
    placeMarkers();
    await renderPasses();
  };

  // -- markers ---------------------------------------------------------------------------------------------
  let allMarkers = [];
  const placeMarkers = () => {
    shown = allMarkers.filter((m) => (m.page || 1) === pageNo);
    markers.replaceChildren(...shown.map((m) => m.el));
    paint();
  };

  // -- pointers: pan, pinch, taps ----------------------------------------------------------------------------
  const pointers = new Map();
  let gesture = null;
  let lastTap = null;
  const local = (event) => {
    const r = stage.getBoundingClientRect();
    return { x: event.clientX - r.left, y: event.clientY - r.top };
  };
  const pair = () => {
    const [a, b] = [...pointers.values()];
    return { mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, dist: Math.hypot(a.x - b.x, a.y - b.y) || 1 };
  };
  stage.addEventListener("pointerdown", (event) => {
    if (event.target.closest(".marker")) return; // a pin's own button
    stage.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, local(event));
    if (pointers.size === 1) gesture = { kind: "pan", start: local(event), view: { ...view }, at: performance.now(), moved: false };
    else if (pointers.size === 2) gesture = { kind: "pinch", ...pair(), view: { ...view }, moved: true };
  });
  stage.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, local(event));
    if (gesture.kind === "pan" && pointers.size === 1) {
      const p = local(event);
      const dx = p.x - gesture.start.x;
      const dy = p.y - gesture.start.y;
      if (Math.hypot(dx, dy) > TAP_PX) gesture.moved = true;
      if (gesture.moved) setView({ ...gesture.view, x: gesture.view.x + dx, y: gesture.view.y + dy });
    } else if (gesture.kind === "pinch" && pointers.size === 2) {
      const now = pair();
      const s = gesture.view.s * (now.dist / gesture.dist);
      const k = s / gesture.view.s;
      setView({ s, x: now.mid.x - (gesture.mid.x - gesture.view.x) * k, y: now.mid.y - (gesture.mid.y - gesture.view.y) * k });
    }
  });
  const up = (event) => {
    if (!pointers.has(event.pointerId)) return;
    const p = local(event);
    pointers.delete(event.pointerId);
    if (gesture && gesture.kind === "pan" && !gesture.moved && event.type === "pointerup") tap(p);
    gesture = pointers.size === 1 ? { kind: "pan", start: [...pointers.values()][0], view: { ...view }, moved: true } : null;
  };
  stage.addEventListener("pointerup", up);
  stage.addEventListener("pointercancel", up);

  const tap = (p) => {
    if (picking) {
      picked(p);
      return;
    }
    const now = performance.now();
    if (lastTap && now - lastTap.at < DOUBLE_TAP_MS && Math.hypot(p.x - lastTap.x, p.y - lastTap.y) < 30) {
      lastTap = null;
      if (view.s > fitScale("width") * 3) fit("width");
      else zoomAt(2, p.x, p.y);
    } else lastTap = { ...p, at: now };
  };

  stage.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const p = local(event);
      const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      zoomAt(Math.exp(-delta * (event.ctrlKey ? 0.01 : 0.0015)), p.x, p.y);
    },
    { passive: false },
  );

  stage.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const step = event.shiftKey ? 240 : 60;
    const actions = {
      "+": () => zoomBy(1.4),
      "=": () => zoomBy(1.4),
      "-": () => zoomBy(1 / 1.4),
      _: () => zoomBy(1 / 1.4),
      0: () => fit("width"),
      w: () => fit("page"),
      W: () => fit("page"),
      ArrowLeft: () => setView({ ...view, x: view.x + step }),
      ArrowRight: () => setView({ ...view, x: view.x - step }),
      ArrowUp: () => setView({ ...view, y: view.y + step }),
      ArrowDown: () => setView({ ...view, y: view.y - step }),
      PageUp: () => showPage(pageNo - 1),
      PageDown: () => showPage(pageNo + 1),
      Enter: () => picking && picked({ x: box().w / 2, y: box().h / 2 }),
      " ": () => picking && picked({ x: box().w / 2, y: box().h / 2 }),
      Escape: () => picking && picked(null),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  // -- picking a point (for a pin) ---------------------------------------------------------------------------
  const picked = (p) => {
    const done = picking;
    picking = null;
    crosshair.hidden = true;
    el.classList.remove("picking");
    if (!done) return;
    if (!p) return done(null);
    const x = (p.x - view.x) / (size.width * view.s);
    const y = (p.y - view.y) / (size.height * view.s);
    done(x >= 0 && x <= 1 && y >= 0 && y <= 1 ? { page: pageNo, x: round(x), y: round(y) } : null);
  };

  const resized = new ResizeObserver(() => {
    if (!sheet) return;
    if (fitting) fit(fitting);
    else setView(view);
  });
  resized.observe(stage);
  signal.addEventListener("abort", () => {
    resized.disconnect();
    cancelWork();
    clearTimeout(settle);
    if (sheet) sheet.destroy();
  });

  return {
    el,
    /** Open a file: `url` of the sheet (a presigned GET), its content type. */
    async open(url, contentType) {
      cancelWork();
      if (sheet) sheet.destroy(); // another revision: its document and worker go
      sheet = null;
      fitting = "page";
      el.dataset.state = "loading";
      status.hidden = false;
      fill(status, "Loading the sheet…");
      const mine = (opening += 1);
      try {
        const loaded = await openSheet(url, contentType, (f) => fill(status, f === null ? "Loading the sheet…" : `Loading the sheet… ${Math.round(f * 100)}%`));
        if (signal.aborted || mine !== opening) return loaded.destroy(); // gone, or another file asked for since
        sheet = loaded;
        await showPage(1);
      } catch (error) {
        el.dataset.state = "failed";
        fill(status, h("span", { class: "error-text" }, error.message));
        status.hidden = false;
      }
    },
    /** Markers: [{page, x, y, el}] with x, y fractions of the page. */
    setMarkers(list) {
      allMarkers = list;
      for (const m of list) m.el.classList.add("marker");
      placeMarkers();
    },
    /** Ask for a point of the sheet: a tap or click, or Enter for the centre; null if cancelled. */
    pick() {
      if (picking) picked(null);
      return new Promise((resolve) => {
        picking = resolve;
        crosshair.hidden = false;
        el.classList.add("picking");
        stage.focus();
      });
    },
    cancelPick: () => picked(null),
    /** Centre the view on a point of the sheet (fractions), on its page. */
    async centreOn(page, x, y) {
      if (page !== pageNo) await showPage(page);
      const { w, h: hh } = box();
      setView({ ...view, x: w / 2 - x * size.width * view.s, y: hh / 2 - y * size.height * view.s });
    },
    get pageNo() {
      return pageNo;
    },
  };
}

const round = (n) => Math.round(n * 10000) / 10000;
