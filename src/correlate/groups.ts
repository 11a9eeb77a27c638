import type { Fate, Journey, NatRewrite } from './model.js';
import type { Observation } from './observation.js';
import { requestKind } from './answers.js';
import { isIgmp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './observation.js';

/** Journeys that tell the same story: same kind of packet, same path, same rewrites, same ends. */
export interface JourneyGroup {
  label: string;
  src: string;
  dst: string;
  path: string[];
  nats: NatRewrite[];
  journeys: Journey[];
  fates: Partial<Record<Fate, number>>;
  /** Median time from the first hop to the last, when the path has more than one hop. */
  medianTransitNs?: number;
}

/** What a packet is, in the words a person would use for many of them: "ICMP echo request". */
export function labelOf(o: Observation): string {
  switch (o.kind) {
    case 'arp':
      return o.arpOp === 1 ? 'ARP request' : o.arpOp === 2 ? 'ARP reply' : 'ARP packet';
    case 'icmp':
    case 'icmpv6': {
      const p = o.kind === 'icmp' ? 'ICMP' : 'ICMPv6';
      if (o.icmpType === 8 || o.icmpType === 128) return `${p} echo request`;
      if (o.icmpType === 0 || o.icmpType === 129) return `${p} echo reply`;
      if (o.icmpType === 3 || o.icmpType === 1) return `${p} destination unreachable`;
      if (o.icmpType === 133) return 'ICMPv6 router solicitation';
      if (o.icmpType === 135) return 'ICMPv6 neighbor solicitation';
      if (o.icmpType === 136) return 'ICMPv6 neighbor advertisement';
      if (o.icmpType === 143) return 'ICMPv6 MLDv2 report';
      return `${p} type ${o.icmpType}`;
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
      if (o.dnsId !== undefined) return o.dnsResponse ? 'DNS answer' : 'DNS query';
      return 'UDP datagram';
    default:
      if (isIgmp(o)) return 'IGMP packet';
      return o.family === 0 ? 'layer-2 frame' : `IP protocol ${o.proto} packet`;
  }
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)];
}

export function groupJourneys(journeys: Journey[], hopsOf: (j: Journey) => Observation[]): JourneyGroup[] {
  const groups = new Map<string, JourneyGroup>();
  for (const j of journeys) {
    const first = hopsOf(j)[0];
    if (!first) continue;
    const label = labelOf(first);
    const path = j.hops.map((h) => h.interface);
    const nats = j.steps.flatMap((s) => (s.nat ? [s.nat] : []));
    // ARP and echo share a story per pair of hosts; TCP segments per connection direction.
    const natKey = nats.map((n) => `${n.type}:${n.before}>${n.after}`).join(',');
    const key = `${label}|${j.hops[0].src}|${j.hops[0].dst}|${path.join('>')}|${j.kind === 'tcp' || j.kind === 'udp' ? natKey : nats.map((n) => n.type).join(',')}`;
    let g = groups.get(key);
    if (!g) {
      g = { label, src: j.hops[0].src, dst: j.hops[0].dst, path, nats, journeys: [], fates: {} };
      groups.set(key, g);
    }
    g.journeys.push(j);
    g.fates[j.fate] = (g.fates[j.fate] ?? 0) + 1;
  }
  for (const g of groups.values()) {
    if (g.path.length > 1) {
      g.medianTransitNs = median(g.journeys.map((j) => j.steps.filter((s) => s.kind !== 'local').reduce((n, s) => n + s.latencyNs, 0)));
    }
  }
  return [...groups.values()];
}

/** "all answered", "2 answered, 1 dropped". */
export function fateText(g: JourneyGroup): string {
  const entries = Object.entries(g.fates) as [Fate, number][];
  if (entries.length === 1) return g.journeys.length === 1 ? entries[0][0] : `all ${entries[0][0]}`;
  return entries.map(([f, n]) => `${n} ${f}`).join(', ');
}

export function isRequestGroup(g: JourneyGroup, hopsOf: (j: Journey) => Observation[]): boolean {
  const o = hopsOf(g.journeys[0])[0];
  return o !== undefined && requestKind(o) !== undefined;
}

/** "41 µs", "1.2 ms", "3.0 s". */
export function durationText(ns: number): string {
  if (ns < 1_000) return `${ns} ns`;
  if (ns < 1_000_000) return `${Math.round(ns / 1_000)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(1)} ms`;
  return `${(ns / 1_000_000_000).toFixed(1)} s`;
}
