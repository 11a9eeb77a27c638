/**
 * IPv4 addresses as unsigned 32-bit numbers and MACs as 6-byte arrays: the model compares and hashes
 * them on every emulated packet, so no strings on that path (text is made only for rule records).
 */
import { isIPv4 } from 'node:net';
import { macString } from '../decode/bytes.js';

export type Ip4 = number;

export function parseIp4(text: string): Ip4 | undefined {
  if (!isIPv4(text)) return undefined;
  const p = text.split('.').map(Number);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

/** For addresses the scenario parser has already checked. */
export function ip4(text: string): Ip4 {
  const a = parseIp4(text);
  if (a === undefined) throw new Error(`not an IPv4 address: ${text}`);
  return a;
}

export function ip4String(a: Ip4): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export function maskOf(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

export function inPrefix(a: Ip4, net: Ip4, prefixLen: number): boolean {
  const m = maskOf(prefixLen);
  return ((a & m) >>> 0) === ((net & m) >>> 0);
}

export function isLoopback4(a: Ip4): boolean {
  return a >>> 24 === 127;
}

export function ip4Bytes(a: Ip4): Uint8Array {
  return Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
}

export type Mac = Uint8Array;

export const BROADCAST_MAC: Mac = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
export const ZERO_MAC: Mac = new Uint8Array(6);

export function macEquals(a: Mac, b: Mac): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A number for map keys (48 bits fit a double exactly). */
export function macKey(m: Mac): number {
  return m[0] * 2 ** 40 + m[1] * 2 ** 32 + ((m[2] << 24) >>> 0) + ((m[3] << 16) | (m[4] << 8) | m[5]);
}

export function isGroupMac(m: Mac): boolean {
  return (m[0] & 1) === 1;
}

export function macText(m: Mac): string {
  return macString(m, 0);
}

/** Docker's bridge driver MAC: 02:42 followed by the container's IPv4 address. */
export function dockerMac(a: Ip4): Mac {
  return Uint8Array.of(0x02, 0x42, a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
}
