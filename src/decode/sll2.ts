import { put16, put32, u16, u32 } from './bytes.js';
import { EthernetHeader } from './ethernet.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';
import { linkAddressString, PACKET_OUTGOING, SLL_ADDRESS_MAX } from './sll.js';

/** LINKTYPE_LINUX_SLL2: cooked v2, which adds the interface index (libpcap 1.10 `-i any`). */
export const LINKTYPE_LINUX_SLL2 = 276;
export const SLL2_HEADER_LENGTH = 20;

/** A checked view of a Linux cooked-capture v2 header (big-endian fields, protocol first). */
export class Sll2Header extends HeaderView {
  get protocol(): number {
    return u16(this.b, this.offset);
  }
  /** Must be zero; kept visible because a nonzero value hints at a damaged or foreign file. */
  get reserved(): number {
    return u16(this.b, this.offset + 2);
  }
  /** The capturing host's ifindex: meaningful only on that host (name it with --iface-map). */
  get interfaceIndex(): number {
    return u32(this.b, this.offset + 4);
  }
  get arphrdType(): number {
    return u16(this.b, this.offset + 8);
  }
  get packetType(): number {
    return this.b[this.offset + 10];
  }
  get addressLength(): number {
    return this.b[this.offset + 11];
  }
  get addressOffset(): number {
    return this.offset + 12;
  }
  get address(): string {
    return linkAddressString(this.b, this.offset + 12, Math.min(this.addressLength, SLL_ADDRESS_MAX));
  }
  get outgoing(): boolean {
    return this.packetType === PACKET_OUTGOING;
  }
  get payloadOffset(): number {
    return this.offset + SLL2_HEADER_LENGTH;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

export function decodeSll2(b: Uint8Array, offset: number, end: number, into?: Sll2Header): Sll2Header | DecodeProblem {
  if (end - offset < SLL2_HEADER_LENGTH) {
    return problem('sll2', offset, 'truncated', `Linux cooked v2 (SLL2) header needs ${SLL2_HEADER_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  return into?.aim(b, offset, end) ?? new Sll2Header(b, offset, end);
}

export interface Sll2Fields {
  protocol: number;
  interfaceIndex: number;
  arphrdType: number;
  packetType: number;
  address: Uint8Array;
}

/** Writes the 20-byte header decodeSll2 reads; returns the payload offset. */
export function writeSll2(out: Uint8Array, offset: number, f: Sll2Fields): number {
  const n = Math.min(f.address.length, SLL_ADDRESS_MAX);
  out.fill(0, offset, offset + SLL2_HEADER_LENGTH);
  put16(out, offset, f.protocol);
  put32(out, offset + 4, f.interfaceIndex);
  put16(out, offset + 8, f.arphrdType);
  out[offset + 10] = f.packetType;
  out[offset + 11] = n;
  out.set(f.address.subarray(0, n), offset + 12);
  return offset + SLL2_HEADER_LENGTH;
}

/**
 * An Ethernet frame as `tcpdump -i any` holds it: the cooked header replaces the MAC header and
 * keeps only the source MAC (dev_parse_header), the payload follows unchanged.
 */
export function cookEthernetFrame(frame: Uint8Array, f: Omit<Sll2Fields, 'protocol' | 'address'>): Uint8Array {
  const eth = new EthernetHeader(frame, 0, frame.length);
  const payload = frame.subarray(eth.payloadOffset);
  const out = new Uint8Array(SLL2_HEADER_LENGTH + payload.length);
  const address = frame.subarray(eth.srcOffset, eth.srcOffset + 6);
  const o = writeSll2(out, 0, { protocol: eth.typeOrLength, interfaceIndex: f.interfaceIndex, arphrdType: f.arphrdType, packetType: f.packetType, address });
  out.set(payload, o);
  return out;
}
