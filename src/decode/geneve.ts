import { u16 } from './bytes.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';

/** RFC 8926: version and options length, flags, protocol type, 24-bit VNI, reserved byte. */
export const GENEVE_HEADER_LENGTH = 8;
export const GENEVE_PORT = 6081;
/** The O bit: a control (OAM) packet, not data for the tenant. */
export const GENEVE_FLAG_OAM = 0x80;
/** The C bit: an option the receiver must understand is present. */
export const GENEVE_FLAG_CRITICAL = 0x40;
const OPTIONS_LENGTH_MASK = 0x3f;

export interface GeneveOption {
  class: number;
  type: number;
  /** Bytes of the option, its 4-byte head included. */
  length: number;
  /** The type's high bit: the receiver must drop the packet if it does not know the option. */
  critical: boolean;
}

/** A Geneve header; what it carries (by `protocolType`, an ethertype) starts at `payloadOffset`. */
export class GeneveHeader extends HeaderView {
  get version(): number {
    return this.b[this.offset] >>> 6;
  }
  /** Bytes of options after the fixed header. */
  get optionsLength(): number {
    return (this.b[this.offset] & OPTIONS_LENGTH_MASK) * 4;
  }
  get flags(): number {
    return this.b[this.offset + 1];
  }
  get oam(): boolean {
    return (this.flags & GENEVE_FLAG_OAM) !== 0;
  }
  get critical(): boolean {
    return (this.flags & GENEVE_FLAG_CRITICAL) !== 0;
  }
  get protocolType(): number {
    return u16(this.b, this.offset + 2);
  }
  get vni(): number {
    return (u16(this.b, this.offset + 4) << 8) | this.b[this.offset + 6];
  }
  get reserved(): number {
    return this.b[this.offset + 7];
  }
  /** The options (decodeGeneve checked that their area was captured); a bad length ends the list. */
  get options(): GeneveOption[] {
    const out: GeneveOption[] = [];
    const stop = this.payloadOffset;
    for (let p = this.offset + GENEVE_HEADER_LENGTH; p + 4 <= stop; ) {
      const length = 4 + (this.b[p + 3] & 0x1f) * 4;
      out.push({ class: u16(this.b, p), type: this.b[p + 2], length, critical: (this.b[p + 2] & 0x80) !== 0 });
      p += length;
    }
    return out;
  }
  get payloadOffset(): number {
    return this.offset + GENEVE_HEADER_LENGTH + this.optionsLength;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

export function decodeGeneve(b: Uint8Array, offset: number, end: number, into?: GeneveHeader): GeneveHeader | DecodeProblem {
  if (end - offset < GENEVE_HEADER_LENGTH) {
    return problem('geneve', offset, 'truncated', `Geneve header needs ${GENEVE_HEADER_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  const h = into?.aim(b, offset, end) ?? new GeneveHeader(b, offset, end);
  if (h.version !== 0) return problem('geneve', offset, 'bad-version', `Geneve version ${h.version}, only version 0 is defined`);
  if (h.payloadOffset > end) {
    return problem('geneve', offset + GENEVE_HEADER_LENGTH, 'truncated', `Geneve options of ${h.optionsLength} bytes, ${end - offset - GENEVE_HEADER_LENGTH} captured`);
  }
  return h;
}

/**
 * Writes the 8-byte header without options (the layout decodeGeneve reads), as Linux's geneve device
 * sends it: version 0, no flags; returns the offset of what it carries.
 */
export function writeGeneve(out: Uint8Array, offset: number, vni: number, protocolType: number): number {
  out.fill(0, offset, offset + GENEVE_HEADER_LENGTH);
  out[offset + 2] = (protocolType >>> 8) & 0xff;
  out[offset + 3] = protocolType & 0xff;
  out[offset + 4] = (vni >>> 16) & 0xff;
  out[offset + 5] = (vni >>> 8) & 0xff;
  out[offset + 6] = vni & 0xff;
  return offset + GENEVE_HEADER_LENGTH;
}
