import type { Fate, Journey, NatRewrite, Step } from './model.js';
import type { Observation } from './observation.js';
import { FingerprintHasher } from './fingerprint.js';
import { isIgmp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './observation.js';
import { withItem } from './lists.js';
import { ICMPV6_DEST_UNREACH, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_MLDV2_REPORT, ICMPV6_NEIGHBOR_ADVERT, ICMPV6_NEIGHBOR_SOLICIT, ICMPV6_ROUTER_SOLICIT, ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_UNREACH } from '../decode/enums.js';

/** Journeys that tell the same story: same kind of packet, same path, same rewrites, same ends. */
export interface JourneyGroup {
  label: string;
  src: string;
  dst: string;
  path: string[];
  nats: NatRewrite[];
  /** How many journeys tell it. */
  count: number;
  /** The flow of its first journey. */
  flow?: number;
  fates: Partial<Record<Fate, number>>;
  /** Median time from the first hop to the last, when the path has more than one hop. */
  medianTransitNs?: number;
}

/** What a packet is, in the words a person would use for many of them: "ICMP echo request". */
export function labelOf(o: Observation): string {
  const d = o.detail;
  switch (o.kind) {
    case 'arp':
      return d?.arpOp === 1 ? 'ARP request' : d?.arpOp === 2 ? 'ARP reply' : 'ARP packet';
    case 'icmp':
    case 'icmpv6': {
      // Whole strings, not made from parts: one is asked for every journey, and compared.
      const v4 = o.kind === 'icmp';
      const p = v4 ? 'ICMP' : 'ICMPv6';
      const type = d?.icmpType;
      if (type === ICMP_ECHO || type === ICMPV6_ECHO_REQUEST) return v4 ? 'ICMP echo request' : 'ICMPv6 echo request';
      if (type === ICMP_ECHO_REPLY || type === ICMPV6_ECHO_REPLY) return v4 ? 'ICMP echo reply' : 'ICMPv6 echo reply';
      if (type === ICMP_UNREACH || type === ICMPV6_DEST_UNREACH) return v4 ? 'ICMP destination unreachable' : 'ICMPv6 destination unreachable';
      if (type === ICMPV6_ROUTER_SOLICIT) return 'ICMPv6 router solicitation';
      if (type === ICMPV6_NEIGHBOR_SOLICIT) return 'ICMPv6 neighbor solicitation';
      if (type === ICMPV6_NEIGHBOR_ADVERT) return 'ICMPv6 neighbor advertisement';
      if (type === ICMPV6_MLDV2_REPORT) return 'ICMPv6 MLDv2 report';
      return `${p} type ${type}`;
    }
    case 'tcp': {
      const f = o.tcpFlags ?? 0;
      if ((f & (TCP_SYN | TCP_ACK)) === TCP_SYN) return 'TCP SYN';
      if ((f & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) return 'TCP SYN-ACK';
      if (f & TCP_RST) return 'TCP RST';
      if (f & TCP_FIN) return 'TCP FIN';
      if (o.httpText) return o.httpText.startsWith('HTTP/') ? 'HTTP response' : 'HTTP request';
      return o.payloadLen > 0 ? 'TCP data segment' : 'TCP ACK';
    }
    case 'udp':
      if (d?.dnsId !== undefined) return d.dnsResponse ? 'DNS answer' : 'DNS query';
      return 'UDP datagram';
    default:
      if (isIgmp(o)) return 'IGMP packet';
      return o.family === 0 ? 'layer-2 frame' : `IP protocol ${o.proto} packet`;
  }
}

function median(sorted: number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Time from a journey's first hop to its last, through the host (delivery to the host itself not counted). */
export function transitNs(j: Journey): number {
  let transit = 0;
  for (const st of j.steps) if (st.kind !== 'local') transit += st.latencyNs;
  return transit;
}

/**
 * Transit times kept per group for its median: exact up to this many, a uniform sample beyond. Times
 * MAX_GROUPS it bounds what the terminal's medians hold (80 MB at 1,000; 800 MB at the 10,000 it was).
 */
const TRANSIT_SAMPLE = 1_000;
/**
 * Groups told one by one. A busy capture has a story per connection (hundreds of thousands): the
 * groups first seen after these many are counted by label only, so that memory stays flat and every
 * count printed is exact.
 */
export const MAX_GROUPS = 10_000;

/** Journeys of the groups first seen after MAX_GROUPS, by label ("TCP data segment"). */
export interface UngroupedJourneys {
  journeys: number;
  labels: { label: string; count: number }[];
}

interface GroupWork {
  group: JourneyGroup;
  transits: TransitSample;
}

/**
 * A bounded, reproducible sample of numbers (transit times): exact up to `size` values, a
 * uniform sample (reservoir) beyond, so that its percentiles stand for millions of values.
 */
const EXACT_UP_TO = 16;

export class TransitSample {
  private values: number[] = [];
  private seen = 0;
  /** xorshift32 state: the sample, and so the percentiles printed, is the same on every run. */
  private rng = 0x9e3779b9;

  constructor(private readonly size = TRANSIT_SAMPLE) {}

  add(value: number): void {
    const n = ++this.seen;
    if (this.values.length < this.size) {
      // Most groups keep a handful: grown one at a time while short, not by V8's seventeen slots.
      if (this.values.length < EXACT_UP_TO) this.values = withItem(this.values, value);
      else this.values.push(value);
      return;
    }
    // Reservoir sampling: the n-th value replaces a kept one with probability size / n.
    const r = this.next() % n;
    if (r < this.size) this.values[r] = value;
  }

  /** The kept values, ascending. */
  sorted(): number[] {
    return [...this.values].sort((a, b) => a - b);
  }

  private next(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }
}

/** Groups remembered per open flow: each kind of packet (SYN, data, ACK, FIN...) each way. */
const GROUPS_PER_FLOW = 12;

const keyHasher = new FingerprintHasher();

/**
 * What makes a group (the label, the first hop's addresses, the path, and the rewrites: with their
 * endpoints for TCP and UDP, by type for the rest) as a 53-bit hash: hashing the text it is made
 * of costs less than making that text for every journey and hashing it again in a Map.
 */
function groupHash(label: string, hops: readonly Observation[], steps: readonly Step[], byRewrite: boolean): number {
  const h = keyHasher.reset().text(label).text(hops[0].src).text(hops[0].dst);
  for (let i = 0; i < hops.length; i++) h.text(hops[i].iface);
  h.byte(0);
  for (const st of steps) {
    if (!st.nat) continue;
    h.text(st.nat.type);
    if (byRewrite) h.text(st.nat.before).text(st.nat.after);
  }
  return h.value();
}

/**
 * `g` is the group of a journey with this label, hops and steps: what groupHash hashes is equal
 * (`byRewrite`: the rewrites' endpoints too, not their types only).
 */
function hasKeyOf(g: JourneyGroup, label: string, hops: readonly Observation[], steps: readonly Step[], byRewrite: boolean): boolean {
  const first = hops[0];
  if (g.label !== label || g.src !== first.src || g.dst !== first.dst || g.path.length !== hops.length) return false;
  for (let i = 0; i < hops.length; i++) if (g.path[i] !== hops[i].iface) return false;
  let k = 0;
  for (const st of steps) {
    if (!st.nat) continue;
    const n = g.nats[k++];
    if (n === undefined || n.type !== st.nat.type || (byRewrite && (n.before !== st.nat.before || n.after !== st.nat.after))) return false;
  }
  return k === g.nats.length;
}

/**
 * Groups journeys as they are finished, keeping per group its counts and a bounded sample of transit
 * times, so that a capture of millions of packets is summed up in memory that grows with its stories.
 */
export class GroupCollector {
  /** Groups by the hash of their key (groupHash); a bucket holds more than one only on a collision. */
  private readonly groups = new Map<number, GroupWork[]>();
  /** Every group, in the order they were first seen. */
  private readonly ordered: GroupWork[] = [];
  private readonly ungrouped = new Map<string, number>();
  /** The flows the groups name. */
  private readonly flows = new Set<number>();
  private ungroupedJourneys = 0;
  /**
   * The groups each open flow's journeys went to: the next journey of a flow almost always goes to
   * one of them, which is checked field by field without building its key.
   */
  private readonly byFlow = new Map<number, GroupWork[]>();

  constructor(private readonly maxGroups = MAX_GROUPS) {}

  add(w: { journey: Journey; hops: Observation[] }): void {
    const j = w.journey;
    const first = w.hops[0];
    if (!first) return;
    const label = labelOf(first);
    const known = j.flow === undefined ? undefined : this.byFlow.get(j.flow);
    if (known) {
      for (const g of known) {
        // Compared with the rewrites' endpoints whatever the kind: stricter than the key, never wrong.
        if (hasKeyOf(g.group, label, w.hops, j.steps, true)) {
          this.count(g, w);
          return;
        }
      }
    }
    // ARP and echo share a story per pair of hosts; TCP segments per connection direction.
    const byRewrite = j.kind === 'tcp' || j.kind === 'udp';
    // Called for every journey of a capture: its key is a hash of what makes it, no text is built.
    const key = groupHash(label, w.hops, j.steps, byRewrite);
    const bucket = this.groups.get(key);
    let g = bucket?.find((c) => hasKeyOf(c.group, label, w.hops, j.steps, byRewrite));
    if (!g && this.ordered.length >= this.maxGroups) {
      this.ungroupedJourneys++;
      this.ungrouped.set(label, (this.ungrouped.get(label) ?? 0) + 1);
      return;
    }
    if (!g) {
      const path = w.hops.map((h) => h.iface);
      // map() makes an array of the exact size: a group lives to the end (see lists.ts).
      const nats = j.steps.filter((st) => st.nat).map((st) => st.nat!);
      g = { group: { label, src: first.src, dst: first.dst, path, nats, count: 0, fates: {} }, transits: new TransitSample() };
      if (j.flow !== undefined) {
        g.group.flow = j.flow;
        this.flows.add(j.flow);
      }
      if (bucket) bucket.push(g);
      else this.groups.set(key, [g]);
      this.ordered.push(g);
    }
    if (j.flow !== undefined) {
      if (!known) this.byFlow.set(j.flow, [g]);
      else if (known.length < GROUPS_PER_FLOW) known.push(g);
    }
    this.count(g, w);
  }

  private count(g: GroupWork, { journey: j, hops }: { journey: Journey; hops: Observation[] }): void {
    g.group.count++;
    g.group.fates[j.fate] = (g.group.fates[j.fate] ?? 0) + 1;
    if (hops.length > 1) g.transits.add(transitNs(j));
  }

  /** A flow is finished: its later journeys, if any, find their groups by key. */
  flowFinished(id: number): void {
    this.byFlow.delete(id);
  }

  /** True when a group names flow `id`. */
  names(id: number): boolean {
    return this.flows.has(id);
  }

  finish(): { groups: JourneyGroup[]; ungrouped?: UngroupedJourneys } {
    const groups = this.ordered.map(({ group, transits }) => {
      if (group.path.length > 1) group.medianTransitNs = median(transits.sorted());
      return group;
    });
    if (this.ungroupedJourneys === 0) return { groups };
    const labels = [...this.ungrouped].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count);
    return { groups, ungrouped: { journeys: this.ungroupedJourneys, labels } };
  }
}

/** "all answered", "2 answered, 1 dropped". */
export function fateText(g: JourneyGroup): string {
  const entries = Object.entries(g.fates) as [Fate, number][];
  if (entries.length === 1) return g.count === 1 ? entries[0][0] : `all ${entries[0][0]}`;
  return entries.map(([f, n]) => `${n} ${f}`).join(', ');
}

/** "41 µs", "1.2 ms", "3.0 s". */
export function durationText(ns: number): string {
  if (ns < 1_000) return `${ns} ns`;
  if (ns < 1_000_000) return `${Math.round(ns / 1_000)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(1)} ms`;
  return `${(ns / 1_000_000_000).toFixed(1)} s`;
}
