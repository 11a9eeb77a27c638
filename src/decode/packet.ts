/**
 * A decoded frame: which layers were found, each a lazy view over the frame's bytes. Layers absent
 * from the object were not present (or not reached: see `problem`).
 *
 * Ownership while the project is being built: link and network layers (ethernet, sll, sll2, null,
 * raw, vlan, arp, ipv4, ipv6, icmp, icmpv6) and `decodePacket` live here and in their own files;
 * transport and application layers (tcp, udp, dns, http, vxlan) are decoded by `decodeTransport`
 * in transport.ts, which `decodePacket` calls for IP protocols 6 and 17.
 */
import type { DecodeProblem } from './layer.js';
import type { EthernetHeader } from './ethernet.js';
import type { SllHeader } from './sll.js';
import type { Sll2Header } from './sll2.js';
import type { NullHeader } from './null.js';
import type { VlanTag } from './vlan.js';
import type { ArpPacket } from './arp.js';
import type { Ipv4Header } from './ipv4.js';
import type { Ipv6Header } from './ipv6.js';
import type { IcmpMessage } from './icmp.js';
import type { Icmpv6Message } from './icmpv6.js';
import type { TcpHeader } from './tcp.js';
import type { UdpHeader } from './udp.js';
import type { DnsMessage } from './dns.js';
import type { HttpMessage } from './http.js';
import type { VxlanHeader } from './vxlan.js';

export type LinkHeader = EthernetHeader | SllHeader | Sll2Header | NullHeader;

export interface Packet {
  readonly data: Uint8Array;
  readonly linktype: number;
  link?: LinkHeader;
  vlans: VlanTag[];
  /** The ethertype (or SLL protocol) of what follows the link layer and VLAN tags, when known. */
  etherType?: number;
  arp?: ArpPacket;
  ipv4?: Ipv4Header;
  ipv6?: Ipv6Header;
  icmp?: IcmpMessage;
  icmpv6?: Icmpv6Message;
  tcp?: TcpHeader;
  udp?: UdpHeader;
  dns?: DnsMessage;
  http?: HttpMessage;
  vxlan?: VxlanHeader;
  /** The frame carried inside a tunnel (VXLAN: an Ethernet frame). */
  inner?: Packet;
  /** The first layer that could not be decoded; layers after it are absent. */
  problem?: DecodeProblem;
}
