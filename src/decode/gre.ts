import { u16, u32 } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';

/** Flags and version, then the payload's ethertype (RFC 2784); optional fields follow. */
const GRE_BASE_LENGTH = 4;
export const GRE_FLAG_CHECKSUM = 0x8000;
export const GRE_FLAG_ROUTING = 0x4000;
export const GRE_FLAG_KEY = 0x2000;
export const GRE_FLAG_SEQUENCE = 0x1000;
/** Version 1 (PPTP, RFC 2637) only: an acknowledgment number follows the sequence number. */
export const GRE_FLAG_ACK = 0x0080;
export const GRE_VERSION_MASK = 0x0007;

/**
 * A GRE header of version 0 (RFC 2784 and 2890: checksum, key, sequence number, RFC 1701's source
 * routes) or 1 (PPTP: payload length and call id in the key field, sequence and acknowledgment
 * numbers). The optional fields' offsets are found once, when decoding; -1 is an absent field.
 */
export class GreHeader {
  constructor(
    public b: Uint8Array,
    public offset: number,
    public end: number,
    public keyOffset: number,
    public sequenceOffset: number,
    public ackOffset: number,
    /** Where the payload starts: after the optional fields and any source route entries. */
    public payloadOffset: number,
  ) {}

  /** Points the view at another header, with the offsets decodeGre found in it. */
  aim(b: Uint8Array, offset: number, end: number, keyOffset: number, sequenceOffset: number, ackOffset: number, payloadOffset: number): this {
    this.b = b;
    this.offset = offset;
    this.end = end;
    this.keyOffset = keyOffset;
    this.sequenceOffset = sequenceOffset;
    this.ackOffset = ackOffset;
    this.payloadOffset = payloadOffset;
    return this;
  }

  get flags(): number {
    return u16(this.b, this.offset) & ~GRE_VERSION_MASK;
  }
  get version(): number {
    return u16(this.b, this.offset) & GRE_VERSION_MASK;
  }
  /** The ethertype of the payload. */
  get protocolType(): number {
    return u16(this.b, this.offset + 2);
  }
  get checksumPresent(): boolean {
    return this.version === 0 && (this.flags & (GRE_FLAG_CHECKSUM | GRE_FLAG_ROUTING)) !== 0;
  }
  get checksum(): number | undefined {
    return this.checksumPresent ? u16(this.b, this.offset + 4) : undefined;
  }
  get key(): number | undefined {
    return this.keyOffset < 0 ? undefined : u32(this.b, this.keyOffset);
  }
  /** Version 1: the call the packet belongs to (the low half of the key field). */
  get callId(): number | undefined {
    return this.keyOffset < 0 || this.version !== 1 ? undefined : u16(this.b, this.keyOffset + 2);
  }
  get sequence(): number | undefined {
    return this.sequenceOffset < 0 ? undefined : u32(this.b, this.sequenceOffset);
  }
  get ack(): number | undefined {
    return this.ackOffset < 0 ? undefined : u32(this.b, this.ackOffset);
  }
  get payloadEnd(): number {
    return this.end;
  }
}

/** Decodes the header between `offset` and `end` (the IP payload's end, clipped to the capture). */
export function decodeGre(b: Uint8Array, offset: number, end: number, into?: GreHeader): GreHeader | DecodeProblem {
  const cut = (at: number, what: string): DecodeProblem => problem('gre', at, 'truncated', `GRE ${what} at byte ${at - offset} of the header runs past the ${end - offset} bytes captured`);
  if (end - offset < GRE_BASE_LENGTH) return problem('gre', offset, 'truncated', `GRE header needs ${GRE_BASE_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  const word = u16(b, offset);
  const version = word & GRE_VERSION_MASK;
  if (version > 1) return problem('gre', offset, 'bad-version', `GRE version ${version} is neither 0 nor 1`);
  let p = offset + GRE_BASE_LENGTH;
  if (version === 0 && (word & (GRE_FLAG_CHECKSUM | GRE_FLAG_ROUTING)) !== 0) p += 4;
  let keyOffset = -1;
  let sequenceOffset = -1;
  let ackOffset = -1;
  if (word & GRE_FLAG_KEY) {
    keyOffset = p;
    p += 4;
  }
  if (word & GRE_FLAG_SEQUENCE) {
    sequenceOffset = p;
    p += 4;
  }
  if (version === 1 && word & GRE_FLAG_ACK) {
    ackOffset = p;
    p += 4;
  }
  if (p > end) return cut(offset + GRE_BASE_LENGTH, 'optional fields');
  if (version === 0 && word & GRE_FLAG_ROUTING) {
    // RFC 1701 source route entries, ended by one of address family 0 and length 0; each entry is
    // at least its 4-byte head, so the walk ends within the captured bytes.
    for (;;) {
      if (p + 4 > end) return cut(p, 'source route entry');
      const family = u16(b, p);
      const length = b[p + 3];
      p += 4;
      if (family === 0 && length === 0) break;
      if (p + length > end) return cut(p, 'source route entry');
      p += length;
    }
  }
  return into?.aim(b, offset, end, keyOffset, sequenceOffset, ackOffset, p) ?? new GreHeader(b, offset, end, keyOffset, sequenceOffset, ackOffset, p);
}
