/**
 * A table of what was asked for recently: the entries set or found in the last one to two
 * generations of `size` entries. What is made once per connection (a NAT rewrite, an endpoint's
 * text) is asked for again while the connection is open and seldom after; a table cleared when full
 * forgot the busy entries with the rest, and a large one filled, on long captures only, to its cap
 * (so memory grew with the capture's length up to it). TcpSequenceTracker keeps its connections so
 * too. Lookups cost a second Map.get on a miss: for per-address tables that hit nearly always (the
 * names and scopes of addresses), a plain Map with a cap was measurably faster.
 */
export class RecentTable<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  constructor(private readonly size: number) {}

  get(key: K): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (this.current.size >= this.size) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  /** Entries held now: at most twice `size`. */
  get held(): number {
    return this.current.size + this.previous.size;
  }
}
