/**
 * The Internet checksum (RFC 1071), the one implementation the decoders verify with and the writers
 * compute with: a ones' complement sum of 16-bit words, folded and complemented.
 */

/**
 * The checksum of b[offset, end) on top of `initial` (a pseudo-header's unfolded sum). Over bytes
 * that include their own checksum field the result is 0 when that checksum is right.
 */
export function internetChecksum(b: Uint8Array, offset: number, end: number, initial = 0): number {
  let sum = initial;
  let i = offset;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  // Division, not >>>: a sum past 2^32 (a jumbogram) must fold, not wrap.
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * The unfolded sum of the pseudo-header TCP, UDP and ICMPv6 checksums cover (RFC 9293 section
 * 3.1 for IPv4, RFC 8200 section 8.1 for IPv6): the two addresses as they sit in `b` (4 or 16
 * bytes each), the upper-layer length and its protocol number.
 */
export function pseudoHeaderSum(b: Uint8Array, srcOffset: number, dstOffset: number, addressLength: number, length: number, protocol: number): number {
  let sum = 0;
  for (let i = 0; i < addressLength; i += 2) sum += ((b[srcOffset + i] << 8) | b[srcOffset + i + 1]) + ((b[dstOffset + i] << 8) | b[dstOffset + i + 1]);
  return sum + Math.floor(length / 0x10000) + (length & 0xffff) + protocol;
}

/** Computes the checksum of b[offset, end) with its field at `field` zeroed first, and stores it there. */
export function putChecksum(b: Uint8Array, field: number, offset: number, end: number, initial = 0): number {
  b[field] = 0;
  b[field + 1] = 0;
  const sum = internetChecksum(b, offset, end, initial);
  b[field] = sum >>> 8;
  b[field + 1] = sum & 0xff;
  return sum;
}
