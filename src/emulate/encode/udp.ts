import { UDP_HEADER_LENGTH } from '../../decode/udp.js';
import { foldChecksum, pseudoHeaderSum, put16, sumBytes } from './checksum.js';
import type { UdpBody } from '../packet.js';

export function udpLength(b: UdpBody): number {
  return UDP_HEADER_LENGTH + b.data.length;
}

/** The layout decodeUdp reads; the checksum covers the pseudo-header (0 is sent as 0xffff, RFC 768). */
export function writeUdp(out: Uint8Array, o: number, b: UdpBody, src: number, dst: number): number {
  const len = udpLength(b);
  put16(out, o, b.sport);
  put16(out, o + 2, b.dport);
  put16(out, o + 4, len);
  put16(out, o + 6, 0);
  out.set(b.data, o + UDP_HEADER_LENGTH);
  const c = foldChecksum(sumBytes(out, o, o + len, pseudoHeaderSum(src, dst, 17, len)));
  put16(out, o + 6, c === 0 ? 0xffff : c);
  return o + len;
}
