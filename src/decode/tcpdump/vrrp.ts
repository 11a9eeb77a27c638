// VRRP as tcpdump 4.99's print-vrrp.c prints it without -v. keepalived moves a floating address
// between hosts with these; a capture of a host's uplink running it has one a second.

const TRUNCATED = ' [|vrrp]';
const AUTH_TYPES: Readonly<Record<number, string>> = { 0: 'none', 1: 'simple', 2: 'ah' };

/** The advertisement at `o`: `len` bytes by the IP header, `end` where the capture stops, `ttl` of the IP header. */
export function formatVrrp(b: Uint8Array, o: number, len: number, end: number, ttl: number): string {
  if (o >= end) return TRUNCATED;
  const version = b[o] >>> 4;
  const type = b[o] & 0x0f;
  let s = `VRRPv${version}, ${type === 1 ? 'Advertisement' : `unknown type (${type})`}`;
  // A router sends these with TTL 255 (RFC 5798 5.1.1.3); anything else was forwarded or forged.
  if (ttl !== 255) s += `, (ttl ${ttl})`;
  if (version < 2 || version > 3 || type !== 1) return s;
  if (o + 3 > end) return s + TRUNCATED;
  s += `, vrid ${b[o + 1]}, prio ${b[o + 2]}`;
  if (o + 6 > end) return s + TRUNCATED;
  if (version === 2) return `${s}, authtype ${AUTH_TYPES[b[o + 4]] ?? `#${b[o + 4]}`}, intvl ${b[o + 5]}s, length ${len}`;
  return `${s}, intvl ${((b[o + 4] & 0x0f) << 8) | b[o + 5]}cs, length ${len}`;
}
