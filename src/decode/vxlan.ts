import { u16 } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';
import { ETHERNET_HEADER_LENGTH } from './ethernet.js';
import { IPV4_MIN_HEADER_LENGTH } from './ipv4.js';
import { UDP_HEADER_LENGTH } from './udp.js';

/** RFC 7348: flags, 24 reserved bits, 24-bit VNI, 8 reserved bits. */
export const VXLAN_HEADER_LENGTH = 8;
/**
 * What a VXLAN or Geneve device over IPv4 takes off its underlay's MTU (the kernel's VXLAN_HEADROOM
 * and GENEVE_IPV4_HLEN): the inner Ethernet header, outer IPv4, UDP and the 8-byte tunnel header.
 */
export const TUNNEL_OVERHEAD = ETHERNET_HEADER_LENGTH + IPV4_MIN_HEADER_LENGTH + UDP_HEADER_LENGTH + VXLAN_HEADER_LENGTH;
/** The IANA port; Linux's own vxlan driver defaults to 8472, which tcpdump prints as OTV. */
export const VXLAN_PORT = 4789;
export const OTV_PORT = 8472;
/** The I flag: the VNI field is valid. */
export const VXLAN_FLAG_VNI = 0x08;
export const VXLAN_FLAGS = 0;
export const VXLAN_VNI = 4;

/** A VXLAN header; the encapsulated Ethernet frame starts at `payloadOffset`. */
export class VxlanHeader {
  constructor(
    public b: Uint8Array,
    public offset: number,
    public end: number,
    /** The UDP port that led here (4789, or 8472 which tcpdump names OTV). */
    public port: number,
  ) {}

  /** Points the view at another header (HeaderView's aim, with the port). */
  aim(b: Uint8Array, offset: number, end: number, port: number): this {
    this.b = b;
    this.offset = offset;
    this.end = end;
    this.port = port;
    return this;
  }

  get flags(): number {
    return this.b[this.offset + VXLAN_FLAGS];
  }
  get vniValid(): boolean {
    return (this.flags & VXLAN_FLAG_VNI) !== 0;
  }
  get vni(): number {
    return (u16(this.b, this.offset + VXLAN_VNI) << 8) | this.b[this.offset + VXLAN_VNI + 2];
  }
  get payloadOffset(): number {
    return this.offset + VXLAN_HEADER_LENGTH;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

export function decodeVxlan(b: Uint8Array, offset: number, end: number, port = VXLAN_PORT, into?: VxlanHeader): VxlanHeader | DecodeProblem {
  if (end - offset < VXLAN_HEADER_LENGTH) {
    return problem('vxlan', offset, 'truncated', `VXLAN header needs ${VXLAN_HEADER_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  return into?.aim(b, offset, end, port) ?? new VxlanHeader(b, offset, end, port);
}

/** Writes the 8-byte header with the I flag (the layout decodeVxlan reads); returns the inner frame's offset. */
export function writeVxlan(out: Uint8Array, offset: number, vni: number): number {
  out.fill(0, offset, offset + VXLAN_HEADER_LENGTH);
  out[offset + VXLAN_FLAGS] = VXLAN_FLAG_VNI;
  out[offset + VXLAN_VNI] = (vni >>> 16) & 0xff;
  out[offset + VXLAN_VNI + 1] = (vni >>> 8) & 0xff;
  out[offset + VXLAN_VNI + 2] = vni & 0xff;
  return offset + VXLAN_HEADER_LENGTH;
}
