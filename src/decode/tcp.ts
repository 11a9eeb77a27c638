import { put16, put32, u16, u32 } from './bytes.js';
import { putChecksum } from './checksum.js';
import { HeaderView, problem, type DecodeProblem } from './layer.js';
import { TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN } from './enums.js';

/** RFC 9293 header without options. */
export const TCP_HEADER_LENGTH = 20;
/** The data offset field counts 32-bit words in 4 bits: 60 bytes at most. */
export const TCP_MAX_HEADER_LENGTH = 60;

// Byte offsets of the fixed header fields.
export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
export const TCP_DATA_OFFSET = 12;
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CHECKSUM = 16;
export const TCP_URGENT = 18;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
export const TCPOPT_MD5 = 19;
export const TCPOPT_USER_TIMEOUT = 28;
export const TCPOPT_AUTH = 29;
export const TCPOPT_MPTCP = 30;
export const TCPOPT_FASTOPEN = 34;
/** RFC 6994 shared experimental option (the pre-RFC TFO cookie used it with magic 0xf989). */
export const TCPOPT_EXPERIMENT = 254;

export type TcpOption =
  | { kind: 'eol'; offset: number }
  | { kind: 'nop'; offset: number }
  | { kind: 'mss'; offset: number; mss: number }
  | { kind: 'wscale'; offset: number; shift: number }
  | { kind: 'sackOK'; offset: number }
  | { kind: 'sack'; offset: number; blocks: Array<{ left: number; right: number }> }
  | { kind: 'timestamp'; offset: number; value: number; echo: number }
  | { kind: 'fastopen'; offset: number; cookie: Uint8Array }
  /** MPTCP, MD5, unknown and malformed-length options, kept as their raw bytes (kind, length, data). */
  | { kind: 'raw'; offset: number; type: number; bytes: Uint8Array };

/**
 * A checked view of a TCP header; `offset` is where the source port starts, `end` the segment's end
 * (the IP datagram's end, clipped to the capture).
 */
export class TcpHeader extends HeaderView {
  get srcPort(): number {
    return u16(this.b, this.offset + TCP_SRC_PORT);
  }
  get dstPort(): number {
    return u16(this.b, this.offset + TCP_DST_PORT);
  }
  get seq(): number {
    return u32(this.b, this.offset + TCP_SEQ);
  }
  get ack(): number {
    return u32(this.b, this.offset + TCP_ACK);
  }
  /** Header length in bytes (the data offset field times four). */
  get headerLength(): number {
    return (this.b[this.offset + TCP_DATA_OFFSET] >>> 4) * 4;
  }
  /** The eight classic flag bits (CWR ECE URG ACK PSH RST SYN FIN). */
  get flags(): number {
    return this.b[this.offset + TCP_FLAGS];
  }
  get syn(): boolean {
    return (this.flags & TCP_FLAG_SYN) !== 0;
  }
  get fin(): boolean {
    return (this.flags & TCP_FLAG_FIN) !== 0;
  }
  get rst(): boolean {
    return (this.flags & TCP_FLAG_RST) !== 0;
  }
  get ackFlag(): boolean {
    return (this.flags & TCP_FLAG_ACK) !== 0;
  }
  get window(): number {
    return u16(this.b, this.offset + TCP_WINDOW);
  }
  get checksum(): number {
    return u16(this.b, this.offset + TCP_CHECKSUM);
  }
  get urgentPointer(): number {
    return u16(this.b, this.offset + TCP_URGENT);
  }
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  get payloadEnd(): number {
    return this.end;
  }
  get payloadLength(): number {
    return this.payloadEnd - this.payloadOffset;
  }
  /** The options, parsed on each call; a malformed option ends the list with a raw entry. */
  get options(): TcpOption[] {
    return parseTcpOptions(this.b, this.offset + TCP_HEADER_LENGTH, this.payloadOffset);
  }
}

export function parseTcpOptions(b: Uint8Array, start: number, end: number): TcpOption[] {
  const out: TcpOption[] = [];
  let o = start;
  while (o < end) {
    const type = b[o];
    if (type === TCPOPT_EOL) {
      out.push({ kind: 'eol', offset: o });
      break;
    }
    if (type === TCPOPT_NOP) {
      out.push({ kind: 'nop', offset: o });
      o++;
      continue;
    }
    const len = o + 1 < end ? b[o + 1] : 0;
    if (len < 2 || o + len > end) {
      out.push({ kind: 'raw', offset: o, type, bytes: b.subarray(o, end) });
      break;
    }
    const d = o + 2;
    if (type === TCPOPT_MSS && len === 4) out.push({ kind: 'mss', offset: o, mss: u16(b, d) });
    else if (type === TCPOPT_WSCALE && len === 3) out.push({ kind: 'wscale', offset: o, shift: b[d] });
    else if (type === TCPOPT_SACK_PERMITTED && len === 2) out.push({ kind: 'sackOK', offset: o });
    else if (type === TCPOPT_SACK && (len - 2) % 8 === 0) {
      const blocks: Array<{ left: number; right: number }> = [];
      for (let i = d; i < o + len; i += 8) blocks.push({ left: u32(b, i), right: u32(b, i + 4) });
      out.push({ kind: 'sack', offset: o, blocks });
    } else if (type === TCPOPT_TIMESTAMP && len === 10) {
      out.push({ kind: 'timestamp', offset: o, value: u32(b, d), echo: u32(b, d + 4) });
    } else if (type === TCPOPT_FASTOPEN) {
      out.push({ kind: 'fastopen', offset: o, cookie: b.subarray(d, o + len) });
    } else out.push({ kind: 'raw', offset: o, type, bytes: b.subarray(o, o + len) });
    o += len;
  }
  return out;
}

/**
 * Checks the fixed header and the data offset against what was captured. A header whose options
 * were cut by the snaplen is a truncation problem; a data offset under 5 words is impossible.
 */
export function decodeTcp(b: Uint8Array, offset: number, end: number, into?: TcpHeader): TcpHeader | DecodeProblem {
  if (end - offset < TCP_HEADER_LENGTH) {
    return problem('tcp', offset, 'truncated', `TCP header needs ${TCP_HEADER_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  const h = into?.aim(b, offset, end) ?? new TcpHeader(b, offset, end);
  const hlen = h.headerLength;
  if (hlen < TCP_HEADER_LENGTH) {
    return problem('tcp', offset, 'bad-length', `TCP data offset ${hlen / 4} words (${hlen} bytes) is shorter than the ${TCP_HEADER_LENGTH}-byte header`);
  }
  if (offset + hlen > end) {
    return problem('tcp', offset, 'truncated', `TCP header with options is ${hlen} bytes, ${end - offset} available`);
  }
  return h;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Option bytes, already padded to a multiple of 4. */
  options?: Uint8Array;
  urgentPointer?: number;
  payload?: Uint8Array;
}

/** Header, options and payload. */
export function tcpLength(f: TcpFields): number {
  return TCP_HEADER_LENGTH + (f.options?.length ?? 0) + (f.payload?.length ?? 0);
}

/**
 * Writes the segment decodeTcp reads at `offset`: header, options, payload, and the checksum over
 * `pseudoHeader` (ipv4PseudoHeader or ipv6PseudoHeader of the enclosing header, as gopacket's
 * SerializeTo takes it from its network layer). Returns the offset after the segment.
 */
export function writeTcp(out: Uint8Array, offset: number, f: TcpFields, pseudoHeader: number): number {
  const opts = f.options ?? new Uint8Array(0);
  const hlen = TCP_HEADER_LENGTH + opts.length;
  const end = offset + tcpLength(f);
  put16(out, offset + TCP_SRC_PORT, f.srcPort);
  put16(out, offset + TCP_DST_PORT, f.dstPort);
  put32(out, offset + TCP_SEQ, f.seq >>> 0);
  put32(out, offset + TCP_ACK, f.ack >>> 0);
  out[offset + TCP_DATA_OFFSET] = (hlen / 4) << 4;
  out[offset + TCP_FLAGS] = f.flags;
  put16(out, offset + TCP_WINDOW, f.window);
  put16(out, offset + TCP_URGENT, f.urgentPointer ?? 0);
  out.set(opts, offset + TCP_HEADER_LENGTH);
  if (f.payload) out.set(f.payload, offset + hlen);
  putChecksum(out, offset + TCP_CHECKSUM, offset, end, pseudoHeader);
  return end;
}

/** The options Linux puts on a SYN and a SYN-ACK, in Linux's order: MSS, SACK-permitted, timestamps, NOP, window scale. */
export function synOptions(mss: number, tsVal: number, tsEcr: number, wscale: number): Uint8Array {
  const o = new Uint8Array(20);
  o[0] = TCPOPT_MSS;
  o[1] = 4;
  put16(o, 2, mss);
  o[4] = TCPOPT_SACK_PERMITTED;
  o[5] = 2;
  o[6] = TCPOPT_TIMESTAMP;
  o[7] = 10;
  put32(o, 8, tsVal >>> 0);
  put32(o, 12, tsEcr >>> 0);
  o[16] = TCPOPT_NOP;
  o[17] = TCPOPT_WSCALE;
  o[18] = 3;
  o[19] = wscale;
  return o;
}

/** NOP, NOP, timestamps: what every segment after the handshake carries. */
export function timestampOptions(tsVal: number, tsEcr: number): Uint8Array {
  const o = new Uint8Array(12);
  o[0] = TCPOPT_NOP;
  o[1] = TCPOPT_NOP;
  o[2] = TCPOPT_TIMESTAMP;
  o[3] = 10;
  put32(o, 4, tsVal >>> 0);
  put32(o, 8, tsEcr >>> 0);
  return o;
}
