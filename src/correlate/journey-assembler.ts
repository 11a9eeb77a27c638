import type { Observation } from './observation.js';

/** A journey still open to more hops: every copy of one packet, one per interface. */
export interface OpenJourney {
  id: number;
  fp: number;
  hops: Observation[];
  first: number;
  last: number;
}

/**
 * Groups observations with one fingerprint seen on different interfaces within `windowNs` of each
 * other. A second copy on an interface the journey already crossed starts a new journey: that is
 * a retransmission or a loop, never another hop of the same packet. Journeys are closed, and handed
 * to `onClose`, once the window has passed, so memory holds only the packets of the last window.
 */
export class JourneyAssembler {
  private readonly open = new Map<number, OpenJourney>();
  private nextId = 1;
  /** No sweep before this time: sweeping a few times per window bounds memory just as well. */
  private nextSweep = -Infinity;

  constructor(
    private readonly windowNs: number,
    private readonly onClose: (j: OpenJourney) => void,
  ) {}

  add(o: Observation): void {
    this.expire(o.t);
    const j = this.open.get(o.fp);
    // Interfaces named `any` (cooked v1 without an index) cannot be told apart: every copy is a hop.
    if (j && o.t - j.last <= this.windowNs && (o.iface === 'any' || !crossed(j.hops, o.iface))) {
      j.hops.push(o);
      if (o.t > j.last) j.last = o.t;
      return;
    }
    if (j) {
      this.open.delete(o.fp);
      this.onClose(j);
    }
    this.open.set(o.fp, { id: this.nextId++, fp: o.fp, hops: [o], first: o.t, last: o.t });
  }

  /**
   * Closes journeys whose window ended before `now`, oldest first. When a journey closes changes
   * nothing but memory: add() checks the window itself, and journeys are ordered by id afterwards.
   */
  expire(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowNs / 8;
    for (const [fp, j] of this.open) {
      // Map iteration is insertion order: the first journey still in its window ends the sweep.
      if (now - j.last <= this.windowNs) break;
      this.open.delete(fp);
      this.onClose(j);
    }
  }

  flush(): void {
    for (const j of this.open.values()) this.onClose(j);
    this.open.clear();
  }
}

function crossed(hops: Observation[], iface: string): boolean {
  for (let i = 0; i < hops.length; i++) if (hops[i].iface === iface) return true;
  return false;
}
