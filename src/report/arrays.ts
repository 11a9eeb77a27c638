/**
 * Array helpers for the report, whose stories can hold every packet of a busy capture. Spreading an
 * array into a call (`push(...items)`, `Math.max(...values)`) passes each element as an argument on
 * the stack, and V8 gives up at about 120,000 of them: one long download is more than that.
 */

/** Appends every item of `items` to `to`. */
export function pushAll<T>(to: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) to.push(items[i]);
}

/** As Math.max(start, ...values). */
export function maxOf(values: readonly number[], start = -Infinity): number {
  let m = start;
  for (let i = 0; i < values.length; i++) m = Math.max(m, values[i]);
  return m;
}

/** As Math.min(start, ...values). */
export function minOf(values: readonly number[], start = Infinity): number {
  let m = start;
  for (let i = 0; i < values.length; i++) m = Math.min(m, values[i]);
  return m;
}

/** The first index of `sorted` (ascending by `key`) whose key is at least `value`; its length if none is. */
export function firstAtLeast<T>(sorted: readonly T[], value: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
