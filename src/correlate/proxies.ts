/** What the userland proxy match needs of a finished TCP flow that carried data. */
export interface ProxyFacts {
  id: number;
  /** TCP payload bytes each way, retransmissions left out. */
  c2s: number;
  s2c: number;
  firstNs: number;
  /** The server side is local to the host: the flow a proxy accepted. */
  serverLocal: boolean;
  tcp: boolean;
}

/** How much later than the flow it accepted a proxy's own connection may start. */
export const PROXY_WINDOW_NS = 5_000_000_000;

/**
 * A userland proxy (docker-proxy, socat) accepts one connection and opens another, then copies
 * bytes: two TCP flows, the first ending at the host, the second starting after it, carrying the
 * same bytes each way. They are told apart from NAT because no packet is rewritten: the byte counts
 * are what ties them. Flows are taken in order of id, each pairing with the first free one after it.
 */
export function matchProxies(flows: readonly ProxyFacts[], windowNs = PROXY_WINDOW_NS): [number, number][] {
  const pairs: [number, number][] = [];
  const used = new Set<number>();
  const byBytes = new Map<string, ProxyFacts[]>();
  for (const f of flows) {
    if (!f.tcp || f.c2s === 0) continue;
    const key = bytesKey(f);
    const list = byBytes.get(key);
    if (list) list.push(f);
    else byBytes.set(key, [f]);
  }
  for (const a of flows) {
    if (!a.tcp || !a.serverLocal || a.c2s === 0 || used.has(a.id)) continue;
    const b = byBytes.get(bytesKey(a))!.find((x) => x !== a && !used.has(x.id) && x.firstNs >= a.firstNs && x.firstNs - a.firstNs <= windowNs);
    if (!b) continue;
    used.add(a.id).add(b.id);
    pairs.push([a.id, b.id]);
  }
  return pairs;
}

function bytesKey(f: ProxyFacts): string {
  return `${f.c2s}|${f.s2c}`;
}

/**
 * matchProxies as flows finish, holding only the flows something still to come could pair with.
 * Flows pair only with flows of the same byte counts that started within the window of them, so
 * those of one byte count fall into chains (each start within the window of the one before), and
 * matching a chain alone gives what matching every flow at once gives it. A chain is matched and
 * forgotten once no flow still open, and none yet to start, can join it; a capture's millions of
 * flows are then held a few seconds each, not to the end.
 */
export class ProxyMatcher {
  /** Finished flows not matched yet, by their byte counts. */
  private readonly pending = new Map<string, ProxyFacts[]>();
  private readonly pairs: [number, number][] = [];

  constructor(private readonly windowNs = PROXY_WINDOW_NS) {}

  /** How many finished flows wait to be matched. */
  get held(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }

  add(f: ProxyFacts): void {
    const key = bytesKey(f);
    const list = this.pending.get(key);
    if (list) list.push(f);
    else this.pending.set(key, [f]);
  }

  /**
   * Matches the chains nothing to come can join: every flow yet to finish either started at one of
   * `openFirstNs` (ascending) or starts at `floorNs` or later.
   */
  settle(floorNs: number, openFirstNs: Float64Array): void {
    const w = this.windowNs;
    for (const [key, list] of this.pending) {
      list.sort((a, b) => a.firstNs - b.firstNs);
      let kept: ProxyFacts[] | undefined;
      let start = 0;
      for (let i = 1; i <= list.length; i++) {
        if (i < list.length && list[i].firstNs - list[i - 1].firstNs <= w) continue;
        const chain = list.slice(start, i);
        const lo = list[start].firstNs - w;
        const hi = list[i - 1].firstNs + w;
        if (hi < floorNs && !anyWithin(openFirstNs, lo, hi)) {
          for (const pair of matchProxies(chain.sort((a, b) => a.id - b.id), w)) this.pairs.push(pair);
        } else {
          kept ??= [];
          for (const f of chain) kept.push(f);
        }
        start = i;
      }
      if (kept) this.pending.set(key, kept);
      else this.pending.delete(key);
    }
  }

  /** Every flow has finished: the pairs, in order of the accepted flow's id, as matchProxies gives them. */
  finish(): [number, number][] {
    this.settle(Infinity, new Float64Array(0));
    return this.pairs.sort((a, b) => a[0] - b[0]);
  }
}

/** Some value of `sorted` (ascending) lies in [lo, hi]. */
function anyWithin(sorted: Float64Array, lo: number, hi: number): boolean {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m] < lo) a = m + 1;
    else b = m;
  }
  return a < sorted.length && sorted[a] <= hi;
}
