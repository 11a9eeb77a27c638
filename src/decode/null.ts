import { u32, u32le } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './enums.js';

/** LINKTYPE_NULL: BSD loopback, a 4-byte address family in the capturing host's byte order. */
export const LINKTYPE_NULL = 0;
/** LINKTYPE_LOOP: OpenBSD loopback, the same family in network byte order. */
export const LINKTYPE_LOOP = 108;
export const NULL_HEADER_LENGTH = 4;

// BSD address family numbers as tcpdump's af.h lists them. IPv6 differs per BSD flavour, so all three
// are accepted (tcpdump does the same in null_if_print).
export const BSD_AF_INET = 2;
export const BSD_AF_NS = 6;
export const BSD_AF_ISO = 7;
export const BSD_AF_APPLETALK = 16;
export const BSD_AF_IPX = 23;
export const BSD_AF_INET6_BSD = 24;
export const BSD_AF_INET6_FREEBSD = 28;
export const BSD_AF_INET6_DARWIN = 30;

/** A checked view of a null/loop header. */
export class NullHeader {
  constructor(
    public b: Uint8Array,
    public offset: number,
    public end: number,
    /** LINKTYPE_NULL or LINKTYPE_LOOP: decides the byte order of the family field. */
    public linktype: number,
  ) {}

  /** Points the view at another header (HeaderView's aim, with the link type). */
  aim(b: Uint8Array, offset: number, end: number, linktype: number): this {
    this.b = b;
    this.offset = offset;
    this.end = end;
    this.linktype = linktype;
    return this;
  }

  /**
   * The address family. For LINKTYPE_NULL the writer's byte order is unknown; a family never has
   * bits in the upper half, so a value that does was written the other way round (tcpdump's rule).
   */
  get family(): number {
    if (this.linktype === LINKTYPE_LOOP) return u32(this.b, this.offset);
    const le = u32le(this.b, this.offset);
    return (le & 0xffff0000) !== 0 ? u32(this.b, this.offset) : le;
  }
  /** The ethertype equivalent of the family, when it is IPv4 or IPv6. */
  get etherType(): number | undefined {
    const f = this.family;
    if (f === BSD_AF_INET) return ETHERTYPE_IPV4;
    if (f === BSD_AF_INET6_BSD || f === BSD_AF_INET6_FREEBSD || f === BSD_AF_INET6_DARWIN) return ETHERTYPE_IPV6;
    return undefined;
  }
  get payloadOffset(): number {
    return this.offset + NULL_HEADER_LENGTH;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

export function decodeNull(b: Uint8Array, offset: number, end: number, linktype: number = LINKTYPE_NULL, into?: NullHeader): NullHeader | DecodeProblem {
  if (end - offset < NULL_HEADER_LENGTH) {
    return problem('null', offset, 'truncated', `null/loopback header needs ${NULL_HEADER_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  return into?.aim(b, offset, end, linktype) ?? new NullHeader(b, offset, end, linktype);
}

/** Writes the family field; LINKTYPE_NULL is written little-endian, as Linux and x86 BSDs do. */
export function writeNull(out: Uint8Array, offset: number, family: number, linktype: number = LINKTYPE_NULL): number {
  if (linktype === LINKTYPE_LOOP) {
    out[offset] = family >>> 24;
    out[offset + 1] = (family >>> 16) & 0xff;
    out[offset + 2] = (family >>> 8) & 0xff;
    out[offset + 3] = family & 0xff;
  } else {
    out[offset] = family & 0xff;
    out[offset + 1] = (family >>> 8) & 0xff;
    out[offset + 2] = (family >>> 16) & 0xff;
    out[offset + 3] = family >>> 24;
  }
  return offset + NULL_HEADER_LENGTH;
}
