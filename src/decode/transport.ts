/**
 * Transport and application layers of an IP packet: TCP, UDP and what tcpdump would decode on top
 * of them by port (DNS on 53 and mDNS on 5353, HTTP on 80 and 8080, VXLAN on 4789 and 8472,
 * Geneve on 6081).
 */
import type { Packet } from './packet.js';
import { decodeTunnelled } from './packet.js';
import type { LayerViews } from './decoder.js';
import { isProblem } from './layer.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeDns, DNS_PORT, MDNS_PORT } from './dns.js';
import { decodeHttp, looksLikeHttp, HTTP_PORT, HTTP_ALT_PORT } from './http.js';
import { decodeVxlan, VXLAN_PORT, OTV_PORT } from './vxlan.js';
import { decodeGeneve, GENEVE_PORT } from './geneve.js';
import { ETHERTYPE_TEB, IPPROTO_TCP, IPPROTO_UDP } from './enums.js';

/**
 * UDP ports tcpdump 4.99's udp_print tests before VXLAN's (print-udp.c, in its order): a datagram
 * between one of these and 4789 is printed as that protocol, so it is not taken as VXLAN here.
 */
const UDP_PORTS_BEFORE_VXLAN = new Set([
  53, 5353, 525, 69, 67, 68, 111, 161, 162, 123, 88, 750, 1067, 1068, 2049, 5000, 5001, 5002, 5003, 5004, 5005,
  496, 497, 500, 4500, 521, 520, 1812, 1813, 1645, 1646, 1701, 3544, 514, 1985, 2000, 1758, 1701, 3503,
]);

function either(a: number, b: number, port: number): boolean {
  return a === port || b === port;
}

/**
 * Decodes what follows the IP header. `end` is the IP payload's end, clipped to the capture;
 * `depth` is how many tunnels the packet is already inside; `views` the packet's reused layer
 * views, or undefined for new ones.
 */
export function decodeTransport(pkt: Packet, protocol: number, offset: number, end: number, depth = 0, views?: LayerViews): void {
  const b = pkt.data;
  if (protocol === IPPROTO_TCP) {
    const tcp = decodeTcp(b, offset, end, views?.tcp);
    if (isProblem(tcp)) {
      pkt.problem = tcp;
      return;
    }
    pkt.tcp = tcp;
    const p = tcp.payloadOffset;
    const e = tcp.payloadEnd;
    if (p >= e) return;
    const sp = tcp.srcPort;
    const dp = tcp.dstPort;
    if (either(sp, dp, HTTP_PORT) || either(sp, dp, HTTP_ALT_PORT)) {
      if (!looksLikeHttp(b, p, e)) return;
      const http = decodeHttp(b, p, e);
      if (isProblem(http)) pkt.problem = http;
      else pkt.http = http;
    } else if (either(sp, dp, DNS_PORT)) {
      const dns = views === undefined ? decodeDns(b, p, e, true) : views.dns(b, p, e, true);
      if (isProblem(dns)) pkt.problem = dns;
      else pkt.dns = dns;
    }
    return;
  }
  if (protocol !== IPPROTO_UDP) return;
  const udp = decodeUdp(b, offset, end, views?.udp);
  if (isProblem(udp)) {
    pkt.problem = udp;
    return;
  }
  pkt.udp = udp;
  const sp = udp.srcPort;
  const dp = udp.dstPort;
  const p = udp.payloadOffset;
  const e = udp.payloadEnd;
  if (either(sp, dp, DNS_PORT) || either(sp, dp, MDNS_PORT)) {
    const dns = views === undefined ? decodeDns(b, p, e) : views.dns(b, p, e, false);
    if (isProblem(dns)) pkt.problem = dns;
    else pkt.dns = dns;
    return;
  }
  if (UDP_PORTS_BEFORE_VXLAN.has(sp) || UDP_PORTS_BEFORE_VXLAN.has(dp)) return;
  // print-udp.c tries OTV's port before VXLAN's, and both before Geneve's.
  const port = either(sp, dp, OTV_PORT) ? OTV_PORT : either(sp, dp, VXLAN_PORT) ? VXLAN_PORT : 0;
  if (port !== 0) {
    const vxlan = decodeVxlan(b, p, e, port, views?.vxlan);
    if (isProblem(vxlan)) {
      pkt.problem = vxlan;
      return;
    }
    pkt.vxlan = vxlan;
    pkt.inner = decodeTunnelled(b.subarray(vxlan.payloadOffset, vxlan.payloadEnd), ETHERTYPE_TEB, depth, views);
    return;
  }
  if (!either(sp, dp, GENEVE_PORT)) return;
  const geneve = decodeGeneve(b, p, e, views?.geneve);
  if (isProblem(geneve)) {
    pkt.problem = geneve;
    return;
  }
  pkt.geneve = geneve;
  pkt.inner = decodeTunnelled(b.subarray(geneve.payloadOffset, geneve.payloadEnd), geneve.protocolType, depth, views);
}
