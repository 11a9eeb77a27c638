import { IPV4_MIN_HEADER_LENGTH, writeIpv4 as writeIpv4Header } from '../../decode/ipv4.js';
import { ip4Bytes } from '../addr.js';
import { type Ipv4Packet } from '../packet.js';
import { icmpLength, writeIcmp } from './icmp.js';
import { tcpLength, writeTcp } from './tcp.js';
import { udpLength, writeUdp } from './udp.js';

/** RFC 791 header without options: the only kind Linux sends for the traffic the scenarios make. */
export const IPV4_HEADER_LENGTH = IPV4_MIN_HEADER_LENGTH;

export function ipv4Length(p: Ipv4Packet): number {
  const b = p.body;
  return IPV4_HEADER_LENGTH + (b.proto === 1 ? icmpLength(b) : b.proto === 6 ? tcpLength(b) : udpLength(b));
}

/** Writes the packet at `offset` with lengths and every checksum computed; returns the end offset. */
export function writeIpv4(out: Uint8Array, offset: number, p: Ipv4Packet): number {
  const total = ipv4Length(p);
  const o = offset;
  // The header through the decoder's own writer (same layout it reads, checksum included).
  writeIpv4Header(out, o, { tos: p.tos, totalLength: total, id: p.id, dontFragment: p.df, ttl: p.ttl, protocol: p.body.proto, src: ip4Bytes(p.src), dst: ip4Bytes(p.dst) });
  const l4 = o + IPV4_HEADER_LENGTH;
  const b = p.body;
  if (b.proto === 1) writeIcmp(out, l4, b);
  else if (b.proto === 6) writeTcp(out, l4, b, p.src, p.dst);
  else writeUdp(out, l4, b, p.src, p.dst);
  return o + total;
}

export function encodeIpv4(p: Ipv4Packet): Uint8Array {
  const out = new Uint8Array(ipv4Length(p));
  writeIpv4(out, 0, p);
  return out;
}
