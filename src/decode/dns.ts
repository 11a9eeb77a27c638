import { ipv4String, ipv6String, put16, put32, u16, u32 } from './bytes.js';
import { problem, isProblem, type DecodeProblem } from './layer.js';

/** RFC 1035 section 4.1.1. */
export const DNS_HEADER_LENGTH = 12;
/** DNS over TCP prefixes each message with its length (RFC 1035 section 4.2.2). */
export const DNS_TCP_LENGTH_PREFIX = 2;
export const DNS_PORT = 53;
export const MDNS_PORT = 5353;
/** RFC 1035 section 2.3.4: 255 octets on the wire. */
export const DNS_MAX_NAME_LENGTH = 255;
export const DNS_MAX_LABEL_LENGTH = 63;
/**
 * Compression pointers must point backwards (BIND, tcpdump and Wireshark require it), which already
 * rules out loops; the jump cap also bounds the work of a long chain of backward pointers.
 */
export const DNS_MAX_POINTER_JUMPS = 64;

// Header field offsets.
export const DNS_ID = 0;
export const DNS_FLAGS = 2;
export const DNS_QDCOUNT = 4;
export const DNS_ANCOUNT = 6;
export const DNS_NSCOUNT = 8;
export const DNS_ARCOUNT = 10;

export const DNS_TYPE_A = 1;
export const DNS_TYPE_NS = 2;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_SOA = 6;
export const DNS_TYPE_PTR = 12;
export const DNS_TYPE_MX = 15;
export const DNS_TYPE_TXT = 16;
export const DNS_TYPE_AAAA = 28;
export const DNS_TYPE_SRV = 33;
export const DNS_TYPE_OPT = 41;
export const DNS_CLASS_IN = 1;

export interface DnsQuestion {
  /** Where the question starts in the frame. */
  offset: number;
  name: string;
  type: number;
  class: number;
}

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

export interface DnsRecord {
  offset: number;
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdataOffset: number;
  rdataLength: number;
  /** A and AAAA: the address text. */
  address?: string;
  /** CNAME, NS, PTR: the name pointed to; MX and SRV: the exchange or target host. */
  target?: string;
  preference?: number;
  txt?: string[];
  soa?: { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
  srv?: { priority: number; weight: number; port: number };
  /** OPT pseudo-record (RFC 6891): the class is the UDP payload size, the TTL holds flags. */
  edns?: { udpSize: number; extendedRcode: number; version: number; dnssecOk: boolean; options: EdnsOption[] };
}

interface Sections {
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** The header's flag bits (RFC 1035 4.1.1, RFC 4035 3.2), read by DnsMessage and written by the encoders. */
const DNS_FLAG_QR = 0x8000;
const DNS_FLAG_AA = 0x0400;
const DNS_FLAG_TC = 0x0200;
const DNS_FLAG_RD = 0x0100;
const DNS_FLAG_RA = 0x0080;
const DNS_FLAG_AD = 0x0020;
const DNS_FLAG_CD = 0x0010;

/**
 * A checked DNS message. `offset` is the first byte of the DNS header (after the TCP length prefix
 * when carried over TCP); names in records are resolved against it. Every section is walked by
 * decodeDns, so a view only exists for a message whose names and records fit.
 */
export class DnsMessage {
  constructor(
    public b: Uint8Array,
    public offset: number,
    /** End of the message: the UDP payload end, or the TCP length prefix's end, clipped to the capture. */
    public end: number,
    public overTcp: boolean,
    private sections: Sections,
  ) {}

  /**
   * Points the view at the message `like` holds, found again in `b`: `b` has at `like`'s offsets the
   * bytes `like` was decoded from (DnsMessageMemo), so `like`'s sections are this message's too.
   */
  aimAsCopyOf(b: Uint8Array, like: DnsMessage): this {
    this.b = b;
    this.offset = like.offset;
    this.end = like.end;
    this.overTcp = like.overTcp;
    this.sections = like.sections;
    return this;
  }

  get id(): number {
    return u16(this.b, this.offset + DNS_ID);
  }
  get flags(): number {
    return u16(this.b, this.offset + DNS_FLAGS);
  }
  get isResponse(): boolean {
    return (this.flags & DNS_FLAG_QR) !== 0;
  }
  get opcode(): number {
    return (this.flags >>> 11) & 0xf;
  }
  get authoritative(): boolean {
    return (this.flags & DNS_FLAG_AA) !== 0;
  }
  get truncatedFlag(): boolean {
    return (this.flags & DNS_FLAG_TC) !== 0;
  }
  get recursionDesired(): boolean {
    return (this.flags & DNS_FLAG_RD) !== 0;
  }
  get recursionAvailable(): boolean {
    return (this.flags & DNS_FLAG_RA) !== 0;
  }
  get authenticData(): boolean {
    return (this.flags & DNS_FLAG_AD) !== 0;
  }
  get checkingDisabled(): boolean {
    return (this.flags & DNS_FLAG_CD) !== 0;
  }
  /** The header's 4-bit RCODE extended by the OPT record's upper 8 bits when present. */
  get rcode(): number {
    const ext = this.edns?.extendedRcode ?? 0;
    return (ext << 4) | (this.flags & 0xf);
  }
  get qdcount(): number {
    return u16(this.b, this.offset + DNS_QDCOUNT);
  }
  get ancount(): number {
    return u16(this.b, this.offset + DNS_ANCOUNT);
  }
  get nscount(): number {
    return u16(this.b, this.offset + DNS_NSCOUNT);
  }
  get arcount(): number {
    return u16(this.b, this.offset + DNS_ARCOUNT);
  }
  get questions(): DnsQuestion[] {
    return this.sections.questions;
  }
  get answers(): DnsRecord[] {
    return this.sections.answers;
  }
  get authorities(): DnsRecord[] {
    return this.sections.authorities;
  }
  get additionals(): DnsRecord[] {
    return this.sections.additionals;
  }
  get edns(): DnsRecord['edns'] {
    return this.sections.additionals.find((r) => r.type === DNS_TYPE_OPT)?.edns;
  }
  /** The CNAME chain from the first question's name to the final name answered. */
  get cnameChain(): string[] {
    const q = this.sections.questions[0];
    if (!q) return [];
    const chain = [q.name];
    const seen = new Set(chain.map((n) => n.toLowerCase()));
    for (;;) {
      const last = chain[chain.length - 1].toLowerCase();
      const next = this.sections.answers.find((r) => r.type === DNS_TYPE_CNAME && r.name.toLowerCase() === last);
      if (!next?.target || seen.has(next.target.toLowerCase())) return chain;
      seen.add(next.target.toLowerCase());
      chain.push(next.target);
    }
  }
}

function labelText(b: Uint8Array, o: number, len: number): string {
  let s = '';
  for (let i = o; i < o + len; i++) {
    const c = b[i];
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${String(c).padStart(3, '0')}`;
  }
  return s;
}

/**
 * Reads a possibly compressed name at `o`. `msg` is the message start (pointers are relative to
 * it). Returns the name (presentation form, ending in ".") and the offset after the name in place.
 */
export function readDnsName(b: Uint8Array, msg: number, o: number, end: number): { name: string; next: number } | DecodeProblem {
  const labels: string[] = [];
  let wire = 1;
  let next = -1;
  let limit = o; // a pointer must land before the name (or label) that jumps
  let jumps = 0;
  for (;;) {
    if (o >= end) return problem('dns', o, 'truncated', 'DNS name runs past the end of the message');
    const len = b[o];
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (o + 1 >= end) return problem('dns', o, 'truncated', 'DNS compression pointer cut short');
      const target = msg + (((len & 0x3f) << 8) | b[o + 1]);
      if (next < 0) next = o + 2;
      if (target >= limit) return problem('dns', o, 'bad-pointer', `DNS compression pointer to offset ${target - msg} does not point backwards`);
      if (++jumps > DNS_MAX_POINTER_JUMPS) return problem('dns', o, 'too-many', `DNS name follows more than ${DNS_MAX_POINTER_JUMPS} compression pointers`);
      limit = target;
      o = target;
      continue;
    }
    if (kind !== 0) return problem('dns', o, 'malformed', `DNS label type 0x${kind.toString(16)} is not a length or a pointer`);
    if (len === 0) {
      if (next < 0) next = o + 1;
      break;
    }
    if (o + 1 + len > end) return problem('dns', o, 'truncated', `DNS label of ${len} bytes runs past the end of the message`);
    wire += len + 1;
    if (wire > DNS_MAX_NAME_LENGTH) return problem('dns', o, 'bad-length', `DNS name longer than ${DNS_MAX_NAME_LENGTH} bytes`);
    labels.push(labelText(b, o + 1, len));
    o += 1 + len;
  }
  return { name: labels.length === 0 ? '.' : `${labels.join('.')}.`, next };
}

function readRecord(b: Uint8Array, msg: number, o: number, end: number): DnsRecord | DecodeProblem {
  const n = readDnsName(b, msg, o, end);
  if (isProblem(n)) return n;
  const f = n.next;
  if (f + 10 > end) return problem('dns', o, 'truncated', 'DNS resource record header cut short');
  const type = u16(b, f);
  const rdataOffset = f + 10;
  const rdataLength = u16(b, f + 8);
  const rdEnd = rdataOffset + rdataLength;
  if (rdEnd > end) return problem('dns', o, 'truncated', `DNS record data of ${rdataLength} bytes runs past the end of the message`);
  const r: DnsRecord = { offset: o, name: n.name, type, class: u16(b, f + 2), ttl: u32(b, f + 4), rdataOffset, rdataLength };
  const bad = (what: string): DecodeProblem => problem('dns', rdataOffset, 'malformed', `DNS ${what} record data of ${rdataLength} bytes is malformed`);
  const nameAt = (at: number): { name: string; next: number } | DecodeProblem => readDnsName(b, msg, at, rdEnd);
  switch (type) {
    case DNS_TYPE_A:
      if (rdataLength !== 4) return bad('A');
      r.address = ipv4String(b, rdataOffset);
      break;
    case DNS_TYPE_AAAA:
      if (rdataLength !== 16) return bad('AAAA');
      r.address = ipv6String(b, rdataOffset);
      break;
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR: {
      const t = nameAt(rdataOffset);
      if (isProblem(t)) return t;
      r.target = t.name;
      break;
    }
    case DNS_TYPE_MX: {
      if (rdataLength < 3) return bad('MX');
      const t = nameAt(rdataOffset + 2);
      if (isProblem(t)) return t;
      r.preference = u16(b, rdataOffset);
      r.target = t.name;
      break;
    }
    case DNS_TYPE_SRV: {
      if (rdataLength < 7) return bad('SRV');
      const t = nameAt(rdataOffset + 6);
      if (isProblem(t)) return t;
      r.srv = { priority: u16(b, rdataOffset), weight: u16(b, rdataOffset + 2), port: u16(b, rdataOffset + 4) };
      r.target = t.name;
      break;
    }
    case DNS_TYPE_TXT: {
      const txt: string[] = [];
      for (let p = rdataOffset; p < rdEnd; ) {
        const l = b[p];
        if (p + 1 + l > rdEnd) return bad('TXT');
        txt.push(Buffer.from(b.buffer, b.byteOffset + p + 1, l).toString('latin1'));
        p += 1 + l;
      }
      r.txt = txt;
      break;
    }
    case DNS_TYPE_SOA: {
      const m = nameAt(rdataOffset);
      if (isProblem(m)) return m;
      const rn = nameAt(m.next);
      if (isProblem(rn)) return rn;
      if (rn.next + 20 > rdEnd) return bad('SOA');
      const t = rn.next;
      r.soa = { mname: m.name, rname: rn.name, serial: u32(b, t), refresh: u32(b, t + 4), retry: u32(b, t + 8), expire: u32(b, t + 12), minimum: u32(b, t + 16) };
      break;
    }
    case DNS_TYPE_OPT: {
      const options: EdnsOption[] = [];
      for (let p = rdataOffset; p < rdEnd; ) {
        if (p + 4 > rdEnd) return bad('OPT');
        const l = u16(b, p + 2);
        if (p + 4 + l > rdEnd) return bad('OPT');
        options.push({ code: u16(b, p), data: b.subarray(p + 4, p + 4 + l) });
        p += 4 + l;
      }
      r.edns = { udpSize: r.class, extendedRcode: b[f + 4], version: b[f + 5], dnssecOk: (b[f + 6] & 0x80) !== 0, options };
      break;
    }
    default:
      break;
  }
  return r;
}

/**
 * Decodes a DNS message at `offset` up to `end`. Over TCP the 2-byte length prefix comes first and
 * bounds the message.
 */
export function decodeDns(b: Uint8Array, offset: number, end: number, overTcp = false): DnsMessage | DecodeProblem {
  let msg = offset;
  let msgEnd = end;
  if (overTcp) {
    if (end - offset < DNS_TCP_LENGTH_PREFIX) return problem('dns', offset, 'truncated', 'DNS over TCP length prefix cut short');
    msg = offset + DNS_TCP_LENGTH_PREFIX;
    msgEnd = Math.min(end, msg + u16(b, offset));
  }
  if (msgEnd - msg < DNS_HEADER_LENGTH) {
    return problem('dns', msg, 'truncated', `DNS header needs ${DNS_HEADER_LENGTH} bytes, ${Math.max(0, msgEnd - msg)} available`);
  }
  const sections: Sections = { questions: [], answers: [], authorities: [], additionals: [] };
  let o = msg + DNS_HEADER_LENGTH;
  const qd = u16(b, msg + DNS_QDCOUNT);
  for (let i = 0; i < qd; i++) {
    const n = readDnsName(b, msg, o, msgEnd);
    if (isProblem(n)) return n;
    if (n.next + 4 > msgEnd) return problem('dns', o, 'truncated', 'DNS question cut short');
    sections.questions.push({ offset: o, name: n.name, type: u16(b, n.next), class: u16(b, n.next + 2) });
    o = n.next + 4;
  }
  const lists = [sections.answers, sections.authorities, sections.additionals];
  const counts = [u16(b, msg + DNS_ANCOUNT), u16(b, msg + DNS_NSCOUNT), u16(b, msg + DNS_ARCOUNT)];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]; i++) {
      const r = readRecord(b, msg, o, msgEnd);
      if (isProblem(r)) return r;
      lists[s].push(r);
      o = r.rdataOffset + r.rdataLength;
    }
  }
  return new DnsMessage(b, msg, msgEnd, overTcp, sections);
}

/** Messages a DnsMessageMemo holds: far more than are in flight at once between a packet's copies. */
const DNS_MEMO_SLOTS = 256;
/** Where in its frame a message may start to be remembered (past the link, IP and UDP or TCP headers). */
const DNS_MEMO_MAX_OFFSET = 256;
/** A slot keeps a message of up to 512 bytes at the offset it had in its frame; longer ones are decoded every time. */
const DNS_MEMO_SLOT_BYTES = DNS_MEMO_MAX_OFFSET + 512;

/**
 * DNS messages decoded lately, by their bytes and their place in the frame. The copies of one DNS
 * packet on several interfaces carry the same message (NAT rewrites addresses and ports, not the
 * payload), so its names and records are made for the first copy and shared by the others. A table
 * of slots by hash, in one buffer: each message is decoded from its slot's copy of its bytes, at
 * the offsets it has in the frame, so what the records point into (EDNS option data) stays the
 * memo's and the frame's bytes are not kept.
 */
export class DnsMessageMemo {
  private readonly bytes = new Uint8Array(DNS_MEMO_SLOTS * DNS_MEMO_SLOT_BYTES);
  private readonly starts = new Int32Array(DNS_MEMO_SLOTS);
  private readonly ends = new Int32Array(DNS_MEMO_SLOTS);
  private readonly overTcp = new Uint8Array(DNS_MEMO_SLOTS);
  private readonly results: Array<DnsMessage | DecodeProblem | undefined> = new Array<undefined>(DNS_MEMO_SLOTS).fill(undefined);

  /** What decodeDns(b, offset, end, overTcp) returns, a message being `into` aimed at it. */
  decode(b: Uint8Array, offset: number, end: number, overTcp: boolean, into: DnsMessage): DnsMessage | DecodeProblem {
    if (offset > DNS_MEMO_MAX_OFFSET || end - offset > DNS_MEMO_SLOT_BYTES - DNS_MEMO_MAX_OFFSET) return decodeDns(b, offset, end, overTcp);
    const slot = dnsMemoSlot(b, offset, end, overTcp);
    // Where the frame's first byte would be in `bytes`, for the slot to hold the message at its offset.
    const zero = slot * DNS_MEMO_SLOT_BYTES + DNS_MEMO_MAX_OFFSET - offset;
    let r = this.results[slot];
    if (r === undefined || !this.holds(slot, zero, b, offset, end, overTcp)) {
      const c = this.bytes;
      for (let i = offset; i < end; i++) c[zero + i] = b[i];
      r = decodeDns(c.subarray(zero, zero + end), offset, end, overTcp);
      this.starts[slot] = offset;
      this.ends[slot] = end;
      this.overTcp[slot] = overTcp ? 1 : 0;
      this.results[slot] = r;
    }
    return isProblem(r) ? r : into.aimAsCopyOf(b, r);
  }

  private holds(slot: number, zero: number, b: Uint8Array, offset: number, end: number, overTcp: boolean): boolean {
    if (this.starts[slot] !== offset || this.ends[slot] !== end || this.overTcp[slot] !== (overTcp ? 1 : 0)) return false;
    const c = this.bytes;
    for (let i = offset; i < end; i++) if (c[zero + i] !== b[i]) return false;
    return true;
  }
}

/** FNV-1a of the message's bytes, its place and its transport, folded to a slot. */
function dnsMemoSlot(b: Uint8Array, offset: number, end: number, overTcp: boolean): number {
  let h = 0x811c9dc5 ^ offset ^ (overTcp ? 0x10000 : 0);
  for (let i = offset; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  h ^= h >>> 16;
  return (h ^ (h >>> 8)) & (DNS_MEMO_SLOTS - 1);
}

export interface DnsHeaderFields {
  id: number;
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

/** Writes the 12-byte header (the layout decodeDns reads); returns the offset of the question section. */
export function writeDnsHeader(out: Uint8Array, offset: number, f: DnsHeaderFields): number {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setUint16(offset + DNS_ID, f.id);
  v.setUint16(offset + DNS_FLAGS, f.flags);
  v.setUint16(offset + DNS_QDCOUNT, f.qdcount);
  v.setUint16(offset + DNS_ANCOUNT, f.ancount);
  v.setUint16(offset + DNS_NSCOUNT, f.nscount);
  v.setUint16(offset + DNS_ARCOUNT, f.arcount);
  return offset + DNS_HEADER_LENGTH;
}

/** Writes `name` uncompressed (labels separated by dots, trailing dot optional); returns the offset after it. */
export function writeDnsName(out: Uint8Array, offset: number, name: string): number {
  let o = offset;
  for (const label of name.split('.').filter((l) => l.length > 0)) {
    const bytes = Buffer.from(label, 'latin1');
    out[o++] = bytes.length;
    out.set(bytes, o);
    o += bytes.length;
  }
  out[o++] = 0;
  return o;
}

const DNS_RCODE_NXDOMAIN = 3;
const EDNS_OPTION_COOKIE = 10;
/** The EDNS(0) UDP payload size today's resolvers advertise (DNS flag day 2020). */
const EDNS_RESPONSE_SIZE = 1232;
/** An A record whose name is a pointer to the question: pointer, type, class, TTL, length, address. */
const DNS_POINTED_A_RECORD_LENGTH = 16;
/** The question's type and class after its name. */
const DNS_QUESTION_TAIL = 4;

/** The one question of a stub resolver's query, as the emulator's resolvers take it. */
export interface DnsQuery {
  id: number;
  name: string;
  type: number;
  rd: boolean;
  /** EDNS(0) UDP payload size when the query carried an OPT record (dig does, nslookup does not). */
  ednsSize?: number;
  /** dig's 8-byte client cookie (RFC 7873), sent in the OPT record. */
  cookie?: Uint8Array;
}

function optRecord(size: number, cookie?: Uint8Array): Uint8Array {
  // Root name, type OPT, class = UDP size, TTL 0 (no extended rcode, DO clear), then the options.
  const options = cookie === undefined ? new Uint8Array(0) : Uint8Array.of(0, EDNS_OPTION_COOKIE, 0, cookie.length, ...cookie);
  const out = new Uint8Array(11 + options.length);
  put16(out, 1, DNS_TYPE_OPT);
  put16(out, 3, size);
  put16(out, 9, options.length);
  out.set(options, 11);
  return out;
}

/** Header, the question, then (the caller's) answers and the OPT record; returns where the answers go. */
function writeQuestion(out: Uint8Array, q: DnsQuery, flags: number, ancount: number, arcount: number): number {
  const o = writeDnsName(out, writeDnsHeader(out, 0, { id: q.id, flags, qdcount: 1, ancount, nscount: 0, arcount }), q.name);
  put16(out, o, q.type);
  put16(out, o + 2, DNS_CLASS_IN);
  return o + DNS_QUESTION_TAIL;
}

function nameLength(name: string): number {
  return writeDnsName(new Uint8Array(DNS_MAX_NAME_LENGTH + 2), 0, name);
}

/** A stub resolver's query: dig sets AD (RFC 6840 5.7) and sends EDNS(0); nslookup does neither. Both ask for recursion. */
export function encodeDnsQuery(q: DnsQuery): Uint8Array {
  const opt = q.ednsSize === undefined ? new Uint8Array(0) : optRecord(q.ednsSize, q.cookie);
  const out = new Uint8Array(DNS_HEADER_LENGTH + nameLength(q.name) + DNS_QUESTION_TAIL + opt.length);
  const flags = (q.rd ? DNS_FLAG_RD : 0) | (q.ednsSize !== undefined ? DNS_FLAG_AD : 0);
  out.set(opt, writeQuestion(out, q, flags, 0, opt.length > 0 ? 1 : 0));
  return out;
}

/**
 * A resolver's answer: the question echoed, A records (name compressed to offset 12), NXDOMAIN when
 * the name is unknown. `authoritative` for dnsmasq's host records (flags 0x8580), not for a forwarder.
 */
export function encodeDnsResponse(q: DnsQuery, addresses: number[], ttl: number, exists: boolean, authoritative = false): Uint8Array {
  const answers = q.type === DNS_TYPE_A ? addresses : [];
  const opt = q.ednsSize === undefined ? new Uint8Array(0) : optRecord(EDNS_RESPONSE_SIZE);
  const out = new Uint8Array(DNS_HEADER_LENGTH + nameLength(q.name) + DNS_QUESTION_TAIL + answers.length * DNS_POINTED_A_RECORD_LENGTH + opt.length);
  const flags = DNS_FLAG_QR | (authoritative ? DNS_FLAG_AA : 0) | (q.rd ? DNS_FLAG_RD : 0) | DNS_FLAG_RA | (exists ? 0 : DNS_RCODE_NXDOMAIN);
  let o = writeQuestion(out, q, flags, answers.length, opt.length > 0 ? 1 : 0);
  for (const a of answers) {
    put16(out, o, 0xc000 | DNS_HEADER_LENGTH);
    put16(out, o + 2, DNS_TYPE_A);
    put16(out, o + 4, DNS_CLASS_IN);
    put32(out, o + 6, ttl);
    put16(out, o + 10, 4);
    put32(out, o + 12, a);
    o += DNS_POINTED_A_RECORD_LENGTH;
  }
  out.set(opt, o);
  return out;
}

/** The question of a query with exactly one, or undefined for anything else (a response, a malformed message). */
export function parseDnsQuery(b: Uint8Array): DnsQuery | undefined {
  const m = decodeDns(b, 0, b.length);
  if (isProblem(m) || m.isResponse || m.qdcount !== 1) return undefined;
  const q = m.questions[0];
  // The resolvers look names up as scenarios write them: without the root's trailing dot.
  const name = q.name === '.' ? '' : q.name.slice(0, -1);
  return { id: m.id, name, type: q.type, rd: m.recursionDesired, ednsSize: m.edns?.udpSize };
}

/** The addresses of a response's A records, as numbers. */
export function parseDnsAnswerAddresses(b: Uint8Array): number[] {
  const m = decodeDns(b, 0, b.length);
  if (isProblem(m)) return [];
  return m.answers.filter((r) => r.type === DNS_TYPE_A && r.rdataLength === 4).map((r) => u32(b, r.rdataOffset));
}
