// The link-level text tcpdump prints with -e (print-ether.c, print-sll.c, print-null.c), VLAN
// tags included, up to and including the `length N: ` before the network layer.
import type { Packet } from '../packet.js';
import { EthernetHeader, MAX_ETHERNET_LENGTH } from '../ethernet.js';
import { SllHeader, SLL_P_802_2, SLL_P_802_3 } from '../sll.js';
import { Sll2Header } from '../sll2.js';
import { NullHeader } from '../null.js';
import { isRawLinktype } from '../raw.js';
import type { VlanTag } from '../vlan.js';
import { bsdAfName, ethertypeName, ethertypeText } from './names.js';

// print-sll.c's sll_pkttype_values.
const SLL_PACKET_TYPES = ['In', 'B', 'M', 'P', 'Out'];

export function sllPacketTypeWord(t: number): string {
  return SLL_PACKET_TYPES[t] ?? '?';
}

/** ieee8021q_tci_string: `vlan 10, p 0` and `, DEI` when set. */
export function vlanTciText(tag: VlanTag): string {
  return `vlan ${tag.id}, p ${tag.pcp}${tag.dei ? ', DEI' : ''}`;
}

/** Where the network layer starts: after the link header and any VLAN tags. */
export function networkOffset(pkt: Packet): number {
  const last = pkt.vlans[pkt.vlans.length - 1];
  if (last) return last.payloadOffset;
  return pkt.link ? pkt.link.payloadOffset : 0;
}

function ethernetVlanText(pkt: Packet): string {
  let s = '';
  for (const tag of pkt.vlans) {
    s += `${vlanTciText(tag)}, `;
    const t = tag.innerType;
    if (t > MAX_ETHERNET_LENGTH) s += `${ethertypeText(t)}, `;
  }
  return s;
}

/** The cooked (SLL and SLL2) line after its first word: sll_print and sll2_print differ only there. */
function cookedText(pkt: Packet, link: SllHeader | Sll2Header, first: string, origLen: number): string {
  let s = first;
  if (link.addressLength === 6) s += `${link.address} `;
  const t = link.protocol;
  if (t <= MAX_ETHERNET_LENGTH) s += t === SLL_P_802_3 ? '802.3' : t === SLL_P_802_2 ? '802.2' : `ethertype Unknown (0x${t.toString(16).padStart(4, '0')})`;
  else s += ethertypeText(t);
  s += `, length ${origLen}: `;
  for (const tag of pkt.vlans) s += `${vlanTciText(tag)}, ethertype ${ethertypeName(tag.innerType > MAX_ETHERNET_LENGTH ? tag.innerType : SLL_P_802_2)}, `;
  return s;
}

/** The -e text for the frame's link layer. `origLen` is the frame's length on the wire. */
export function formatLinkHeader(pkt: Packet, origLen: number): string {
  const link = pkt.link;
  if (link instanceof EthernetHeader) {
    const head = `${link.src} > ${link.dst}, `;
    const t = link.typeOrLength;
    // print-ether.c: the length field, where it is shorter than what follows the header.
    if (t <= MAX_ETHERNET_LENGTH) return `${head}802.3, length ${Math.min(t, Math.max(0, origLen - 14))}: `;
    return `${head}${ethertypeText(t)}, length ${origLen}: ${ethernetVlanText(pkt)}`;
  }
  if (link instanceof SllHeader) return cookedText(pkt, link, `${sllPacketTypeWord(link.packetType).padStart(3)} `, origLen);
  if (link instanceof Sll2Header) return cookedText(pkt, link, `ifindex ${link.interfaceIndex} `, origLen);
  if (link instanceof NullHeader) {
    const f = link.family;
    return `AF ${bsdAfName(f)} (${f}), length ${origLen}: `;
  }
  if (isRawLinktype(pkt.linktype)) return 'ip: ';
  return '';
}
