// Names tcpdump 4.99 prints for numeric fields (ethertype.h's ethertype_values, af.h's
// bsd_af_values), limited to the ones a Linux container host meets.
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_LLDP, ETHERTYPE_PPP, ETHERTYPE_QINQ, ETHERTYPE_REVARP, ETHERTYPE_TEB, ETHERTYPE_VLAN, ETHERTYPE_VLAN_9100, ETHERTYPE_VLAN_9200 } from '../enums.js';

const ETHERTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [ETHERTYPE_IPV4, 'IPv4'],
  [ETHERTYPE_ARP, 'ARP'],
  [ETHERTYPE_REVARP, 'Reverse ARP'],
  [ETHERTYPE_IPV6, 'IPv6'],
  [ETHERTYPE_VLAN, '802.1Q'],
  [ETHERTYPE_QINQ, '802.1Q-QinQ'],
  [ETHERTYPE_VLAN_9100, '802.1Q-9100'],
  [ETHERTYPE_VLAN_9200, '802.1Q-9200'],
  [0x8847, 'MPLS unicast'],
  [0x8848, 'MPLS multicast'],
  [0x8863, 'PPPoE D'],
  [0x8864, 'PPPoE S'],
  [0x888e, 'EAPOL'],
  [ETHERTYPE_LLDP, 'LLDP'],
  [0x8809, 'Slow Protocols'],
  [0x88f7, 'PTP'],
  [0x8902, 'CFM'],
  [0x88e5, '802.1AE'],
  [0x9000, 'Loopback'],
  [0x8137, 'IPX'],
  [0x809b, 'Appletalk'],
  [0x80f3, 'Appletalk ARP'],
  [ETHERTYPE_TEB, 'TEB'],
  [ETHERTYPE_PPP, 'PPP'],
  [0x8906, 'FCoE'],
  [0x8914, 'FIP'],
  [0x8892, 'PROFINET'],
  [0x88a4, 'EtherCAT'],
  [0x88b8, 'GOOSE'],
  [0x893a, 'IEEE1905.1'],
  [0x22f3, 'TRILL'],
  [0x8842, 'WOL'],
  [0x8808, 'MAC control'],
  [0x0842, 'WOL'],
]);

/** `unknown` is what the caller's tok2str prints for a type without a name. */
export function ethertypeName(type: number, unknown = 'Unknown'): string {
  return ETHERTYPE_NAMES.get(type) ?? unknown;
}

/** `ethertype IPv4 (0x0800)`: tcpdump's ether_type_print. */
export function ethertypeText(type: number): string {
  return `ethertype ${ethertypeName(type)} (0x${type.toString(16).padStart(4, '0')})`;
}

const BSD_AF_NAMES: ReadonlyMap<number, string> = new Map([
  [2, 'IPv4'],
  [6, 'NS'],
  [7, 'ISO'],
  [16, 'Appletalk'],
  [23, 'IPX'],
  [24, 'IPv6'],
  [28, 'IPv6'],
  [30, 'IPv6'],
]);

export function bsdAfName(family: number): string {
  return BSD_AF_NAMES.get(family) ?? 'Unknown';
}
