/**
 * Exact k nearest neighbours in the page (brute force over the original
 * vectors), matching nbviz.reduce.nearest_neighbors: cosine distance 1 - cos or
 * euclidean, the point itself excluded, nearest first, ties by lower index.
 */
import type { Metric } from "./wire";

export interface Neighbours {
  indices: Int32Array;
  distances: Float32Array;
}

const normCache = new WeakMap<Float32Array, Float32Array>();

function norms(data: Float32Array, n: number, d: number): Float32Array {
  let out = normCache.get(data);
  if (out && out.length === n) return out;
  out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) s += data[o + j]! * data[o + j]!;
    out[i] = Math.sqrt(s) || 1;
  }
  normCache.set(data, out);
  return out;
}

export function nearestNeighbours(data: Float32Array, n: number, d: number, index: number, k: number, metric: Metric): Neighbours {
  if (index < 0 || index >= n) throw new RangeError(`index ${index} outside 0..${n - 1}`);
  const kk = Math.max(0, Math.min(k, n - 1));
  const bestD = new Float64Array(kk).fill(Infinity);
  const bestI = new Int32Array(kk).fill(-1);
  const q = index * d;
  const nq = metric === "cosine" ? norms(data, n, d) : null;
  let sq = 0;
  if (!nq) for (let j = 0; j < d; j++) sq += data[q + j]! * data[q + j]!;
  for (let i = 0; i < n; i++) {
    if (i === index) continue;
    const o = i * d;
    let dist: number;
    if (nq) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += data[o + j]! * data[q + j]!;
      dist = 1 - dot / (nq[i]! * nq[index]!);
    } else {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = data[o + j]! - data[q + j]!;
        s += t * t;
      }
      dist = Math.sqrt(s);
    }
    if (kk === 0 || !(dist < bestD[kk - 1]!)) continue;
    // insertion into the sorted top-k (stable: equal distances keep the lower index first)
    let p = kk - 1;
    while (p > 0 && bestD[p - 1]! > dist) {
      bestD[p] = bestD[p - 1]!;
      bestI[p] = bestI[p - 1]!;
      p--;
    }
    bestD[p] = dist;
    bestI[p] = i;
  }
  return { indices: bestI, distances: Float32Array.from(bestD) };
}
