/**
 * VXLAN and Geneve devices: what one sends leaves its namespace as a UDP datagram to the tunnel's
 * remote (through routing, netfilter and the neighbour cache like any local packet), and a datagram
 * to its port with its VNI comes out of the far end's device as the frame it carried. A bridged frame
 * too big for the path is answered as Linux 5.9 and later answer it (skb_tunnel_check_pmtu).
 */
import { ip4String, type Ip4 } from './addr.js';
import { cloneFrame, type EthFrame, type IcmpBody, type Ipv4Packet, type UdpBody } from './packet.js';
import { l3Length, receive, segmentLength, type Device, type LinkHost } from './link.js';
import { encodeIpv4Packet, encodeTunnelPayload } from './wire.js';
import { ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, IPPROTO_ICMP, IPPROTO_UDP } from '../decode/enums.js';
import { isIcmpError } from '../decode/icmp.js';
import { IPV4_MIN_HEADER_LENGTH } from '../decode/ipv4.js';
import { TUNNEL_OVERHEAD } from '../decode/vxlan.js';

/** ip_local_port_range, which udp_flow_src_port spreads tunnel source ports over. */
const SOURCE_PORT_LOW = 32768;
const SOURCE_PORT_HIGH = 60999;
/** iptunnel_pmtud_build_icmp quotes the frame's packet up to 576 bytes of ICMP error in all. */
const ICMP_ERROR_MAX = 576;
/** Below this MTU Linux sends no fragmentation-needed (iptunnel_pmtud_check_icmp). */
const PMTUD_MIN_MTU = 576;
/** Encapsulation or decapsulation, in nanoseconds. */
export const TUNNEL_COST = 2_500;

/**
 * udp_flow_src_port: the outer source port spreads flows over the range by a hash of the inner flow,
 * so that the underlay's ECMP and RSS keep a flow on one path. Linux hashes with a random key (and
 * a TCP socket's own random hash); here a fixed FNV-1a of both endpoints, sorted, as the flow
 * dissector's symmetric hash is: the same flow always gets the same port, both ways.
 */
export function tunnelSourcePort(f: EthFrame): number {
  let a: number[];
  let b: number[];
  if (f.payload.kind === 'arp') {
    a = [f.payload.arp.spa];
    b = [f.payload.arp.tpa];
  } else {
    const p = f.payload.ip;
    const body = p.body;
    const ports = body.proto === IPPROTO_ICMP ? [body.id, body.id] : [body.sport, body.dport];
    a = [p.src, ports[0], body.proto];
    b = [p.dst, ports[1], body.proto];
  }
  const [lo, hi] = a[0] < b[0] || (a[0] === b[0] && (a[1] ?? 0) <= (b[1] ?? 0)) ? [a, b] : [b, a];
  let h = 0x811c9dc5;
  for (const n of [...lo, ...hi]) {
    for (let shift = 24; shift >= 0; shift -= 8) {
      h ^= (n >>> shift) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return SOURCE_PORT_LOW + (h % (SOURCE_PORT_HIGH - SOURCE_PORT_LOW + 1));
}

/** The outer packet that carries `f` from tunnel device `dev` to its remote. */
export function encapsulate(dev: Device, f: EthFrame): Ipv4Packet {
  const t = dev.tunnel!;
  const body: UdpBody = {
    proto: IPPROTO_UDP,
    sport: tunnelSourcePort(f),
    dport: t.port,
    data: encodeTunnelPayload(t.type, t.vni, f),
    encapsulated: { type: t.type, vni: t.vni, frame: cloneFrame(f) },
  };
  const id = t.nextId;
  t.nextId = (t.nextId + 1) & 0xffff;
  // The tunnel's defaults: ttl auto (64), tos 0, df unset, so the outer IP id counts up.
  const outer: Ipv4Packet = { src: t.local ?? 0, dst: t.remote, ttl: 64, id, df: false, tos: 0, body };
  // A GSO frame stays one packet through the tunnel (UDP tunnel GSO): its segments grow by the headers.
  const inner = f.payload.kind === 'ipv4' ? f.payload.ip.gsoSegment : undefined;
  if (inner !== undefined) outer.gsoSegment = inner + TUNNEL_OVERHEAD;
  return outer;
}

/**
 * iptunnel_pmtud_check_icmp: only a DF packet between unicast addresses, not an ICMP error itself,
 * and a path of at least 576 bytes earns an answer.
 */
function earnsFragNeeded(p: Ipv4Packet, mtu: number): boolean {
  if (mtu < PMTUD_MIN_MTU || !p.df) return false;
  const group = (a: Ip4): boolean => a >>> 28 === 0xe || a === 0xffffffff;
  if (group(p.dst) || group(p.src) || p.src >>> 24 === 0 || p.src >>> 24 === 127) return false;
  return !(p.body.proto === IPPROTO_ICMP && isIcmpError(p.body.type));
}

/**
 * iptunnel_pmtud_build_icmp: the frame turned around at the tunnel, as if its destination had
 * answered: MACs swapped, from the inner destination to the inner source with the packet's own TTL,
 * IP id 0 and DF, naming the MTU and quoting the packet's start. The tunnel then receives it
 * (netif_rx), so that its bridge delivers it to the sender. Undefined when Linux stays silent.
 */
export function fragNeededReply(f: EthFrame, mtu: number): EthFrame | undefined {
  if (f.payload.kind !== 'ipv4' || !earnsFragNeeded(f.payload.ip, mtu)) return undefined;
  const p = f.payload.ip;
  const quoted = encodeIpv4Packet(p).subarray(0, ICMP_ERROR_MAX - IPV4_MIN_HEADER_LENGTH - 8);
  const body: IcmpBody = { proto: IPPROTO_ICMP, type: ICMP_UNREACH, code: ICMP_UNREACH_NEEDFRAG, id: 0, seq: mtu, data: quoted, quoted: p };
  const ip: Ipv4Packet = { src: p.dst, dst: p.src, ttl: p.ttl, id: 0, df: true, tos: 0, body };
  return { dst: f.src, src: f.dst, payload: { kind: 'ipv4', ip } };
}

/**
 * A frame leaving tunnel device `dev`: encapsulated and sent on, or, too big for the underlay's path
 * (its MTU less the tunnel's 50 bytes, as skb_tunnel_check_pmtu reckons it), dropped and, when the
 * device is a bridge port, answered with fragmentation-needed.
 */
export function tunnelTransmit(h: LinkHost, dev: Device, f: EthFrame, pathMtu: number | undefined, send: (outer: Ipv4Packet) => void, drop: (reason: string) => void): void {
  const t = dev.tunnel!;
  if (pathMtu === undefined) return drop(`${dev.name}: no route to its remote ${ip4String(t.remote)}`);
  const mtu = pathMtu - TUNNEL_OVERHEAD;
  const length = segmentLength(f);
  if (length <= mtu) {
    const outer = encapsulate(dev, f);
    h.after(TUNNEL_COST, () => send(outer));
    return;
  }
  const what = length === l3Length(f) ? `a ${length}-byte packet` : `a ${l3Length(f)}-byte GSO packet of ${length}-byte segments`;
  drop(`${what} is too big for ${dev.name}, whose path takes ${mtu}`);
  const reply = dev.master !== undefined ? fragNeededReply(f, mtu) : undefined;
  if (reply !== undefined) h.after(TUNNEL_COST, () => receive(h, dev, reply));
}

/** The tunnel device of `devices` that takes a datagram to `port` carrying this encapsulation. */
export function tunnelFor(devices: readonly Device[], port: number, e: NonNullable<UdpBody['encapsulated']>): Device | undefined {
  return devices.find((d) => d.up && d.tunnel !== undefined && d.tunnel.port === port && d.tunnel.type === e.type && d.tunnel.vni === e.vni);
}
