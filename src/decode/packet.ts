/**
 * A decoded frame: which layers were found, each a lazy view over the frame's bytes. Layers absent
 * from the object were not present (or not reached: see `problem`).
 *
 * Ownership while the project is being built: link and network layers (ethernet, sll, sll2, null,
 * raw, vlan, arp, ipv4, ipv6, icmp, icmpv6) and `decodePacket` live here and in their own files;
 * transport and application layers (tcp, udp, dns, http, vxlan, geneve) are decoded by `decodeTransport`
 * in transport.ts, which `decodePacket` calls for IP protocols 6 and 17. GRE (IP protocol 47) is here.
 */
import { isProblem, problem, type DecodeProblem } from './layer.js';
import { decodeEthernet, MAX_ETHERNET_LENGTH, type EthernetHeader } from './ethernet.js';
import { decodeSll, LINKTYPE_LINUX_SLL, type SllHeader } from './sll.js';
import { decodeSll2, LINKTYPE_LINUX_SLL2, type Sll2Header } from './sll2.js';
import { decodeNull, LINKTYPE_LOOP, LINKTYPE_NULL, type NullHeader } from './null.js';
import { decodeVlan, isVlanTpid, MAX_VLAN_TAGS, type VlanTag } from './vlan.js';
import { decodeArp, type ArpPacket } from './arp.js';
import { decodeIpv4, type Ipv4Header } from './ipv4.js';
import { decodeIpv6, type Ipv6Header } from './ipv6.js';
import { decodeIcmp, type IcmpMessage } from './icmp.js';
import { decodeIcmpv6, type Icmpv6Message } from './icmpv6.js';
import { isRawLinktype, LINKTYPE_RAW, rawEtherType } from './raw.js';
import { decodeTransport } from './transport.js';
import type { TcpHeader } from './tcp.js';
import type { UdpHeader } from './udp.js';
import type { DnsMessage } from './dns.js';
import type { HttpMessage } from './http.js';
import type { VxlanHeader } from './vxlan.js';
import type { GeneveHeader } from './geneve.js';
import { decodeGre, type GreHeader } from './gre.js';
import type { LayerViews } from './decoder.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_REVARP, ETHERTYPE_TEB, IPPROTO_AH, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_NONE, IPPROTO_TCP, IPPROTO_UDP } from './enums.js';

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
  geneve?: GeneveHeader;
  gre?: GreHeader;
  /**
   * The packet carried inside a tunnel: an Ethernet frame (VXLAN; Geneve and GRE with protocol type
   * 0x6558), or what the protocol type names (IP, ARP); its offsets count from its own first byte.
   */
  inner?: Packet;
  /** The first layer that could not be decoded; layers after it are absent. */
  problem?: DecodeProblem;
}

export const LINKTYPE_ETHERNET = 1;

/** A Packet whose bytes can be changed: only by clearPacket, for PacketDecoder's reused packets. */
type ReusablePacket = { -readonly [K in keyof Packet]: Packet[K] };

/**
 * A packet with every layer absent. Every field is set, even when empty, so that all packets share
 * one shape: V8 then reads their layers with one inline cache wherever packets are looked at,
 * instead of one shape per combination of layers a frame happened to have.
 */
export function emptyPacket(data: Uint8Array, linktype: number): Packet {
  return {
    data,
    linktype,
    link: undefined,
    vlans: NO_VLANS,
    etherType: undefined,
    arp: undefined,
    ipv4: undefined,
    ipv6: undefined,
    icmp: undefined,
    icmpv6: undefined,
    tcp: undefined,
    udp: undefined,
    dns: undefined,
    http: undefined,
    vxlan: undefined,
    geneve: undefined,
    gre: undefined,
    inner: undefined,
    problem: undefined,
  };
}

/** `pkt` made what emptyPacket(data, linktype) makes, field for field. */
function clearPacket(pkt: ReusablePacket, data: Uint8Array, linktype: number): Packet {
  pkt.data = data;
  pkt.linktype = linktype;
  pkt.link = undefined;
  pkt.vlans = NO_VLANS;
  pkt.etherType = undefined;
  pkt.arp = undefined;
  pkt.ipv4 = undefined;
  pkt.ipv6 = undefined;
  pkt.icmp = undefined;
  pkt.icmpv6 = undefined;
  pkt.tcp = undefined;
  pkt.udp = undefined;
  pkt.dns = undefined;
  pkt.http = undefined;
  pkt.vxlan = undefined;
  pkt.geneve = undefined;
  pkt.gre = undefined;
  pkt.inner = undefined;
  pkt.problem = undefined;
  return pkt;
}

/** A fresh packet (decodePacket), or the reused one of this nesting level (PacketDecoder). */
function startPacket(data: Uint8Array, linktype: number, views: LayerViews | undefined): Packet {
  return views === undefined ? emptyPacket(data, linktype) : clearPacket(views.packet, data, linktype);
}

/** Shared by every untagged packet (most of them): an array is made only when a tag is found. */
const NO_VLANS: VlanTag[] = Object.freeze([]) as unknown as VlanTag[];

/**
 * Quoted packets inside ICMP errors and IP-in-IP are decoded too; a crafted packet could nest
 * them without end, so nesting stops here.
 */
const MAX_NESTING = 3;
/**
 * Tunnels in tunnels are decoded as deep as this: far more than real overlays stack, and few enough
 * that a crafted frame of nested GRE headers cannot exhaust the stack.
 */
const MAX_TUNNEL_NESTING = 8;

/** Next header, length, reserved, SPI and sequence number (RFC 4302 section 2). */
export const AH_MIN_LENGTH = 12;

/**
 * Decodes every layer of a frame of the given link type into a new Packet and new layer views,
 * which the caller may keep. Never throws. (The analyze path, which keeps none of them, decodes with
 * a PacketDecoder instead.)
 */
export function decodePacket(data: Uint8Array, linktype: number): Packet {
  return decodeFrame(data, linktype, 0, undefined);
}

/**
 * What a tunnel header at nesting `depth` carries, by the ethertype it names: an Ethernet frame
 * (Transparent Ethernet Bridging) or a network packet; undefined for other types, or too deep.
 * `views` are those of the tunnel's packet (undefined: new objects), the carried packet takes the next level's.
 */
export function decodeTunnelled(data: Uint8Array, etherType: number, depth: number, views: LayerViews | undefined): Packet | undefined {
  if (depth >= MAX_TUNNEL_NESTING) return undefined;
  if (etherType === ETHERTYPE_TEB) return decodeFrame(data, LINKTYPE_ETHERNET, depth + 1, views?.nested());
  if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6 && etherType !== ETHERTYPE_ARP && etherType !== ETHERTYPE_REVARP) return undefined;
  const inner = views?.nested();
  const pkt = startPacket(data, LINKTYPE_RAW, inner);
  pkt.etherType = etherType;
  decodeNetwork(pkt, etherType, 0, data.length, depth + 1, inner);
  return pkt;
}

/** Decodes a frame into new objects (`views` undefined), or into the reused ones of a nesting level. */
export function decodeFrame(data: Uint8Array, linktype: number, depth: number, views: LayerViews | undefined): Packet {
  const pkt = startPacket(data, linktype, views);
  const end = data.length;
  let type: number | undefined;
  let offset = 0;
  if (linktype === LINKTYPE_ETHERNET) {
    const eth = decodeEthernet(data, 0, end, views?.ethernet);
    if (isProblem(eth)) return fail(pkt, eth);
    pkt.link = eth;
    type = eth.typeOrLength;
    offset = eth.payloadOffset;
  } else if (linktype === LINKTYPE_LINUX_SLL) {
    const sll = decodeSll(data, 0, end, views?.sll);
    if (isProblem(sll)) return fail(pkt, sll);
    pkt.link = sll;
    type = sll.protocol;
    offset = sll.payloadOffset;
  } else if (linktype === LINKTYPE_LINUX_SLL2) {
    const sll2 = decodeSll2(data, 0, end, views?.sll2);
    if (isProblem(sll2)) return fail(pkt, sll2);
    pkt.link = sll2;
    type = sll2.protocol;
    offset = sll2.payloadOffset;
  } else if (linktype === LINKTYPE_NULL || linktype === LINKTYPE_LOOP) {
    const nul = decodeNull(data, 0, end, linktype, views?.null);
    if (isProblem(nul)) return fail(pkt, nul);
    pkt.link = nul;
    type = nul.etherType;
    offset = nul.payloadOffset;
    if (type === undefined) return pkt;
  } else if (isRawLinktype(linktype)) {
    type = rawEtherType(data, 0, end, linktype);
    if (type === undefined) {
      const empty = end === 0;
      return fail(pkt, problem('link', 0, empty ? 'truncated' : 'bad-version', empty ? 'raw IP packet with no bytes' : `raw IP packet of version ${data[0] >>> 4}, neither 4 nor 6`));
    }
  } else {
    return fail(pkt, problem('link', 0, 'unsupported', `link type ${linktype} is not decoded`));
  }
  while (isVlanTpid(type) && pkt.vlans.length < MAX_VLAN_TAGS) {
    const tag = decodeVlan(data, offset, end, type, views?.vlanTags[pkt.vlans.length]);
    if (isProblem(tag)) return fail(pkt, tag);
    if (pkt.vlans === NO_VLANS) pkt.vlans = views === undefined ? [] : views.emptyVlans();
    pkt.vlans.push(tag);
    type = tag.innerType;
    offset = tag.payloadOffset;
  }
  // An 802.3 length field (also after a tag) bounds an LLC payload, which is not decoded.
  if (type <= MAX_ETHERNET_LENGTH) return pkt;
  pkt.etherType = type;
  decodeNetwork(pkt, type, offset, end, depth, views);
  return pkt;
}

function fail(pkt: Packet, p: DecodeProblem): Packet {
  pkt.problem = p;
  return pkt;
}

/** A packet that starts with an IP header (quoted in an ICMP error, or tunnelled in IP), in the next level's views. */
function decodeIpPacket(data: Uint8Array, offset: number, end: number, depth: number, outer: LayerViews | undefined): Packet {
  const views = outer?.nested();
  const pkt = startPacket(data, LINKTYPE_RAW, views);
  const type = rawEtherType(data, offset, end, LINKTYPE_RAW);
  if (type === undefined) {
    const empty = end <= offset;
    return fail(pkt, problem('link', offset, empty ? 'truncated' : 'bad-version', empty ? 'no IP header' : `IP version ${data[offset] >>> 4}, neither 4 nor 6`));
  }
  pkt.etherType = type;
  decodeNetwork(pkt, type, offset, end, depth, views);
  return pkt;
}

function decodeNetwork(pkt: Packet, etherType: number, offset: number, end: number, depth: number, views: LayerViews | undefined): void {
  const b = pkt.data;
  if (etherType === ETHERTYPE_ARP || etherType === ETHERTYPE_REVARP) {
    const arp = decodeArp(b, offset, end, views?.arp);
    if (isProblem(arp)) pkt.problem = arp;
    else pkt.arp = arp;
    return;
  }
  if (etherType === ETHERTYPE_IPV4) {
    const ip = decodeIpv4(b, offset, end, views?.ipv4);
    if (isProblem(ip)) {
      pkt.problem = ip;
      return;
    }
    pkt.ipv4 = ip;
    if (ip.isLaterFragment) return;
    decodeUpper(pkt, ip.protocol, ip.payloadOffset, ip.payloadEnd, ip.payloadLength, depth, views);
    return;
  }
  if (etherType === ETHERTYPE_IPV6) {
    const ip = decodeIpv6(b, offset, end, views?.ipv6);
    if (isProblem(ip)) {
      pkt.problem = ip;
      return;
    }
    pkt.ipv6 = ip;
    if (ip.isLaterFragment || ip.protocol === IPPROTO_NONE) return;
    const declaredEnd = ip.offset + 40 + ip.length;
    decodeUpper(pkt, ip.protocol, ip.payloadOffset, ip.payloadEnd, Math.max(0, declaredEnd - ip.payloadOffset), depth, views);
  }
}

/** What follows an IP header; `length` is what the IP header declares for it. */
function decodeUpper(pkt: Packet, protocol: number, offset: number, end: number, length: number, depth: number, views: LayerViews | undefined): void {
  const b = pkt.data;
  switch (protocol) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
      decodeTransport(pkt, protocol, offset, end, depth, views);
      return;
    case IPPROTO_ICMP: {
      const icmp = decodeIcmp(b, offset, end, length, views?.icmp);
      if (isProblem(icmp)) {
        pkt.problem = icmp;
        return;
      }
      pkt.icmp = icmp;
      if (icmp.isError && depth < MAX_NESTING && icmp.payloadOffset < end) icmp.inner = decodeIpPacket(b, icmp.payloadOffset, end, depth + 1, views);
      return;
    }
    case IPPROTO_ICMPV6: {
      const icmp = decodeIcmpv6(b, offset, end, length, views?.icmpv6);
      if (isProblem(icmp)) {
        pkt.problem = icmp;
        return;
      }
      pkt.icmpv6 = icmp;
      if (icmp.isError && depth < MAX_NESTING && icmp.payloadOffset < end) icmp.inner = decodeIpPacket(b, icmp.payloadOffset, end, depth + 1, views);
      return;
    }
    case IPPROTO_AH: {
      // The authentication header is skipped to reach the protocol it protects (RFC 4302).
      if (end - offset < AH_MIN_LENGTH) return;
      const len = (b[offset + 1] + 2) * 4;
      if (len < AH_MIN_LENGTH || end - offset < len || depth >= MAX_NESTING) return;
      decodeUpper(pkt, b[offset], offset + len, end, length - len, depth + 1, views);
      return;
    }
    case IPPROTO_IPIP:
    case IPPROTO_IPV6:
      if (depth < MAX_NESTING) pkt.inner = decodeIpPacket(b, offset, end, depth + 1, views);
      return;
    case IPPROTO_GRE: {
      const gre = decodeGre(b, offset, end, views?.gre);
      if (isProblem(gre)) {
        pkt.problem = gre;
        return;
      }
      pkt.gre = gre;
      pkt.inner = decodeTunnelled(b.subarray(gre.payloadOffset, gre.payloadEnd), gre.protocolType, depth, views);
      return;
    }
    default:
      return;
  }
}
