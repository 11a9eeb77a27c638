import { ipv6String, put32, u16, u32 } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';
import { pseudoHeaderSum, putChecksum } from './checksum.js';
import { IcmpBase } from './icmp.js';
import { linkAddressString } from './sll.js';
import { IPPROTO_ICMPV6, ICMPV6_DEST_UNREACH, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_NEIGHBOR_ADVERT, ICMPV6_NEIGHBOR_SOLICIT, ICMPV6_PACKET_TOO_BIG, ICMPV6_PARAM_PROBLEM, ICMPV6_REDIRECT, ICMPV6_ROUTER_ADVERT, ICMPV6_ROUTER_SOLICIT } from './enums.js';

/** Type, code, checksum and the 4-byte message body start (RFC 4443 section 2.1). */
export const ICMPV6_HEADER_LENGTH = 8;
export const ICMPV6_OFF_TYPE = 0;
export const ICMPV6_OFF_CODE = 1;
export const ICMPV6_OFF_CHECKSUM = 2;
export const ICMPV6_OFF_ID = 4;
export const ICMPV6_OFF_SEQ = 6;
/** Neighbour solicitation/advertisement and redirect: the target address after 4 reserved bytes. */
export const ICMPV6_OFF_TARGET = 8;
/** Redirect: the destination address after the target. */
export const ICMPV6_OFF_REDIRECT_DEST = 24;

/** Where neighbour-discovery options start, per message type (RFC 4861 section 4). */
export const ND_OPTIONS_OFFSET: Readonly<Record<number, number>> = {
  [ICMPV6_ROUTER_SOLICIT]: 8,
  [ICMPV6_ROUTER_ADVERT]: 16,
  [ICMPV6_NEIGHBOR_SOLICIT]: 24,
  [ICMPV6_NEIGHBOR_ADVERT]: 24,
  [ICMPV6_REDIRECT]: 40,
};

export const ND_OPT_SOURCE_LINKADDR = 1;
export const ND_OPT_TARGET_LINKADDR = 2;
export const ND_OPT_PREFIX_INFO = 3;
export const ND_OPT_REDIRECTED_HEADER = 4;
export const ND_OPT_MTU = 5;
export const ND_OPT_RDNSS = 25;

/** Neighbour advertisement flags (RFC 4861 section 4.4). */
export const ND_NA_FLAG_ROUTER = 0x80000000;
export const ND_NA_FLAG_SOLICITED = 0x40000000;
export const ND_NA_FLAG_OVERRIDE = 0x20000000;

export function isIcmpv6Error(type: number): boolean {
  return type >= ICMPV6_DEST_UNREACH && type <= ICMPV6_PARAM_PROBLEM;
}

/** One neighbour-discovery option: `length` in bytes (the wire field counts 8-byte units). */
export interface NdOption {
  readonly type: number;
  readonly offset: number;
  readonly length: number;
  /** For source/target link-layer address options: the address in colon-hex. */
  readonly linkAddress?: string;
}

/** A checked view of an ICMPv6 message, neighbour discovery included. */
export class Icmpv6Message extends IcmpBase {
  get isError(): boolean {
    return isIcmpv6Error(this.type);
  }
  get isEcho(): boolean {
    return this.type === ICMPV6_ECHO_REQUEST || this.type === ICMPV6_ECHO_REPLY;
  }
  get id(): number | undefined {
    return this.isEcho ? u16(this.b, this.offset + ICMPV6_OFF_ID) : undefined;
  }
  get seq(): number | undefined {
    return this.isEcho ? u16(this.b, this.offset + ICMPV6_OFF_SEQ) : undefined;
  }
  /** Packet too big: the MTU of the next hop. */
  get mtu(): number | undefined {
    return this.type === ICMPV6_PACKET_TOO_BIG ? u32(this.b, this.offset + 4) : undefined;
  }
  /** Parameter problem: the offset of the bad octet. */
  get pointer(): number | undefined {
    return this.type === ICMPV6_PARAM_PROBLEM ? u32(this.b, this.offset + 4) : undefined;
  }
  /** Neighbour solicitation/advertisement and redirect target; undefined for others or when cut. */
  get target(): string | undefined {
    const t = this.type;
    if (t !== ICMPV6_NEIGHBOR_SOLICIT && t !== ICMPV6_NEIGHBOR_ADVERT && t !== ICMPV6_REDIRECT) return undefined;
    if (this.end - this.offset < ICMPV6_OFF_TARGET + 16) return undefined;
    return ipv6String(this.b, this.offset + ICMPV6_OFF_TARGET);
  }
  get redirectDestination(): string | undefined {
    if (this.type !== ICMPV6_REDIRECT || this.end - this.offset < ICMPV6_OFF_REDIRECT_DEST + 16) return undefined;
    return ipv6String(this.b, this.offset + ICMPV6_OFF_REDIRECT_DEST);
  }
  /** Neighbour advertisement R/S/O flags as the 32-bit word. */
  get naFlags(): number | undefined {
    return this.type === ICMPV6_NEIGHBOR_ADVERT ? u32(this.b, this.offset + 4) : undefined;
  }
  /** Router advertisement fields (RFC 4861 section 4.2), when the message holds them. */
  get routerAdvert(): { curHopLimit: number; flags: number; routerLifetime: number; reachableTime: number; retransTimer: number } | undefined {
    if (this.type !== ICMPV6_ROUTER_ADVERT || this.end - this.offset < 16) return undefined;
    const o = this.offset;
    return { curHopLimit: this.b[o + 4], flags: this.b[o + 5], routerLifetime: u16(this.b, o + 6), reachableTime: u32(this.b, o + 8), retransTimer: u32(this.b, o + 12) };
  }
  /**
   * Neighbour-discovery options, read on demand. A zero length ends the list (RFC 4861 says such
   * a message is to be dropped; listing nothing after it keeps a crafted one from looping).
   */
  get ndOptions(): NdOption[] | undefined {
    const start = ND_OPTIONS_OFFSET[this.type];
    if (start === undefined) return undefined;
    const out: NdOption[] = [];
    let o = this.offset + start;
    while (o + 2 <= this.end) {
      const type = this.b[o];
      const length = this.b[o + 1] * 8;
      if (length === 0 || o + length > this.end) break;
      const isLink = type === ND_OPT_SOURCE_LINKADDR || type === ND_OPT_TARGET_LINKADDR;
      out.push(isLink ? { type, offset: o, length, linkAddress: linkAddressString(this.b, o + 2, length - 2) } : { type, offset: o, length });
      o += length;
    }
    return out;
  }
  /** Verifies the checksum with the enclosing IPv6 addresses; undefined when the message was cut. */
  checksumValidWith(srcOffset: number, dstOffset: number): boolean | undefined {
    return this.checksumValidFrom(pseudoHeaderSum(this.b, srcOffset, dstOffset, 16, this.length, IPPROTO_ICMPV6));
  }
}

export function decodeIcmpv6(b: Uint8Array, offset: number, end: number, length: number = end - offset, into?: Icmpv6Message): Icmpv6Message | DecodeProblem {
  const avail = end - offset;
  // tcpdump prints type and code from 2 bytes; a message is only useful with its first 4.
  if (avail < 4) return problem('icmpv6', offset, 'truncated', `ICMPv6 header needs 4 bytes, ${Math.max(0, avail)} captured`);
  return into?.aim(b, offset, end, length) ?? new Icmpv6Message(b, offset, end, length);
}

export interface Icmpv6Fields {
  type: number;
  code: number;
  /** The 4 bytes after the checksum (id and seq for echo; MTU; pointer; NA flags). */
  word: number;
  body?: Uint8Array;
}

/**
 * Writes the message decodeIcmpv6 reads with its checksum over `pseudoHeader` (ipv6PseudoHeader of
 * the enclosing header); returns the offset after it.
 */
export function writeIcmpv6(out: Uint8Array, offset: number, f: Icmpv6Fields, pseudoHeader: number): number {
  const len = ICMPV6_HEADER_LENGTH + (f.body?.length ?? 0);
  out[offset + ICMPV6_OFF_TYPE] = f.type;
  out[offset + ICMPV6_OFF_CODE] = f.code;
  put32(out, offset + ICMPV6_OFF_ID, f.word);
  if (f.body) out.set(f.body, offset + ICMPV6_HEADER_LENGTH);
  putChecksum(out, offset + ICMPV6_OFF_CHECKSUM, offset, offset + len, pseudoHeader);
  return offset + len;
}
