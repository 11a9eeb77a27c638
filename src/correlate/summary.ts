import type { Observation } from './observation.js';
import { isIgmp, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from './observation.js';
import { endpoint } from './endpoint.js';
import { ICMPV6_DEST_UNREACH, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_MLDV2_REPORT, ICMPV6_NEIGHBOR_ADVERT, ICMPV6_NEIGHBOR_SOLICIT, ICMPV6_ROUTER_ADVERT, ICMPV6_ROUTER_SOLICIT, ICMPV6_TIME_EXCEEDED, ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_UNREACH } from '../decode/enums.js';

/** tcpdump's flag letters: S F P R . (ACK). */
export function tcpFlagText(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_ACK) s += '.';
  return s === '' ? 'none' : s;
}

const ICMP_NAMES: Record<number, string> = {
  [ICMP_ECHO_REPLY]: 'echo reply',
  [ICMP_UNREACH]: 'destination unreachable',
  [ICMP_REDIRECT]: 'redirect',
  [ICMP_ECHO]: 'echo request',
  [ICMP_TIME_EXCEEDED]: 'time exceeded',
};

const ICMP6_NAMES: Record<number, string> = {
  [ICMPV6_DEST_UNREACH]: 'destination unreachable',
  [ICMPV6_TIME_EXCEEDED]: 'time exceeded',
  [ICMPV6_ECHO_REQUEST]: 'echo request',
  [ICMPV6_ECHO_REPLY]: 'echo reply',
  [ICMPV6_ROUTER_SOLICIT]: 'router solicitation',
  [ICMPV6_ROUTER_ADVERT]: 'router advertisement',
  [ICMPV6_NEIGHBOR_SOLICIT]: 'neighbor solicitation',
  [ICMPV6_NEIGHBOR_ADVERT]: 'neighbor advertisement',
  [ICMPV6_MLDV2_REPORT]: 'MLDv2 report',
};

/** One line that says what a packet is, as the first hop saw it (its original form). */
export function summaryOf(o: Observation): string {
  const d = o.detail;
  switch (o.kind) {
    case 'arp':
      return d?.arpOp === 1 ? `ARP who-has ${o.dst} tell ${o.src}` : d?.arpOp === 2 ? `ARP ${o.src} is-at ${d.arpSha ?? '?'}` : `ARP op ${d?.arpOp}`;
    case 'icmp':
    case 'icmpv6': {
      const names = o.kind === 'icmp' ? ICMP_NAMES : ICMP6_NAMES;
      const name = names[d?.icmpType ?? -1] ?? `type ${d?.icmpType}`;
      const echo = d?.icmpId !== undefined ? ` id ${d.icmpId} seq ${d.icmpSeq}` : '';
      return `${o.kind === 'icmp' ? 'ICMP' : 'ICMPv6'} ${name} ${o.src} > ${o.dst}${echo}`;
    }
    case 'tcp': {
      const what = o.httpText ? ` ${o.httpText}` : o.payloadLen > 0 ? ` ${o.payloadLen} bytes` : '';
      return `TCP ${endpoint(o.src, o.sport)} > ${endpoint(o.dst, o.dport)} [${tcpFlagText(o.tcpFlags ?? 0)}] seq ${o.seq}${what}`;
    }
    case 'udp': {
      if (d?.dnsText) return `DNS ${d.dnsResponse ? 'answer' : 'query'} ${d.dnsText} ${endpoint(o.src, o.sport)} > ${endpoint(o.dst, o.dport)}`;
      return `UDP ${endpoint(o.src, o.sport)} > ${endpoint(o.dst, o.dport)} ${o.payloadLen} bytes`;
    }
    default:
      if (isIgmp(o)) return `IGMP ${o.src} > ${o.dst}`;
      return o.family === 0 ? `layer-2 frame ${o.src} > ${o.dst}` : `IP protocol ${o.proto} ${o.src} > ${o.dst}`;
  }
}
