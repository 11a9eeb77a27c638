/**
 * A list with one more item, as a new array of exactly that size. V8 grows an array that is pushed
 * to by half its length plus sixteen slots, so a list of one or two made by push() costs 150 bytes;
 * the short lists every open flow and waiting journey keeps (its interfaces, sides, keys, steps)
 * were a tenth of the live heap that way.
 */
export function withItem<T>(list: readonly T[], item: T): T[] {
  return list.concat([item]);
}
