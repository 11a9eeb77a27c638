// IPv4 and IPv6 as tcpdump 4.99's print-ip.c and print-ip6.c print them without -v: the
// addresses (left to the TCP/UDP printer for those), fragments, extension headers, and the
// demultiplexing to the next protocol.
import type { Packet } from '../packet.js';
import { ipv6String, u16, u32 } from '../bytes.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, type Ipv4Header } from '../ipv4.js';
import { IPV6_EXT_DEST_OPTIONS, IPV6_EXT_FRAGMENT, IPV6_EXT_HOP_BY_HOP, IPV6_EXT_ROUTING, IPV6_HEADER_LENGTH, IPV6_NO_NEXT_HEADER, type Ipv6Header } from '../ipv6.js';
import { formatIcmp } from './icmp.js';
import { formatIcmpv6 } from './icmpv6.js';
import { formatTransport } from './transport.js';
import type { LineOptions } from './line.js';

const IPPROTO_DCCP = 33;
const IPPROTO_AH = 51;

/** Protocols whose printers print the addresses themselves (with ports). */
function printsOwnAddresses(p: number): boolean {
  return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP || p === IPPROTO_DCCP;
}

/**
 * ip_demux_print for the protocols this project decodes; others print as tcpdump -n does for a
 * protocol it has no printer for.
 */
function formatDemux(pkt: Packet, protocol: number, src: string, dst: string, length: number, opts: LineOptions, nested: (inner: Packet) => string): string {
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
    case IPPROTO_IPIP:
    case IPPROTO_IPV6:
      if (pkt.inner) return nested(pkt.inner);
      return ` ip-proto-${protocol} ${length}`;
    case IPV6_NO_NEXT_HEADER:
      return 'no next header';
    default:
      return ` ip-proto-${protocol} ${length}`;
  }
}

/**
 * An IPv4 packet: `src > dst: ...` (without the `IP ` the caller adds). `wireLength` is what
 * tcpdump calls the length: the frame's length after the link header.
 */
export function formatIpv4(pkt: Packet, ip: Ipv4Header, wireLength: number, opts: LineOptions, nested: (inner: Packet) => string): string {
  let s = '';
  const total = ip.totalLength;
  let len = total === 0 ? wireLength : total;
  if (len > wireLength) s += `[total length ${len} > length ${wireLength}] (invalid) `;
  len -= ip.headerLength;
  const src = ip.src;
  const dst = ip.dst;
  const protocol = ip.protocol;
  if (ip.isLaterFragment) return `${s}${src} > ${dst}: ip-proto-${protocol}`;
  if (!printsOwnAddresses(protocol)) s += `${src} > ${dst}: `;
  return s + formatDemux(pkt, protocol, src, dst, len, opts, nested);
}

const EXT_PREFIX: Readonly<Record<number, string>> = {
  [IPV6_EXT_HOP_BY_HOP]: 'HBH ',
  [IPV6_EXT_DEST_OPTIONS]: 'DSTOPT ',
};

/** An IPv6 packet: `src > dst: ...` (without `IP6 `). */
export function formatIpv6(pkt: Packet, ip: Ipv6Header, wireLength: number, opts: LineOptions, nested: (inner: Packet) => string): string {
  let s = '';
  const b = ip.b;
  const plen = ip.payloadLength;
  let len = plen !== 0 ? plen + IPV6_HEADER_LENGTH : ip.jumboLength !== undefined ? ip.jumboLength + IPV6_HEADER_LENGTH : wireLength;
  if (plen !== 0 && len > wireLength) {
    s += `[header+payload length ${len} > length ${wireLength}] (invalid) `;
  }
  const src = ip.src;
  const dst = ip.dst;
  if (!printsOwnAddresses(ip.nextHeader)) s += `${src} > ${dst}: `;
  len -= IPV6_HEADER_LENGTH;
  for (const ext of ip.extensions) {
    len -= ext.length;
    if (ext.type === IPV6_EXT_FRAGMENT) {
      const off = u16(b, ext.offset + 2) & 0xfff8;
      const fragLen = IPV6_HEADER_LENGTH + plen - (ext.offset - ip.offset) - 8;
      s += `frag (${off}|${fragLen})`;
      if (off !== 0) return s;
      s += ' ';
    } else if (ext.type === IPV6_EXT_ROUTING) {
      s += formatRouting(b, ext.offset);
    } else {
      s += EXT_PREFIX[ext.type] ?? '';
    }
  }
  return s + formatDemux(pkt, ip.protocol, src, dst, len, opts, nested);
}

/** rt6_print without -v for the routing types Linux sends (0 and segment routing, 4). */
function formatRouting(b: Uint8Array, o: number): string {
  const len = b[o + 1];
  const type = b[o + 2];
  const segleft = b[o + 3];
  let s = `RT6 (len=${len}, type=${type}, segleft=${segleft}, `;
  if (type === 4) {
    const lastEntry = b[o + 4];
    s += `last-entry=${lastEntry}, tag=${u16(b, o + 6).toString(16)}, `;
  } else {
    s += `rsv=0x${u32(b, o + 4).toString(16)}, `;
  }
  const n = len / 2;
  const addrs: string[] = [];
  for (let i = 0; i < n; i++) {
    addrs.push(`[${i}]${ipv6String(b, o + 8 + 16 * i)}`);
  }
  return `${s}${addrs.join(', ')}) `;
}
