/**
 * The numbers the wire uses for "what comes next" and "what kind of message", each named once
 * (after gopacket's layers/enums.go): decoders, writers, the emulator, the correlator and the
 * tcpdump-style printers all say ETHERTYPE_IPV4 or TCP_FLAG_SYN rather than 0x0800 or 2.
 */

// Ethertypes (IEEE 802 numbers, as linux/if_ether.h and tcpdump's ethertype.h name them).
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
/** 4.2BSD trailer-encapsulated packets; tcpdump's ARP printer still names their protocol type. */
export const ETHERTYPE_TRAIL = 0x1000;
/** Transparent Ethernet Bridging: the payload is an Ethernet frame (gretap, ERSPAN-less bridging). */
export const ETHERTYPE_TEB = 0x6558;
export const ETHERTYPE_REVARP = 0x8035;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
/** The payload of PPTP's enhanced GRE (version 1). */
export const ETHERTYPE_PPP = 0x880b;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_LLDP = 0x88cc;
/** Pre-standard QinQ outer tags some switches still send. */
export const ETHERTYPE_VLAN_9100 = 0x9100;
export const ETHERTYPE_VLAN_9200 = 0x9200;

// IP protocol numbers, IPv6 extension headers included (IANA protocol-numbers, RFC 8200 section 4).
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_DCCP = 33;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_IPCOMP = 108;
export const IPPROTO_VRRP = 112;
export const IPPROTO_SCTP = 132;

// The eight classic TCP flag bits (RFC 9293, RFC 3168 for ECE and CWR).
export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;
export const TCP_FLAG_URG = 0x20;
export const TCP_FLAG_ECE = 0x40;
export const TCP_FLAG_CWR = 0x80;

// ICMP types (RFC 792 and successors).
export const ICMP_ECHO_REPLY = 0;
export const ICMP_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_ROUTER_ADVERT = 9;
export const ICMP_ROUTER_SOLICIT = 10;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAM_PROBLEM = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMP_REPLY = 14;
export const ICMP_INFO_REQUEST = 15;
export const ICMP_INFO_REPLY = 16;
export const ICMP_MASK_REQUEST = 17;
export const ICMP_MASK_REPLY = 18;

// Codes of ICMP destination unreachable.
export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;
export const ICMP_UNREACH_PROTOCOL = 2;
export const ICMP_UNREACH_PORT = 3;
export const ICMP_UNREACH_NEEDFRAG = 4;
export const ICMP_UNREACH_FILTER_PROHIB = 13;

// ICMPv6 types (RFC 4443, RFC 4861, RFC 2710 and RFC 3810, RFC 4620's node information, RFC 6275's
// home agent address discovery).
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAM_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_MLD_QUERY = 130;
export const ICMPV6_MLD_REPORT = 131;
export const ICMPV6_MLD_DONE = 132;
export const ICMPV6_ROUTER_SOLICIT = 133;
export const ICMPV6_ROUTER_ADVERT = 134;
export const ICMPV6_NEIGHBOR_SOLICIT = 135;
export const ICMPV6_NEIGHBOR_ADVERT = 136;
export const ICMPV6_REDIRECT = 137;
export const ICMPV6_NI_QUERY = 139;
export const ICMPV6_NI_REPLY = 140;
export const ICMPV6_MLDV2_REPORT = 143;
export const ICMPV6_HA_DISCOVERY_REQUEST = 144;
export const ICMPV6_HA_DISCOVERY_REPLY = 145;

// ARP hardware types (linux/if_arp.h), which the cooked capture headers carry too.
export const ARPHRD_ETHER = 1;
export const ARPHRD_FRELAY = 15;
export const ARPHRD_LOOPBACK = 772;
