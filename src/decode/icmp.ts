import { ipv4String, put16, u16, u32 } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';
import { internetChecksum, putChecksum } from './checksum.js';
import type { Packet } from './packet.js';
import { ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_MASK_REPLY, ICMP_PARAM_PROBLEM, ICMP_REDIRECT, ICMP_SOURCE_QUENCH, ICMP_TIMESTAMP, ICMP_TIME_EXCEEDED, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG } from './enums.js';

/** Type, code, checksum and the 4-byte rest-of-header every ICMP message has (RFC 792). */
export const ICMP_HEADER_LENGTH = 8;
export const ICMP_OFF_TYPE = 0;
export const ICMP_OFF_CODE = 1;
export const ICMP_OFF_CHECKSUM = 2;
export const ICMP_OFF_ID = 4;
export const ICMP_OFF_SEQ = 6;
/** Where an error message quotes the offending packet's IP header. */
export const ICMP_OFF_QUOTED = 8;

/** Messages that quote the packet that caused them. */
export function isIcmpError(type: number): boolean {
  return type === ICMP_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAM_PROBLEM;
}

/** Messages whose rest-of-header is an identifier and sequence number (RFC 792). */
export function hasIcmpIdSeq(type: number): boolean {
  return type === ICMP_ECHO || type === ICMP_ECHO_REPLY || (type >= ICMP_TIMESTAMP && type <= ICMP_MASK_REPLY);
}

/**
 * What ICMP and ICMPv6 messages share (RFC 792, RFC 4443 section 2.1): type, code and checksum,
 * four bytes whose meaning the type gives, then the quoted packet or the data.
 */
export abstract class IcmpBase {
  /**
   * For error messages: the quoted offending packet (IP header and the start of its payload),
   * decoded by decodePacket. Its last layer is usually cut short, which its `problem` says.
   */
  inner?: Packet;

  constructor(
    public b: Uint8Array,
    public offset: number,
    /** End of the message: the IP payload end, clipped to the capture. */
    public end: number,
    /** The message length the IP header declares (may exceed what was captured). */
    public length: number,
  ) {}

  /** Points the view at another message, with no quoted packet yet (HeaderView's aim, with the length). */
  aim(b: Uint8Array, offset: number, end: number, length: number): this {
    this.b = b;
    this.offset = offset;
    this.end = end;
    this.length = length;
    this.inner = undefined;
    return this;
  }

  get type(): number {
    return this.b[this.offset + ICMP_OFF_TYPE];
  }
  get code(): number {
    return this.b[this.offset + ICMP_OFF_CODE];
  }
  get checksum(): number {
    return u16(this.b, this.offset + ICMP_OFF_CHECKSUM);
  }
  /** The checksum over the message on top of `initial` is right; undefined when the message was cut. */
  protected checksumValidFrom(initial: number): boolean | undefined {
    if (this.end - this.offset < this.length) return undefined;
    return internetChecksum(this.b, this.offset, this.offset + this.length, initial) === 0;
  }
  /** Where the quoted packet (error types) or the echo data starts. */
  get payloadOffset(): number {
    return this.offset + ICMP_HEADER_LENGTH;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

/** A checked view of an ICMP message. */
export class IcmpMessage extends IcmpBase {
  /** True/false when the whole message was captured; undefined when it was cut. */
  get checksumValid(): boolean | undefined {
    return this.checksumValidFrom(0);
  }
  get isError(): boolean {
    return isIcmpError(this.type);
  }
  get isEcho(): boolean {
    return this.type === ICMP_ECHO || this.type === ICMP_ECHO_REPLY;
  }
  /** Echo (and timestamp, info, mask) identifier; undefined for other types. */
  get id(): number | undefined {
    return hasIcmpIdSeq(this.type) ? u16(this.b, this.offset + ICMP_OFF_ID) : undefined;
  }
  get seq(): number | undefined {
    return hasIcmpIdSeq(this.type) ? u16(this.b, this.offset + ICMP_OFF_SEQ) : undefined;
  }
  /** The 4 bytes after the checksum, whatever the type makes of them. */
  get restOfHeader(): number {
    return u32(this.b, this.offset + ICMP_OFF_ID);
  }
  /** Next-hop MTU of "fragmentation needed" (RFC 1191); 0 when the router did not say. */
  get nextHopMtu(): number | undefined {
    return this.type === ICMP_UNREACH && this.code === ICMP_UNREACH_NEEDFRAG ? u16(this.b, this.offset + ICMP_OFF_SEQ) : undefined;
  }
  /** The gateway a redirect points to. */
  get gateway(): string | undefined {
    return this.type === ICMP_REDIRECT ? ipv4String(this.b, this.offset + ICMP_OFF_ID) : undefined;
  }
  /** The octet a parameter problem points at. */
  get pointer(): number | undefined {
    return this.type === ICMP_PARAM_PROBLEM ? this.b[this.offset + ICMP_OFF_ID] : undefined;
  }
}

export function decodeIcmp(b: Uint8Array, offset: number, end: number, length: number = end - offset, into?: IcmpMessage): IcmpMessage | DecodeProblem {
  const avail = end - offset;
  if (avail < ICMP_HEADER_LENGTH) {
    return problem('icmp', offset, 'truncated', `ICMP header needs ${ICMP_HEADER_LENGTH} bytes, ${Math.max(0, avail)} captured`);
  }
  return into?.aim(b, offset, end, length) ?? new IcmpMessage(b, offset, end, length);
}

export interface IcmpFields {
  type: number;
  code: number;
  /** Identifier and sequence number, or for errors the rest-of-header (e.g. the MTU in `seq`). */
  id?: number;
  seq?: number;
  /** Echo data or the quoted packet. */
  payload?: Uint8Array;
}

/** Writes the message decodeIcmp reads, with its checksum; returns the offset after it. */
export function writeIcmp(out: Uint8Array, offset: number, f: IcmpFields): number {
  const len = ICMP_HEADER_LENGTH + (f.payload?.length ?? 0);
  out.fill(0, offset, offset + ICMP_HEADER_LENGTH);
  out[offset + ICMP_OFF_TYPE] = f.type;
  out[offset + ICMP_OFF_CODE] = f.code;
  put16(out, offset + ICMP_OFF_ID, f.id ?? 0);
  put16(out, offset + ICMP_OFF_SEQ, f.seq ?? 0);
  if (f.payload) out.set(f.payload, offset + ICMP_HEADER_LENGTH);
  putChecksum(out, offset + ICMP_OFF_CHECKSUM, offset, offset + len);
  return offset + len;
}
