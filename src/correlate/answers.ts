import type { Observation } from './observation.js';
import { isFrameBroadcast, TCP_ACK, TCP_SYN } from './observation.js';
import { isGroupAddress } from './endpoint.js';
import type { JourneyWork } from './journey-work.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMP_ECHO, ICMP_ECHO_REPLY } from '../decode/enums.js';

/**
 * Requests and their answers. For each hop of a request we index the tuple its answer would carry
 * on that same interface; an answer seen on any interface the request crossed (before or after
 * NAT) finds it. This is how an answer is recognised even when only one side of the NAT was captured.
 */
export type RequestKind = 'echo' | 'syn' | 'dns' | 'arp' | 'udp';

export function requestKind(o: Observation): RequestKind | undefined {
  if (o.kind === 'arp') return o.arpOp === 1 ? 'arp' : undefined;
  if (o.icmpType === ICMP_ECHO || o.icmpType === ICMPV6_ECHO_REQUEST) return 'echo';
  if (o.kind === 'tcp' && o.tcpFlags !== undefined && (o.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) return 'syn';
  if (o.dnsId !== undefined && o.dnsResponse === false) return 'dns';
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

/** The key an answer to `o` would have, as seen on `o`'s interface. */
export function expectedAnswerKey(o: Observation, kind: RequestKind): string {
  switch (kind) {
    case 'arp':
      return `arp|${o.iface}|${o.dst}|${o.src}`;
    case 'echo':
      // A ping to a group (ff02::1, 224.0.0.1, broadcast) is answered from each member's own address.
      return `echo|${o.iface}|${isGroupAddress(o.dst) ? '*' : o.dst}|${o.src}|${o.icmpId}|${o.icmpSeq}`;
    case 'syn':
      return `syn|${o.iface}|${o.dst}:${o.dport}|${o.src}:${o.sport}|${((o.seq ?? 0) + 1) >>> 0}`;
    // The server's port is left out: a redirected resolver (Docker's embedded DNS) answers from :53
    // a query the capture saw going to its real port.
    case 'dns':
      return `dns|${o.iface}|${o.dst}|${o.src}:${o.sport}|${o.dnsId}`;
    case 'udp':
      return `udp|${o.iface}|${o.dst}:${o.dport}|${o.src}:${o.sport}`;
  }
}

const NO_KEYS: readonly string[] = [];

/**
 * The keys `o` carries if it is an answer, in the form expectedAnswerKey builds: an echo reply may
 * answer a ping to its own address or one to a group.
 */
export function answerKeys(o: Observation): readonly string[] {
  const key = answerKey(o);
  if (key === undefined) return NO_KEYS;
  if (o.icmpType === ICMP_ECHO_REPLY || o.icmpType === ICMPV6_ECHO_REPLY) return [key, `echo|${o.iface}|*|${o.dst}|${o.icmpId}|${o.icmpSeq}`];
  return [key];
}

/** The key `o` carries if it is an answer, in the form expectedAnswerKey builds. */
export function answerKey(o: Observation): string | undefined {
  if (o.kind === 'arp') return o.arpOp === 2 ? `arp|${o.iface}|${o.src}|${o.dst}` : undefined;
  if (o.icmpType === ICMP_ECHO_REPLY || o.icmpType === ICMPV6_ECHO_REPLY) return `echo|${o.iface}|${o.src}|${o.dst}|${o.icmpId}|${o.icmpSeq}`;
  if (o.kind === 'tcp' && o.tcpFlags !== undefined && (o.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
    return `syn|${o.iface}|${o.src}:${o.sport}|${o.dst}:${o.dport}|${o.ack}`;
  }
  if (o.dnsId !== undefined && o.dnsResponse === true) return `dns|${o.iface}|${o.src}|${o.dst}:${o.dport}|${o.dnsId}`;
  return undefined;
}

/**
 * Matches answers to the requests still waiting, in the order journeys were first seen. A request
 * waits until its fate is decided and is then forgotten, so the table holds only the requests of
 * the journeys still waiting, not of the whole capture.
 */
export class AnswerMatcher {
  private readonly waiting = new Map<string, JourneyWork>();

  /** Matches `w` if it answers a waiting request (returned when `w` is its first answer), then lets `w` wait if it asks. */
  admit(w: JourneyWork): JourneyWork | undefined {
    let answered: JourneyWork | undefined;
    hops: for (const h of w.hops) {
      for (const key of answerKeys(h)) {
        const req = this.waiting.get(key);
        if (!req || req === w) continue;
        if (req.journey.answeredBy === undefined) {
          req.answers = 1;
          req.journey.answeredBy = w.journey.id;
          req.journey.fate = 'answered';
          req.answerFirstHop = w.hops[0];
          w.journey.isReply = true;
          w.journey.answerOf = req.journey.id;
          w.requestIface = req.hops[0].iface;
          answered = req;
          break hops;
        }
        // The answerer got the request twice (a hairpin with br_netfilter delivers it once bridged
        // and once routed) and answered each copy: the same answer again, not a retransmission.
        if ((req.answers ?? 0) < deliveries(req, w.hops[0].iface)) {
          req.answers = (req.answers ?? 0) + 1;
          w.journey.isReply = true;
          w.journey.answerOf = req.journey.id;
          w.journey.answersCopy = true;
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
    if (kind) {
      w.waitKeys = w.hops.map((h) => expectedAnswerKey(h, kind));
      for (const key of w.waitKeys) this.waiting.set(key, w);
    }
    return answered;
  }

  /** A request whose fate is decided takes no more answers. */
  forget(w: JourneyWork): void {
    for (const key of w.waitKeys ?? []) if (this.waiting.get(key) === w) this.waiting.delete(key);
    w.waitKeys = undefined;
  }
}

/** How many copies of `req` the interface `iface` carried (`any` names every interface: one). */
function deliveries(req: JourneyWork, iface: string): number {
  if (iface === 'any') return 1;
  let n = 0;
  for (const h of req.hops) if (h.iface === iface) n++;
  return n;
}
