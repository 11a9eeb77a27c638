/**
 * The routes a namespace's addresses make (fib_add_ifaddr) and the source address a packet takes
 * (inet_select_addr), as Linux has them. Every claim here was held against `ip route show table
 * local` and `ip route get` on a 6.18 kernel, and test/emulate/local-table.test.ts holds the model
 * against lab recordings.
 */
import { inPrefix, isLoopback4, maskOf, type Ip4 } from './addr.js';
import type { Device, DeviceAddress } from './link.js';

export interface Route {
  dst: Ip4;
  prefixLen: number;
  via?: Ip4;
  dev: Device;
  /** Preferred source (the address of a connected route). */
  src?: Ip4;
}

/** A route of table local: a packet to `dst` is the namespace's own and leaves from `src`. */
export interface LocalRoute {
  prefixLen: number;
  src: Ip4;
}

/** Route and address scopes (rtnetlink.h): the lower, the farther an address may be used. */
export const SCOPE_UNIVERSE = 0;
export const SCOPE_LINK = 253;
const SCOPE_HOST = 254;

/**
 * The primary address of `a`'s subnet on `dev`: an address added while another of the same prefix
 * length and subnet is there becomes its secondary (__inet_insert_ifa), and its routes name that
 * other as their source.
 */
function primaryOf(dev: Device, a: DeviceAddress): Ip4 {
  const first = dev.addrs.find((x) => x.prefixLen === a.prefixLen && inPrefix(a.addr, x.addr, x.prefixLen));
  return (first ?? a).addr;
}

function isPrimary(dev: Device, a: DeviceAddress): boolean {
  return primaryOf(dev, a) === a.addr;
}

/**
 * Table local's route for `dst`, the longest that matches: `local A` for every address A (on any
 * device, up or down), and on lo `local PREFIX` for the subnet of each primary address that is not
 * a /32 (127.0.0.0/8 from 127.0.0.1/8). Each carries the primary of its subnet as source, so a
 * packet to 127.0.0.11 leaves from 127.0.0.11 once that address is on lo, from 127.0.0.1 before.
 */
export function localRoute(devices: readonly Device[], dst: Ip4): LocalRoute | undefined {
  let best: LocalRoute | undefined;
  for (const d of devices) {
    for (const a of d.addrs) {
      if (a.addr === dst) return { prefixLen: 32, src: primaryOf(d, a) };
      if (d.kind !== 'loopback' || a.prefixLen === 32 || !isPrimary(d, a) || !inPrefix(dst, a.addr, a.prefixLen)) continue;
      if (best === undefined || a.prefixLen > best.prefixLen) best = { prefixLen: a.prefixLen, src: a.addr };
    }
  }
  return best;
}

/**
 * Table main's routes of the addresses: `PREFIX dev D scope link src A` for each primary address A
 * of an up device, but none for lo (its subnets are local routes) nor for a /32, whose prefix is
 * the address itself.
 */
export function connectedRoutes(devices: readonly Device[]): Route[] {
  const out: Route[] = [];
  for (const d of devices) {
    if (!d.up || d.kind === 'loopback') continue;
    for (const a of d.addrs) {
      if (a.prefixLen === 32 || !isPrimary(d, a)) continue;
      out.push({ dst: (a.addr & maskOf(a.prefixLen)) >>> 0, prefixLen: a.prefixLen, dev: d, src: a.addr });
    }
  }
  return out;
}

/** iproute2 gives 127.0.0.0/8 addresses host scope, any other global (default_scope). */
function scopeOf(a: Ip4): number {
  return isLoopback4(a) ? SCOPE_HOST : SCOPE_UNIVERSE;
}

/**
 * inet_select_addr: the first primary address of `dev` usable at `scope`, the one on `dst`'s subnet
 * when there is one (dst 0: the first); else the first primary of any device usable at `scope` and
 * not link-scoped, lo first. route_localnet on `dev` lets its 127.0.0.0/8 addresses serve link scope.
 */
export function selectAddress(devices: readonly Device[], dev: Device, dst: Ip4, scope: number, localnet: boolean): Ip4 {
  let first: Ip4 | undefined;
  for (const a of dev.addrs) {
    if (!isPrimary(dev, a) || Math.min(scopeOf(a.addr), localnet ? SCOPE_LINK : SCOPE_HOST) > scope) continue;
    if (dst === 0 || inPrefix(dst, a.addr, a.prefixLen)) return a.addr;
    first ??= a.addr;
  }
  if (first !== undefined) return first;
  for (const d of devices) for (const a of d.addrs) if (isPrimary(d, a) && scopeOf(a.addr) <= scope) return a.addr;
  return 0;
}
