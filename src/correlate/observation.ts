import type { JourneyKind } from './model.js';
import { IPPROTO_IGMP, IPPROTO_TCP } from '../decode/enums.js';
import type { TcpLineState } from '../decode/tcpdump/transport.js';

/**
 * One frame as the correlator needs it: flat numbers and short strings pulled from the decoded
 * layers once. Everything after observe.ts works on these, never on raw bytes.
 */
export interface Observation {
  /** Interface name as shown to people (pcapng if_name, --iface-map, `if4`, `any`). */
  iface: string;
  file: string;
  frame: number;
  tsSec: number;
  tsNsec: number;
  /** Nanoseconds since the start of the run (exact for spans under 104 days). */
  t: number;
  direction?: 'in' | 'out';
  kind: JourneyKind;
  /** Hash of the fields that survive bridging, routing and NAT (fingerprint.ts). */
  fp: number;
  srcMac?: string;
  dstMac?: string;
  /** 4 or 6 for IP packets; 0 for ARP and other layer-2 frames. */
  family: 0 | 4 | 6;
  /** Network addresses (ARP: sender and target protocol addresses). */
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  ttl?: number;
  tcpFlags?: number;
  seq?: number;
  ack?: number;
  /** Transport payload bytes (TCP segment data, UDP payload, ICMP data). */
  payloadLen: number;
  /** IP total length (or frame length for layer-2 frames): bytes a flow counts. */
  length: number;
  /**
   * The first line of an HTTP/1 message. Not in `detail`: a busy host's HTTP segments are enough of
   * the observations waiting (7% of the benchmark's) that a detail each costs more than the field.
   */
  httpText?: string;
  /**
   * What only some frames have (ICMP, DNS, ARP, tunnels): undefined on the others, most of a busy
   * host's. Every observation is kept until its journey's fate is known, tens of thousands at once,
   * and Node 20 stores every field in 8 bytes, absent or not.
   */
  detail?: ObservationDetail;
  /**
   * The tcpdump-style line of `read`, when the caller asked for evidence lines. Not in `detail`, nor
   * the next field: a report has one of the two on every frame.
   */
  line?: string;
  /**
   * Evidence lines are made when they are wanted, from the frame read again (evidence-lines.ts):
   * set while this one's is still to be made; false, or what tcpdump's TCP state was at its segment
   * when the frame was read in order (its connection's bases, shared by its other segments).
   */
  deferredLine?: TcpLineState | false;
}

export { TCP_FLAG_FIN as TCP_FIN, TCP_FLAG_SYN as TCP_SYN, TCP_FLAG_RST as TCP_RST, TCP_FLAG_PSH as TCP_PSH, TCP_FLAG_ACK as TCP_ACK } from '../decode/enums.js';

/** IGMP: the membership reports every interface sends when it comes up. */
export function isIgmp(o: Observation): boolean {
  return o.family === 4 && o.proto === IPPROTO_IGMP;
}

/** The Ethernet broadcast address as observations print MACs. */
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/**
 * An IP packet sent to every host of its link by its frame: a directed broadcast (a subnet's last
 * address, which its text cannot tell from a host's) or the limited one. TCP is never broadcast: a
 * segment to the broadcast MAC is a made-up capture, and is judged by its addresses.
 */
export function isFrameBroadcast(o: Observation): boolean {
  return o.family !== 0 && o.proto !== IPPROTO_TCP && o.dstMac === BROADCAST_MAC;
}

/** The key an ICMP "too big" answer and the packet it quotes share (see ObservationDetail.quoted). */
export function tooBigKey(src: string, sport: number | undefined, dst: string, dport: number | undefined, seq: number | undefined): string {
  return `${src}|${sport ?? ''}|${dst}|${dport ?? ''}|${seq ?? ''}`;
}

/** The fields of an observation that only some frames have (Observation.detail). */
export interface ObservationDetail {
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  dnsId?: number;
  dnsResponse?: boolean;
  /** "A? www.example.test." / "A 198.51.100.8": for summaries. */
  dnsText?: string;
  arpOp?: number;
  /** ARP sender hardware address (who answers). */
  arpSha?: string;
  /** ICMP fragmentation-needed or ICMPv6 packet-too-big: the MTU it names. */
  mtu?: number;
  /** The same: the packet it quotes, as `src|sport|dst|dport|seq` (tooBigKey), to find the journey it answers. */
  quoted?: string;
  /** Encapsulation: the VXLAN or Geneve VNI of the outer packet this was found in. */
  vni?: number;
  /** The same: the outer packet's tunnel, UDP tuple and IP length (the tunnel's own flow counts them). */
  outer?: OuterPacket;
}

/** The outer packet of a tunnel, as the tunnel's own UDP flow counts it. */
export interface OuterPacket {
  type: 'vxlan' | 'geneve';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  length: number;
}
