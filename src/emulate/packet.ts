/**
 * Packets inside the model are structured values, turned into bytes only where an interface is
 * captured. Lengths and checksums are therefore computed at that moment, from the fields as they are
 * then: after every NAT rewrite or TTL decrement the bytes are right by construction.
 */
import type { Ip4, Mac } from './addr.js';
import type { RuleOrigin } from './netfilter.js';
import type { CtEntry, CtDir } from './conntrack.js';
import type { Device } from './link.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../decode/enums.js';
import type { TunnelType } from '../scenario/types.js';

export interface IcmpBody {
  proto: typeof IPPROTO_ICMP;
  type: number;
  code: number;
  /** Echo identifier; for errors, the unused/next-hop word's high half (0). */
  id: number;
  seq: number;
  /** Echo payload, or for an error the quoted IP header and the first 8 bytes after it. */
  data: Uint8Array;
  /** For an ICMP error: the offending packet as it was, so conntrack can translate it back. */
  quoted?: Ipv4Packet;
}

export interface TcpBody {
  proto: typeof IPPROTO_TCP;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Raw option bytes, a multiple of 4 long. */
  options: Uint8Array;
  data: Uint8Array;
}

export interface UdpBody {
  proto: typeof IPPROTO_UDP;
  sport: number;
  dport: number;
  data: Uint8Array;
  /** A tunnel's datagram: `data` is its header and this frame's bytes; the far end takes the frame. */
  encapsulated?: { type: TunnelType; vni: number; frame: EthFrame };
}

export type L4Body = IcmpBody | TcpBody | UdpBody;

export interface Ipv4Packet {
  src: Ip4;
  dst: Ip4;
  ttl: number;
  id: number;
  df: boolean;
  tos: number;
  body: L4Body;
  /** The NAT rewrites this packet has had so far, oldest first (a new array on every rewrite). */
  trail?: Rewrite[];
  /**
   * The conntrack entry a packet carries within its namespace: across loopback (skb->_nfct survives
   * loopback_xmit) and from br_netfilter's PREROUTING up to the bridge device, so hooks are not run twice.
   */
  ct?: { namespace: string; entry: CtEntry; dir: CtDir; prerouted: boolean };
  /**
   * br_netfilter's bridged_dnat mark: a frame DNATed while bridged that leaves through the bridge
   * device's neighbour output; br_dev_xmit gives it back the source MAC it arrived with and bridges
   * it on from the port it came in by.
   */
  bridgedDnat?: { srcMac: Mac; ingress: Device };
  /**
   * A GSO packet (skb_shinfo gso_size): the segments it stands for, each this many bytes of IP, are
   * made only when it leaves the host, so every capture on the way sees the one large packet.
   */
  gsoSegment?: number;
}

/** One NAT rewrite of one packet: what `diff` quotes when it explains a translation. */
export interface Rewrite {
  type: 'snat' | 'dnat';
  /** `ip:port`, or `ip` with the echo id for ICMP (`id 1234`). */
  before: string;
  after: string;
  /** The namespace whose netfilter did it: `host`, a netns name, `container:NAME`. */
  namespace: string;
  /** The rule that made the binding (for later packets of the connection, conntrack applies it). */
  rule?: RuleOrigin;
  /** False for the packet that walked the nat table, true for those conntrack translated. */
  byConntrack: boolean;
}

export interface ArpMessage {
  op: number;
  sha: Mac;
  spa: Ip4;
  tha: Mac;
  tpa: Ip4;
}

export type EthPayload = { kind: 'arp'; arp: ArpMessage } | { kind: 'ipv4'; ip: Ipv4Packet };

export interface EthFrame {
  dst: Mac;
  src: Mac;
  payload: EthPayload;
}

export function cloneBody(b: L4Body): L4Body {
  // Payload bytes are never written in place, so sharing them is safe.
  return { ...b } as L4Body;
}

export function cloneIp(p: Ipv4Packet): Ipv4Packet {
  return { ...p, body: cloneBody(p.body) };
}

export function cloneFrame(f: EthFrame): EthFrame {
  const payload: EthPayload = f.payload.kind === 'arp' ? { kind: 'arp', arp: { ...f.payload.arp } } : { kind: 'ipv4', ip: cloneIp(f.payload.ip) };
  return { dst: f.dst, src: f.src, payload };
}

/** Source and destination ports, or the echo identifier on both sides (as conntrack keys ICMP). */
export function l4Ports(b: L4Body): [number, number] {
  if (b.proto === IPPROTO_ICMP) return [b.id, b.id];
  return [b.sport, b.dport];
}
