import type { Observation } from './observation.js';
import { sameAddresses, sameHeader } from './steps.js';
import { roleFromName } from './roles.js';
import { FingerprintTable } from './fp-table.js';

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
 * other. A second copy on an interface the journey already crossed is a new journey (the packet
 * sent again: a retransmission), unless it is the host's own copy of the packet (hostCopy). Journeys
 * are closed, and handed to `onClose`, once the window has passed, so memory holds only the packets
 * of the last window. The journey handed to `onClose` is filled again afterwards: keep its fields,
 * not it or its hop list.
 */
export class JourneyAssembler {
  /**
   * The open journeys by fingerprint. Not a Map: one churned by every packet rehashed into new
   * backing tables over and over, and each was promoted to the old generation before it died (30 MB
   * of the 1M bench file; fp-table.ts).
   */
  private readonly open = new FingerprintTable<OpenJourney>();
  /**
   * The open journeys in the order they were opened, with the id each had then (a journey closed
   * early by a copy of its packet is opened again for another): what `expire` and `flush` walk,
   * oldest first. A Map kept that order too, but a Map walked from its start steps over every entry
   * deleted since it last rehashed, which made the sweeps a few percent of analyze.
   */
  private order: OpenJourney[] = [];
  private orderIds: number[] = [];
  private orderHead = 0;
  private nextId = 1;
  /** No sweep before this time: sweeping a few times per window bounds memory just as well. */
  private nextSweep = -Infinity;
  /**
   * Closed journeys to be opened again for later packets, their hop lists with them: onClose takes
   * what it keeps out of them (orderHops makes a new list), and an object and a list per packet
   * were the largest share of what analyze allocated.
   */
  private readonly free: OpenJourney[] = [];

  constructor(
    private readonly windowNs: number,
    private readonly onClose: (j: OpenJourney) => void,
  ) {}

  add(o: Observation): void {
    this.expire(o.t);
    const j = this.open.get(o.fp);
    // Interfaces named `any` (cooked v1 without an index) cannot be told apart: every copy is a hop.
    if (j && o.t - j.last <= this.windowNs && (o.iface === 'any' || !crossed(j.hops, o.iface) || hostCopy(j.hops, o))) {
      j.hops.push(o);
      if (o.t > j.last) j.last = o.t;
      return;
    }
    if (j) {
      this.open.delete(o.fp);
      this.closeOne(j);
    }
    const opened = this.opened(o);
    this.open.set(o.fp, opened);
    this.order.push(opened);
    this.orderIds.push(opened.id);
  }

  private opened(o: Observation): OpenJourney {
    const j = this.free.pop();
    if (j === undefined) return { id: this.nextId++, fp: o.fp, hops: [o], first: o.t, last: o.t };
    j.id = this.nextId++;
    j.fp = o.fp;
    // Cut to one rather than emptied: V8 gives back an emptied array's storage, not a shortened one's.
    j.hops.length = 1;
    j.hops[0] = o;
    j.first = o.t;
    j.last = o.t;
    return j;
  }

  private closeOne(j: OpenJourney): void {
    this.onClose(j);
    if (this.free.length < MAX_FREE) this.free.push(j);
    // Not kept, a journey closed by add() would still match its entry in `order` (a kept one is
    // opened again at once, under a new id): a sweep or flush reaching it would close it a second
    // time, and a sweep delete the journey its packet's copy opened.
    else j.id = CLOSED;
  }

  /**
   * Closes journeys whose window ended before `now`, oldest first. When a journey closes changes
   * nothing but memory: add() checks the window itself, and journeys are ordered by id afterwards.
   */
  expire(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowNs / 8;
    const order = this.order;
    const ids = this.orderIds;
    let head = this.orderHead;
    for (; head < order.length; head++) {
      const j = order[head];
      // Closed already, and maybe opened again for a later packet under a new id.
      if (j.id !== ids[head]) continue;
      // The first journey still in its window ends the sweep.
      if (now - j.last <= this.windowNs) break;
      this.open.delete(j.fp);
      this.closeOne(j);
    }
    if (head > 4096 && head * 2 > order.length) {
      this.order = order.slice(head);
      this.orderIds = ids.slice(head);
      head = 0;
    }
    this.orderHead = head;
  }

  /** Closes every open journey, in the order they were opened (as expire would, had their windows passed). */
  flush(): void {
    const order = this.order;
    const ids = this.orderIds;
    for (let head = this.orderHead; head < order.length; head++) {
      const j = order[head];
      if (j.id === ids[head]) this.onClose(j);
    }
    this.open.clear();
    this.order = [];
    this.orderIds = [];
    this.orderHead = 0;
  }
}

/** Open journeys kept for reuse: more than a window's worth are never closed at once. */
const MAX_FREE = 4096;

/** The id of a closed journey not kept for reuse: ids start at 1, so no entry of `order` has it. */
const CLOSED = 0;

function crossed(hops: Observation[], iface: string): boolean {
  for (let i = 0; i < hops.length; i++) if (hops[i].iface === iface) return true;
  return false;
}

/**
 * A copy of a bridged packet that the host made, on an interface the packet already crossed. A
 * captured bridge is promiscuous, so it passes up a copy of every frame it forwards; with
 * br_netfilter (or without it, for a hairpin DNAT to a neighbour) the host routes that copy back
 * onto the same bridge. So a hairpin packet is seen once more on the bridge and on the server's port
 * with the TTL one less (and its NAT done), and br_netfilter's DNAT on the bridge sends one copy with
 * the bridge's MAC and one with the sender's, at the same TTL. Anything else seen again on an
 * interface (the same header, other addresses at the same TTL, no bridge) is another packet.
 */
function hostCopy(hops: Observation[], o: Observation): boolean {
  if (o.ttl === undefined || !(isBridge(o) || hops.some(isBridge))) return false;
  let routedAgain = false;
  for (let i = 0; i < hops.length; i++) {
    const h = hops[i];
    if (h.iface === o.iface && sameHeader(h, o)) return false;
    if (h.ttl === o.ttl + 1) routedAgain = true;
    else if (h.iface === o.iface && h.ttl === o.ttl && sameAddresses(h, o)) routedAgain = true;
  }
  return routedAgain;
}

function isBridge(o: Observation): boolean {
  return roleFromName(o.iface) === 'bridge';
}

