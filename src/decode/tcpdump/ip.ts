// IPv4 and IPv6 as tcpdump 4.99's print-ip.c and print-ip6.c print them without -v: the
// addresses (left to the TCP/UDP printer for those), fragments, extension headers, and the
// demultiplexing to the next protocol.
import type { Packet } from '../packet.js';
import { ipv6String, u16, u32 } from '../bytes.js';
import type { Ipv4Header } from '../ipv4.js';
import { IPV6_HEADER_LENGTH, type Ipv6Header } from '../ipv6.js';
import { formatIcmp } from './icmp.js';
import { formatIcmpv6 } from './icmpv6.js';
import { formatIgmp } from './igmp.js';
import { formatVrrp } from './vrrp.js';
import { formatTransport } from './transport.js';
import { formatGre } from './tunnel.js';
import type { LineOptions } from './line.js';
import { IPPROTO_AH, IPPROTO_DCCP, IPPROTO_DSTOPTS, IPPROTO_ESP, IPPROTO_FRAGMENT, IPPROTO_GRE, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IGMP, IPPROTO_IPCOMP, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_NONE, IPPROTO_ROUTING, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_VRRP } from '../enums.js';

const TRUNCATION_NAMES: Readonly<Record<number, string>> = { [IPPROTO_TCP]: 'tcp', [IPPROTO_UDP]: 'udp', [IPPROTO_ICMPV6]: 'icmp6', [IPPROTO_ICMP]: 'icmp' };

/** Protocols whose printers print the addresses themselves (with ports). */
function printsOwnAddresses(p: number): boolean {
  return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP || p === IPPROTO_DCCP;
}

/** print-ah.c: `AH(spi=0x...,seq=0x...,icv=0x...)`, and where the next header starts. */
function formatAh(b: Uint8Array, o: number): { text: string; next: number; length: number } | undefined {
  if (o + 12 > b.length) return undefined;
  const length = (b[o + 1] + 2) * 4;
  if (length < 12 || o + length > b.length) return undefined;
  let icv = '';
  for (let i = o + 12; i < o + length; i++) icv += b[i].toString(16).padStart(2, '0');
  return { text: `AH(spi=0x${u32(b, o + 4).toString(16).padStart(8, '0')},seq=0x${u32(b, o + 8).toString(16)},icv=0x${icv})`, next: b[o], length };
}

/**
 * ip_demux_print for the protocols this project decodes; others print as tcpdump -n does for a
 * protocol it has no printer for. `offset` is where the protocol's header starts.
 */
function formatDemux(pkt: Packet, protocol: number, offset: number, src: string, dst: string, length: number, opts: LineOptions, nested: (inner: Packet, wireLength: number) => string): string {
  const b = pkt.data;
  switch (protocol) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
      return formatTransport(pkt, src, dst, opts);
    case IPPROTO_ICMP:
      if (pkt.icmp) return formatIcmp(pkt.icmp);
      return ' [|icmp]';
    case IPPROTO_ICMPV6:
      if (pkt.icmpv6) return formatIcmpv6(pkt.icmpv6);
      return ' [|icmp6]';
    case IPPROTO_VRRP:
      return formatVrrp(b, offset, length, Math.min(b.length, offset + length), pkt.ipv4?.ttl ?? pkt.ipv6?.hopLimit ?? 0);
    case IPPROTO_IGMP:
      // tcpdump bounds the message by the IP length as well as by the captured bytes.
      return formatIgmp(b, offset, length, Math.min(b.length, offset + length));
    case IPPROTO_IPIP:
    case IPPROTO_IPV6:
      if (pkt.inner) return nested(pkt.inner, length);
      return ` ip-proto-${protocol} ${length}`;
    case IPPROTO_GRE:
      return formatGre(pkt, b, offset, length, opts);
    case IPPROTO_NONE:
      return 'no next header';
    case IPPROTO_AH: {
      const ah = formatAh(b, offset);
      if (!ah) return ' [|AH]';
      const next = ah.next;
      // Like tcpdump, the addresses precede AH, so TCP and UDP after it print their own again.
      return `${ah.text}: ${formatDemux(pkt, next, offset + ah.length, src, dst, length - ah.length, opts, nested)}`;
    }
    case IPPROTO_ESP:
      if (offset + 8 > b.length) return ' [|ESP]';
      return `ESP(spi=0x${u32(b, offset).toString(16).padStart(8, '0')},seq=0x${u32(b, offset + 4).toString(16)}), length ${length}`;
    case IPPROTO_IPCOMP:
      if (offset + 4 > b.length) return ' [|IPComp]';
      return `IPComp(cpi=0x${u16(b, offset + 2).toString(16).padStart(4, '0')})`;
    default:
      return ` ip-proto-${protocol} ${length}`;
  }
}

/**
 * An IPv4 packet: `src > dst: ...` (without the `IP ` the caller adds). `wireLength` is what
 * tcpdump calls the length: the frame's length after the link header.
 */
export function formatIpv4(pkt: Packet, ip: Ipv4Header, wireLength: number, opts: LineOptions, nested: (inner: Packet, wireLength: number) => string): string {
  let s = '';
  // tcpdump 4.99 is built without GUESS_TSO: a GSO packet's total length 0 is an error to it.
  if (ip.totalLength < ip.headerLength) return `bad-len ${ip.totalLength}`;
  let len = ip.totalLength;
  if (len > wireLength) s += `truncated-ip - ${len - wireLength} bytes missing! `;
  len -= ip.headerLength;
  const src = ip.src;
  const dst = ip.dst;
  const protocol = ip.protocol;
  if (ip.isLaterFragment) return `${s}${src} > ${dst}: ip-proto-${protocol}`;
  if (!printsOwnAddresses(protocol)) s += `${src} > ${dst}: `;
  return s + formatDemux(pkt, protocol, ip.payloadOffset, src, dst, len, opts, nested);
}

const EXT_PREFIX: Readonly<Record<number, string>> = {
  [IPPROTO_HOPOPTS]: 'HBH ',
  [IPPROTO_DSTOPTS]: 'DSTOPT ',
};

/** An IPv6 packet: `src > dst: ...` (without `IP6 `). */
export function formatIpv6(pkt: Packet, ip: Ipv6Header, wireLength: number, opts: LineOptions, nested: (inner: Packet, wireLength: number) => string): string {
  let s = '';
  const b = ip.b;
  const plen = ip.payloadLength;
  let len = plen !== 0 ? plen + IPV6_HEADER_LENGTH : ip.jumboLength !== undefined ? ip.jumboLength + IPV6_HEADER_LENGTH : wireLength;
  if (plen !== 0 && len > wireLength) s += `truncated-ip6 - ${len - wireLength} bytes missing!`;
  const src = ip.src;
  const dst = ip.dst;
  if (plen === 0 && ip.jumboLength === undefined) {
    // A GSO ("BIG TCP") send: tcpdump 4.99 takes the payload as empty and the next printer stops.
    if (ip.nextHeader === IPPROTO_ICMPV6) return `${s}${src} > ${dst}: ICMP6, length 0 (invalid)`;
    return `${s}${src} > ${dst}: [|${TRUNCATION_NAMES[ip.nextHeader] ?? `ip-proto-${ip.nextHeader}`}]`;
  }
  if (!printsOwnAddresses(ip.nextHeader)) s += `${src} > ${dst}: `;
  len -= IPV6_HEADER_LENGTH;
  for (const ext of ip.extensions) {
    len -= ext.length;
    if (ext.type === IPPROTO_FRAGMENT) {
      const off = u16(b, ext.offset + 2) & 0xfff8;
      const fragLen = IPV6_HEADER_LENGTH + plen - (ext.offset - ip.offset) - 8;
      s += `frag (${off}|${fragLen})`;
      if (off !== 0) return s;
      s += ' ';
    } else if (ext.type === IPPROTO_ROUTING) {
      s += formatRouting(b, ext.offset);
    } else {
      s += EXT_PREFIX[ext.type] ?? '';
      if (ext.type === IPPROTO_HOPOPTS && plen === 0 && ip.jumboLength !== undefined && len + ext.length + IPV6_HEADER_LENGTH > wireLength) {
        s += `truncated-ip6 - ${len + ext.length + IPV6_HEADER_LENGTH - wireLength} bytes missing!`;
      }
    }
  }
  return s + formatDemux(pkt, ip.protocol, ip.payloadOffset, src, dst, len, opts, nested);
}

/** rt6_print without -v for routing types 0, 2 and segment routing (4); TLVs are not printed. */
function formatRouting(b: Uint8Array, o: number): string {
  const len = b[o + 1];
  const type = b[o + 2];
  const segleft = b[o + 3];
  let s = `RT6 (len=${len}, type=${type}`;
  let count: number;
  if (type === 0 || type === 2) {
    if (type === 0) s += ' [Deprecated]';
    s += `, segleft=${segleft}`;
    count = len / 2;
  } else if (type === 4) {
    const lastEntry = b[o + 4];
    s += `, segleft=${segleft}, last-entry=${lastEntry}, tag=${u16(b, o + 6).toString(16)}`;
    count = lastEntry + 1;
  } else {
    return `${s}, segleft=${segleft}) `;
  }
  for (let i = 0; i < count && o + 8 + 16 * (i + 1) <= b.length; i++) s += `, [${i}]${ipv6String(b, o + 8 + 16 * i)}`;
  return `${s}) `;
}
