/**
 * tcpdump 4.99's print-txtproto.c without -v, for HTTP and the other line-based protocols it
 * decodes on TCP ports (FTP, SMTP, RTSP, WHOIS): the protocol name, and the first line when the
 * payload opens with a command or a response code.
 */
import { HTTP_METHODS } from '../http.js';

const MAX_TOKEN = 128;

const RTSP_METHODS = ['DESCRIBE', 'ANNOUNCE', 'GET_PARAMETER', 'OPTIONS', 'PAUSE', 'PLAY', 'RECORD', 'REDIRECT', 'SETUP', 'SET_PARAMETER', 'TEARDOWN'];

export interface TextProtocol {
  /** Printed in capitals before the line. */
  name: string;
  /** Commands that open a request; undefined: every payload is a line to print. */
  commands?: readonly string[];
  /** True when a response's code is its second token ("HTTP/1.1 200 OK"), false when its first ("220 ..."). */
  codeSecond: boolean;
}

export const HTTP_TEXT: TextProtocol = { name: 'HTTP', commands: HTTP_METHODS, codeSecond: true };
export const RTSP_TEXT: TextProtocol = { name: 'RTSP', commands: RTSP_METHODS, codeSecond: true };
export const FTP_TEXT: TextProtocol = { name: 'FTP', codeSecond: false };
export const SMTP_TEXT: TextProtocol = { name: 'SMTP', codeSecond: false };
export const WHOIS_TEXT: TextProtocol = { name: 'WHOIS', codeSecond: false };

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;

/** fetch_token: the token at idx and the index after it and its blanks, or undefined. */
function fetchToken(b: Uint8Array, p: number, idx: number, len: number, snapend: number): { token: string; next: number } | undefined {
  let token = '';
  for (; idx < len; idx++) {
    if (p + idx >= snapend) return undefined;
    const c = b[p + idx];
    if (c > 0x7f) return undefined;
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return undefined;
    if (token.length + 2 > MAX_TOKEN + 1) return undefined;
    token += String.fromCharCode(c);
  }
  if (token.length === 0) return undefined;
  for (; idx < len; idx++) {
    if (p + idx >= snapend) break;
    const c = b[p + idx];
    if (c === 0x0d || c === 0x0a || !isPrint(c)) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return { token, next: idx };
}

/** print_txt_line for the first line; " [|proto]" where the bytes run out. */
function firstLine(b: Uint8Array, p: number, len: number, snapend: number, proto: string): string {
  for (let idx = 0; idx < len; idx++) {
    if (p + idx >= snapend) return ` [|${proto}]`;
    const c = b[p + idx];
    if (c === 0x0a) return `: ${text(b, p, p + idx)}`;
    if (c === 0x0d) {
      if (idx + 1 >= len) return '';
      if (p + idx + 1 >= snapend) return ` [|${proto}]`;
      return b[p + idx + 1] === 0x0a ? `: ${text(b, p, p + idx)}` : '';
    }
    if (!isPrint(c) && c !== 0x09) return '';
  }
  return `: ${text(b, p, p + len)} [|${proto}]`;
}

function text(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** What tcpdump prints after "length N: " for a text protocol's segment of `len` bytes at `p`. */
export function formatTextProtocol(b: Uint8Array, p: number, len: number, snapend: number, proto: TextProtocol): string {
  let printThis = false;
  if (proto.commands) {
    let t = fetchToken(b, p, 0, len, snapend);
    if (t) {
      const upper = t.token.toUpperCase();
      if (proto.commands.includes(upper)) printThis = true;
      if (proto.codeSecond) t = fetchToken(b, p, t.next, len, snapend);
      if (t && /^[0-9]{3}$/.test(t.token)) printThis = true;
    }
  } else printThis = true;
  let out = proto.name;
  if (printThis) out += firstLine(b, p, len, snapend, proto.name.toLowerCase());
  return out;
}
