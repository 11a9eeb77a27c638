import { put16, put32 } from './checksum.js';

/** RFC 1035 header: id, flags, four section counts. */
export const DNS_HEADER_LENGTH = 12;
export const DNS_TYPE_A = 1;
export const DNS_TYPE_AAAA = 28;
const DNS_TYPE_OPT = 41;
const DNS_CLASS_IN = 1;
const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const FLAG_AD = 0x0020;
const RCODE_NXDOMAIN = 3;

export interface DnsQuestion {
  id: number;
  name: string;
  type: number;
  rd: boolean;
  /** EDNS(0) UDP payload size when the query carried an OPT record (dig does, nslookup does not). */
  ednsSize?: number;
  /** dig's 8-byte client cookie (RFC 7873), sent in the OPT record. */
  cookie?: Uint8Array;
}

const EDNS_COOKIE = 10;

function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label.length === 0) continue;
    out.push(label.length);
    for (let i = 0; i < label.length; i++) out.push(label.charCodeAt(i) & 0x7f);
  }
  out.push(0);
  return out;
}

function optRecord(size: number, cookie?: Uint8Array): number[] {
  // Root name, type OPT, class = UDP size, TTL 0 (no extended rcode, DO clear), then the options.
  const options = cookie === undefined ? [] : [0, EDNS_COOKIE, 0, cookie.length, ...cookie];
  return [0, DNS_TYPE_OPT >> 8, DNS_TYPE_OPT & 0xff, size >> 8, size & 0xff, 0, 0, 0, 0, options.length >> 8, options.length & 0xff, ...options];
}

export function encodeDnsQuery(q: DnsQuestion): Uint8Array {
  const name = encodeName(q.name);
  const opt = q.ednsSize === undefined ? [] : optRecord(q.ednsSize, q.cookie);
  const out = new Uint8Array(DNS_HEADER_LENGTH + name.length + 4 + opt.length);
  put16(out, 0, q.id);
  // dig sets AD on its queries (RFC 6840 5.7); nslookup does not. Both ask for recursion.
  put16(out, 2, (q.rd ? FLAG_RD : 0) | (q.ednsSize !== undefined ? FLAG_AD : 0));
  put16(out, 4, 1);
  put16(out, 10, opt.length > 0 ? 1 : 0);
  out.set(name, DNS_HEADER_LENGTH);
  const o = DNS_HEADER_LENGTH + name.length;
  put16(out, o, q.type);
  put16(out, o + 2, DNS_CLASS_IN);
  out.set(opt, o + 4);
  return out;
}

/** The question of a query, or undefined when the bytes are not one the model's resolvers answer. */
export function parseDnsQuery(b: Uint8Array): DnsQuestion | undefined {
  if (b.length < DNS_HEADER_LENGTH) return undefined;
  const flags = (b[2] << 8) | b[3];
  if ((flags & FLAG_QR) !== 0 || ((b[4] << 8) | b[5]) !== 1) return undefined;
  const labels: string[] = [];
  let o = DNS_HEADER_LENGTH;
  while (o < b.length && b[o] !== 0) {
    const n = b[o];
    if (n > 63 || o + 1 + n > b.length) return undefined;
    labels.push(String.fromCharCode(...b.subarray(o + 1, o + 1 + n)));
    o += 1 + n;
  }
  if (o + 5 > b.length) return undefined;
  const type = (b[o + 1] << 8) | b[o + 2];
  const arcount = (b[10] << 8) | b[11];
  let ednsSize: number | undefined;
  const ar = o + 5;
  if (arcount > 0 && ar + 11 <= b.length && b[ar] === 0 && ((b[ar + 1] << 8) | b[ar + 2]) === DNS_TYPE_OPT) ednsSize = (b[ar + 3] << 8) | b[ar + 4];
  return { id: (b[0] << 8) | b[1], name: labels.join('.'), type, rd: (flags & FLAG_RD) !== 0, ednsSize };
}

/**
 * A resolver's answer: the question echoed, A records (name compressed to offset 12), NXDOMAIN when
 * the name is unknown. `authoritative` for dnsmasq's host records (flags 0x8580), not for a forwarder.
 */
export function encodeDnsResponse(q: DnsQuestion, addresses: number[], ttl: number, exists: boolean, authoritative = false): Uint8Array {
  const name = encodeName(q.name);
  const answers = q.type === DNS_TYPE_A ? addresses : [];
  const opt = q.ednsSize === undefined ? [] : optRecord(1232);
  const out = new Uint8Array(DNS_HEADER_LENGTH + name.length + 4 + answers.length * 16 + opt.length);
  put16(out, 0, q.id);
  put16(out, 2, FLAG_QR | (authoritative ? FLAG_AA : 0) | (q.rd ? FLAG_RD : 0) | FLAG_RA | (exists ? 0 : RCODE_NXDOMAIN));
  put16(out, 4, 1);
  put16(out, 6, answers.length);
  put16(out, 10, opt.length > 0 ? 1 : 0);
  out.set(name, DNS_HEADER_LENGTH);
  let o = DNS_HEADER_LENGTH + name.length;
  put16(out, o, q.type);
  put16(out, o + 2, DNS_CLASS_IN);
  o += 4;
  for (const a of answers) {
    put16(out, o, 0xc000 | DNS_HEADER_LENGTH);
    put16(out, o + 2, DNS_TYPE_A);
    put16(out, o + 4, DNS_CLASS_IN);
    put32(out, o + 6, ttl);
    put16(out, o + 10, 4);
    put32(out, o + 12, a);
    o += 16;
  }
  out.set(opt, o);
  return out;
}

/** The A addresses of a response (the client side reads them to connect). */
export function parseDnsAnswerAddresses(b: Uint8Array): number[] {
  if (b.length < DNS_HEADER_LENGTH) return [];
  const an = (b[6] << 8) | b[7];
  let o = DNS_HEADER_LENGTH;
  while (o < b.length && b[o] !== 0) o += 1 + b[o];
  o += 5;
  const out: number[] = [];
  for (let i = 0; i < an && o + 12 <= b.length; i++) {
    // Names in our answers are always a 2-byte pointer.
    const type = (b[o + 2] << 8) | b[o + 3];
    const rdlen = (b[o + 10] << 8) | b[o + 11];
    if (type === DNS_TYPE_A && rdlen === 4) out.push(((b[o + 12] << 24) >>> 0) + ((b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15]));
    o += 12 + rdlen;
  }
  return out;
}
