import { put16, u16 } from './bytes.js';
import { putChecksum } from './checksum.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';

export const UDP_HEADER_LENGTH = 8;

// Field offsets (RFC 768).
export const UDP_OFF_SRC_PORT = 0;
export const UDP_OFF_DST_PORT = 2;
export const UDP_OFF_LENGTH = 4;
export const UDP_OFF_CHECKSUM = 6;

/** A checked view of a UDP header (RFC 768). */
export class UdpHeader extends HeaderView {
  get srcPort(): number {
    return u16(this.b, this.offset + UDP_OFF_SRC_PORT);
  }
  get dstPort(): number {
    return u16(this.b, this.offset + UDP_OFF_DST_PORT);
  }
  /** The length field: header plus payload, as the sender declared it. */
  get length(): number {
    return u16(this.b, this.offset + UDP_OFF_LENGTH);
  }
  get checksum(): number {
    return u16(this.b, this.offset + UDP_OFF_CHECKSUM);
  }
  get payloadOffset(): number {
    return this.offset + UDP_HEADER_LENGTH;
  }
  /** Payload end: the declared length, clipped to what was captured. */
  get payloadEnd(): number {
    const declared = this.offset + Math.max(this.length, UDP_HEADER_LENGTH);
    return Math.min(declared, this.end);
  }
}

export function decodeUdp(b: Uint8Array, offset: number, end: number, into?: UdpHeader): UdpHeader | DecodeProblem {
  if (end - offset < UDP_HEADER_LENGTH) {
    return problem('udp', offset, 'truncated', `UDP header needs ${UDP_HEADER_LENGTH} bytes, ${end - offset} captured`);
  }
  const h = into?.aim(b, offset, end) ?? new UdpHeader(b, offset, end);
  if (h.length < UDP_HEADER_LENGTH && h.length !== 0) {
    return problem('udp', offset + UDP_OFF_LENGTH, 'bad-length', `UDP length ${h.length} is less than the 8-byte header`);
  }
  return h;
}

export interface UdpFields {
  srcPort: number;
  dstPort: number;
  /** Header plus payload; by default what is written. */
  length?: number;
  payload?: Uint8Array;
}

/** Header plus payload. */
export function udpLength(f: UdpFields): number {
  return UDP_HEADER_LENGTH + (f.payload?.length ?? 0);
}

/**
 * Writes the datagram decodeUdp reads at `offset`, with the checksum over `pseudoHeader`
 * (ipv4PseudoHeader or ipv6PseudoHeader of the enclosing header); a computed 0 is sent as 0xffff,
 * since 0 means "no checksum" (RFC 768). Returns the offset after the datagram.
 */
export function writeUdp(out: Uint8Array, offset: number, f: UdpFields, pseudoHeader: number): number {
  const end = offset + udpLength(f);
  put16(out, offset + UDP_OFF_SRC_PORT, f.srcPort);
  put16(out, offset + UDP_OFF_DST_PORT, f.dstPort);
  put16(out, offset + UDP_OFF_LENGTH, f.length ?? udpLength(f));
  if (f.payload) out.set(f.payload, offset + UDP_HEADER_LENGTH);
  if (putChecksum(out, offset + UDP_OFF_CHECKSUM, offset, end, pseudoHeader) === 0) put16(out, offset + UDP_OFF_CHECKSUM, 0xffff);
  return end;
}
