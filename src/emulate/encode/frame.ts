/**
 * A model frame as the bytes a capture on one interface holds: Ethernet (link type 1) for a named
 * interface, Linux cooked v2 (276) for `@capture any` or a classic pcap of several interfaces, with
 * the layouts the decoders read.
 */
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetHeader, writeEthernet } from '../../decode/ethernet.js';
import { ARP_ETHERNET_IPV4_LENGTH, writeArp } from '../../decode/arp.js';
import { SLL2_HEADER_LENGTH, writeSll2 } from '../../decode/sll2.js';
import { ip4Bytes } from '../addr.js';
import type { EthFrame } from '../packet.js';
import { ipv4Length, writeIpv4 } from './ipv4.js';

/** Linux pads short frames to the Ethernet minimum (60 bytes without FCS) only on real NICs; veth and bridges do not. */
function payloadLength(f: EthFrame): number {
  return f.payload.kind === 'arp' ? ARP_ETHERNET_IPV4_LENGTH : ipv4Length(f.payload.ip);
}

function etherType(f: EthFrame): number {
  return f.payload.kind === 'arp' ? ETHERTYPE_ARP : ETHERTYPE_IPV4;
}

function writePayload(out: Uint8Array, o: number, f: EthFrame): void {
  if (f.payload.kind === 'arp') {
    const a = f.payload.arp;
    writeArp(out, o, { operation: a.op, senderMac: a.sha, senderIp: ip4Bytes(a.spa), targetMac: a.tha, targetIp: ip4Bytes(a.tpa) });
  } else {
    writeIpv4(out, o, f.payload.ip);
  }
}

export function encodeEthernetFrame(f: EthFrame): Uint8Array {
  const out = new Uint8Array(ETHERNET_HEADER_LENGTH + payloadLength(f));
  const o = writeEthernet(out, 0, { dst: f.dst, src: f.src, etherType: etherType(f) });
  writePayload(out, o, f);
  return out;
}

export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;

export interface CookedInfo {
  interfaceIndex: number;
  arphrdType: number;
  packetType: number;
}

/** The SLL2 form of a model frame. */
export function encodeSll2Frame(f: EthFrame, info: CookedInfo): Uint8Array {
  return cookEthernetFrame(encodeEthernetFrame(f), info);
}

/**
 * An Ethernet frame as `tcpdump -i any` holds it: the cooked header replaces the MAC header and
 * keeps only the source MAC (dev_parse_header), the payload follows unchanged.
 */
export function cookEthernetFrame(data: Uint8Array, info: CookedInfo): Uint8Array {
  const eth = new EthernetHeader(data, 0, data.length);
  const payload = data.subarray(eth.payloadOffset);
  const out = new Uint8Array(SLL2_HEADER_LENGTH + payload.length);
  const address = data.subarray(eth.srcOffset, eth.srcOffset + 6);
  const o = writeSll2(out, 0, { protocol: eth.typeOrLength, interfaceIndex: info.interfaceIndex, arphrdType: info.arphrdType, packetType: info.packetType, address });
  out.set(payload, o);
  return out;
}
