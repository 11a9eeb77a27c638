import type { Observation } from './observation.js';
import { TCP_ACK, TCP_SYN } from './observation.js';
import { isGroupAddress } from './endpoint.js';

/**
 * Requests and their answers. For each hop of a request we index the tuple its answer would carry
 * on that same interface; an answer seen on any interface the request crossed (before or after
 * NAT) finds it. This is how an answer is recognised even when only one side of the NAT was captured.
 */
export type RequestKind = 'echo' | 'syn' | 'dns' | 'arp' | 'udp';

export function requestKind(o: Observation): RequestKind | undefined {
  if (o.kind === 'arp') return o.arpOp === 1 ? 'arp' : undefined;
  if (o.icmpType === 8 || o.icmpType === 128) return 'echo';
  if (o.kind === 'tcp' && o.tcpFlags !== undefined && (o.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) return 'syn';
  if (o.dnsId !== undefined && o.dnsResponse === false) return 'dns';
  return undefined;
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

/**
 * The keys `o` carries if it is an answer, in the form expectedAnswerKey builds: an echo reply may
 * answer a ping to its own address or one to a group.
 */
export function answerKeys(o: Observation): string[] {
  const key = answerKey(o);
  if (key === undefined) return [];
  if (o.icmpType === 0 || o.icmpType === 129) return [key, `echo|${o.iface}|*|${o.dst}|${o.icmpId}|${o.icmpSeq}`];
  return [key];
}

/** The key `o` carries if it is an answer, in the form expectedAnswerKey builds. */
export function answerKey(o: Observation): string | undefined {
  if (o.kind === 'arp') return o.arpOp === 2 ? `arp|${o.iface}|${o.src}|${o.dst}` : undefined;
  if (o.icmpType === 0 || o.icmpType === 129) return `echo|${o.iface}|${o.src}|${o.dst}|${o.icmpId}|${o.icmpSeq}`;
  if (o.kind === 'tcp' && o.tcpFlags !== undefined && (o.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
    return `syn|${o.iface}|${o.src}:${o.sport}|${o.dst}:${o.dport}|${o.ack}`;
  }
  if (o.dnsId !== undefined && o.dnsResponse === true) return `dns|${o.iface}|${o.src}|${o.dst}:${o.dport}|${o.dnsId}`;
  return undefined;
}
