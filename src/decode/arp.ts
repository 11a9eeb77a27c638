import { ipv4String, u16 } from './bytes.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';
import { linkAddressString } from './sll.js';
import { ARPHRD_ETHER, ETHERTYPE_IPV4 } from './enums.js';

/** The fixed part: hardware type, protocol type, the two lengths, operation (RFC 826). */
export const ARP_FIXED_LENGTH = 8;
/** Ethernet/IPv4 ARP: 8 + 2 * (6 + 4). */
export const ARP_ETHERNET_IPV4_LENGTH = 28;

export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const ARPOP_REVREQUEST = 3;
export const ARPOP_REVREPLY = 4;
export const ARPOP_INVREQUEST = 8;
export const ARPOP_INVREPLY = 9;
export const ARPOP_NAK = 10;

/**
 * A checked view of an ARP (or RARP) packet with any hardware and protocol address lengths. The
 * address getters return text; the `*Offset` getters let hot code compare bytes instead.
 */
export class ArpPacket extends HeaderView {
  get hardwareType(): number {
    return u16(this.b, this.offset);
  }
  get protocolType(): number {
    return u16(this.b, this.offset + 2);
  }
  get hardwareLength(): number {
    return this.b[this.offset + 4];
  }
  get protocolLength(): number {
    return this.b[this.offset + 5];
  }
  get operation(): number {
    return u16(this.b, this.offset + 6);
  }
  /** Ethernet hardware addresses and IPv4 protocol addresses: the only kind a container host sends. */
  get isEthernetIpv4(): boolean {
    return this.hardwareType === ARPHRD_ETHER && this.hardwareLength === 6 && this.protocolType === ETHERTYPE_IPV4 && this.protocolLength === 4;
  }
  get senderHardwareOffset(): number {
    return this.offset + ARP_FIXED_LENGTH;
  }
  get senderProtocolOffset(): number {
    return this.senderHardwareOffset + this.hardwareLength;
  }
  get targetHardwareOffset(): number {
    return this.senderProtocolOffset + this.protocolLength;
  }
  get targetProtocolOffset(): number {
    return this.targetHardwareOffset + this.hardwareLength;
  }
  get senderHardwareAddress(): string {
    return linkAddressString(this.b, this.senderHardwareOffset, this.hardwareLength);
  }
  get targetHardwareAddress(): string {
    return linkAddressString(this.b, this.targetHardwareOffset, this.hardwareLength);
  }
  /** Dotted quad for 4-byte protocol addresses, colon-hex otherwise. */
  get senderProtocolAddress(): string {
    return protocolAddress(this.b, this.senderProtocolOffset, this.protocolLength);
  }
  get targetProtocolAddress(): string {
    return protocolAddress(this.b, this.targetProtocolOffset, this.protocolLength);
  }
  /** Gratuitous ARP: sender and target protocol addresses are the same. */
  get isGratuitous(): boolean {
    const n = this.protocolLength;
    const s = this.senderProtocolOffset;
    const t = this.targetProtocolOffset;
    for (let i = 0; i < n; i++) if (this.b[s + i] !== this.b[t + i]) return false;
    return true;
  }
  /** End of the four address fields; what follows (up to `end`) is Ethernet padding. */
  get payloadOffset(): number {
    return this.targetProtocolOffset + this.protocolLength;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

function protocolAddress(b: Uint8Array, o: number, len: number): string {
  return len === 4 ? ipv4String(b, o) : linkAddressString(b, o, len);
}

export function decodeArp(b: Uint8Array, offset: number, end: number, into?: ArpPacket): ArpPacket | DecodeProblem {
  const avail = end - offset;
  if (avail < ARP_FIXED_LENGTH) {
    return problem('arp', offset, 'truncated', `ARP header needs ${ARP_FIXED_LENGTH} bytes, ${Math.max(0, avail)} captured`);
  }
  const need = ARP_FIXED_LENGTH + 2 * (b[offset + 4] + b[offset + 5]);
  if (avail < need) {
    return problem('arp', offset, 'truncated', `ARP with ${b[offset + 4]}-byte hardware and ${b[offset + 5]}-byte protocol addresses needs ${need} bytes, ${avail} captured`);
  }
  return into?.aim(b, offset, end) ?? new ArpPacket(b, offset, end);
}

export interface ArpFields {
  operation: number;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

/** Writes an Ethernet/IPv4 ARP packet (28 bytes); returns the offset after it. */
export function writeArp(out: Uint8Array, offset: number, f: ArpFields): number {
  const head = [0, ARPHRD_ETHER, ETHERTYPE_IPV4 >>> 8, ETHERTYPE_IPV4 & 0xff, 6, 4, f.operation >>> 8, f.operation & 0xff];
  out.set(head, offset);
  out.set(f.senderMac.subarray(0, 6), offset + 8);
  out.set(f.senderIp.subarray(0, 4), offset + 14);
  out.set(f.targetMac.subarray(0, 6), offset + 18);
  out.set(f.targetIp.subarray(0, 4), offset + 24);
  return offset + ARP_ETHERNET_IPV4_LENGTH;
}
