import { macString, u16 } from './bytes.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';

export const ETHERNET_HEADER_LENGTH = 14;
/** Type/length values up to this are an IEEE 802.3 length (IEEE 802.3 clause 3.2.6; tcpdump's MAX_ETHERNET_LENGTH_VAL). */
export const MAX_ETHERNET_LENGTH = 1500;

/** A checked view of an Ethernet II / IEEE 802.3 MAC header (no FCS: Linux captures carry none). */
export class EthernetHeader extends HeaderView {
  get dst(): string {
    return macString(this.b, this.offset);
  }
  get src(): string {
    return macString(this.b, this.offset + 6);
  }
  /** Where the destination address starts, for hashing without building strings. */
  get dstOffset(): number {
    return this.offset;
  }
  get srcOffset(): number {
    return this.offset + 6;
  }
  /** The raw type/length field. */
  get typeOrLength(): number {
    return u16(this.b, this.offset + 12);
  }
  /** True for an 802.3 frame, whose type/length field is a payload length (LLC follows). */
  get isLengthField(): boolean {
    return this.typeOrLength <= MAX_ETHERNET_LENGTH;
  }
  /** The ethertype, or undefined for an 802.3 frame. */
  get etherType(): number | undefined {
    const t = this.typeOrLength;
    return t > MAX_ETHERNET_LENGTH ? t : undefined;
  }
  get isBroadcast(): boolean {
    const b = this.b;
    const o = this.offset;
    return (b[o] & b[o + 1] & b[o + 2] & b[o + 3] & b[o + 4] & b[o + 5]) === 0xff;
  }
  /** The group bit of the destination: broadcast and multicast. */
  get isMulticast(): boolean {
    return (this.b[this.offset] & 1) === 1;
  }
  get payloadOffset(): number {
    return this.offset + ETHERNET_HEADER_LENGTH;
  }
  /** For 802.3 frames the length field bounds the payload (the rest is padding); clipped to the capture. */
  get payloadEnd(): number {
    const t = this.typeOrLength;
    if (t <= MAX_ETHERNET_LENGTH) return Math.min(this.payloadOffset + t, this.end);
    return this.end;
  }
}

export function decodeEthernet(b: Uint8Array, offset: number, end: number, into?: EthernetHeader): EthernetHeader | DecodeProblem {
  if (end - offset < ETHERNET_HEADER_LENGTH) {
    return problem('ethernet', offset, 'truncated', `Ethernet header needs ${ETHERNET_HEADER_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  return into?.aim(b, offset, end) ?? new EthernetHeader(b, offset, end);
}

export interface EthernetFields {
  dst: Uint8Array;
  src: Uint8Array;
  etherType: number;
}

/** Writes the 14-byte header at `offset` (the layout decodeEthernet reads); returns the payload offset. */
export function writeEthernet(out: Uint8Array, offset: number, f: EthernetFields): number {
  out.set(f.dst.subarray(0, 6), offset);
  out.set(f.src.subarray(0, 6), offset + 6);
  out[offset + 12] = f.etherType >>> 8;
  out[offset + 13] = f.etherType & 0xff;
  return offset + ETHERNET_HEADER_LENGTH;
}
