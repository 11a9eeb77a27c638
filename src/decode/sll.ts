import { hex2, macString, u16 } from './bytes.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';

/** LINKTYPE_LINUX_SLL: the "cooked" header libpcap builds for `-i any` (and non-Ethernet devices). */
export const LINKTYPE_LINUX_SLL = 113;
export const SLL_HEADER_LENGTH = 16;
/** The address field holds at most 8 bytes, whatever the length field says. */
export const SLL_ADDRESS_MAX = 8;

// Packet types (Linux PACKET_* in if_packet.h, as libpcap's LINUX_SLL_* copies them).
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;

/** The SLL protocol values below 1536 that name a non-Ethernet payload (libpcap's LINUX_SLL_P_*). */
export const SLL_P_802_3 = 0x0001;
export const SLL_P_802_2 = 0x0004;

/** The address, printed the way tcpdump prints link addresses: MAC form for 6 bytes, colon-hex otherwise. */
export function linkAddressString(b: Uint8Array, o: number, len: number): string {
  if (len === 6) return macString(b, o);
  let s = '';
  for (let i = 0; i < len; i++) s += (i === 0 ? '' : ':') + hex2(b[o + i]);
  return s;
}

/** A checked view of a Linux cooked-capture v1 header. All fields are big-endian on disk. */
export class SllHeader extends HeaderView {
  /** PACKET_HOST .. PACKET_OUTGOING: who the packet was for, or that this host sent it. */
  get packetType(): number {
    return u16(this.b, this.offset);
  }
  /** ARPHRD_* type of the device (1 Ethernet, 772 loopback, 65534 none/tun, ...). */
  get arphrdType(): number {
    return u16(this.b, this.offset + 2);
  }
  get addressLength(): number {
    return u16(this.b, this.offset + 4);
  }
  get addressOffset(): number {
    return this.offset + 6;
  }
  /** The sender's link-layer address (at most the 8 bytes the field can hold). */
  get address(): string {
    return linkAddressString(this.b, this.offset + 6, Math.min(this.addressLength, SLL_ADDRESS_MAX));
  }
  /** An ethertype, or below 1536 one of the SLL_P_* non-Ethernet values. */
  get protocol(): number {
    return u16(this.b, this.offset + 14);
  }
  get outgoing(): boolean {
    return this.packetType === PACKET_OUTGOING;
  }
  get payloadOffset(): number {
    return this.offset + SLL_HEADER_LENGTH;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

export function decodeSll(b: Uint8Array, offset: number, end: number, into?: SllHeader): SllHeader | DecodeProblem {
  if (end - offset < SLL_HEADER_LENGTH) {
    return problem('sll', offset, 'truncated', `Linux cooked (SLL) header needs ${SLL_HEADER_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  return into?.aim(b, offset, end) ?? new SllHeader(b, offset, end);
}

export interface SllFields {
  packetType: number;
  arphrdType: number;
  address: Uint8Array;
  protocol: number;
}

/** Writes the 16-byte header decodeSll reads; returns the payload offset. */
export function writeSll(out: Uint8Array, offset: number, f: SllFields): number {
  const n = Math.min(f.address.length, SLL_ADDRESS_MAX);
  out.fill(0, offset, offset + SLL_HEADER_LENGTH);
  out[offset] = f.packetType >>> 8;
  out[offset + 1] = f.packetType & 0xff;
  out[offset + 2] = f.arphrdType >>> 8;
  out[offset + 3] = f.arphrdType & 0xff;
  out[offset + 5] = n;
  out.set(f.address.subarray(0, n), offset + 6);
  out[offset + 14] = f.protocol >>> 8;
  out[offset + 15] = f.protocol & 0xff;
  return offset + SLL_HEADER_LENGTH;
}
