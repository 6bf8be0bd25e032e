/**
 * Row logic of the Table panel (pure): which columns are truth / prediction, the row
 * order after filter, sort and "misclassified first".
 */

export type Cell = number | string | null;
export interface TableData {
  columns: string[];
  types: Record<string, string>;
  data: Record<string, Cell[]>;
  rows: number;
}

const TRUE_NAMES = ["true", "label", "target", "y_true", "truth", "gt", "ground_truth"];
const PRED_NAMES = ["pred", "prediction", "predicted", "y_pred", "output"];

/** [truth column, prediction column] when the table has both (by name), else null. */
export function predictionColumns(t: TableData): [string, string] | null {
  const find = (names: string[]) => t.columns.find((c) => names.includes(c.toLowerCase()) && t.types[c] !== "image");
  const a = find(TRUE_NAMES);
  const b = find(PRED_NAMES);
  return a && b ? [a, b] : null;
}

export interface Order {
  filter: string;
  sortColumn: string | null;
  descending: boolean;
  misclassifiedFirst: boolean;
}

function compare(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

/** Row indices shown, in order. */
export function orderRows(t: TableData, o: Order): number[] {
  const text = o.filter.trim().toLowerCase();
  const cols = t.columns.filter((c) => t.types[c] !== "image");
  let rows = Array.from({ length: t.rows }, (_, i) => i);
  if (text) rows = rows.filter((r) => cols.some((c) => String(t.data[c]?.[r] ?? "").toLowerCase().includes(text)));
  const pair = o.misclassifiedFirst ? predictionColumns(t) : null;
  const wrong = (r: number) => (pair ? (t.data[pair[0]]?.[r] !== t.data[pair[1]]?.[r] ? 0 : 1) : 0);
  const sorted = o.sortColumn && t.types[o.sortColumn] !== "image" ? t.data[o.sortColumn] ?? null : null;
  rows.sort((a, b) => {
    const w = wrong(a) - wrong(b);
    if (w) return w;
    if (sorted) {
      const c = compare(sorted[a] ?? null, sorted[b] ?? null);
      if (c) return o.descending ? -c : c;
    }
    return a - b;
  });
  return rows;
}
