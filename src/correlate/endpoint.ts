/** `ip`, `ip:port`, or `[ipv6]:port`: the endpoint text of DESIGN.md's `before`/`after`/`client`. */
export function endpoint(addr: string, port?: number): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** An endpoint, or for an ICMP echo the address and its identifier (`ip#id`): one side of a tuple. */
export function echoOrEndpoint(addr: string, port: number | undefined, icmpId: number | undefined): string {
  return icmpId !== undefined ? `${addr}#${icmpId}` : endpoint(addr, port);
}

/** The address of an endpoint text (`ip`, `ip:port`, `[v6]:port`): what endpoint() was given. */
export function addressOf(ep: string): string {
  if (ep.startsWith('[')) return ep.slice(1, ep.indexOf(']'));
  const i = ep.lastIndexOf(':');
  return i > 0 && !ep.slice(0, i).includes(':') ? ep.slice(0, i) : ep;
}

/**
 * A dotted-quad IPv4 address as its 32-bit number, undefined for anything else. Read character by
 * character: the fates and findings ask this of every hop, and splitting the text made four strings
 * and an iterator each time.
 */
function v4Number(addr: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else return undefined;
  }
  return dots === 3 && digits > 0 ? n * 256 + part : undefined;
}

/**
 * Where an address is meant to reach, which decides what every finding may claim about it:
 *
 * - `unspecified` (0.0.0.0/8, `::`): a sender that has no address yet (DHCP discover, ARP probe,
 *   duplicate address detection, MLD reports before DAD ends). Never routed, never NATed.
 * - `loopback` (127/8, `::1`): never leaves the host.
 * - `link-local` (169.254/16, fe80::/10): unicast on one link. Never routed, never NATed
 *   (DESIGN.md), so it never leaks and is never "dropped at the host".
 * - `link-multicast` (224.0.0.0/24, IPv6 multicast of interface or link scope: ff01::/16, ff02::/16):
 *   neighbour discovery, MLD, IGMP, mDNS, LLMNR, routing protocols. Reaches the link and stops.
 * - `multicast` (the rest of 224/4 and ff00::/8): to a group, routed only by a multicast router.
 * - `broadcast` (255.255.255.255): the link's broadcast. A directed broadcast (the last address of
 *   a subnet) cannot be told from its text; callers that can see the frame ask for the broadcast MAC.
 * - `private` (RFC 1918 10/8, 172.16/12, 192.168/16 and RFC 6598 CGNAT 100.64/10): routed inside a
 *   site, never on the internet: a source that must be NATed before it leaves one.
 * - `unique-local` (fc00::/7, and the deprecated site-local fec0::/10): routed inside a site too,
 *   but sites route ULA between themselves and NPTv6 translates prefixes without conntrack, so a
 *   ULA source on an uplink is no proof that anything is broken.
 * - `global`: everything else that is unicast (the documentation ranges the samples use included).
 */
export type AddressScope = 'unspecified' | 'loopback' | 'link-local' | 'link-multicast' | 'multicast' | 'broadcast' | 'private' | 'unique-local' | 'global';

/** Prefix, prefix length and scope, most specific first (224.0.0.0/24 before 224.0.0.0/4). */
const V4_SCOPES: readonly (readonly [number, number, AddressScope])[] = [
  [0x00000000, 8, 'unspecified'],
  [0x7f000000, 8, 'loopback'],
  [0xa9fe0000, 16, 'link-local'],
  [0xe0000000, 24, 'link-multicast'],
  [0xe0000000, 4, 'multicast'],
  [0x0a000000, 8, 'private'],
  [0xac100000, 12, 'private'],
  [0xc0a80000, 16, 'private'],
  [0x64400000, 10, 'private'],
];

function v4Scope(n: number): AddressScope {
  if (n === 0xffffffff) return 'broadcast';
  for (let i = 0; i < V4_SCOPES.length; i++) {
    const [base, len, scope] = V4_SCOPES[i];
    const shift = 32 - len;
    if (n >>> shift === base >>> shift) return scope;
  }
  return 'global';
}

/** Past this many addresses the remembered scopes start again: memory stays bounded on busy captures. */
const MAX_REMEMBERED = 1 << 16;
const knownScopes = new Map<string, AddressScope>();

/**
 * The scope of an IPv4 or IPv6 address as the decoders print it; text that is neither is `global`.
 * Remembered per address: the fates, findings, answers and roles ask it of every hop, and the
 * decoders intern address text, so the lookup is by a string whose hash is already known.
 */
export function addressScope(addr: string): AddressScope {
  let scope = knownScopes.get(addr);
  if (scope === undefined) {
    if (knownScopes.size >= MAX_REMEMBERED) knownScopes.clear();
    scope = scopeOfText(addr);
    knownScopes.set(addr, scope);
  }
  return scope;
}

function scopeOfText(addr: string): AddressScope {
  const n = v4Number(addr);
  if (n !== undefined) return v4Scope(n);
  if (!addr.includes(':')) return 'global';
  const lower = addr.toLowerCase();
  if (lower === '::') return 'unspecified';
  if (lower === '::1') return 'loopback';
  if (lower.startsWith('::ffff:')) {
    const mapped = v4Number(lower.slice(7));
    if (mapped !== undefined) return v4Scope(mapped);
  }
  const colon = lower.indexOf(':');
  const first = colon === 0 ? 0 : parseInt(lower.slice(0, colon), 16);
  // The fourth hex digit of a multicast address is its scope (RFC 4291 2.7): 1 interface, 2 link.
  if (first >= 0xff00) return (first & 0xf) <= 2 ? 'link-multicast' : 'multicast';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfec0) return 'unique-local';
  return 'global';
}

/** Never forwarded by a router: it stays on the link (or the host) it was sent on. */
export function isLinkScope(scope: AddressScope): boolean {
  return scope === 'unspecified' || scope === 'loopback' || scope === 'link-local' || scope === 'link-multicast' || scope === 'broadcast';
}

/** Sent to a group or a whole link rather than to one host. */
export function isGroupScope(scope: AddressScope): boolean {
  return scope === 'link-multicast' || scope === 'multicast' || scope === 'broadcast';
}

export function isLoopbackAddress(addr: string): boolean {
  return addressScope(addr) === 'loopback';
}

/** Multicast of any scope and the limited broadcast: sent to a link or a group, not to a host. */
export function isGroupAddress(addr: string): boolean {
  return isGroupScope(addressScope(addr));
}
