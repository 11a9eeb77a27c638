import { put16, put32, sumBytes, foldChecksum } from './checksum.js';
import { type Ipv4Packet } from '../packet.js';
import { icmpLength, writeIcmp } from './icmp.js';
import { tcpLength, writeTcp } from './tcp.js';
import { udpLength, writeUdp } from './udp.js';

/** RFC 791 header without options: the only kind Linux sends for the traffic the scenarios make. */
export const IPV4_HEADER_LENGTH = 20;
const IPV4_FLAG_DF = 0x4000;

export function ipv4Length(p: Ipv4Packet): number {
  const b = p.body;
  return IPV4_HEADER_LENGTH + (b.proto === 1 ? icmpLength(b) : b.proto === 6 ? tcpLength(b) : udpLength(b));
}

/** Writes the packet at `offset` with lengths and every checksum computed; returns the end offset. */
export function writeIpv4(out: Uint8Array, offset: number, p: Ipv4Packet): number {
  const total = ipv4Length(p);
  const o = offset;
  out[o] = 0x45;
  out[o + 1] = p.tos;
  put16(out, o + 2, total);
  put16(out, o + 4, p.id);
  put16(out, o + 6, p.df ? IPV4_FLAG_DF : 0);
  out[o + 8] = p.ttl;
  out[o + 9] = p.body.proto;
  put16(out, o + 10, 0);
  put32(out, o + 12, p.src);
  put32(out, o + 16, p.dst);
  put16(out, o + 10, foldChecksum(sumBytes(out, o, o + IPV4_HEADER_LENGTH)));
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
