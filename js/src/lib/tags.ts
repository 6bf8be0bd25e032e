/**
 * Tag grouping and filtering.
 *
 * A tag's group is the text before its first "/" ("loss/train" → "loss");
 * a tag without "/" is its own group, as in TensorBoard.
 */

export function tagGroup(tag: string): string {
  const i = tag.indexOf("/");
  return i < 0 ? tag : tag.slice(0, i);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

export function compareNatural(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export interface TagGroup {
  group: string;
  tags: string[];
}

/** Group tags by prefix; groups and tags sorted naturally ("l2" < "l10"). */
export function groupTags(tags: Iterable<string>): TagGroup[] {
  const map = new Map<string, Set<string>>();
  for (const t of tags) {
    const g = tagGroup(t);
    let set = map.get(g);
    if (!set) map.set(g, (set = new Set()));
    set.add(t);
  }
  return [...map.entries()]
    .sort((a, b) => compareNatural(a[0], b[0]))
    .map(([group, set]) => ({ group, tags: [...set].sort(compareNatural) }));
}

export interface TagFilter {
  (tag: string): boolean;
  /** "all" for an empty pattern, "regex" when it compiled, "substring" otherwise */
  readonly kind: "all" | "regex" | "substring";
}

/**
 * Case-insensitive regex filter; an invalid regex falls back to a plain
 * case-insensitive substring match (never throws). Empty pattern = all tags.
 */
export function compileTagFilter(pattern: string | null | undefined): TagFilter {
  const p = (pattern ?? "").trim();
  if (p === "") return Object.assign((_: string) => true, { kind: "all" as const });
  let re: RegExp | null = null;
  try {
    re = new RegExp(p, "i");
  } catch {
    re = null;
  }
  if (re) {
    const r = re;
    return Object.assign((tag: string) => r.test(tag), { kind: "regex" as const });
  }
  const needle = p.toLowerCase();
  return Object.assign((tag: string) => tag.toLowerCase().includes(needle), { kind: "substring" as const });
}
