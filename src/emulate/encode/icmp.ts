import { foldChecksum, put16, sumBytes } from './checksum.js';
import type { IcmpBody } from '../packet.js';

import { ICMP_HEADER_LENGTH, ICMP_OFF_CHECKSUM, ICMP_OFF_CODE, ICMP_OFF_ID, ICMP_OFF_SEQ, ICMP_OFF_TYPE } from '../../decode/icmp.js';

export { ICMP_ECHO_REPLY, ICMP_ECHO as ICMP_ECHO_REQUEST } from '../../decode/icmp.js';

export function icmpLength(b: IcmpBody): number {
  return ICMP_HEADER_LENGTH + b.data.length;
}

export function writeIcmp(out: Uint8Array, o: number, b: IcmpBody): number {
  out[o + ICMP_OFF_TYPE] = b.type;
  out[o + ICMP_OFF_CODE] = b.code;
  put16(out, o + ICMP_OFF_CHECKSUM, 0);
  put16(out, o + ICMP_OFF_ID, b.id);
  put16(out, o + ICMP_OFF_SEQ, b.seq);
  out.set(b.data, o + ICMP_HEADER_LENGTH);
  const end = o + icmpLength(b);
  put16(out, o + ICMP_OFF_CHECKSUM, foldChecksum(sumBytes(out, o, end)));
  return end;
}
