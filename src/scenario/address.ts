import { isIP } from 'node:net';
import { LineError } from './errors.js';
import type { Cidr, ListenAddress, PortRange } from './types.js';

export function parseAddress(text: string, what: string): string {
  if (isIP(text) === 0) throw new LineError(`${what} '${text}' is not an IPv4 or IPv6 address`);
  return text;
}

export function parseIPv4(text: string, what: string): string {
  if (isIP(text) !== 4) throw new LineError(`${what} '${text}' is not an IPv4 address`);
  return text;
}

/** `ADDR/LEN`, or a bare address when `bareAllowed` (then the full length, as iptables reads -s). */
export function parseCidr(text: string, what: string, bareAllowed: boolean): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0 && !bareAllowed) throw new LineError(`${what} '${text}' needs a prefix length (ADDR/LEN, e.g. 10.0.0.2/24)`);
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) throw new LineError(`${what} '${text}' is not an IPv4 or IPv6 address${slash < 0 ? '' : ' with a prefix length'}`);
  const max = family === 4 ? 32 : 128;
  const prefixLen = slash < 0 ? max : parseInteger(text.slice(slash + 1), `prefix length of ${what} '${text}'`, 0, max);
  return { address: addr, prefixLen, family: family as 4 | 6 };
}

export function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new LineError(`${what} '${text}' is not a number`);
  const n = Number(text);
  if (n < min || n > max) throw new LineError(`${what} ${n} is out of range ${min}-${max}`);
  return n;
}

export function parsePort(text: string, what: string): number {
  return parseInteger(text, what, 1, 65535);
}

/** `P` or `P-Q` (iptables also writes `P:Q` for --dport ranges). */
export function parsePortRange(text: string, what: string): PortRange {
  const m = /^(\d+)(?:[-:](\d+))?$/.exec(text);
  if (!m) throw new LineError(`${what} '${text}' is not a port or a range PORT-PORT`);
  const from = parsePort(m[1], what);
  const to = m[2] === undefined ? from : parsePort(m[2], what);
  if (to < from) throw new LineError(`${what} '${text}': the range ends before it starts`);
  return { from, to };
}

/** `[ADDR:]PORT`; IPv6 needs brackets: `[::1]:80`. */
export function parseListen(text: string, what: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d+)$/.exec(text);
  if (!m) throw new LineError(`${what} '${text}' is not [ADDR:]PORT`);
  const addr = m[1] ?? m[2];
  return { address: addr === undefined ? undefined : parseAddress(addr, what), port: parsePort(m[3], what) };
}

/** `ADDR:PORT` with an address required. */
export function parseHostPort(text: string, what: string): { address: string; port: number } {
  const l = parseListen(text, what);
  if (l.address === undefined) throw new LineError(`${what} '${text}' needs an address: ADDR:PORT`);
  return { address: l.address, port: l.port };
}

const IFACE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;

/** Linux interface names: at most 15 bytes, no '/' or blanks. */
export function parseIfaceName(text: string, what: string): string {
  if (!IFACE_NAME.test(text) || text === '.' || text === '..') {
    throw new LineError(`${what} '${text}' is not an interface name (1-15 letters, digits, '.', '-', '_' or '@')`);
  }
  return text;
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

export function parseNetnsName(text: string, what: string): string {
  if (!NETNS_NAME.test(text) || text === '.' || text === '..') {
    throw new LineError(`${what} '${text}' is not a namespace name (1-32 letters, digits, '.', '-' or '_')`);
  }
  return text;
}

const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

export function parseDnsName(text: string, what: string): string {
  if (!DNS_NAME.test(text)) throw new LineError(`${what} '${text}' is not a DNS name`);
  return text;
}
