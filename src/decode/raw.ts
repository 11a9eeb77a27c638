import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './enums.js';

/** LINKTYPE_RAW: the packet starts with its IP header; the version nibble says which IP. */
export const LINKTYPE_RAW = 101;
/** DLT_RAW as OpenBSD (14) and most other systems (12) numbered it before LINKTYPE_RAW existed. */
export const DLT_RAW_BSD = 12;
export const DLT_RAW_OPENBSD = 14;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

export function isRawLinktype(linktype: number): boolean {
  return linktype === LINKTYPE_RAW || linktype === DLT_RAW_BSD || linktype === DLT_RAW_OPENBSD || linktype === LINKTYPE_IPV4 || linktype === LINKTYPE_IPV6;
}

/**
 * The ethertype equivalent of a raw-IP packet: the version nibble of the first byte, undefined
 * when there is no byte or the version is neither 4 nor 6. LINKTYPE_IPV4/IPV6 promise a version
 * but a damaged packet can break it; like tcpdump, the nibble decides.
 */
export function rawEtherType(b: Uint8Array, offset: number, end: number, linktype: number): number | undefined {
  if (end - offset < 1) return undefined;
  const version = b[offset] >>> 4;
  return version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : undefined;
}
