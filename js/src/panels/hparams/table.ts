/**
 * The runs table: one row per run (visible, passing the brushes and the text filter),
 * sortable by any column, columns chosen by the user, virtualised (only the rows in
 * view exist in the DOM). Cell text is set with textContent, never HTML.
 */
import type { Table } from "./model";
import { el } from "../../lib/dom";

const ROW = 22;
const HEIGHT = 240;

export function formatCell(table: Table, column: number, row: number): string {
  const info = table.columns[column]!;
  const v = table.values[column]![row]!;
  if (Number.isNaN(v)) return "";
  if (info.kind === "categorical") return info.categories?.[v] ?? String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(5)));
}

/** Row order: indices of `rows` sorted by column `sort` (-1: run name), NaN last. */
export function sortRows(table: Table, rows: number[], sort: number, descending: boolean): number[] {
  const out = [...rows];
  const dir = descending ? -1 : 1;
  if (sort < 0) {
    out.sort((a, b) => dir * table.runs[a]!.localeCompare(table.runs[b]!, undefined, { numeric: true }));
    return out;
  }
  const col = table.values[sort]!;
  const info = table.columns[sort]!;
  out.sort((a, b) => {
    const x = col[a]!;
    const y = col[b]!;
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    if (info.kind === "categorical") {
      const cats = info.categories ?? [];
      return dir * String(cats[x] ?? "").localeCompare(String(cats[y] ?? ""), undefined, { numeric: true });
    }
    return dir * (x - y);
  });
  return out;
}

export interface TableEvents {
  click(run: number, additive: boolean): void;
  hover(run: number | null): void;
}

export class RunsTable {
  readonly root: HTMLDivElement;
  private readonly head: HTMLDivElement;
  private readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly events: TableEvents;
  private table: Table | null = null;
  private columns: number[] = [];
  private rows: number[] = [];
  private sort = -2; // -2: unsorted (table order)
  private descending = false;
  private marked = new Set<number>();

  constructor(parent: HTMLElement, events: TableEvents) {
    this.events = events;
    this.root = el("div", "nbviz-hp-table");
    this.head = el("div", "nbviz-hp-thead");
    this.scroller = el("div", "nbviz-hp-tscroll");
    this.scroller.style.height = `${HEIGHT}px`;
    this.spacer = el("div", "nbviz-hp-tspacer");
    this.scroller.appendChild(this.spacer);
    this.root.append(this.head, this.scroller);
    parent.appendChild(this.root);
    this.scroller.addEventListener("scroll", () => this.renderRows());
    this.scroller.addEventListener("pointerleave", () => this.events.hover(null));
  }

  /** Show `rows` (run indices) with `columns` (column indices). */
  set(table: Table, columns: number[], rows: number[], marked: Set<number>): void {
    this.table = table;
    this.columns = columns;
    this.marked = marked;
    this.rows = this.sort === -2 ? rows : sortRows(table, rows, this.sort, this.descending);
    this.renderHead();
    this.spacer.style.height = `${this.rows.length * ROW}px`;
    this.renderRows();
  }

  /** Run indices in display order (tests read it). */
  order(): number[] {
    return [...this.rows];
  }

  private widths(): string {
    return `minmax(140px, 2fr) ${this.columns.map(() => "minmax(70px, 1fr)").join(" ")}`;
  }

  private renderHead(): void {
    const table = this.table!;
    this.head.replaceChildren();
    this.head.style.gridTemplateColumns = this.widths();
    const cells: [number, string][] = [[-1, "run"], ...this.columns.map((c): [number, string] => [c, table.columns[c]!.name])];
    for (const [c, name] of cells) {
      const arrow = this.sort === c ? (this.descending ? " ▼" : " ▲") : "";
      const cell = el("button", "nbviz-hp-th", `${name}${arrow}`);
      cell.type = "button";
      cell.title = `Sort by ${name}`;
      cell.dataset.column = name;
      cell.addEventListener("click", () => {
        if (this.sort === c) this.descending = !this.descending;
        else {
          this.sort = c;
          this.descending = c >= 0 && table.columns[c]!.role !== "hparam";
        }
        this.set(table, this.columns, this.rows, this.marked);
      });
      this.head.appendChild(cell);
    }
  }

  private renderRows(): void {
    const table = this.table;
    for (const child of Array.from(this.spacer.children)) child.remove();
    if (!table) return;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW) - 2);
    const last = Math.min(this.rows.length, first + Math.ceil(HEIGHT / ROW) + 4);
    for (let p = first; p < last; p++) {
      const i = this.rows[p]!;
      const row = el("div", "nbviz-hp-tr");
      row.style.top = `${p * ROW}px`;
      row.style.gridTemplateColumns = this.widths();
      row.dataset.run = table.runs[i]!;
      if (this.marked.has(i)) row.classList.add("nbviz-hp-marked");
      row.appendChild(el("span", "nbviz-hp-td nbviz-hp-run", table.runs[i]!));
      for (const c of this.columns) row.appendChild(el("span", "nbviz-hp-td", formatCell(table, c, i)));
      row.addEventListener("click", (e) => this.events.click(i, e.shiftKey || e.metaKey || e.ctrlKey));
      row.addEventListener("pointerenter", () => this.events.hover(i));
      this.spacer.appendChild(row);
    }
  }

  destroy(): void {
    this.root.remove();
  }
}
