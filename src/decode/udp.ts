import { u16 } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';

export const UDP_HEADER_LENGTH = 8;

/** A checked view of a UDP header (RFC 768). */
export class UdpHeader {
  constructor(
    readonly b: Uint8Array,
    readonly offset: number,
    /** End of the captured bytes available to this datagram. */
    readonly end: number,
  ) {}

  get srcPort(): number {
    return u16(this.b, this.offset);
  }
  get dstPort(): number {
    return u16(this.b, this.offset + 2);
  }
  /** The length field: header plus payload, as the sender declared it. */
  get length(): number {
    return u16(this.b, this.offset + 4);
  }
  get checksum(): number {
    return u16(this.b, this.offset + 6);
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

export function decodeUdp(b: Uint8Array, offset: number, end: number): UdpHeader | DecodeProblem {
  if (end - offset < UDP_HEADER_LENGTH) {
    return problem('udp', offset, `UDP header needs ${UDP_HEADER_LENGTH} bytes, ${end - offset} captured`, true);
  }
  const h = new UdpHeader(b, offset, end);
  if (h.length < UDP_HEADER_LENGTH && h.length !== 0) {
    return problem('udp', offset + 4, `UDP length ${h.length} is less than the 8-byte header`);
  }
  return h;
}

export interface UdpFields {
  srcPort: number;
  dstPort: number;
  /** Header plus payload. */
  length: number;
  checksum?: number;
}

/** Writes the 8-byte header at `offset` (the layout decodeUdp reads); returns the payload offset. */
export function writeUdp(out: Uint8Array, offset: number, f: UdpFields): number {
  out[offset] = f.srcPort >>> 8;
  out[offset + 1] = f.srcPort & 0xff;
  out[offset + 2] = f.dstPort >>> 8;
  out[offset + 3] = f.dstPort & 0xff;
  out[offset + 4] = f.length >>> 8;
  out[offset + 5] = f.length & 0xff;
  const c = f.checksum ?? 0;
  out[offset + 6] = c >>> 8;
  out[offset + 7] = c & 0xff;
  return offset + UDP_HEADER_LENGTH;
}
