import { ipv6String, u16, u32 } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';
import { pseudoHeaderSum } from './checksum.js';
import { IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ROUTING } from './enums.js';

export const IPV6_HEADER_LENGTH = 40;

// Field offsets in the fixed header (RFC 8200 section 3).
export const IPV6_OFF_VERSION_CLASS_FLOW = 0;
export const IPV6_OFF_PAYLOAD_LENGTH = 4;
export const IPV6_OFF_NEXT_HEADER = 6;
export const IPV6_OFF_HOP_LIMIT = 7;
export const IPV6_OFF_SRC = 8;
export const IPV6_OFF_DST = 24;

/** The fragment extension header (RFC 8200 section 4.5); the other extensions say their length. */
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;
/** Hop-by-hop option type of the jumbo payload length (RFC 2675). */
export const IPV6_OPT_JUMBO = 0xc2;
export const IPV6_OPT_PAD1 = 0;

/**
 * A crafted packet can chain extension headers up to its whole length; real ones have two or
 * three. Past this many the walk stops with a problem instead of spending time on it.
 */
export const MAX_IPV6_EXTENSIONS = 16;

export interface Ipv6Extension {
  /** Which header this is: IPPROTO_HOPOPTS, _ROUTING, _FRAGMENT or _DSTOPTS. */
  readonly type: number;
  readonly offset: number;
  readonly length: number;
  /** The next-header value this extension names. */
  readonly nextHeader: number;
}

export interface Ipv6Fragment {
  readonly offset: number;
  readonly id: number;
  /** Fragment offset in bytes. */
  readonly fragmentOffset: number;
  readonly moreFragments: boolean;
}

/** A checked view of an IPv6 header with the chain of extension headers walked once at decode. */
export class Ipv6Header {
  constructor(
    public b: Uint8Array,
    public offset: number,
    public end: number,
    public extensions: readonly Ipv6Extension[],
    /** The upper-layer protocol (or 59, or an extension that could not be walked). */
    public protocol: number,
    /** Where that protocol's header starts. */
    public payloadOffset: number,
    /** The jumbo payload length from a hop-by-hop option, when the payload length field is 0. */
    public jumboLength: number | undefined,
    public fragment: Ipv6Fragment | undefined,
  ) {}

  /** Points the view at another header, with what decodeIpv6 found walking its extensions. */
  aim(b: Uint8Array, offset: number, end: number, extensions: readonly Ipv6Extension[], protocol: number, payloadOffset: number, jumboLength: number | undefined, fragment: Ipv6Fragment | undefined): this {
    this.b = b;
    this.offset = offset;
    this.end = end;
    this.extensions = extensions;
    this.protocol = protocol;
    this.payloadOffset = payloadOffset;
    this.jumboLength = jumboLength;
    this.fragment = fragment;
    return this;
  }

  get version(): number {
    return this.b[this.offset] >>> 4;
  }
  get trafficClass(): number {
    return (u16(this.b, this.offset) >>> 4) & 0xff;
  }
  get flowLabel(): number {
    return u32(this.b, this.offset) & 0xfffff;
  }
  get payloadLength(): number {
    return u16(this.b, this.offset + IPV6_OFF_PAYLOAD_LENGTH);
  }
  /** The next-header field of the fixed header (the first extension, or the upper layer). */
  get nextHeader(): number {
    return this.b[this.offset + IPV6_OFF_NEXT_HEADER];
  }
  get hopLimit(): number {
    return this.b[this.offset + IPV6_OFF_HOP_LIMIT];
  }
  get src(): string {
    return ipv6String(this.b, this.offset + IPV6_OFF_SRC);
  }
  get dst(): string {
    return ipv6String(this.b, this.offset + IPV6_OFF_DST);
  }
  get srcOffset(): number {
    return this.offset + IPV6_OFF_SRC;
  }
  get dstOffset(): number {
    return this.offset + IPV6_OFF_DST;
  }
  /**
   * The payload length in force: the jumbo length when there is one; when the field is 0 without
   * one (a GSO "BIG TCP" send) everything captured, as tcpdump presumes.
   */
  get length(): number {
    const p = this.payloadLength;
    if (p !== 0) return p;
    if (this.jumboLength !== undefined) return this.jumboLength;
    return Math.max(0, this.end - this.offset - IPV6_HEADER_LENGTH);
  }
  /** A fragment other than the first: no upper-layer header follows. */
  get isLaterFragment(): boolean {
    return this.fragment !== undefined && this.fragment.fragmentOffset !== 0;
  }
  /** End of the packet: the declared length clipped to the capture (Ethernet padding dropped). */
  get payloadEnd(): number {
    return Math.max(this.payloadOffset, Math.min(this.offset + IPV6_HEADER_LENGTH + this.length, this.end));
  }
}

export function isIpv6Extension(nh: number): boolean {
  return nh === IPPROTO_HOPOPTS || nh === IPPROTO_ROUTING || nh === IPPROTO_FRAGMENT || nh === IPPROTO_DSTOPTS;
}

/** The jumbo payload length among hop-by-hop options in b[o, end), if present. */
function findJumbo(b: Uint8Array, o: number, end: number): number | undefined {
  while (o < end) {
    const type = b[o];
    if (type === IPV6_OPT_PAD1) {
      o++;
      continue;
    }
    if (o + 2 > end) return undefined;
    const len = b[o + 1];
    if (type === IPV6_OPT_JUMBO && len === 4 && o + 6 <= end) return u32(b, o + 2);
    o += 2 + len;
  }
  return undefined;
}

/** Shared by every header without extensions (most of them): an array is made only when one is found. */
const NO_EXTENSIONS: readonly Ipv6Extension[] = Object.freeze([]);

export function decodeIpv6(b: Uint8Array, offset: number, end: number, into?: Ipv6Header): Ipv6Header | DecodeProblem {
  const avail = end - offset;
  if (avail < 1) return problem('ipv6', offset, 'truncated', `IPv6 header needs ${IPV6_HEADER_LENGTH} bytes, 0 captured`);
  const version = b[offset] >>> 4;
  if (version !== 6) return problem('ipv6', offset, 'bad-version', `IP version ${version} where 6 was expected`);
  if (avail < IPV6_HEADER_LENGTH) return problem('ipv6', offset, 'truncated', `IPv6 header needs ${IPV6_HEADER_LENGTH} bytes, ${avail} captured`);
  const payloadLength = u16(b, offset + IPV6_OFF_PAYLOAD_LENGTH);
  // Extension headers lie within the declared payload, or within the capture for length 0.
  const limit = payloadLength === 0 ? end : Math.min(end, offset + IPV6_HEADER_LENGTH + payloadLength);
  let extensions = NO_EXTENSIONS as Ipv6Extension[];
  let nh = b[offset + IPV6_OFF_NEXT_HEADER];
  let o = offset + IPV6_HEADER_LENGTH;
  let jumbo: number | undefined;
  let fragment: Ipv6Fragment | undefined;
  while (isIpv6Extension(nh)) {
    if (extensions.length >= MAX_IPV6_EXTENSIONS) {
      return problem('ipv6', o, 'too-many', `more than ${MAX_IPV6_EXTENSIONS} IPv6 extension headers`);
    }
    if (nh === IPPROTO_HOPOPTS && extensions.length > 0) {
      return problem('ipv6', o, 'bad-order', 'hop-by-hop options header not first after the IPv6 header');
    }
    if (limit - o < 2) return problem('ipv6', o, 'truncated', `IPv6 extension header ${nh} needs 2 bytes, ${Math.max(0, limit - o)} available`);
    const len = nh === IPPROTO_FRAGMENT ? IPV6_FRAGMENT_HEADER_LENGTH : (b[o + 1] + 1) * 8;
    if (limit - o < len) return problem('ipv6', o, 'truncated', `IPv6 extension header ${nh} needs ${len} bytes, ${limit - o} available`);
    const next = b[o];
    if (extensions === NO_EXTENSIONS) extensions = [];
    extensions.push({ type: nh, offset: o, length: len, nextHeader: next });
    if (nh === IPPROTO_HOPOPTS) jumbo = findJumbo(b, o + 2, o + len);
    if (nh === IPPROTO_FRAGMENT) {
      const fo = u16(b, o + 2);
      fragment = { offset: o, id: u32(b, o + 4), fragmentOffset: fo & 0xfff8, moreFragments: (fo & 1) === 1 };
    }
    o += len;
    nh = next;
    // A later fragment's payload is a slice of the upper layer, not a header to walk.
    if (fragment && fragment.fragmentOffset !== 0) break;
  }
  if (payloadLength === 0 && jumbo !== undefined && jumbo <= 0xffff) {
    return problem('ipv6', offset, 'bad-length', `jumbo payload length ${jumbo} is not above 65535 (RFC 2675)`);
  }
  const jumboLength = payloadLength === 0 ? jumbo : undefined;
  return into?.aim(b, offset, end, extensions, nh, o, jumboLength, fragment) ?? new Ipv6Header(b, offset, end, extensions, nh, o, jumboLength, fragment);
}

export interface Ipv6Fields {
  trafficClass?: number;
  flowLabel?: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/** Writes the 40-byte fixed header decodeIpv6 reads; returns the offset after it. */
export function writeIpv6(out: Uint8Array, offset: number, f: Ipv6Fields): number {
  const tc = f.trafficClass ?? 0;
  const fl = f.flowLabel ?? 0;
  out[offset] = 0x60 | (tc >>> 4);
  out[offset + 1] = ((tc & 0x0f) << 4) | ((fl >>> 16) & 0x0f);
  out[offset + 2] = (fl >>> 8) & 0xff;
  out[offset + 3] = fl & 0xff;
  out[offset + 4] = f.payloadLength >>> 8;
  out[offset + 5] = f.payloadLength & 0xff;
  out[offset + IPV6_OFF_NEXT_HEADER] = f.nextHeader;
  out[offset + IPV6_OFF_HOP_LIMIT] = f.hopLimit;
  out.set(f.src.subarray(0, 16), offset + IPV6_OFF_SRC);
  out.set(f.dst.subarray(0, 16), offset + IPV6_OFF_DST);
  return offset + IPV6_HEADER_LENGTH;
}

/** The pseudo-header sum of the IPv6 header at `offset`, for an upper-layer checksum over `length` bytes. */
export function ipv6PseudoHeader(b: Uint8Array, offset: number, length: number, nextHeader: number): number {
  return pseudoHeaderSum(b, offset + IPV6_OFF_SRC, offset + IPV6_OFF_DST, 16, length, nextHeader);
}
