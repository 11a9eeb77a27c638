import { foldChecksum, pseudoHeaderSum, put16, put32, sumBytes } from './checksum.js';
import type { TcpBody } from '../packet.js';

import { TCP_ACK, TCP_CHECKSUM, TCP_DATA_OFFSET, TCP_DST_PORT, TCP_FLAGS, TCP_HEADER_LENGTH, TCP_SEQ, TCP_SRC_PORT, TCP_URGENT, TCP_WINDOW } from '../../decode/tcp.js';

export function tcpLength(b: TcpBody): number {
  return TCP_HEADER_LENGTH + b.options.length + b.data.length;
}

export function writeTcp(out: Uint8Array, o: number, b: TcpBody, src: number, dst: number): number {
  const hlen = TCP_HEADER_LENGTH + b.options.length;
  const len = hlen + b.data.length;
  put16(out, o + TCP_SRC_PORT, b.sport);
  put16(out, o + TCP_DST_PORT, b.dport);
  put32(out, o + TCP_SEQ, b.seq >>> 0);
  put32(out, o + TCP_ACK, b.ack >>> 0);
  out[o + TCP_DATA_OFFSET] = (hlen / 4) << 4;
  out[o + TCP_FLAGS] = b.flags;
  put16(out, o + TCP_WINDOW, b.window);
  put16(out, o + TCP_CHECKSUM, 0);
  put16(out, o + TCP_URGENT, 0);
  out.set(b.options, o + TCP_HEADER_LENGTH);
  out.set(b.data, o + hlen);
  put16(out, o + TCP_CHECKSUM, foldChecksum(sumBytes(out, o, o + len, pseudoHeaderSum(src, dst, 6, len))));
  return o + len;
}

const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_WSCALE = 3;
const TCPOPT_SACK_PERM = 4;
const TCPOPT_TIMESTAMP = 8;

/** The options Linux puts on a SYN and a SYN-ACK, in Linux's order: MSS, SACK-permitted, timestamps, NOP, window scale. */
export function synOptions(mss: number, tsVal: number, tsEcr: number, wscale: number): Uint8Array {
  const o = new Uint8Array(20);
  o[0] = TCPOPT_MSS;
  o[1] = 4;
  put16(o, 2, mss);
  o[4] = TCPOPT_SACK_PERM;
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
