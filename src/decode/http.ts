import { problem, type DecodeProblem } from './layer.js';

export const HTTP_PORT = 80;
export const HTTP_ALT_PORT = 8080;
/** Request lines longer than this are not looked at further (a first line, not a body). */
export const HTTP_MAX_FIRST_LINE = 8192;
/** How far into the headers the Host header is looked for. */
const HOST_SEARCH_LIMIT = 4096;

/** The request methods tcpdump's print-http.c recognises (RFC 9110, WebDAV, DeltaV and friends). */
export const HTTP_METHODS: readonly string[] = [
  'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE', 'LABEL',
  'MERGE', 'DELETE', 'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE', 'CONNECT', 'OPTIONS',
  'CHECKIN', 'PROPFIND', 'CHECKOUT', 'CCM_POST', 'SUBSCRIBE', 'PROPPATCH', 'BPROPFIND', 'BPROPPATCH',
  'UNCHECKOUT', 'MKACTIVITY', 'MKWORKSPACE', 'UNSUBSCRIBE', 'RPC_CONNECT', 'VERSION-CONTROL', 'BASELINE-CONTROL',
];
const METHODS = new Set(HTTP_METHODS);

function ascii(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** The first token (up to a space), when it is short and printable. */
function firstToken(b: Uint8Array, o: number, end: number): string | undefined {
  let i = o;
  while (i < end && i - o < 32 && b[i] > 0x20 && b[i] < 0x7f) i++;
  if (i === o || i >= end || b[i] !== 0x20) return undefined;
  return ascii(b, o, i);
}

const LONGEST_METHOD = Math.max(...HTTP_METHODS.map((m) => m.length));

/** A byte that can be part of a method name: every known method is upper-case letters, '_' and '-'. */
function methodByte(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x2d;
}

/** True when the payload starts with a known method and a space, or with "HTTP/". */
export function looksLikeHttp(b: Uint8Array, o: number, end: number): boolean {
  if (end - o >= 5 && b[o] === 0x48 && b[o + 1] === 0x54 && b[o + 2] === 0x54 && b[o + 3] === 0x50 && b[o + 4] === 0x2f) return true;
  // Called on every TCP payload: most are told apart from a method by their first bytes, without
  // making a string of them.
  let i = o;
  while (i < end && i - o <= LONGEST_METHOD && methodByte(b[i])) i++;
  if (i === o || i >= end || i - o > LONGEST_METHOD || b[i] !== 0x20) return false;
  const t = firstToken(b, o, end);
  return t !== undefined && METHODS.has(t);
}

/** An HTTP/1 request or status line, with the Host header when it is in the same segment. */
export class HttpMessage {
  constructor(
    readonly b: Uint8Array,
    readonly offset: number,
    /** End of the first line, before its CR LF. */
    readonly lineEnd: number,
    readonly kind: 'request' | 'response',
    readonly method: string | undefined,
    readonly target: string | undefined,
    readonly version: string,
    readonly status: number | undefined,
    readonly reason: string | undefined,
    readonly host: string | undefined,
  ) {}

  /** The first line as sent. */
  get firstLine(): string {
    return ascii(this.b, this.offset, this.lineEnd);
  }
}

/** "Host:" in any case at `o`, compared by byte: most header lines are not it. */
function isHostField(b: Uint8Array, o: number): boolean {
  return (b[o] | 0x20) === 0x68 && (b[o + 1] | 0x20) === 0x6f && (b[o + 2] | 0x20) === 0x73 && (b[o + 3] | 0x20) === 0x74 && b[o + 4] === 0x3a;
}

function findHost(b: Uint8Array, o: number, end: number): string | undefined {
  const limit = Math.min(end, o + HOST_SEARCH_LIMIT);
  let line = o;
  while (line < limit) {
    let e = line;
    while (e < limit && b[e] !== 0x0a) e++;
    if (e >= limit) return undefined;
    const textEnd = e > line && b[e - 1] === 0x0d ? e - 1 : e;
    if (textEnd === line) return undefined; // blank line: end of headers
    if (textEnd - line > 5 && isHostField(b, line)) return ascii(b, line + 5, textEnd).trim();
    line = e + 1;
  }
  return undefined;
}

/** Decodes the first line at `offset`. Call it only where looksLikeHttp says so. */
export function decodeHttp(b: Uint8Array, offset: number, end: number): HttpMessage | DecodeProblem {
  const limit = Math.min(end, offset + HTTP_MAX_FIRST_LINE);
  let nl = offset;
  while (nl < limit && b[nl] !== 0x0a) nl++;
  if (nl >= limit) {
    const cut = end - offset < HTTP_MAX_FIRST_LINE;
    return problem('http', offset, cut ? 'truncated' : 'bad-length', cut ? 'HTTP first line not complete in the captured bytes' : `HTTP first line longer than ${HTTP_MAX_FIRST_LINE} bytes`);
  }
  const lineEnd = nl > offset && b[nl - 1] === 0x0d ? nl - 1 : nl;
  const line = ascii(b, offset, lineEnd);
  const host = findHost(b, nl + 1, end);
  let m = /^(HTTP\/\d+(?:\.\d+)?) (\d{3})(?: (.*))?$/.exec(line);
  if (m) return new HttpMessage(b, offset, lineEnd, 'response', undefined, undefined, m[1], Number(m[2]), m[3] ?? '', host);
  m = /^([!-~]+) ([!-~]+) (HTTP\/\d+(?:\.\d+)?)$/.exec(line);
  if (m && METHODS.has(m[1])) return new HttpMessage(b, offset, lineEnd, 'request', m[1], m[2], m[3], undefined, undefined, host);
  return problem('http', offset, 'malformed', 'HTTP first line is neither a request line nor a status line');
}
