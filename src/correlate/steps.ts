import type { Observation } from './observation.js';
import type { Step, NatRewrite, StepKind } from './model.js';
import { echoOrEndpoint, endpoint } from './endpoint.js';
import { roleFromName } from './roles.js';
import { hostOfInterface } from './hosts.js';
import { RecentTable } from './recent.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMP_ECHO, ICMP_ECHO_REPLY } from '../decode/enums.js';

/**
 * Hops in the order the packet travelled. Timestamps of one packet on different interfaces can tie
 * or be a few microseconds out of order, so what the frames say breaks ties: a higher TTL was seen
 * before the router decremented it. A tie in time means one receive: the kernel stamps a frame once
 * when it arrives on a bridge port, and the bridge device's own copy (a captured bridge is
 * promiscuous and sees what it forwards) keeps that stamp, while the egress port's copy is stamped
 * when it is sent. So of two copies with the same time, the port came first and the bridge second.
 * Between other interfaces a tie goes by the file's order.
 */
export function orderHops(hops: Observation[], into?: Observation[]): Observation[] {
  // Into a list a finished journey gave back (correlator.ts `spare`) when it has the length needed:
  // a list per packet, waiting with it for its answer, ended as garbage in the old generation
  // (bench/NOTES.md, fourth pass). Otherwise a copy of exactly its size: a list lengthened in place
  // gets room for seventeen (lists.ts), 120 bytes more for each journey that waits (fifth pass).
  let out: Observation[];
  if (into === undefined || into.length !== hops.length) out = hops.slice();
  else {
    for (let i = 0; i < hops.length; i++) into[i] = hops[i];
    out = into;
  }
  // One or two hops, most journeys: their order alone.
  if (out.length <= 2) return sortByTravel(out);
  return tunnelEndsOutward(bridgeCopyBeforeRewrite(sortByTravel(out)));
}

/**
 * `a.sort(travelOrder)`, in place. A list shorter than 64 (every journey's) is sorted step for step as
 * V8 sorts it (its TimSort's first run, reversed when it descends, then binary insertion), so that the
 * order is sort()'s whatever the comparison, without the work array sort() copies the list into.
 */
export function sortByTravel(a: Observation[]): Observation[] {
  const n = a.length;
  if (n >= 64) return a.sort(travelOrder);
  if (n < 2) return a;
  let run = 2;
  const descending = travelOrder(a[1], a[0]) < 0;
  for (let i = 2; i < n; i++) {
    const order = travelOrder(a[i], a[i - 1]);
    if (descending ? order >= 0 : order < 0) break;
    run++;
  }
  if (descending) {
    for (let lo = 0, hi = run - 1; lo < hi; lo++, hi--) {
      const t = a[lo];
      a[lo] = a[hi];
      a[hi] = t;
    }
  }
  for (let start = run; start < n; start++) {
    const pivot = a[start];
    let left = 0;
    let right = start;
    while (left < right) {
      const mid = left + ((right - left) >> 1);
      if (travelOrder(pivot, a[mid]) < 0) right = mid;
      else left = mid + 1;
    }
    for (let p = start; p > left; p--) a[p] = a[p - 1];
    a[left] = pivot;
  }
  return a;
}

/**
 * A tunnel device's copy of a packet keeps the time its underlay copy was stamped with (the kernel
 * decapsulates the same buffer), so the two tie. Which came first the hosts tell: on the host a
 * packet arrives at from another, the underlay copy (the one still encapsulated) came first; on the
 * host it leaves for another, last.
 */
function tunnelEndsOutward(hops: Observation[]): Observation[] {
  let start = 0;
  while (start < hops.length) {
    const host = hostOfInterface(hops[start].iface);
    let end = start;
    while (end + 1 < hops.length && hostOfInterface(hops[end + 1].iface) === host) end++;
    if (host !== undefined && end > start) {
      if (start > 0) moveOuter(hops, start, end, hops[start].t, 'front');
      if (end < hops.length - 1) moveOuter(hops, start, end, hops[end].t, 'back');
    }
    start = end + 1;
  }
  return hops;
}

/** Moves the encapsulated copies stamped `t` within hops[start..end] to that run's front or back. */
function moveOuter(hops: Observation[], start: number, end: number, t: number, where: 'front' | 'back'): void {
  const run = hops.slice(start, end + 1);
  const outer = run.filter((h) => h.t === t && h.detail?.vni !== undefined);
  if (outer.length === 0 || outer.length === run.length) return;
  const rest = run.filter((h) => !outer.includes(h));
  hops.splice(start, run.length, ...(where === 'front' ? [...outer, ...rest] : [...rest, ...outer]));
}

/**
 * The bridge device's own copy of a frame it forwards (a captured bridge is promiscuous) is taken
 * as the frame enters the bridge, before the egress port sends it and before br_netfilter's
 * POSTROUTING rewrites the egress port's copy (conntrack reversing a hairpin DNAT), though it may be
 * stamped after both. A bridge hop that repeats an earlier port's hop exactly goes right after it:
 * the packet entered by that port, crossed the bridge, and left by the others.
 */
function bridgeCopyBeforeRewrite(hops: Observation[]): Observation[] {
  for (let i = 2; i < hops.length; i++) {
    const h = hops[i];
    if (roleFromName(h.iface) !== 'bridge') continue;
    const j = hops.findIndex((x, k) => k < i - 1 && roleFromName(x.iface) !== 'bridge' && sameHeader(x, h));
    if (j >= 0 && !hops.slice(j + 1, i).some((x) => roleFromName(x.iface) === 'bridge' && sameHeader(x, h))) hops.splice(j + 1, 0, ...hops.splice(i, 1));
  }
  return hops;
}

/** The fields a host rewrites on a packet's way through it: nothing of them changed between `a` and `b`. */
export function sameHeader(a: Observation, b: Observation): boolean {
  return a.ttl === b.ttl && a.srcMac === b.srcMac && a.dstMac === b.dstMac && sameAddresses(a, b);
}

/** The addresses, ports and echo identifier NAT rewrites: the same on `a` and `b`. */
export function sameAddresses(a: Observation, b: Observation): boolean {
  return a.src === b.src && a.dst === b.dst && a.sport === b.sport && a.dport === b.dport && a.detail?.icmpId === b.detail?.icmpId;
}

export function travelOrder(a: Observation, b: Observation): number {
  const ttlA = a.ttl ?? -1;
  const ttlB = b.ttl ?? -1;
  // TTL evidence outranks a few microseconds of clock disagreement between interfaces.
  if (ttlA !== ttlB && ttlA >= 0 && ttlB >= 0 && Math.abs(a.t - b.t) < 50_000) return ttlB - ttlA;
  if (a.t !== b.t) return a.t - b.t;
  const bridgeA = roleFromName(a.iface) === 'bridge' ? 1 : 0;
  const bridgeB = roleFromName(b.iface) === 'bridge' ? 1 : 0;
  if (bridgeA !== bridgeB) return bridgeA - bridgeB;
  // Names that say nothing (a `-i any` capture without a map): one socket wrote the file in the
  // order the kernel handed it the copies, so the file's order is the travel order.
  if (a.file === b.file && a.frame !== b.frame) return a.frame - b.frame;
  return a.iface < b.iface ? -1 : a.iface > b.iface ? 1 : 0;
}

/** The source side's identity: address, port, or ICMP echo identifier. */
function sourceOf(o: Observation): string {
  return echoOrEndpoint(o.src, o.sport, o.detail?.icmpId);
}

function destinationOf(o: Observation): string {
  return o.detail?.icmpId !== undefined && o.dport === undefined ? o.dst : endpoint(o.dst, o.dport);
}

/** The source rewrite between two hops of one packet, if any. */
function snatBetween(a: Observation, b: Observation): NatRewrite | undefined {
  if (a.family === 0 || (a.src === b.src && a.sport === b.sport && (a.detail?.icmpId === b.detail?.icmpId || !isEchoRequest(a)))) return undefined;
  return natRewrite('snat', natText(a, 'src'), natText(b, 'src'));
}

/** The destination rewrite between two hops of one packet, if any. */
function dnatBetween(a: Observation, b: Observation): NatRewrite | undefined {
  if (a.family === 0 || (a.dst === b.dst && a.dport === b.dport && (a.detail?.icmpId === b.detail?.icmpId || !isEchoReply(a)))) return undefined;
  return natRewrite('dnat', natText(a, 'dst'), natText(b, 'dst'));
}

function isEchoRequest(o: Observation): boolean {
  return o.detail?.icmpType === ICMP_ECHO || o.detail?.icmpType === ICMPV6_ECHO_REQUEST;
}

function isEchoReply(o: Observation): boolean {
  return o.detail?.icmpType === ICMP_ECHO_REPLY || o.detail?.icmpType === ICMPV6_ECHO_REPLY;
}

/**
 * Endpoint texts held: those made or asked for in the last one to two generations of this many
 * (see recent.ts: a new client port per connection fills any table, and long captures filled a
 * larger one to its cap).
 */
const ENDPOINT_TEXTS = 1 << 14;
type EndpointTexts = Map<string, Map<number | undefined, string>>;
let endpointTexts: EndpointTexts = new Map();
let previousTexts: EndpointTexts = new Map();
let endpointTextCount = 0;

/**
 * endpoint(addr, port), made once per endpoint: every NATed step of every journey names two, and
 * the flows and groups compare them with the ones they keep, which a shared string answers at once.
 */
function endpointText(addr: string, port: number | undefined): string {
  const text = endpointTexts.get(addr)?.get(port);
  if (text !== undefined) return text;
  if (endpointTextCount >= ENDPOINT_TEXTS) {
    previousTexts = endpointTexts;
    endpointTexts = new Map();
    endpointTextCount = 0;
  }
  const made = previousTexts.get(addr)?.get(port) ?? endpoint(addr, port);
  let ports = endpointTexts.get(addr);
  if (ports === undefined) {
    ports = new Map();
    endpointTexts.set(addr, ports);
  }
  ports.set(port, made);
  endpointTextCount++;
  return made;
}

/** The last rewrite made from each endpoint, by kind: the next packet of its connection is rewritten alike. */
const rewrites = { snat: new RecentTable<string, NatRewrite>(ENDPOINT_TEXTS), dnat: new RecentTable<string, NatRewrite>(ENDPOINT_TEXTS) };

/**
 * One object for the rewrites of a connection's packets (their endpoints' texts are shared already):
 * every NATed step of a busy capture made one, which lived as long as its journey waited and was
 * promoted to die old. Nothing changes a rewrite once made; groups and the NAT checks keep the ones
 * they need.
 */
function natRewrite(type: 'snat' | 'dnat', before: string, after: string): NatRewrite {
  const made = rewrites[type];
  const last = made.get(before);
  if (last !== undefined && last.after === after) return last;
  const rewrite: NatRewrite = { type, before, after };
  made.set(before, rewrite);
  return rewrite;
}

/** `ip:port`, or the bare address for ICMP (the echo identifier is on the hop, as `icmpId`). */
function natText(o: Observation, side: 'src' | 'dst'): string {
  return side === 'src' ? endpointText(o.src, o.sport) : endpointText(o.dst, o.dport);
}

function kindBetween(a: Observation, b: Observation): StepKind {
  if (a.detail?.vni === undefined && b.detail?.vni !== undefined) return 'encapsulated';
  if (a.detail?.vni !== undefined && b.detail?.vni === undefined) return 'decapsulated';
  // From one host to another: the link between them, whatever else the frame says.
  if (hostOfInterface(a.iface) !== hostOfInterface(b.iface)) return 'wire';
  if (a.ttl !== undefined && b.ttl !== undefined) return b.ttl < a.ttl ? 'routed' : 'bridged';
  // Without a TTL (a frame that is not IP) new MACs are the only sign of a router. With one, new MACs
  // at the same TTL are a bridge rewriting the frame (br_netfilter after a DNAT on the bridge):
  // forwarding always takes one off the TTL.
  if (a.srcMac !== undefined && b.srcMac !== undefined && a.srcMac !== b.srcMac) return 'routed';
  return 'bridged';
}

/**
 * The steps between consecutive hops. `given`: the step list of a journey the correlator finished
 * and no one kept, whose Step objects are filled again, and the list itself too when it has the
 * length needed (a step's rewrites are not: groups and the NAT checks keep those).
 */
export function stepsOf(hops: Observation[], given?: Step[]): Step[] {
  // A list given is filled only when it has the length needed, as orderHops' are.
  const into = given !== undefined && given.length === Math.max(0, hops.length - 1) ? given : undefined;
  // Two hops, most journeys: one step, in a list of its size (a journey's steps wait with it).
  if (hops.length === 2) {
    const step = stepFrom(hops[0], hops[1], given?.[0]);
    if (into === undefined) return [step];
    into[0] = step;
    return into;
  }
  const steps: Step[] = into ?? [];
  // The given list's steps are filled again even when the list itself is not.
  const old = given ?? steps;
  // A bridge floods a broadcast to every port at once: each egress port is a step from the bridge,
  // not from the port listed before it.
  let bridge: Observation | undefined;
  for (let i = 1; i < hops.length; i++) {
    const prev = hops[i - 1];
    const b = hops[i];
    if (roleFromName(prev.iface) === 'bridge') bridge = prev;
    else if (bridge && bridge.ttl !== prev.ttl) bridge = undefined;
    const flooded = bridge !== undefined && bridge !== prev && roleFromName(b.iface) !== 'bridge' && kindBetween(prev, b) === 'bridged' && bridge.ttl === b.ttl;
    steps[i - 1] = stepFrom(flooded ? bridge! : prev, b, i - 1 < old.length ? old[i - 1] : undefined);
  }
  if (into !== undefined) return into;
  // Trimmed: V8 gives a list pushed to room for seventeen (see lists.ts).
  return steps.length === 0 ? steps : steps.slice();
}

/** The step from `a` to `b`; filled into `reuse` when given (every field set, so none is left from before). */
function stepFrom(a: Observation, b: Observation, reuse?: Step): Step {
  // A bridge's own copy may be stamped after the egress port's (see bridgeCopyBeforeRewrite):
  // the step through the bridge then took no time the captures can measure, not less than none.
  const latencyNs = b.t < a.t && roleFromName(a.iface) === 'bridge' ? 0 : b.t - a.t;
  // Source NAT first, as the document has always listed two rewrites of one step.
  const snat = snatBetween(a, b);
  const dnat = dnatBetween(a, b);
  const first = snat ?? dnat;
  const also = snat && dnat ? dnat : undefined;
  if (reuse !== undefined) {
    reuse.from = a.iface;
    reuse.to = b.iface;
    reuse.kind = kindBetween(a, b);
    reuse.latencyNs = latencyNs;
    // Left undefined rather than deleted (a deleted property makes the object a slow dictionary):
    // JSON.stringify and the journey writer leave undefined fields out, as they were absent.
    if (first !== undefined || reuse.nat !== undefined) reuse.nat = first;
    if (also !== undefined || reuse.natAlso !== undefined) reuse.natAlso = also;
    return reuse;
  }
  const step: Step = { from: a.iface, to: b.iface, kind: kindBetween(a, b), latencyNs };
  if (first) step.nat = first;
  if (also) step.natAlso = also;
  return step;
}

export { sourceOf, destinationOf };
