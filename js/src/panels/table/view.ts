/**
 * The Table view: one logged table (tag, run, step) as a virtualised grid (only the rows
 * in view exist in the DOM), sort by a header click, filter, image cells as thumbnails,
 * misclassified rows first when the table has truth and prediction columns.
 */
import type { AnyModel } from "@anywidget/types";
import { el, fillSelect, followTheme, frameScheduler } from "../../lib/dom";
import { type MediaEntry, type MediaModel, type MediaState, StepControl } from "../../lib/media";
import { type Order, orderRows, predictionColumns, type TableData } from "./rows";

const ROW_H = 44;
const VIEW_H = 360;

export class TableView {
  private readonly root: HTMLElement;
  private readonly tagSelect: HTMLSelectElement;
  private readonly runSelect: HTMLSelectElement;
  private readonly filter: HTMLInputElement;
  private readonly misclassified: HTMLInputElement;
  private readonly info: HTMLElement;
  private readonly head: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly control: StepControl;
  private readonly order: Order = { filter: "", sortColumn: null, descending: false, misclassifiedFirst: true };
  private entry: MediaEntry | null = null;
  private rows: number[] = [];
  private readonly frame = frameScheduler(() => this.paint());
  private readonly unsub: () => void;
  private readonly unTheme: () => void;

  constructor(model: AnyModel<MediaModel>, host: HTMLElement, private readonly state: MediaState) {
    this.root = el("div", "nbviz-root nbviz-media-root nbviz-table");
    const bar = el("div", "nbviz-media-bar");
    this.tagSelect = el("select", "nbviz-table-tag");
    this.runSelect = el("select", "nbviz-table-run");
    this.filter = el("input", "nbviz-table-filter");
    this.filter.type = "search";
    this.filter.placeholder = "filter rows";
    this.misclassified = el("input", "nbviz-table-wrong");
    this.misclassified.type = "checkbox";
    this.misclassified.checked = true;
    const wrongLabel = el("label", undefined, "misclassified first");
    wrongLabel.append(this.misclassified);
    this.control = new StepControl(() => this.select(), false);
    this.info = el("span", "nbviz-table-info");
    bar.append(el("span", "nbviz-media-title", model.get("title") || "Table"), this.tagSelect, this.runSelect,
      this.control.root, this.filter, wrongLabel, this.info);
    this.head = el("div", "nbviz-table-head");
    this.scroller = el("div", "nbviz-table-scroll");
    this.scroller.style.height = `${VIEW_H}px`;
    this.spacer = el("div", "nbviz-table-spacer");
    this.scroller.append(this.spacer);
    this.root.append(bar, this.head, this.scroller);
    host.append(this.root);
    this.tagSelect.addEventListener("change", () => this.refresh());
    this.runSelect.addEventListener("change", () => this.refresh());
    this.filter.addEventListener("input", () => {
      this.order.filter = this.filter.value;
      this.reorder();
    });
    this.misclassified.addEventListener("change", () => {
      this.order.misclassifiedFirst = this.misclassified.checked;
      this.reorder();
    });
    this.scroller.addEventListener("scroll", () => this.schedule());
    this.unTheme = followTheme(this.root, host);
    this.unsub = state.subscribe((change) => {
      if (change.entries) this.refresh();
      else if (this.entry && change.blobs.includes(this.entry.id)) this.paint();
    });
    this.refresh();
  }

  private refresh(): void {
    fillSelect(this.tagSelect, this.state.tags());
    fillSelect(this.runSelect, this.state.runs(this.tagSelect.value));
    this.control.setSteps(this.state.steps(this.tagSelect.value, this.runSelect.value));
    this.select();
  }

  private table(): TableData | null {
    const m = this.entry?.meta;
    return m ? { columns: m.columns ?? [], types: m.types ?? {}, data: m.data ?? {}, rows: m.rows ?? 0 } : null;
  }

  private select(): void {
    const entry = this.state.at(this.tagSelect.value, this.runSelect.value, this.control.step)[0] ?? null;
    if (entry?.id === this.entry?.id && entry) return this.paint();
    this.entry = entry;
    const t = this.table();
    this.head.replaceChildren();
    if (!t) {
      this.info.textContent = "";
      this.spacer.replaceChildren(el("div", "nbviz-media-empty", "No table logged yet (run.log_table)."));
      return;
    }
    if (this.order.sortColumn && !t.columns.includes(this.order.sortColumn)) this.order.sortColumn = null;
    this.misclassified.disabled = predictionColumns(t) === null;
    for (const column of t.columns) {
      const th = el("div", "nbviz-table-th", column);
      th.dataset.column = column;
      th.title = t.types[column] === "image" ? "" : "sort by this column";
      th.addEventListener("click", () => {
        if (t.types[column] === "image") return;
        if (this.order.sortColumn === column) this.order.descending = !this.order.descending;
        else {
          this.order.sortColumn = column;
          this.order.descending = false;
        }
        this.reorder();
      });
      this.head.append(th);
    }
    if (t.columns.some((c) => t.types[c] === "image")) this.state.want([this.entry!.id]);
    this.reorder();
  }

  private reorder(): void {
    const t = this.table();
    if (!t) return;
    this.rows = orderRows(t, this.order);
    for (const th of this.head.children) {
      const c = (th as HTMLElement).dataset.column;
      (th as HTMLElement).classList.toggle("nbviz-sorted", c === this.order.sortColumn);
      (th as HTMLElement).dataset.dir = c === this.order.sortColumn ? (this.order.descending ? "desc" : "asc") : "";
    }
    const pair = predictionColumns(t);
    const wrong = pair ? Array.from({ length: t.rows }, (_, r) => r).filter((r) => t.data[pair[0]]?.[r] !== t.data[pair[1]]?.[r]).length : null;
    this.info.textContent = `${this.rows.length} of ${t.rows} rows${wrong !== null ? ` · ${wrong} misclassified` : ""}`;
    this.spacer.style.height = `${this.rows.length * ROW_H}px`;
    this.spacer.replaceChildren();
    this.paint();
  }

  private schedule(): void {
    this.frame.request();
  }

  /** Build the rows in view (plus a few), drop the rest. */
  private paint(): void {
    const t = this.table();
    if (!t || !this.entry) return;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_H) - 4);
    const last = Math.min(this.rows.length, first + Math.ceil(VIEW_H / ROW_H) + 8);
    const pair = predictionColumns(t);
    const offsets = (this.entry.meta.image_offsets ?? {}) as Record<string, number[]>;
    this.spacer.replaceChildren();
    for (let i = first; i < last; i++) {
      const r = this.rows[i]!;
      const tr = el("div", "nbviz-table-row");
      tr.style.top = `${i * ROW_H}px`;
      tr.dataset.row = String(r);
      if (pair && t.data[pair[0]]?.[r] !== t.data[pair[1]]?.[r]) tr.classList.add("nbviz-wrong");
      for (const column of t.columns) {
        const td = el("div", "nbviz-table-td");
        if (t.types[column] === "image") {
          const canvas = el("canvas", "nbviz-table-thumb");
          td.append(canvas);
          const o = offsets[column];
          if (o) void this.thumb(canvas, [o[r]!, o[r + 1]!]);
        } else {
          const v = t.data[column]?.[r];
          td.textContent = v === null || v === undefined ? "—" : typeof v === "number" ? String(Number(v.toPrecision(6))) : v;
        }
        tr.append(td);
      }
      this.spacer.append(tr);
    }
    this.root.dataset.firstRow = String(this.rows[first] ?? "");
  }

  private async thumb(canvas: HTMLCanvasElement, slice: [number, number]): Promise<void> {
    if (!this.entry) return;
    const bitmap = await this.state.bitmap(this.entry.id, false, slice);
    if (!bitmap) return;
    const s = (ROW_H - 4) / Math.max(bitmap.width, bitmap.height);
    canvas.width = Math.round(bitmap.width * s);
    canvas.height = Math.round(bitmap.height * s);
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  }

  destroy(): void {
    this.frame.cancel();
    this.unsub();
    this.unTheme();
    this.root.remove();
  }
}
