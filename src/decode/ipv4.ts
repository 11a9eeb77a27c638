import { ipv4String, put16, u16, u32 } from './bytes.js';
import { internetChecksum, pseudoHeaderSum, putChecksum } from './checksum.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;

// Field offsets within the header (RFC 791 section 3.1).
export const IPV4_OFF_VERSION_IHL = 0;
export const IPV4_OFF_TOS = 1;
export const IPV4_OFF_TOTAL_LENGTH = 2;
export const IPV4_OFF_ID = 4;
export const IPV4_OFF_FLAGS_FRAGMENT = 6;
export const IPV4_OFF_TTL = 8;
export const IPV4_OFF_PROTOCOL = 9;
export const IPV4_OFF_CHECKSUM = 10;
export const IPV4_OFF_SRC = 12;
export const IPV4_OFF_DST = 16;

export const IPV4_FLAG_RESERVED = 0x8000;
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;

/** A checked view of an IPv4 header (RFC 791), options included. */
export class Ipv4Header extends HeaderView {
  get version(): number {
    return this.b[this.offset] >>> 4;
  }
  get headerLength(): number {
    return (this.b[this.offset] & 0x0f) * 4;
  }
  get tos(): number {
    return this.b[this.offset + IPV4_OFF_TOS];
  }
  get dscp(): number {
    return this.tos >>> 2;
  }
  get ecn(): number {
    return this.tos & 3;
  }
  /** The total length field: 0 on a GSO ("TSO") send captured before segmentation. */
  get totalLength(): number {
    return u16(this.b, this.offset + IPV4_OFF_TOTAL_LENGTH);
  }
  get id(): number {
    return u16(this.b, this.offset + IPV4_OFF_ID);
  }
  get flagsFragment(): number {
    return u16(this.b, this.offset + IPV4_OFF_FLAGS_FRAGMENT);
  }
  get dontFragment(): boolean {
    return (this.flagsFragment & IPV4_FLAG_DF) !== 0;
  }
  get moreFragments(): boolean {
    return (this.flagsFragment & IPV4_FLAG_MF) !== 0;
  }
  /** The fragment offset in bytes. */
  get fragmentOffset(): number {
    return (this.flagsFragment & IPV4_FRAGMENT_OFFSET_MASK) * 8;
  }
  get isFragment(): boolean {
    return (this.flagsFragment & (IPV4_FLAG_MF | IPV4_FRAGMENT_OFFSET_MASK)) !== 0;
  }
  /** A fragment other than the first: it carries no upper-layer header. */
  get isLaterFragment(): boolean {
    return (this.flagsFragment & IPV4_FRAGMENT_OFFSET_MASK) !== 0;
  }
  get ttl(): number {
    return this.b[this.offset + IPV4_OFF_TTL];
  }
  get protocol(): number {
    return this.b[this.offset + IPV4_OFF_PROTOCOL];
  }
  get checksum(): number {
    return u16(this.b, this.offset + IPV4_OFF_CHECKSUM);
  }
  /** True when the header checksum is right (the header is always fully captured in a view). */
  get checksumValid(): boolean {
    return internetChecksum(this.b, this.offset, this.offset + this.headerLength) === 0;
  }
  get src(): string {
    return ipv4String(this.b, this.offset + IPV4_OFF_SRC);
  }
  get dst(): string {
    return ipv4String(this.b, this.offset + IPV4_OFF_DST);
  }
  /** Addresses as numbers, for keys without strings. */
  get srcNumber(): number {
    return u32(this.b, this.offset + IPV4_OFF_SRC);
  }
  get dstNumber(): number {
    return u32(this.b, this.offset + IPV4_OFF_DST);
  }
  get srcOffset(): number {
    return this.offset + IPV4_OFF_SRC;
  }
  get dstOffset(): number {
    return this.offset + IPV4_OFF_DST;
  }
  get optionsLength(): number {
    return this.headerLength - IPV4_MIN_HEADER_LENGTH;
  }
  get options(): Uint8Array {
    return this.b.subarray(this.offset + IPV4_MIN_HEADER_LENGTH, this.offset + this.headerLength);
  }
  /**
   * The length the packet occupies: the total length field, or, when it is 0 (a GSO send as
   * tcpdump presumes), everything captured.
   */
  get length(): number {
    const t = this.totalLength;
    return t === 0 ? this.end - this.offset : t;
  }
  /** Total length 0: a segmentation-offload packet whose real length is the captured one. */
  get isGso(): boolean {
    return this.totalLength === 0;
  }
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** End of the payload: the declared length, clipped to what was captured (Ethernet padding dropped). */
  get payloadEnd(): number {
    return Math.min(this.offset + this.length, this.end);
  }
  /** The payload length the header declares (may exceed what was captured). */
  get payloadLength(): number {
    return this.length - this.headerLength;
  }
}

export function decodeIpv4(b: Uint8Array, offset: number, end: number, into?: Ipv4Header): Ipv4Header | DecodeProblem {
  const avail = end - offset;
  if (avail < 1) return problem('ipv4', offset, 'truncated', 'IPv4 header needs 20 bytes, 0 captured');
  const version = b[offset] >>> 4;
  if (version !== 4) return problem('ipv4', offset, 'bad-version', `IP version ${version} where 4 was expected`);
  const hlen = (b[offset] & 0x0f) * 4;
  if (hlen < IPV4_MIN_HEADER_LENGTH) return problem('ipv4', offset, 'bad-length', `IPv4 header length ${hlen} is less than 20`);
  if (avail < hlen) return problem('ipv4', offset, 'truncated', `IPv4 header needs ${hlen} bytes, ${avail} captured`);
  const total = u16(b, offset + IPV4_OFF_TOTAL_LENGTH);
  if (total !== 0 && total < hlen) {
    return problem('ipv4', offset + IPV4_OFF_TOTAL_LENGTH, 'bad-length', `IPv4 total length ${total} is less than the ${hlen}-byte header`);
  }
  return into?.aim(b, offset, end) ?? new Ipv4Header(b, offset, end);
}

export interface Ipv4Fields {
  tos?: number;
  /** Header plus payload; written as given (the caller computes it). */
  totalLength: number;
  id: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset?: number;
  ttl: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  options?: Uint8Array;
}

/**
 * Writes the header decodeIpv4 reads, with a correct checksum; returns the payload offset. The
 * payload's own writer goes next and takes its pseudo-header from the addresses written here
 * (ipv4PseudoHeader).
 */
export function writeIpv4(out: Uint8Array, offset: number, f: Ipv4Fields): number {
  const optLen = f.options ? (f.options.length + 3) & ~3 : 0;
  const hlen = IPV4_MIN_HEADER_LENGTH + optLen;
  out.fill(0, offset, offset + hlen);
  out[offset] = 0x40 | (hlen / 4);
  out[offset + IPV4_OFF_TOS] = f.tos ?? 0;
  put16(out, offset + IPV4_OFF_TOTAL_LENGTH, f.totalLength);
  put16(out, offset + IPV4_OFF_ID, f.id);
  const ff = (f.dontFragment ? IPV4_FLAG_DF : 0) | (f.moreFragments ? IPV4_FLAG_MF : 0) | (((f.fragmentOffset ?? 0) / 8) & IPV4_FRAGMENT_OFFSET_MASK);
  put16(out, offset + IPV4_OFF_FLAGS_FRAGMENT, ff);
  out[offset + IPV4_OFF_TTL] = f.ttl;
  out[offset + IPV4_OFF_PROTOCOL] = f.protocol;
  out.set(f.src.subarray(0, 4), offset + IPV4_OFF_SRC);
  out.set(f.dst.subarray(0, 4), offset + IPV4_OFF_DST);
  if (f.options) out.set(f.options, offset + IPV4_MIN_HEADER_LENGTH);
  putChecksum(out, offset + IPV4_OFF_CHECKSUM, offset, offset + hlen);
  return offset + hlen;
}

/** The pseudo-header sum of the IPv4 header at `offset`, for a TCP or UDP checksum over `length` bytes. */
export function ipv4PseudoHeader(b: Uint8Array, offset: number, length: number, protocol: number): number {
  return pseudoHeaderSum(b, offset + IPV4_OFF_SRC, offset + IPV4_OFF_DST, 4, length, protocol);
}
