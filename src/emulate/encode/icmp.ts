import { foldChecksum, put16, sumBytes } from './checksum.js';
import type { IcmpBody } from '../packet.js';

/** Type, code, checksum and the 4-byte rest-of-header (identifier and sequence for echo). */
export const ICMP_HEADER_LENGTH = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;

export function icmpLength(b: IcmpBody): number {
  return ICMP_HEADER_LENGTH + b.data.length;
}

export function writeIcmp(out: Uint8Array, o: number, b: IcmpBody): number {
  out[o] = b.type;
  out[o + 1] = b.code;
  put16(out, o + 2, 0);
  put16(out, o + 4, b.id);
  put16(out, o + 6, b.seq);
  out.set(b.data, o + ICMP_HEADER_LENGTH);
  const end = o + icmpLength(b);
  put16(out, o + 2, foldChecksum(sumBytes(out, o, end)));
  return end;
}
