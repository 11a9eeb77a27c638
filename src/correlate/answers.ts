import type { Observation } from './observation.js';
import { isFrameBroadcast, TCP_ACK, TCP_SYN } from './observation.js';
import { isGroupAddress } from './endpoint.js';
import type { JourneyWork } from './journey-work.js';
import { FingerprintHasher } from './fingerprint.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMP_ECHO, ICMP_ECHO_REPLY } from '../decode/enums.js';

/**
 * Requests and their answers. For each hop of a request we index the tuple its answer would carry
 * on that same interface; an answer seen on any interface the request crossed (before or after
 * NAT) finds it. This is how an answer is recognised even when only one side of the NAT was captured.
 */
export type RequestKind = 'echo' | 'syn' | 'dns' | 'arp' | 'udp';

export function requestKind(o: Observation): RequestKind | undefined {
  const d = o.detail;
  if (o.kind === 'arp') return d?.arpOp === 1 ? 'arp' : undefined;
  if (d?.icmpType === ICMP_ECHO || d?.icmpType === ICMPV6_ECHO_REQUEST) return 'echo';
  if (o.kind === 'tcp' && o.tcpFlags !== undefined && (o.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) return 'syn';
  if (d?.dnsId !== undefined && d.dnsResponse === false) return 'dns';
  return undefined;
}

/**
 * A request whose silence is worth a no-reply finding; every request is still matched with its
 * answers. Housekeeping waits for nobody: an ARP probe from 0.0.0.0 (RFC 5227: an answer would mean
 * the address is taken) or a gratuitous ARP announcing the sender's own address; a ping to ff02::1
 * or to the broadcast, an mDNS or LLMNR query to its group, answered by whoever is there, nobody
 * being there no fault. (ARP requests go to the broadcast MAC by design: their address is the one
 * asked for.)
 */
export function expectsAnswer(o: Observation): boolean {
  const kind = requestKind(o);
  if (kind === 'arp') return o.src !== '0.0.0.0' && o.src !== o.dst;
  return kind !== undefined && !isGroupAddress(o.dst) && !isFrameBroadcast(o);
}

const keys = new FingerprintHasher();

/** A number, or its absence, into the key: `undefined` is not 0. */
function num(h: FingerprintHasher, v: number | undefined): FingerprintHasher {
  return v === undefined ? h.byte(0) : h.byte(1).u32(v >>> 0).u16(Math.floor(v / 0x1_0000_0000));
}

/**
 * The key an answer to `o` would have, as seen on `o`'s interface: a 53-bit hash of what the answer
 * carries back (answerKey and groupEchoKey hash the same fields of an answer in the same order), so that matching
 * builds no text. A hash found is checked field by field (answersTo) before it counts.
 */
export function expectedAnswerKey(o: Observation, kind: RequestKind): number {
  const h = keys.reset().byte(KIND_CODES[kind]).text(o.iface);
  switch (kind) {
    case 'arp':
      return h.text(o.dst).text(o.src).value();
    case 'echo':
      // A ping to a group (ff02::1, 224.0.0.1, broadcast) is answered from each member's own address.
      return num(num(h.text(isGroupAddress(o.dst) ? ANY_MEMBER : o.dst).text(o.src), o.detail?.icmpId), o.detail?.icmpSeq).value();
    case 'syn':
      return num(num(num(h.text(o.dst), o.dport).text(o.src), o.sport), ((o.seq ?? 0) + 1) >>> 0).value();
    // The server's port is left out: a redirected resolver (Docker's embedded DNS) answers from :53
    // a query the capture saw going to its real port.
    case 'dns':
      return num(num(h.text(o.dst).text(o.src), o.sport), o.detail?.dnsId).value();
    case 'udp':
      return num(num(h.text(o.dst), o.dport).text(o.src), o.sport).value();
  }
}

/** Stands for "any member of the group" where an echo's answering address goes (never an address's text). */
const ANY_MEMBER = '*';
const KIND_CODES: Record<RequestKind, number> = { arp: 1, echo: 2, syn: 3, dns: 4, udp: 5 };

/** The second key an echo reply carries: the one of a ping to a group it may answer. */
function groupEchoKey(o: Observation): number | undefined {
  const d = o.detail;
  if (d?.icmpType !== ICMP_ECHO_REPLY && d?.icmpType !== ICMPV6_ECHO_REPLY) return undefined;
  return num(num(keys.reset().byte(KIND_CODES.echo).text(o.iface).text(ANY_MEMBER).text(o.dst), d.icmpId), d.icmpSeq).value();
}

/** The key `o` carries if it is an answer, as expectedAnswerKey makes them. */
function answerKey(o: Observation): number | undefined {
  const d = o.detail;
  if (o.kind === 'arp') return d?.arpOp === 2 ? keys.reset().byte(KIND_CODES.arp).text(o.iface).text(o.src).text(o.dst).value() : undefined;
  if (d?.icmpType === ICMP_ECHO_REPLY || d?.icmpType === ICMPV6_ECHO_REPLY) {
    return num(num(keys.reset().byte(KIND_CODES.echo).text(o.iface).text(o.src).text(o.dst), d.icmpId), d.icmpSeq).value();
  }
  if (o.kind === 'tcp' && o.tcpFlags !== undefined && (o.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
    return num(num(num(keys.reset().byte(KIND_CODES.syn).text(o.iface).text(o.src), o.sport).text(o.dst), o.dport), o.ack).value();
  }
  if (d?.dnsId !== undefined && d.dnsResponse === true) return num(num(keys.reset().byte(KIND_CODES.dns).text(o.iface).text(o.src).text(o.dst), o.dport), d.dnsId).value();
  return undefined;
}

/**
 * Whether `a` answers `r` (a hop of a request of `kind`) as their keys say, field by field: what a
 * key found in the table must also be, as two different keys may share a hash.
 */
function answersTo(kind: RequestKind, r: Observation, a: Observation): boolean {
  if (r.iface !== a.iface) return false;
  switch (kind) {
    case 'arp':
      return a.kind === 'arp' && a.detail?.arpOp === 2 && a.src === r.dst && a.dst === r.src;
    case 'echo': {
      if (a.dst !== r.src || a.detail?.icmpId !== r.detail?.icmpId || a.detail?.icmpSeq !== r.detail?.icmpSeq) return false;
      return isGroupAddress(r.dst) || a.src === r.dst;
    }
    case 'syn':
      return a.src === r.dst && a.sport === r.dport && a.dst === r.src && a.dport === r.sport && a.ack === ((r.seq ?? 0) + 1) >>> 0;
    case 'dns':
      return a.src === r.dst && a.dst === r.src && a.dport === r.sport && a.detail?.dnsId === r.detail?.dnsId;
    case 'udp':
      return a.src === r.dst && a.sport === r.dport && a.dst === r.src && a.dport === r.sport;
  }
}

/**
 * Matches answers to the requests still waiting, in the order journeys were first seen. A request
 * waits until its fate is decided and is then forgotten, so the table holds only the requests of
 * the journeys still waiting, not of the whole capture.
 */
export class AnswerMatcher {
  private readonly waiting = new Map<number, JourneyWork>();

  /** Matches `w` if it answers a waiting request (returned when `w` is its first answer), then lets `w` wait if it asks. */
  admit(w: JourneyWork): JourneyWork | undefined {
    let answered: JourneyWork | undefined;
    // An answer carries one key, an echo reply a second (a ping to a group); indexed, as for-of
    // made an iterator per journey here.
    for (let i = 0; i < w.hops.length; i++) {
      const h = w.hops[i];
      const key = answerKey(h);
      if (key === undefined) continue;
      let found = this.answer(w, h, key);
      if (found === undefined) {
        const group = groupEchoKey(h);
        if (group !== undefined) found = this.answer(w, h, group);
      }
      if (found === undefined) continue;
      if (found !== false) answered = found;
      break;
    }
    const kind = requestKind(w.hops[0]);
    if (kind) {
      w.waitKeys = w.hops.map((h) => expectedAnswerKey(h, kind));
      for (const key of w.waitKeys) this.waiting.set(key, w);
    }
    return answered;
  }

  /**
   * Whether hop `h` of `w`, carrying `key`, answers a waiting request: the request when `w` is its
   * first answer, false when `w` answers it again (a copy's answer, a group's other members),
   * undefined when it answers nothing waiting under that key.
   */
  private answer(w: JourneyWork, h: Observation, key: number): JourneyWork | false | undefined {
    const req = this.waiting.get(key);
    if (!req || req === w || !answersToAny(req, h)) return undefined;
    if (req.journey.answeredBy === undefined) {
      req.answers = 1;
      req.journey.answeredBy = w.journey.id;
      req.journey.fate = 'answered';
      req.answerFirstHop = w.hops[0];
      w.journey.isReply = true;
      w.journey.answerOf = req.journey.id;
      w.requestIface = req.hops[0].iface;
      return req;
    }
    // The answerer got the request twice (a hairpin with br_netfilter delivers it once bridged
    // and once routed) and answered each copy: the same answer again, not a retransmission.
    if ((req.answers ?? 0) < deliveries(req, w.hops[0].iface)) {
      req.answers = (req.answers ?? 0) + 1;
      w.journey.isReply = true;
      w.journey.answerOf = req.journey.id;
      w.journey.answersCopy = true;
      return false;
    }
    // Every member of a group answers a ping to the group: the later answers are answers too.
    if (isGroupAddress(req.hops[0].dst)) {
      w.journey.isReply = true;
      w.journey.answerOf = req.journey.id;
      return false;
    }
    return undefined;
  }

  /** A request whose fate is decided takes no more answers. */
  forget(w: JourneyWork): void {
    for (const key of w.waitKeys ?? []) if (this.waiting.get(key) === w) this.waiting.delete(key);
    w.waitKeys = undefined;
  }
}

/** Whether `a` answers any hop of the request `req` (see answersTo). */
function answersToAny(req: JourneyWork, a: Observation): boolean {
  const kind = requestKind(req.hops[0]);
  if (kind === undefined) return false;
  for (const r of req.hops) if (answersTo(kind, r, a)) return true;
  return false;
}

/** How many copies of `req` the interface `iface` carried (`any` names every interface: one). */
function deliveries(req: JourneyWork, iface: string): number {
  if (iface === 'any') return 1;
  let n = 0;
  for (const h of req.hops) if (h.iface === iface) n++;
  return n;
}
