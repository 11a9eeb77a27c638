/**
 * A hash table from fingerprints (integers below 2^53, fingerprint.ts) to values, on typed arrays:
 * open addressing with linear probing, deletion by backward shift (no tombstones), grown by doubling.
 *
 * Why not a Map: under churn (tens of thousands of live entries, a few hundred thousand inserts and
 * deletes) V8's Map rehashes into a new backing table again and again, and every one of those is
 * promoted to the old generation before it dies: copied twice on the way, then marked and swept
 * there. Here inserting and deleting write into the arrays in place: only growth allocates, and the
 * table grows to twice its largest population only, a few times per run.
 */
export class FingerprintTable<V extends object> {
  /** The key in each cell; only meaningful where `values` holds one. */
  private keys = new Float64Array(0);
  /** The value in each cell, `undefined` for an empty cell: a cell is empty when this is. */
  private values: (V | undefined)[] = [];
  /** Cells minus one: the capacity is a power of two. */
  private mask = 0;
  /** How far right a 32-bit hash is shifted to give a cell's index (32 - log2 capacity). */
  private shift = 32;
  private count = 0;

  constructor(capacity = 1024) {
    let bits = 3;
    while (1 << bits < capacity) bits++;
    this.allocate(bits);
  }

  get size(): number {
    return this.count;
  }

  get(key: number): V | undefined {
    const keys = this.keys;
    const values = this.values;
    for (let i = this.home(key); ; i = (i + 1) & this.mask) {
      const v = values[i];
      if (v === undefined || keys[i] === key) return v;
    }
  }

  /** Adds `key` with `value`, or replaces the value `key` has. */
  set(key: number, value: V): void {
    const keys = this.keys;
    const values = this.values;
    let i = this.home(key);
    for (; values[i] !== undefined; i = (i + 1) & this.mask) {
      if (keys[i] === key) {
        values[i] = value;
        return;
      }
    }
    keys[i] = key;
    values[i] = value;
    // A load of a half keeps probes short with linear probing (about 2.5 cells for a miss).
    if (++this.count * 2 > values.length) this.grow();
  }

  /** Removes `key`; false when it was not there. */
  delete(key: number): boolean {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let hole = this.home(key);
    for (; ; hole = (hole + 1) & mask) {
      if (values[hole] === undefined) return false;
      if (keys[hole] === key) break;
    }
    // Backward shift: every entry after the hole, up to the next empty cell, was placed by a probe
    // from its home cell; one whose probe crossed the hole moves into it, and its own cell becomes the
    // hole, so that a lookup never meets an empty cell before its key (Knuth, vol. 3, 6.4, Algorithm R).
    for (let i = (hole + 1) & mask; values[i] !== undefined; i = (i + 1) & mask) {
      if (stays(hole, this.home(keys[i]), i)) continue;
      keys[hole] = keys[i];
      values[hole] = values[i];
      hole = i;
    }
    values[hole] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.values.fill(undefined);
    this.count = 0;
  }

  /**
   * The cell a key's probe starts at. A fingerprint's low 32 bits are one hash and its high 21 bits
   * another; both go into a multiplicative (Fibonacci) hash whose top bits pick the cell.
   */
  private home(key: number): number {
    const low = key >>> 0;
    const high = (key - low) / 0x1_0000_0000;
    return Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    this.allocate(33 - this.shift);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== undefined) this.set(keys[i], v);
    }
  }

  /** 2^bits empty cells; `values` pushed one by one for a packed array: a read of a hole would look up the prototype chain. */
  private allocate(bits: number): void {
    this.keys = new Float64Array(1 << bits);
    this.values = [];
    for (let i = 0; i < 1 << bits; i++) this.values.push(undefined);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.count = 0;
  }
}

/**
 * Backward-shift deletion's test, for tables that probe linearly: the entry in cell `i`, whose probe
 * started at cell `home`, stays when its home lies cyclically in (hole, i], as its probe did not pass
 * the hole; otherwise it moves into the hole.
 */
export function stays(hole: number, home: number, i: number): boolean {
  return hole <= i ? hole < home && home <= i : hole < home || home <= i;
}
