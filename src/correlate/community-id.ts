/**
 * Community ID v1 (github.com/corelight/community-id-spec): the flow hash Zeek, Suricata and Arkime
 * log, so a flow here can be found in their logs of the same traffic.
 */
import { hash } from 'node:crypto';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_HA_DISCOVERY_REPLY, ICMPV6_HA_DISCOVERY_REQUEST, ICMPV6_MLD_QUERY, ICMPV6_MLD_REPORT, ICMPV6_NEIGHBOR_ADVERT, ICMPV6_NEIGHBOR_SOLICIT, ICMPV6_NI_QUERY, ICMPV6_NI_REPLY, ICMPV6_ROUTER_ADVERT, ICMPV6_ROUTER_SOLICIT, ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_INFO_REPLY, ICMP_INFO_REQUEST, ICMP_MASK_REPLY, ICMP_MASK_REQUEST, ICMP_ROUTER_ADVERT, ICMP_ROUTER_SOLICIT, ICMP_TIMESTAMP, ICMP_TIMESTAMP_REPLY, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../decode/enums.js';

export interface FlowTuple {
  proto: number;
  /** 4 or 16 bytes. */
  saddr: Uint8Array;
  daddr: Uint8Array;
  /** Ports, or ICMP type (sport) and code (dport). Ignored for protocols without ports. */
  sport?: number;
  dport?: number;
}

const PROTOS_WITH_PORTS = new Set([IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, IPPROTO_SCTP]);

// Message types whose counterpart makes an ICMP exchange bidirectional (the spec's tables).
const ICMP4_COUNTERPART = new Map([
  [ICMP_ECHO, ICMP_ECHO_REPLY], [ICMP_ECHO_REPLY, ICMP_ECHO],
  [ICMP_TIMESTAMP, ICMP_TIMESTAMP_REPLY], [ICMP_TIMESTAMP_REPLY, ICMP_TIMESTAMP],
  [ICMP_INFO_REQUEST, ICMP_INFO_REPLY], [ICMP_INFO_REPLY, ICMP_INFO_REQUEST],
  [ICMP_ROUTER_SOLICIT, ICMP_ROUTER_ADVERT], [ICMP_ROUTER_ADVERT, ICMP_ROUTER_SOLICIT],
  [ICMP_MASK_REQUEST, ICMP_MASK_REPLY], [ICMP_MASK_REPLY, ICMP_MASK_REQUEST],
]);
const ICMP6_COUNTERPART = new Map([
  [ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY], [ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST],
  [ICMPV6_ROUTER_SOLICIT, ICMPV6_ROUTER_ADVERT], [ICMPV6_ROUTER_ADVERT, ICMPV6_ROUTER_SOLICIT],
  [ICMPV6_NEIGHBOR_SOLICIT, ICMPV6_NEIGHBOR_ADVERT], [ICMPV6_NEIGHBOR_ADVERT, ICMPV6_NEIGHBOR_SOLICIT],
  [ICMPV6_MLD_QUERY, ICMPV6_MLD_REPORT], [ICMPV6_MLD_REPORT, ICMPV6_MLD_QUERY],
  [ICMPV6_NI_QUERY, ICMPV6_NI_REPLY], [ICMPV6_NI_REPLY, ICMPV6_NI_QUERY],
  [ICMPV6_HA_DISCOVERY_REQUEST, ICMPV6_HA_DISCOVERY_REPLY], [ICMPV6_HA_DISCOVERY_REPLY, ICMPV6_HA_DISCOVERY_REQUEST],
]);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function communityId(tuple: FlowTuple, seed = 0, base64 = true): string {
  let { saddr, daddr } = tuple;
  let sport = tuple.sport ?? 0;
  let dport = tuple.dport ?? 0;
  const withPorts = PROTOS_WITH_PORTS.has(tuple.proto);
  let oneWay = false;
  if (tuple.proto === IPPROTO_ICMP || tuple.proto === IPPROTO_ICMPV6) {
    const map = tuple.proto === IPPROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART;
    const counterpart = map.get(sport);
    if (counterpart === undefined) oneWay = true;
    else dport = counterpart;
  }
  if (!oneWay) {
    const c = compareBytes(saddr, daddr);
    if (c > 0 || (c === 0 && withPorts && sport > dport)) {
      [saddr, daddr] = [daddr, saddr];
      [sport, dport] = [dport, sport];
    }
  }
  const buf = Buffer.alloc(2 + saddr.length + daddr.length + 2 + (withPorts ? 4 : 0));
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  buf.set(saddr, o);
  o += saddr.length;
  buf.set(daddr, o);
  o += daddr.length;
  o = buf.writeUInt8(tuple.proto & 0xff, o);
  o = buf.writeUInt8(0, o);
  if (withPorts) {
    o = buf.writeUInt16BE(sport & 0xffff, o);
    buf.writeUInt16BE(dport & 0xffff, o);
  }
  // The one-shot hash: a Hash object per flow cost five times as much for a 40-byte input.
  return `1:${hash('sha1', buf, base64 ? 'base64' : 'hex')}`;
}
