/**
 * The outside world of SCENARIOS.md as the lab builds it: a namespace behind the uplink (its end of
 * the veth is `gw0`) holding the gateway address, answering ARP for it, ICMP echo, DNS for the @dns
 * names on port 53 and HTTP on port 80 for any address beyond the host; it has no route back to
 * private networks, so an untranslated private source never gets a reply.
 */
import type { UplinkStep } from '../scenario/types.js';
import { inPrefix, ip4, type Ip4 } from './addr.js';
import type { Namespace } from './namespace.js';
import type { Emulation } from './run.js';
import { serveDns, serveHttp } from './apps.js';

const PRIVATE: [number, number][] = [
  [0x0a000000, 8],
  [0xac100000, 12],
  [0xc0a80000, 16],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0x64400000, 10],
  [0xe0000000, 3],
  [0, 8],
];

export function makeOutside(em: Emulation, uplink: UplinkStep, dns: Map<string, Ip4>): Namespace {
  const w = em.world;
  const outside = w.addNamespace('outside');
  const { dev, peer } = em.addVeth(w.host, uplink.iface, outside, 'gw0');
  dev.addrs.push({ addr: ip4(uplink.address.address), prefixLen: uplink.address.prefixLen });
  dev.up = true;
  const gw = ip4(uplink.gateway);
  w.host.routes.push({ dst: 0, prefixLen: 0, via: gw, dev });
  peer.addrs.push({ addr: gw, prefixLen: uplink.address.prefixLen });
  peer.up = true;
  const subnet = ip4(uplink.address.address);
  const len = uplink.address.prefixLen;
  // Every public address beyond the uplink's own network is the outside's (the lab gives it the ones
  // a scenario names; the model answers for any).
  outside.extraLocal = (a) => !inPrefix(a, subnet, len) && !PRIVATE.some(([n, l]) => inPrefix(a, n, l));
  serveDns(outside, 53, undefined, (name) => {
    const a = dns.get(name);
    return a === undefined ? undefined : [a];
  });
  serveHttp(outside, 80, undefined, () => em.epochNs());
  return outside;
}
