/**
 * The Images view: per tag a grid of runs × samples at one step (slider, exact step,
 * play), drawn lazily for the visible cells only, with masks, boxes, brightness,
 * contrast and a grey-level window; a click opens the viewer (actual size, zoom/pan synchronised, compare modes).
 */
import type { AnyModel } from "@anywidget/types";
import { el, followTheme } from "../../lib/dom";
import { type MediaEntry, type MediaModel, type MediaState, StepControl, uniqueSorted } from "../../lib/media";
import { classColor, colorMask, differencePixels, fitSize, visibleBoxes, windowPixels } from "./draw";

export type CompareMode = "side" | "overlay" | "difference" | "swipe";

interface Cell {
  tag: string;
  run: string;
  sample: number;
  holder: HTMLElement;
  canvas: HTMLCanvasElement;
  video: HTMLImageElement | null;
  visible: boolean;
  drawn: string;
}

const THUMB = 112;
const PREFETCH = 3;
/** windowed images kept (native size) while one window is set */
const MAX_WINDOWED = 256;

/** A canvas of `bitmap` with its RGBA pixels mapped by `recolor`; null without a 2D context. */
function repaint(
  bitmap: ImageBitmap | HTMLCanvasElement,
  recolor: (pixels: Uint8ClampedArray) => Uint8ClampedArray<ArrayBuffer>,
): HTMLCanvasElement | null {
  const canvas = el("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  ctx.putImageData(new ImageData(recolor(data.data), canvas.width, canvas.height), 0, 0);
  return canvas;
}

export class ImagesView {
  private readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly control: StepControl;
  private readonly cells: Cell[] = [];
  private readonly observer: IntersectionObserver | null;
  private readonly masks = new Map<number, HTMLCanvasElement>();
  private readonly unsub: () => void;
  private readonly unTheme: () => void;
  private readonly brightness: HTMLInputElement;
  private readonly contrast: HTMLInputElement;
  private readonly windowLow: HTMLInputElement;
  private readonly windowHigh: HTMLInputElement;
  private readonly windowText: HTMLElement;
  /** entry id -> its image with the current grey-level window applied */
  private readonly windowed = new Map<number, HTMLCanvasElement>();
  private readonly showMasks: HTMLInputElement;
  private readonly maskOpacity: HTMLInputElement;
  private readonly threshold: HTMLInputElement;
  private readonly thresholdText: HTMLElement;
  private readonly classBar: HTMLElement;
  private readonly mode: HTMLSelectElement;
  private readonly compareOpacity: HTMLInputElement;
  private readonly hiddenClasses = new Set<number>([0]);
  private layoutKey = "";
  private drawToken = 0;
  private viewer: Viewer | null = null;

  constructor(private readonly model: AnyModel<MediaModel>, host: HTMLElement, private readonly state: MediaState) {
    this.root = el("div", "nbviz-root nbviz-media-root nbviz-images");
    const bar = el("div", "nbviz-media-bar");
    const title = el("span", "nbviz-media-title", model.get("title") || "Images");
    this.control = new StepControl(() => this.drawAll());
    const range = (cls: string, min: number, max: number, step: number, value: number) => {
      const input = el("input", cls);
      input.type = "range";
      input.min = String(min);
      input.max = String(max);
      input.step = String(step);
      input.value = String(value);
      return input;
    };
    const labelled = (text: string, input: HTMLElement, extra?: HTMLElement) => {
      const label = el("label", undefined, text);
      label.append(input);
      if (extra) label.append(extra);
      return label;
    };
    this.brightness = range("nbviz-images-brightness", 0.2, 3, 0.05, 1);
    this.contrast = range("nbviz-images-contrast", 0.2, 3, 0.05, 1);
    this.windowLow = range("nbviz-images-window-low", 0, 255, 1, 0);
    this.windowHigh = range("nbviz-images-window-high", 0, 255, 1, 255);
    this.windowLow.title = "grey level shown as black";
    this.windowHigh.title = "grey level shown as white";
    this.windowText = el("span", "nbviz-images-window-value", "0–255");
    const toneReset = el("button", "nbviz-images-tone-reset", "reset");
    toneReset.title = "reset brightness, contrast and the grey-level window";
    this.showMasks = el("input", "nbviz-images-masks");
    this.showMasks.type = "checkbox";
    this.showMasks.checked = true;
    this.maskOpacity = range("nbviz-images-mask-opacity", 0, 1, 0.05, 0.5);
    this.threshold = range("nbviz-images-threshold", 0, 1, 0.01, 0);
    this.thresholdText = el("span", "nbviz-images-threshold-value", "0.00");
    this.mode = el("select", "nbviz-images-mode");
    for (const [value, text] of [["side", "side by side"], ["overlay", "overlay"], ["difference", "difference"], ["swipe", "swipe"]] as const) {
      const o = el("option", undefined, text);
      o.value = value;
      this.mode.append(o);
    }
    this.compareOpacity = range("nbviz-images-compare-opacity", 0, 1, 0.01, 0.5);
    this.classBar = el("span", "nbviz-images-classes");
    bar.append(title, this.control.root);
    const bar2 = el("div", "nbviz-media-bar");
    const windowLabel = labelled("window", this.windowLow, this.windowHigh);
    windowLabel.append(this.windowText);
    bar2.append(labelled("brightness", this.brightness), labelled("contrast", this.contrast), windowLabel, toneReset,
      labelled("masks", this.showMasks), labelled("opacity", this.maskOpacity), this.classBar,
      labelled("box score ≥", this.threshold, this.thresholdText),
      labelled("compare", this.mode), labelled("mix", this.compareOpacity));
    this.body = el("div", "nbviz-images-body");
    this.root.append(bar, bar2, this.body);
    host.append(this.root);
    for (const input of [this.brightness, this.contrast, this.showMasks, this.maskOpacity, this.threshold]) {
      input.addEventListener("input", () => {
        this.thresholdText.textContent = Number(this.threshold.value).toFixed(2);
        this.redraw();
      });
    }
    const windowChanged = () => {
      this.windowText.textContent = `${this.windowLow.value}–${this.windowHigh.value}`;
      this.windowed.clear();
      this.redraw();
    };
    for (const input of [this.windowLow, this.windowHigh]) input.addEventListener("input", windowChanged);
    toneReset.addEventListener("click", () => {
      this.brightness.value = "1";
      this.contrast.value = "1";
      this.windowLow.value = "0";
      this.windowHigh.value = "255";
      windowChanged();
    });
    for (const input of [this.mode, this.compareOpacity]) input.addEventListener("input", () => this.viewer?.draw());
    this.observer = typeof IntersectionObserver === "undefined" ? null : new IntersectionObserver((items) => {
      let changed = false;
      for (const item of items) {
        const cell = this.cells.find((c) => c.holder === item.target);
        if (cell && cell.visible !== item.isIntersecting) {
          cell.visible = item.isIntersecting;
          changed = true;
        }
      }
      if (changed) this.drawAll();
    }, { rootMargin: "200px" });
    this.unTheme = followTheme(this.root, host);
    this.unsub = state.subscribe((change) => {
      if (change.entries) this.layout();
      if (change.blobs.length) this.drawAll();
    });
    this.layout();
  }

  /** Every tag's steps (union): the slider's positions. */
  private allSteps(): number[] {
    const out: number[] = [];
    for (const tag of this.state.tags()) out.push(...this.state.steps(tag));
    return uniqueSorted(out);
  }

  /** (Re)build the grid when tags, runs or sample counts change; then draw. */
  private layout(): void {
    const maxSamples = this.model.get("max_samples") || 16;
    const shape: [string, string, number][] = [];
    for (const tag of this.state.tags()) {
      for (const run of this.state.runs(tag)) {
        let samples = 0;
        for (const step of this.state.steps(tag, run)) samples = Math.max(samples, this.state.at(tag, run, step).length);
        shape.push([tag, run, Math.min(samples, maxSamples)]);
      }
    }
    const key = JSON.stringify(shape);
    this.control.setSteps(this.allSteps());
    this.updateClasses();
    if (key === this.layoutKey) return this.drawAll();
    this.layoutKey = key;
    for (const c of this.cells) this.observer?.unobserve(c.holder);
    this.cells.length = 0;
    this.body.replaceChildren();
    if (!shape.length) {
      this.body.append(el("div", "nbviz-media-empty", "No images logged yet (run.log_image / writer.add_image)."));
      return;
    }
    let section: HTMLElement | null = null;
    let lastTag = "";
    for (const [tag, run, samples] of shape) {
      if (tag !== lastTag) {
        this.body.append(el("div", "nbviz-media-tag", tag));
        section = el("div", "nbviz-images-grid");
        section.dataset.tag = tag;
        this.body.append(section);
        lastTag = tag;
      }
      const row = el("div", "nbviz-images-row");
      row.append(el("div", "nbviz-images-run", run));
      for (let sample = 0; sample < samples; sample++) {
        const holder = el("div", "nbviz-images-cell");
        const canvas = el("canvas", "nbviz-images-thumb");
        canvas.dataset.run = run;
        canvas.dataset.tag = tag;
        canvas.dataset.sample = String(sample);
        holder.append(canvas);
        const cell: Cell = { tag, run, sample, holder, canvas, video: null, visible: this.observer === null, drawn: "" };
        holder.addEventListener("click", () => this.open(cell));
        row.append(holder);
        this.cells.push(cell);
        this.observer?.observe(holder);
      }
      section!.append(row);
    }
    this.drawAll();
  }

  private updateClasses(): void {
    const names = new Map<number, string>();
    for (const e of this.state.entries.values()) {
      if (!e.meta.has_mask) continue;
      const cn = (e.meta.class_names ?? {}) as Record<string, string>;
      for (const [k, v] of Object.entries(cn)) names.set(Number(k), v);
    }
    const key = JSON.stringify([...names]);
    if (this.classBar.dataset.key === key) return;
    this.classBar.dataset.key = key;
    this.classBar.replaceChildren();
    for (const [index, name] of [...names].sort((a, b) => a[0] - b[0])) {
      const chip = el("button", "nbviz-images-class", name);
      const [r, g, b] = classColor(index);
      chip.style.borderColor = `rgb(${r},${g},${b})`;
      chip.dataset.cls = String(index);
      const sync = () => chip.classList.toggle("nbviz-off", this.hiddenClasses.has(index));
      sync();
      chip.title = "show / hide this class";
      chip.addEventListener("click", () => {
        if (this.hiddenClasses.has(index)) this.hiddenClasses.delete(index);
        else this.hiddenClasses.add(index);
        sync();
        this.masks.clear();
        this.redraw();
      });
      this.classBar.append(chip);
    }
  }

  private redraw(): void {
    for (const c of this.cells) c.drawn = "";
    this.drawAll();
    this.viewer?.draw();
  }

  /** Draw the visible cells at the current step; ask for missing bytes (and prefetch). */
  drawAll(): void {
    const step = this.control.step;
    const token = ++this.drawToken;
    const want: number[] = [];
    const jobs: Promise<void>[] = [];
    let missing = 0;
    const steps = this.control.steps;
    const at = steps.indexOf(step);
    const ahead = at >= 0 ? steps.slice(at + 1, at + 1 + PREFETCH) : [];
    for (const cell of this.cells) {
      if (!cell.visible) continue;
      const entry = this.state.at(cell.tag, cell.run, step)[cell.sample];
      if (!entry) continue;
      want.push(entry.id);
      for (const s of ahead) {
        const e = this.state.at(cell.tag, cell.run, s)[cell.sample];
        if (!e) continue;
        want.push(e.id);
        if (this.state.blobs.has(e.id) && e.kind === "image") void this.state.bitmap(e.id); // decode ahead
      }
      if (!this.state.blobs.has(entry.id)) {
        missing++;
        continue;
      }
      jobs.push(this.drawCell(cell, entry));
    }
    this.state.want(want);
    void Promise.all(jobs).then(() => {
      // every visible cell shows this step: what tests and the scrub benchmark wait for
      if (token === this.drawToken && missing === 0 && this.root.dataset.drawnStep !== String(step)) {
        this.root.dataset.drawnStep = String(step);
        this.root.dispatchEvent(new CustomEvent("nbviz:drawn", { detail: step }));
      }
    });
    this.viewer?.setStep(step);
  }

  private async drawCell(cell: Cell, entry: MediaEntry): Promise<void> {
    const key = `${entry.id}`;
    if (cell.drawn === key) return;
    const meta = entry.meta;
    const [w, h] = fitSize(meta.width, meta.height, THUMB);
    if (entry.kind === "video") {
      if (!cell.video) {
        cell.video = el("img", "nbviz-images-video");
        cell.canvas.hidden = true;
        cell.holder.append(cell.video);
      }
      cell.video.src = this.state.url(entry.id) ?? "";
      cell.video.style.width = `${w}px`;
      cell.video.style.height = `${h}px`;
      cell.drawn = key;
      return;
    }
    const bitmap = await this.state.bitmap(entry.id);
    if (!bitmap) return;
    const mask = meta.has_mask ? await this.maskCanvas(entry) : null;
    const canvas = cell.canvas;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const drawn = this.paint(ctx, entry, bitmap, mask, w / meta.width);
    canvas.dataset.id = String(entry.id);
    canvas.dataset.step = String(entry.step);
    canvas.dataset.boxes = String(drawn);
    cell.drawn = key;
  }

  /** The image with filters, mask and boxes at `scale`; returns the number of boxes drawn. */
  paint(ctx: CanvasRenderingContext2D, entry: MediaEntry, bitmap: ImageBitmap, mask: HTMLCanvasElement | null,
        scale: number, offset: [number, number] = [0, 0]): number {
    const meta = entry.meta;
    const w = meta.width * scale;
    const h = meta.height * scale;
    ctx.save();
    ctx.imageSmoothingEnabled = scale < 1;
    const plain = this.brightness.value === "1" && this.contrast.value === "1";
    if (!plain) ctx.filter = `brightness(${this.brightness.value}) contrast(${this.contrast.value})`;
    // the window maps grey values first; brightness/contrast act on its result
    ctx.drawImage(this.windowedImage(entry.id, bitmap), offset[0], offset[1], w, h); // canvas filters are slow: only when set
    if (!plain) ctx.filter = "none";
    if (mask && this.showMasks.checked) {
      ctx.globalAlpha = Number(this.maskOpacity.value);
      ctx.drawImage(mask, offset[0], offset[1], w, h);
      ctx.globalAlpha = 1;
    }
    const boxes = visibleBoxes(meta, Number(this.threshold.value));
    ctx.lineWidth = 2;
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "top";
    for (const b of boxes) {
      const [r, g, bl] = b.color;
      const color = `rgb(${r},${g},${bl})`;
      const x = offset[0] + b.x0 * scale;
      const y = offset[1] + b.y0 * scale;
      ctx.strokeStyle = color;
      ctx.strokeRect(x, y, (b.x1 - b.x0) * scale, (b.y1 - b.y0) * scale);
      const text = b.label + (b.score !== null ? ` ${b.score.toFixed(2)}` : "");
      if (text.trim()) {
        const tw = ctx.measureText(text).width + 4;
        ctx.fillStyle = color;
        ctx.fillRect(x, y - 13 < 0 ? y : y - 13, tw, 13);
        ctx.fillStyle = "#000";
        ctx.fillText(text, x + 2, (y - 13 < 0 ? y : y - 13) + 1);
      }
    }
    ctx.restore();
    return boxes.length;
  }

  /** The image with the grey-level window applied (native size, cached per id); the bitmap itself for 0–255. */
  private windowedImage(id: number, bitmap: ImageBitmap): ImageBitmap | HTMLCanvasElement {
    const low = Number(this.windowLow.value);
    const high = Number(this.windowHigh.value);
    if (low === 0 && high === 255) return bitmap;
    const cached = this.windowed.get(id);
    if (cached) return cached;
    const canvas = repaint(bitmap, (px) => windowPixels(px, low, high));
    if (!canvas) return bitmap;
    this.windowed.set(id, canvas);
    if (this.windowed.size > MAX_WINDOWED) this.windowed.delete(this.windowed.keys().next().value!);
    return canvas;
  }

  async maskCanvas(entry: MediaEntry): Promise<HTMLCanvasElement | null> {
    const cached = this.masks.get(entry.id);
    if (cached) return cached;
    const bitmap = await this.state.bitmap(entry.id, true);
    if (!bitmap) return null;
    const canvas = repaint(bitmap, (px) => colorMask(px, this.hiddenClasses));
    if (!canvas) return null;
    this.masks.set(entry.id, canvas);
    return canvas;
  }

  private open(cell: Cell): void {
    this.viewer?.destroy();
    this.viewer = new Viewer(this, this.state, cell.tag, cell.sample, this.runsOf(cell.tag), () => (this.viewer = null));
    this.root.append(this.viewer.root);
    this.viewer.setStep(this.control.step);
  }

  runsOf(tag: string): string[] {
    return this.state.runs(tag);
  }

  get compareMode(): CompareMode {
    return this.mode.value as CompareMode;
  }

  get mix(): number {
    return Number(this.compareOpacity.value);
  }

  get steps(): number[] {
    return this.control.steps;
  }

  destroy(): void {
    this.control.stop();
    this.observer?.disconnect();
    this.unsub();
    this.unTheme();
    this.viewer?.destroy();
    this.root.remove();
  }
}

/**
 * The viewer: one sample of one tag at actual size for every run (or, with one run, this
 * step and the previous one), zoom (wheel) and pan (drag) shared by all, in a compare mode.
 */
class Viewer {
  readonly root: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly caption: HTMLElement;
  private zoom = 1;
  private pan: [number, number] = [0, 0];
  private swipe = 0.5;
  private step = 0;
  private canvases: HTMLCanvasElement[] = [];

  constructor(private readonly view: ImagesView, private readonly state: MediaState, private readonly tag: string,
              private readonly sample: number, private readonly runs: string[], private readonly onClose: () => void) {
    this.root = el("div", "nbviz-images-viewer");
    const head = el("div", "nbviz-media-bar");
    this.caption = el("span", "nbviz-images-caption");
    const reset = el("button", undefined, "1:1");
    reset.title = "actual size";
    reset.addEventListener("click", () => {
      this.zoom = 1;
      this.pan = [0, 0];
      this.draw();
    });
    const close = el("button", "nbviz-images-close", "✕");
    close.title = "close the viewer (Esc)";
    close.addEventListener("click", () => this.destroy());
    head.append(this.caption, reset, close);
    this.stage = el("div", "nbviz-images-stage");
    this.root.append(head, this.stage);
    this.root.tabIndex = 0;
    this.root.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.destroy();
    });
  }

  /** What is compared: (label, entry) pairs. */
  private targets(): [string, MediaEntry | undefined][] {
    if (this.runs.length >= 2) return this.runs.map((run) => [run, this.state.at(this.tag, run, this.step)[this.sample]]);
    const run = this.runs[0] ?? "";
    const steps = this.state.steps(this.tag, run);
    const i = steps.indexOf(this.step);
    const prev = i > 0 ? steps[i - 1]! : this.step;
    return [[`${run} · step ${this.step}`, this.state.at(this.tag, run, this.step)[this.sample]],
            [`${run} · step ${prev}`, this.state.at(this.tag, run, prev)[this.sample]]];
  }

  setStep(step: number): void {
    this.step = step;
    this.state.want(this.targets().flatMap(([, e]) => (e ? [e.id] : [])));
    this.draw();
  }

  async draw(): Promise<void> {
    const targets = this.targets();
    const mode = this.view.compareMode;
    const count = mode === "side" ? targets.length : 1;
    this.caption.textContent = `${this.tag} · sample ${this.sample} · step ${this.step} · ${mode === "side" ? "side by side" : `${targets[0]?.[0] ?? ""} vs ${targets[1]?.[0] ?? "—"}`}`;
    if (this.canvases.length !== count) {
      this.stage.replaceChildren();
      this.canvases = [];
      for (let i = 0; i < count; i++) {
        const figure = el("figure", "nbviz-images-figure");
        const canvas = el("canvas", "nbviz-images-large");
        figure.append(canvas, el("figcaption"));
        this.stage.append(figure);
        this.attach(canvas);
        this.canvases.push(canvas);
      }
    }
    const images = await Promise.all(targets.map(async ([, e]) => (e ? [e, await this.state.bitmap(e.id), e.meta.has_mask ? await this.view.maskCanvas(e) : null] as const : null)));
    const first = images.find((x) => x && x[1]);
    if (!first) return;
    const W = first[0].meta.width;
    const H = first[0].meta.height;
    const size = (canvas: HTMLCanvasElement) => {
      canvas.width = Math.min(640, Math.max(W, 64));
      canvas.height = Math.round(canvas.width * H / W);
      canvas.dataset.zoom = String(this.zoom);
      return canvas.getContext("2d", { willReadFrequently: true });
    };
    const fit = Math.min(640, Math.max(W, 64)) / W; // small images shown larger, never smaller than actual size up to 640 px
    const scale = fit * this.zoom;
    if (mode === "side") {
      this.canvases.forEach((canvas, i) => {
        const ctx = size(canvas);
        const item = images[i];
        (canvas.nextSibling as HTMLElement).textContent = targets[i]?.[0] ?? "";
        if (!ctx || !item || !item[1]) return;
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        this.view.paint(ctx, item[0], item[1], item[2], scale, this.pan);
      });
      return;
    }
    const canvas = this.canvases[0];
    if (!canvas) return;
    const ctx = size(canvas);
    (canvas.nextSibling as HTMLElement).textContent = mode === "difference" ? "|A − B|" : `A: ${targets[0]?.[0] ?? ""}  B: ${targets[1]?.[0] ?? "—"}`;
    if (!ctx) return;
    const a = images[0];
    const b = images[1];
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (a?.[1]) this.view.paint(ctx, a[0], a[1], a[2], scale, this.pan);
    if (!b?.[1]) return;
    if (mode === "overlay") {
      ctx.globalAlpha = this.view.mix;
      this.view.paint(ctx, b[0], b[1], b[2], scale, this.pan);
      ctx.globalAlpha = 1;
    } else if (mode === "swipe") {
      ctx.save();
      ctx.beginPath();
      const x = canvas.width * this.swipe;
      ctx.rect(x, 0, canvas.width - x, canvas.height);
      ctx.clip();
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      this.view.paint(ctx, b[0], b[1], b[2], scale, this.pan);
      ctx.restore();
      ctx.fillStyle = "#fff";
      ctx.fillRect(x - 1, 0, 2, canvas.height);
    } else {
      const A = ctx.getImageData(0, 0, canvas.width, canvas.height);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      this.view.paint(ctx, b[0], b[1], b[2], scale, this.pan);
      const B = ctx.getImageData(0, 0, canvas.width, canvas.height);
      ctx.putImageData(new ImageData(differencePixels(A.data, B.data), canvas.width, canvas.height), 0, 0);
    }
  }

  private attach(canvas: HTMLCanvasElement): void {
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const px = (e.clientX - rect.left) * (canvas.width / rect.width);
      const py = (e.clientY - rect.top) * (canvas.height / rect.height);
      const factor = e.deltaY < 0 ? 1.25 : 0.8;
      const next = Math.min(32, Math.max(0.25, this.zoom * factor));
      const k = next / this.zoom;
      this.pan = [px - (px - this.pan[0]) * k, py - (py - this.pan[1]) * k];
      this.zoom = next;
      void this.draw();
    }, { passive: false });
    let drag: [number, number, number, number] | null = null;
    canvas.addEventListener("pointerdown", (e) => {
      if (this.view.compareMode === "swipe" && e.shiftKey === false) {
        const rect = canvas.getBoundingClientRect();
        this.swipe = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
        void this.draw();
        return;
      }
      drag = [e.clientX, e.clientY, this.pan[0], this.pan[1]];
      canvas.setPointerCapture?.(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const rect = canvas.getBoundingClientRect();
      const s = canvas.width / rect.width;
      this.pan = [drag[2] + (e.clientX - drag[0]) * s, drag[3] + (e.clientY - drag[1]) * s];
      void this.draw();
    });
    canvas.addEventListener("pointerup", () => (drag = null));
  }

  destroy(): void {
    this.root.remove();
    this.onClose();
  }
}
