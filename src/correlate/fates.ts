import type { InterfaceRole, NatRewrite } from './model.js';
import { isFrameBroadcast, TCP_RST, type Observation } from './observation.js';
import { requestKind } from './answers.js';
import { addressOf, addressScope, isGroupScope, isLinkScope } from './endpoint.js';
import { ClientTuples, NatInward } from './connection-facts.js';
import { AddressOrigins, type Origin } from './address-origins.js';
import type { JourneyWork } from './journey-work.js';
import type { Topology } from './topology.js';
import { IPPROTO_TCP } from '../decode/enums.js';

/** The roles the fates are judged with: those known when a journey's fate is decided. */
export interface RoleView {
  role(iface: string): InterfaceRole;
  /** Some interface is the host's uplink. */
  hasUplink: boolean;
  /** Changes whenever any role may have changed. */
  version: number;
}

/** How long facts about one connection are kept after its last packet (see FateJudge.prune). */
const CONNECTION_FACTS_NS = 150_000_000_000;

/** An ARP reply, as far as it tells the host's own addresses. */
interface ArpReply {
  address: string;
  sha?: string;
  iface: string;
  out: boolean;
}

/**
 * Local delivery and fates. Facts about addresses are learnt from every journey as it is admitted
 * (in order of first sighting), and a journey's fate is decided later, once newer journeys have
 * come: an answer can come long after its request (a slow server), and the host's own addresses
 * are learnt from what comes after. What is kept grows with addresses and connections, not packets.
 */
export class FateJudge {
  /** The host's own MACs: a packet sent to one of them and then routed was handed to the host. */
  private readonly routerMacs = new Set<string>();
  /** Where each address lives: the interfaces on which its packets are first seen (their origin). */
  private readonly origin = new AddressOrigins();
  private readonly arpReplies = new Map<string, ArpReply>();
  /** Outside addresses of NAT, by the interface they were seen on. */
  private readonly snatAfter = new Map<string, Set<string>>();
  private readonly dnatBefore = new Map<string, Set<string>>();
  /** Host addresses given, or learnt from what the host answered itself. */
  private readonly hostKnown: Set<string>;
  /**
   * Endpoints of the host that NAT forwards inwards: the outside side of source NAT (answers come
   * back to it) and the published side of destination NAT.
   */
  private readonly natInward = new NatInward();
  /**
   * By the client's tuple: connections that got a RST, and SYNs sent and not answered with when the
   * last was sent. Only that difference is ever asked, so a tuple whose SYNs were all answered
   * (nearly every connection) is forgotten at once, where keeping it for CONNECTION_FACTS_NS held
   * every connection of the last 150 s of capture.
   */
  private readonly clientTuples = new ClientTuples();
  /** When facts about connections are next looked through for ones to forget (decision time). */
  private nextPrune = -Infinity;
  /** When the next generation of address origins starts (decision time). */
  private nextAge = -Infinity;
  /** Bumped when a fact the derived host addresses depend on is learnt. */
  private factsVersion = 0;
  private derived = { facts: -1, roles: -1, addresses: new Set<string>() };

  constructor(topology?: Topology) {
    this.hostKnown = new Set(topology?.hostAddresses ?? []);
  }

  /** Learns what `w` tells about addresses; call in order of first sighting, after answer matching. */
  learn(w: JourneyWork): void {
    const first = w.hops[0];
    if (first.family === 0) {
      if (first.detail?.arpOp === 2) {
        const key = `${first.src}|${first.detail?.arpSha ?? ''}|${first.iface}|${first.direction ?? ''}`;
        if (!this.arpReplies.has(key)) {
          this.arpReplies.set(key, { address: first.src, sha: first.detail?.arpSha, iface: first.iface, out: first.direction === 'out' });
          this.factsVersion++;
        }
      }
    } else {
      this.origin.note(first.src, first.iface);
    }
    // One walk over the steps: the MAC the first routed step was sent to (the host's), the outside
    // addresses of NAT (IP packets), and the host's endpoints that NAT forwards inwards.
    const steps = w.journey.steps;
    let routed = false;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      if (!routed && s.kind === 'routed') {
        routed = true;
        // Routed back out of the link it came from, the frame the host took in may be a copy the
        // bridge passed up without being its own (br_netfilter's hairpin): the host's MAC there is
        // the one it sent from.
        const mac = w.hops[i].iface === w.hops[i + 1]?.iface ? w.hops[i + 1].srcMac : w.hops[i].dstMac;
        if (mac !== undefined && !this.routerMacs.has(mac)) {
          this.routerMacs.add(mac);
          this.factsVersion++;
        }
      }
      if (s.nat) {
        if (first.family !== 0 && s.nat.type === 'snat' && s.to) this.addTo(this.snatAfter, s.to, addressOf(s.nat.after));
        if (first.family !== 0 && s.nat.type === 'dnat') this.addTo(this.dnatBefore, s.from, addressOf(s.nat.before));
        this.learnInward(s.nat, w.hops[i], w.hops[i + 1], first.t);
      }
      if (s.natAlso) this.learnInward(s.natAlso, w.hops[i], w.hops[i + 1], first.t);
    }
    // A SYN to one of the host's own addresses is answered by the kernel whatever happens next: a
    // SYN-ACK from a listener, a RST from a closed port. A reset travels from server to client: its
    // tuple reversed is the client's.
    for (const h of w.hops) {
      if (h.proto === IPPROTO_TCP && h.tcpFlags !== undefined && (h.tcpFlags & TCP_RST) !== 0) {
        this.clientTuples.reset(h.dst, h.dport, h.src, h.sport, first.t);
      }
    }
    if (requestKind(first) === 'syn') this.countSyn(first, 1);
  }

  /** The host's endpoint a rewrite between `before` and `after` forwards inwards (natInward). */
  private learnInward(nat: NatRewrite, before: Observation | undefined, after: Observation | undefined, t: number): void {
    if (nat.type === 'snat' && after) this.natInward.set(after.src, after.sport, after.detail?.icmpId, t);
    if (nat.type === 'dnat' && before) this.natInward.set(before.dst, before.dport, before.detail?.icmpId, t);
  }

  /** `request` got its first answer. */
  answered(request: JourneyWork): void {
    if (requestKind(request.hops[0]) === 'syn') this.countSyn(request.hops[0], -1);
  }

  /** A SYN of `o`'s tuple sent (+1) or answered (-1). */
  private countSyn(o: Observation, change: 1 | -1): void {
    this.clientTuples.countSyn(o.src, o.sport, o.dst, o.dport, change, o.t);
  }

  /**
   * Forgets what was learnt about a connection when its last packet is CONNECTION_FACTS_NS older
   * than the journey being decided: every journey that could use it has been decided by then (a
   * SYN's retries end within conntrack's two minutes), and a busy capture's millions of
   * connections do not pile up.
   */
  private prune(nowNs: number, roles: RoleView): void {
    if (nowNs >= this.nextAge) {
      // The first call only sets the clock going: a generation is a whole CONNECTION_FACTS_NS.
      if (this.nextAge !== -Infinity) this.origin.age(roles);
      this.nextAge = nowNs + CONNECTION_FACTS_NS;
    }
    if (nowNs < this.nextPrune) return;
    this.nextPrune = nowNs + CONNECTION_FACTS_NS / 4;
    const before = nowNs - CONNECTION_FACTS_NS;
    this.natInward.forgetBefore(before);
    this.clientTuples.forgetBefore(before);
  }

  private addTo(map: Map<string, Set<string>>, iface: string, addr: string): void {
    let set = map.get(iface);
    if (!set) map.set(iface, (set = new Set()));
    if (!set.has(addr)) {
      set.add(addr);
      this.factsVersion++;
    }
  }

  /** The host's addresses from its ARP replies and its NAT, with the roles known now. */
  private derivedAddresses(roles: RoleView): Set<string> {
    if (this.derived.facts === this.factsVersion && this.derived.roles === roles.version) return this.derived.addresses;
    const out = new Set<string>();
    for (const r of this.arpReplies.values()) {
      // An ARP reply from one of the host's MACs gives the host's address on that link. So does one
      // the capture saw the host send (`-i any` marks it outgoing) on a bridge or uplink: frames a
      // bridge forwards between its ports never pass its own device.
      const role = roles.role(r.iface);
      if ((r.sha !== undefined && this.routerMacs.has(r.sha)) || (r.out && (role === 'bridge' || role === 'uplink'))) out.add(r.address);
    }
    for (const [iface, set] of this.snatAfter) if (roles.role(iface) === 'uplink') for (const a of set) out.add(a);
    for (const [iface, set] of this.dnatBefore) if (roles.role(iface) === 'uplink') for (const a of set) out.add(a);
    this.derived = { facts: this.factsVersion, roles: roles.version, addresses: out };
    return out;
  }

  private isHost(addr: string, roles: RoleView): boolean {
    return this.hostKnown.has(addr) || this.derivedAddresses(roles).has(addr);
  }

  /**
   * Decides `w`'s fate (and its local delivery step) with what is known now. Call in order of first
   * sighting. Returns true for a SYN to the host that was sent again and met with silence.
   */
  decide(w: JourneyWork, roles: RoleView): boolean {
    this.prune(w.hops[0].t, roles);
    const j = w.journey;
    const last = w.hops[w.hops.length - 1];
    const lastRole = roles.role(last.iface);
    if (j.answeredBy !== undefined) {
      this.hostAnswered(w, last, lastRole, roles);
      return false;
    }
    if (this.settledByScope(w, last, lastRole)) return false;
    // Addressed to the host's address, but to a port (or echo id) that NAT hands on to a container:
    // a packet that stops at the uplink there was dropped on the way in.
    if (this.natInward.has(last.dst, last.dport, last.detail?.icmpId)) {
      if (lastRole === 'uplink' || lastRole === 'bridge') j.fate = 'dropped';
      return false;
    }
    const toHost = this.isHost(last.dst, roles);
    // Sent again and met with silence (not even a RST): dropped by a filter.
    if (toHost && (lastRole === 'uplink' || lastRole === 'bridge') && requestKind(w.hops[0]) === 'syn') {
      const { src, sport, dst, dport } = w.hops[0];
      if (this.clientTuples.unansweredSyns(src, sport, dst, dport) >= 2 && !this.clientTuples.wasReset(src, sport, dst, dport)) {
        j.fate = 'dropped';
        return true;
      }
    }
    if (toHost && lastRole !== 'veth' && lastRole !== 'container') {
      j.steps.push({ from: last.iface, to: 'host', kind: 'local', latencyNs: 0 });
      j.fate = 'delivered';
      return false;
    }
    const home = this.origin.of(last.dst);
    if (isContainerHome(home, roles)) {
      j.fate = home!.has(last.iface) || lastRole === 'container' ? 'delivered' : lastRole === 'uplink' || lastRole === 'bridge' ? 'dropped' : 'unknown';
      return false;
    }
    // An address that speaks from behind the bridge lives on a port nobody captured: the packet's
    // last captured hop is the bridge, and where it went next the captures cannot say.
    if (lastRole === 'bridge' && home !== undefined && ![...home].some((i) => roles.role(i) === 'uplink')) return false;
    // A remote destination: the packet should leave through the uplink.
    if (!roles.hasUplink) return false;
    if (lastRole === 'uplink') {
      j.fate = requestKind(w.hops[0]) !== undefined ? 'unknown' : 'delivered';
    } else if (lastRole === 'veth' || lastRole === 'bridge' || lastRole === 'container') {
      j.fate = 'dropped';
    }
    return false;
  }

  /** An answered journey: where the host answered it itself, the local step and the host's address. */
  private hostAnswered(w: JourneyWork, last: Observation, lastRole: InterfaceRole, roles: RoleView): void {
    const j = w.journey;
    const a0 = w.answerFirstHop;
    // The host itself answered: the request was addressed to the host (one of its addresses, or
    // its MAC on a bridge) and the answer starts where the request ended.
    const toHost = this.isHost(last.dst, roles) || (lastRole === 'bridge' && last.dstMac !== undefined && this.routerMacs.has(last.dstMac));
    if (a0 && a0.iface === last.iface && toHost && (lastRole === 'bridge' || lastRole === 'uplink') && !isContainerHome(this.origin.of(last.dst), roles)) {
      this.hostKnown.add(last.dst);
      j.steps.push({ from: last.iface, to: 'host', kind: 'local', latencyNs: a0.t - last.t });
    }
  }

  /**
   * The fates the addresses alone decide, wherever the packet was last seen: groups, ARP, loopback,
   * link scope. Returns whether they did.
   */
  private settledByScope(w: JourneyWork, last: Observation, lastRole: InterfaceRole): boolean {
    const j = w.journey;
    // Multicast and broadcast go to a link, not through the host: wherever they were seen, they arrived.
    const dstScope = addressScope(last.dst);
    if (last.family !== 0 && (isGroupScope(dstScope) || isFrameBroadcast(last))) {
      j.fate = 'delivered';
      return true;
    }
    // An ARP reply arrived when it reached the interface its request came from.
    if (last.family === 0 && j.isReply) {
      if (w.requestIface === last.iface) j.fate = 'delivered';
      return true;
    }
    if (last.family === 0 || lastRole === 'any' || lastRole === 'loopback' || dstScope === 'loopback') {
      j.fate = lastRole === 'loopback' || dstScope === 'loopback' ? 'delivered' : j.fate;
      return true;
    }
    // Link-local addresses (and a sender without one yet) are never routed: such a packet reaches a
    // neighbour on its own link or nobody, so the host cannot have failed to forward it. It arrived,
    // unless it asked for an answer that never came (then no-reply speaks, not dropped-at-host).
    const srcScope = addressScope(last.src);
    if (isLinkScope(dstScope) || srcScope === 'link-local' || srcScope === 'unspecified') {
      if (requestKind(w.hops[0]) === undefined) j.fate = 'delivered';
      return true;
    }
    return false;
  }

  /** The host's own addresses: given, or learnt (its ARP replies, the outside of its NAT, what it answered itself). */
  hostAddresses(roles: RoleView): string[] {
    return [...new Set([...this.hostKnown, ...this.derivedAddresses(roles)])].sort();
  }
}

/** Whether an address first seen on the interfaces of `home` is a container's: one of them is a veth or a container's own. */
function isContainerHome(home: Origin | undefined, roles: RoleView): boolean {
  if (home === undefined) return false;
  for (const i of home) {
    const r = roles.role(i);
    if (r === 'veth' || r === 'container') return true;
  }
  return false;
}
