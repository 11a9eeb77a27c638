import type { InterfaceInfo, Journey } from './model.js';
import { TCP_RST, type Observation } from './observation.js';
import { requestKind, expectedAnswerKey, answerKeys } from './answers.js';
import { endpoint, isGroupAddress, isLoopbackAddress } from './endpoint.js';
import type { Topology } from './topology.js';

interface Work {
  journey: Journey;
  hops: Observation[];
}

export interface AnswerFacts {
  /** SYNs to the host's own address, sent again and met with neither a SYN-ACK nor a RST. */
  silentlyDropped: Set<number>;
  /** The host's own addresses: given, or learnt (its ARP replies, the outside of its NAT, what it answered itself). */
  hostAddresses: string[];
}

/** A TCP connection's tuple as its client sent it. */
function tupleOf(o: Observation): string {
  return `${endpoint(o.src, o.sport)}>${endpoint(o.dst, o.dport)}`;
}

/**
 * Answers, local delivery and fates. Runs once every journey is closed, because an answer can come
 * long after its request (a slow server) and the host's own addresses are learnt from the whole run.
 */
export function resolveAnswers(work: Work[], roles: Map<string, InterfaceInfo>, topology?: Topology): AnswerFacts {
  const role = (iface: string): string => roles.get(iface)?.role ?? 'unknown';
  const waiting = new Map<string, Work>();
  for (const w of work) {
    hops: for (const h of w.hops) {
      for (const key of answerKeys(h)) {
        const req = waiting.get(key);
        if (!req || req === w) continue;
        if (req.journey.answeredBy === undefined) {
          req.journey.answeredBy = w.journey.id;
          req.journey.fate = 'answered';
          w.journey.isReply = true;
          w.journey.answerOf = req.journey.id;
          break hops;
        }
        // Every member of a group answers a ping to the group: the later answers are answers too.
        if (isGroupAddress(req.hops[0].dst)) {
          w.journey.isReply = true;
          w.journey.answerOf = req.journey.id;
          break hops;
        }
      }
    }
    const kind = requestKind(w.hops[0]);
    if (kind) for (const h of w.hops) waiting.set(expectedAnswerKey(h, kind), w);
  }

  // Where each address lives: the interfaces on which its packets are first seen (their origin).
  const origin = new Map<string, Set<string>>();
  const hostAddrs = new Set<string>(topology?.hostAddresses ?? []);
  // The host's own MACs: a packet sent to one of them and then routed was handed to the host. (A
  // bridge's copy of a frame cannot tell the bridge's own traffic from a port nobody captured.)
  const routerMacs = new Set<string>();
  for (const w of work) {
    const i = w.journey.steps.findIndex((s) => s.kind === 'routed');
    if (i >= 0 && w.hops[i].dstMac) routerMacs.add(w.hops[i].dstMac!);
  }
  for (const w of work) {
    const first = w.hops[0];
    if (first.family === 0) {
      // An ARP reply from one of the host's MACs gives the host's address on that link.
      if (first.arpOp === 2 && first.arpSha !== undefined && routerMacs.has(first.arpSha)) hostAddrs.add(first.src);
      // So does one the capture saw the host send (`-i any` marks it outgoing) on a bridge or uplink:
      // frames a bridge forwards between its ports never pass its own device.
      else if (first.arpOp === 2 && first.direction === 'out' && (role(first.iface) === 'bridge' || role(first.iface) === 'uplink')) hostAddrs.add(first.src);
      continue;
    }
    let set = origin.get(first.src);
    if (!set) origin.set(first.src, (set = new Set()));
    set.add(first.iface);
    for (const s of w.journey.steps) {
      if (s.nat?.type === 'snat' && s.to && role(s.to) === 'uplink') hostAddrs.add(addrOf(s.nat.after));
      if (s.nat?.type === 'dnat' && role(s.from) === 'uplink') hostAddrs.add(addrOf(s.nat.before));
    }
  }
  // Asked once per journey of a few addresses: the answer is kept (origin is complete by now).
  const containerAddrs = new Map<string, boolean>();
  const containerAddr = (a: string): boolean => {
    let known = containerAddrs.get(a);
    if (known === undefined) {
      const set = origin.get(a);
      known = set !== undefined && [...set].some((i) => role(i) === 'veth' || role(i) === 'container');
      containerAddrs.set(a, known);
    }
    return known;
  };
  const hasUplink = [...roles.values()].some((r) => r.role === 'uplink');
  // Endpoints of the host that NAT forwards inwards: the outside side of source NAT (answers come
  // back to it) and the published side of destination NAT.
  const natInward = new Set<string>();
  for (const w of work) {
    for (const [i, s] of w.journey.steps.entries()) {
      for (const nat of [s.nat, s.natAlso]) {
        if (!nat) continue;
        const after = w.hops[i + 1];
        const before = w.hops[i];
        if (nat.type === 'snat' && after) natInward.add(after.icmpId !== undefined ? `${after.src}#${after.icmpId}` : endpoint(after.src, after.sport));
        if (nat.type === 'dnat' && before) natInward.add(before.icmpId !== undefined ? `${before.dst}#${before.icmpId}` : endpoint(before.dst, before.dport));
      }
    }
  }

  // A SYN to one of the host's own addresses is answered by the kernel whatever happens next: a
  // SYN-ACK from a listener, a RST from a closed port. Sent again and met with silence, it was
  // dropped by a filter. Connections that got a RST are known by their reversed tuple.
  const resetTuples = new Set<string>();
  const synsOf = new Map<string, number>();
  for (const w of work) {
    for (const h of w.hops) {
      if (h.proto !== 6) continue;
      // A reset travels from server to client: its tuple reversed is the client's.
      if (h.tcpFlags !== undefined && (h.tcpFlags & TCP_RST) !== 0) resetTuples.add(`${endpoint(h.dst, h.dport)}>${endpoint(h.src, h.sport)}`);
    }
    if (w.journey.answeredBy === undefined && requestKind(w.hops[0]) === 'syn') {
      const k = tupleOf(w.hops[0]);
      synsOf.set(k, (synsOf.get(k) ?? 0) + 1);
    }
  }
  const silentlyDropped = new Set<number>();

  const byId = new Map(work.map((w) => [w.journey.id, w]));
  const requestOf = new Map<number, Work>();
  for (const w of work) if (w.journey.answeredBy !== undefined) requestOf.set(w.journey.answeredBy, w);
  for (const w of work) {
    const j = w.journey;
    const last = w.hops[w.hops.length - 1];
    const lastRole = role(last.iface);
    if (j.answeredBy !== undefined) {
      const answer = byId.get(j.answeredBy);
      const a0 = answer?.hops[0];
      // The host itself answered: the request was addressed to the host (one of its addresses, or
      // its MAC on a bridge) and the answer starts where the request ended.
      const toHost = hostAddrs.has(last.dst) || (lastRole === 'bridge' && last.dstMac !== undefined && routerMacs.has(last.dstMac));
      if (a0 && a0.iface === last.iface && toHost && (lastRole === 'bridge' || lastRole === 'uplink') && !containerAddr(last.dst)) {
        hostAddrs.add(last.dst);
        j.steps.push({ from: last.iface, to: 'host', kind: 'local', latencyNs: a0.t - last.t });
      }
      continue;
    }
    // Multicast and broadcast go to a link, not through the host: wherever they were seen, they arrived.
    if (last.family !== 0 && isGroupAddress(last.dst)) {
      j.fate = 'delivered';
      continue;
    }
    // An ARP reply arrived when it reached the interface its request came from.
    if (last.family === 0 && j.isReply) {
      const request = requestOf.get(j.id);
      if (request && request.hops[0].iface === last.iface) j.fate = 'delivered';
      continue;
    }
    if (last.family === 0 || lastRole === 'any' || lastRole === 'loopback' || isLoopbackAddress(last.dst)) {
      j.fate = lastRole === 'loopback' || isLoopbackAddress(last.dst) ? 'delivered' : j.fate;
      continue;
    }
    // Addressed to the host's address, but to a port (or echo id) that NAT hands on to a container:
    // a packet that stops at the uplink there was dropped on the way in.
    const natKey = last.icmpId !== undefined ? `${last.dst}#${last.icmpId}` : endpoint(last.dst, last.dport);
    if (natInward.has(natKey)) {
      if (lastRole === 'uplink' || lastRole === 'bridge') j.fate = 'dropped';
      continue;
    }
    if (hostAddrs.has(last.dst) && (lastRole === 'uplink' || lastRole === 'bridge') && requestKind(w.hops[0]) === 'syn') {
      const k = tupleOf(w.hops[0]);
      if ((synsOf.get(k) ?? 0) >= 2 && !resetTuples.has(k)) {
        j.fate = 'dropped';
        silentlyDropped.add(j.id);
        continue;
      }
    }
    if (hostAddrs.has(last.dst) && lastRole !== 'veth' && lastRole !== 'container') {
      j.steps.push({ from: last.iface, to: 'host', kind: 'local', latencyNs: 0 });
      j.fate = 'delivered';
      continue;
    }
    if (containerAddr(last.dst)) {
      const home = origin.get(last.dst)!;
      j.fate = home.has(last.iface) || lastRole === 'container' ? 'delivered' : lastRole === 'uplink' || lastRole === 'bridge' ? 'dropped' : 'unknown';
      continue;
    }
    // An address that speaks from behind the bridge lives on a port nobody captured: the packet's
    // last captured hop is the bridge, and where it went next the captures cannot say.
    if (lastRole === 'bridge' && origin.has(last.dst) && ![...origin.get(last.dst)!].some((i) => role(i) === 'uplink')) {
      continue;
    }
    // A remote destination: the packet should leave through the uplink.
    if (!hasUplink) continue;
    if (lastRole === 'uplink') {
      j.fate = requestKind(w.hops[0]) !== undefined ? 'unknown' : 'delivered';
    } else if (lastRole === 'veth' || lastRole === 'bridge' || lastRole === 'container') {
      j.fate = 'dropped';
    }
  }
  return { silentlyDropped, hostAddresses: [...hostAddrs].sort() };
}

function addrOf(ep: string): string {
  if (ep.startsWith('[')) return ep.slice(1, ep.indexOf(']'));
  const i = ep.lastIndexOf(':');
  return i > 0 && !ep.slice(0, i).includes(':') ? ep.slice(0, i) : ep;
}
