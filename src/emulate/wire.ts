/**
 * A model frame as the bytes a capture on an Ethernet interface holds, written through the decode
 * layer's writers (each protocol's file reads and writes its header, so the emulator writes exactly
 * what the decoders read). Linux pads short frames to the Ethernet minimum only on real NICs; veth
 * and bridges do not, so neither does this.
 */
import { ARP_ETHERNET_IPV4_LENGTH, writeArp } from '../decode/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_TEB, IPPROTO_ICMP, IPPROTO_TCP } from '../decode/enums.js';
import { GENEVE_HEADER_LENGTH, writeGeneve } from '../decode/geneve.js';
import { VXLAN_HEADER_LENGTH, writeVxlan } from '../decode/vxlan.js';
import type { TunnelType } from '../scenario/types.js';
import { ETHERNET_HEADER_LENGTH, writeEthernet } from '../decode/ethernet.js';
import { ICMP_HEADER_LENGTH, writeIcmp } from '../decode/icmp.js';
import { IPV4_MIN_HEADER_LENGTH, ipv4PseudoHeader, writeIpv4 } from '../decode/ipv4.js';
import { tcpLength, writeTcp, type TcpFields } from '../decode/tcp.js';
import { udpLength, writeUdp, type UdpFields } from '../decode/udp.js';
import { ip4Bytes } from './addr.js';
import type { EthFrame, Ipv4Packet, TcpBody, UdpBody } from './packet.js';

function tcpFields(b: TcpBody): TcpFields {
  return { srcPort: b.sport, dstPort: b.dport, seq: b.seq, ack: b.ack, flags: b.flags, window: b.window, options: b.options, payload: b.data };
}

function udpFields(b: UdpBody): UdpFields {
  return { srcPort: b.sport, dstPort: b.dport, payload: b.data };
}

/** The packet's length with its header (never options: Linux sends none for the scenarios' traffic). */
export function ipv4Length(p: Ipv4Packet): number {
  const b = p.body;
  const l4 = b.proto === IPPROTO_ICMP ? ICMP_HEADER_LENGTH + b.data.length : b.proto === IPPROTO_TCP ? tcpLength(tcpFields(b)) : udpLength(udpFields(b));
  return IPV4_MIN_HEADER_LENGTH + l4;
}

/** Writes the packet at `offset` with its lengths and every checksum computed; returns the end offset. */
function writeIpv4Packet(out: Uint8Array, offset: number, p: Ipv4Packet): number {
  const total = ipv4Length(p);
  const b = p.body;
  const l4 = writeIpv4(out, offset, { tos: p.tos, totalLength: total, id: p.id, dontFragment: p.df, ttl: p.ttl, protocol: b.proto, src: ip4Bytes(p.src), dst: ip4Bytes(p.dst) });
  const pseudoHeader = ipv4PseudoHeader(out, offset, total - IPV4_MIN_HEADER_LENGTH, b.proto);
  if (b.proto === IPPROTO_ICMP) writeIcmp(out, l4, { type: b.type, code: b.code, id: b.id, seq: b.seq, payload: b.data });
  else if (b.proto === IPPROTO_TCP) writeTcp(out, l4, tcpFields(b), pseudoHeader);
  else writeUdp(out, l4, udpFields(b), pseudoHeader);
  return offset + total;
}

/** The packet alone, from its IP header on: what an ICMP error quotes. */
export function encodeIpv4Packet(p: Ipv4Packet): Uint8Array {
  const out = new Uint8Array(ipv4Length(p));
  writeIpv4Packet(out, 0, p);
  return out;
}

/** What a tunnel's UDP datagram carries: its header, then the frame as the tunnel device sent it. */
export function encodeTunnelPayload(type: TunnelType, vni: number, inner: EthFrame): Uint8Array {
  const frame = encodeEthernetFrame(inner);
  const header = type === 'vxlan' ? VXLAN_HEADER_LENGTH : GENEVE_HEADER_LENGTH;
  const out = new Uint8Array(header + frame.length);
  const o = type === 'vxlan' ? writeVxlan(out, 0, vni) : writeGeneve(out, 0, vni, ETHERTYPE_TEB);
  out.set(frame, o);
  return out;
}

/** The frame as a capture on a named (Ethernet) interface holds it. */
export function encodeEthernetFrame(f: EthFrame): Uint8Array {
  const p = f.payload;
  const out = new Uint8Array(ETHERNET_HEADER_LENGTH + (p.kind === 'arp' ? ARP_ETHERNET_IPV4_LENGTH : ipv4Length(p.ip)));
  const o = writeEthernet(out, 0, { dst: f.dst, src: f.src, etherType: p.kind === 'arp' ? ETHERTYPE_ARP : ETHERTYPE_IPV4 });
  if (p.kind === 'ipv4') writeIpv4Packet(out, o, p.ip);
  else writeArp(out, o, { operation: p.arp.op, senderMac: p.arp.sha, senderIp: ip4Bytes(p.arp.spa), targetMac: p.arp.tha, targetIp: ip4Bytes(p.arp.tpa) });
  return out;
}
