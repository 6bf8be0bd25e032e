/**
 * Regex search over a metadata column: a mask of matching points. Case-insensitive;
 * an invalid regex is matched as a plain substring. Category columns test each
 * category once, then map codes (fast for a million points).
 */
import { compileTagFilter } from "../../lib/tags";
import { columnText, type Column } from "./wire";

/** Case-insensitive regex match; an invalid regex is a plain substring (lib/tags). */
export const compileQuery: (q: string) => (s: string) => boolean = compileTagFilter;

export interface SearchResult {
  mask: Uint8Array;
  count: number;
}

export function searchColumn(c: Column, n: number, query: string): SearchResult {
  const mask = new Uint8Array(n);
  let count = 0;
  if (!query) return { mask, count };
  const test = compileQuery(query);
  if (c.kind === "category") {
    const hit = Uint8Array.from(c.categories, (name) => (test(name) ? 1 : 0));
    for (let i = 0; i < n; i++) {
      const code = c.codes[i]!;
      if (code >= 0 && hit[code]) {
        mask[i] = 1;
        count++;
      }
    }
    return { mask, count };
  }
  for (let i = 0; i < n; i++) {
    if (test(columnText(c, i))) {
      mask[i] = 1;
      count++;
    }
  }
  return { mask, count };
}
