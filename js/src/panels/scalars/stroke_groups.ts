/**
 * Which runs of a chart share one stroke: runs of one colour (the palette
 * repeats past its 14 colours) without gaps are one path, so 500 runs cost
 * ~14 strokes per line kind, not 500.
 *
 * @example
 *   strokeGroups([{ color: "#f00", store }, { color: "#f00", store }], false).members; // [[0, 1]]
 */

/** What grouping needs of a chart series. */
export interface GroupableSeries {
  color: string;
  store: { nonFinite: readonly number[]; nonPositive: readonly number[] };
}

/**
 * The stroke groups of a chart: runs of one colour without gaps share a group
 * (in order of first appearance); a run with non-finite values (or, on a log
 * axis, non-positive ones) is a group of its own (`gapped`), clipped around its gaps.
 * `key` changes when the groups' colours or their number change.
 */
export function strokeGroups(
  series: readonly GroupableSeries[],
  logY: boolean,
): { members: number[][]; gapped: boolean[]; key: string } {
  const members: number[][] = [];
  const gappedGroups: boolean[] = [];
  const keys: string[] = [];
  const byColor = new Map<string, number[]>();
  series.forEach((s, si) => {
    const gapped = s.store.nonFinite.length > 0 || (logY && s.store.nonPositive.length > 0);
    let m = gapped ? undefined : byColor.get(s.color);
    if (!m) {
      m = [];
      members.push(m);
      gappedGroups.push(gapped);
      keys.push(gapped ? `${s.color}!` : s.color);
      if (!gapped) byColor.set(s.color, m);
    }
    m.push(si);
  });
  return { members, gapped: gappedGroups, key: keys.join(",") };
}

