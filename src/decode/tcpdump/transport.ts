/**
 * What tcpdump 4.99 prints after "IP " / "IP6 " for TCP and UDP and what it decodes on top of
 * them by port (print-tcp.c, print-udp.c, print-domain.c, print-txtproto.c, print-vxlan.c,
 * print-otv.c, print-bootp.c, print-ssh.c), without -v and with -nn.
 */
import type { Packet } from '../packet.js';
import { u16, u32, macString } from '../bytes.js';
import type { LineOptions } from './line.js';
import { formatGeneve, formatVxlan } from './tunnel.js';
import { formatDns } from './dns.js';
import { formatOpenflow, OPENFLOW_PORTS } from './tcp-openflow.js';
import { formatTextProtocol, HTTP_TEXT, RTSP_TEXT, FTP_TEXT, SMTP_TEXT, WHOIS_TEXT } from './http.js';
import { TCP_HEADER_LENGTH } from '../tcp.js';
import { IPPROTO_TCP, IPPROTO_UDP, TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN, TCP_FLAG_URG } from '../enums.js';

/** The numbers a TCP line prints and the bases its SACK blocks are made relative with (print-tcp.c). */
export interface TcpRelation {
  seq: number;
  ack: number;
  thseq: number;
  thack: number;
  rev: boolean;
}

/** Where a TCP line's relative numbers come from: tcpdump's state as it reads, or one recorded earlier. */
export interface TcpRelations {
  relate(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, flags: number, seq: number, ack: number): TcpRelation;
}

/** A connection's bases: never changed, a SYN makes new ones, so every segment of theirs may share them. */
export interface TcpBases {
  readonly seq: number;
  readonly ack: number;
}

/**
 * What a segment's line needs of the tracker's state, kept to print it later (RecordedRelation): the
 * bases its connection had, shared with its other segments; for the segment that set them (printed
 * absolute), the bases as `first`.
 */
export type TcpLineState = TcpBases | { readonly first: TcpBases };

/** The order print-tcp.c keys a connection by: the lower port first; on equal ports the lower address. */
function reversed(src: Uint8Array, dst: Uint8Array, sport: number, dport: number): boolean {
  return sport > dport || (sport === dport && compareBytes(src, dst) > 0);
}

function relation(th: TcpBases, first: boolean, rev: boolean, seq: number, ack: number): TcpRelation {
  if (first) return { seq, ack, thseq: th.seq, thack: th.ack, rev };
  const rs = rev ? (seq - th.ack) >>> 0 : (seq - th.seq) >>> 0;
  const ra = rev ? (ack - th.seq) >>> 0 : (ack - th.ack) >>> 0;
  return { seq: rs, ack: ra, thseq: th.seq, thack: th.ack, rev };
}

/**
 * tcpdump's relative sequence numbers (print-tcp.c, tcp_seq_hash4/6). For a segment with ACK set,
 * the connection is keyed by addresses and ports in a fixed order (the lower port first; on equal
 * ports the lower address first). The first segment seen for a key, or any SYN, records
 * `seq` and `ack - 1` as the bases of its two directions and is itself printed absolute; later
 * segments print seq and ack minus the bases. Segments without ACK (a first SYN, a bare RST) are
 * always absolute and do not touch the table.
 */
export class TcpSequenceTracker implements TcpRelations {
  // IPv4 connections are keyed by numbers (address and port of each side), others by a short string
  // of the addresses' 16-bit words: a TCP frame is printed without building a hex string.
  private table4 = new Map<number, Map<number, TcpBases>>();
  private table = new Map<string, TcpBases>();
  /** The generation before (see maxConnections): looked in when the current one has no entry. */
  private old4 = new Map<number, Map<number, TcpBases>>();
  private old = new Map<string, TcpBases>();
  private added = 0;
  /** What the last `bases` call found: whether its segment set the bases, and the key's order. */
  private first = false;
  private rev = false;

  /**
   * `maxConnections`: tcpdump remembers every connection it has seen; a reader of captures of any
   * length remembers the connections of the last one to two generations of this many, and a
   * connection quiet for that long that speaks again without a SYN prints absolute numbers.
   */
  constructor(private readonly maxConnections = Infinity) {}

  /**
   * Returns the numbers to print and the bases (`thseq`, `thack`, `rev`) SACK blocks are made
   * relative with, as print-tcp.c keeps them.
   */
  relate(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, flags: number, seq: number, ack: number): TcpRelation {
    const th = this.bases(src, dst, sport, dport, flags, seq, ack);
    return relation(th, this.first, this.rev, seq, ack);
  }

  /** The same step of the state as `relate`, returning what printing the segment later needs. */
  lineState(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, flags: number, seq: number, ack: number): TcpLineState {
    const th = this.bases(src, dst, sport, dport, flags, seq, ack);
    return this.first ? { first: th } : th;
  }

  private bases(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, flags: number, seq: number, ack: number): TcpBases {
    const rev = reversed(src, dst, sport, dport);
    this.rev = rev;
    const a = rev ? dst : src;
    const b = rev ? src : dst;
    const pa = rev ? dport : sport;
    const pb = rev ? sport : dport;
    let inner: Map<number, TcpBases> | undefined;
    let ka = 0;
    let k4 = 0;
    let key = '';
    if (a.length === 4 && b.length === 4) {
      ka = (((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0) * 65536 + pa;
      k4 = (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0) * 65536 + pb;
      inner = this.table4.get(ka);
      if (!inner) this.table4.set(ka, (inner = new Map()));
    } else {
      key = `${words(a)}|${words(b)}|${pa}|${pb}`;
    }
    const th = this.find(inner, ka, k4, key);
    this.first = !th || (flags & TCP_FLAG_SYN) !== 0;
    if (!this.first) return th!;
    const entry = rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 };
    this.remember(inner, k4, key, entry);
    return entry;
  }

  /** The entry of a connection, from the generation before if need be (then moved to this one). */
  private find(inner: Map<number, TcpBases> | undefined, ka: number, k4: number, key: string): TcpBases | undefined {
    const th = inner ? inner.get(k4) : this.table.get(key);
    if (th !== undefined || (this.old4.size === 0 && this.old.size === 0)) return th;
    const before = inner ? this.old4.get(ka)?.get(k4) : this.old.get(key);
    if (before !== undefined) this.remember(inner, k4, key, before);
    return before;
  }

  private remember(inner: Map<number, TcpBases> | undefined, k4: number, key: string, entry: TcpBases): void {
    if (inner) inner.set(k4, entry);
    else this.table.set(key, entry);
    if (++this.added >= this.maxConnections) {
      this.old4 = this.table4;
      this.old = this.table;
      this.table4 = new Map();
      this.table = new Map();
      this.added = 0;
    }
  }
}

/**
 * The tracker's state as it was at one segment (TcpSequenceTracker.lineState), handed back when the
 * frame's line is printed later, out of order (evidence lines made only for the frames a report
 * cites): the tracker's state then is not what it was at that frame. Without one, numbers print
 * absolute, as they do for a segment the tracker never saw.
 */
export class RecordedRelation implements TcpRelations {
  constructor(private readonly recorded: TcpLineState | undefined) {}

  relate(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, _flags: number, seq: number, ack: number): TcpRelation {
    const r = this.recorded;
    if (r === undefined) return { seq, ack, thseq: 0, thack: 0, rev: false };
    const rev = reversed(src, dst, sport, dport);
    return 'first' in r ? relation(r.first, true, rev, seq, ack) : relation(r, false, rev, seq, ack);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function words(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < a.length; i += 2) s += String.fromCharCode((a[i] << 8) | (a[i + 1] ?? 0));
  return `${a.length}:${s}`;
}

/** Where the transport layer sits and the bounds tcpdump works with. */
interface Segment {
  b: Uint8Array;
  start: number;
  /** The length the IP header gives the transport layer (tcpdump's `length`). */
  length: number;
  /** End of what tcpdump may read: captured bytes within the IP datagram. */
  snapend: number;
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  /** False when IPv6 extension headers came first: tcpdump then prints ports without addresses. */
  direct: boolean;
}

function segmentOf(pkt: Packet, protocol: number): Segment | undefined {
  const start = pkt.tcp?.offset ?? pkt.udp?.offset ?? (pkt.problem && (pkt.problem.layer === 'tcp' || pkt.problem.layer === 'udp') ? pkt.problem.offset : undefined);
  if (start === undefined) return undefined;
  const b = pkt.data;
  if (pkt.ipv4) {
    const ip = pkt.ipv4;
    const declaredEnd = ip.offset + ip.length;
    return {
      b, start, length: Math.max(0, declaredEnd - start), snapend: Math.min(b.length, declaredEnd),
      srcAddr: b.subarray(ip.srcOffset, ip.srcOffset + 4), dstAddr: b.subarray(ip.dstOffset, ip.dstOffset + 4), direct: true,
    };
  }
  if (pkt.ipv6) {
    const ip = pkt.ipv6;
    // tcpdump 4.99 takes a zero payload length without a jumbo option at its word (later
    // versions presume a GSO send), so the transport header is then out of reach.
    const declaredEnd = ip.offset + 40 + (ip.payloadLength !== 0 ? ip.payloadLength : (ip.jumboLength ?? 0));
    return {
      b, start, length: Math.max(0, declaredEnd - start), snapend: Math.min(b.length, declaredEnd),
      srcAddr: b.subarray(ip.srcOffset, ip.srcOffset + 16), dstAddr: b.subarray(ip.dstOffset, ip.dstOffset + 16),
      direct: ip.nextHeader === protocol,
    };
  }
  return undefined;
}

/**
 * How a frame's line can be printed later, from its bytes read again (evidence lines made only for
 * the frames a report cites), and what must be kept for that now: 'none' when no TCP printer will
 * look at tcpdump's sequence state; what `state` gives the segment now, for a plain TCP
 * packet whose printer will ask for it; 'now' for anything else with TCP in it (a tunnel, a
 * damaged or fragmented packet, IPv6 extension headers), whose line must be printed in order.
 */
export function deferredRelation(pkt: Packet, state: TcpSequenceTracker): TcpLineState | 'none' | 'now' {
  if (pkt.inner) return 'now';
  // What lies above TCP (DNS, HTTP) does not change the way to its printer; anything below may.
  const problem = pkt.problem?.layer;
  if (problem !== undefined && !(pkt.tcp && (problem === 'dns' || problem === 'http'))) return pkt.tcp || problem === 'tcp' || pkt.ipv4 || pkt.ipv6 ? 'now' : 'none';
  const ip4 = pkt.ipv4;
  const ip6 = pkt.ipv6;
  if (!ip4 && !ip6) return 'none';
  const protocol = ip4 ? ip4.protocol : ip6!.extensions.length === 0 ? ip6!.nextHeader : -1;
  if (!pkt.tcp) return protocol === IPPROTO_TCP || protocol === -1 ? 'now' : 'none';
  if (protocol !== IPPROTO_TCP) return 'now';
  // The checks formatIpv4 and formatIpv6 make before they hand a TCP packet to formatTcp.
  if (ip4 && (ip4.totalLength < ip4.headerLength || ip4.isLaterFragment)) return 'now';
  if (ip6 && ip6.payloadLength === 0) return 'now';
  const seg = segmentOf(pkt, IPPROTO_TCP);
  if (!seg || seg.start !== pkt.tcp.offset) return 'now';
  // formatTcp's, up to the point where it asks for the relation.
  const { b, start } = seg;
  if (start + TCP_HEADER_LENGTH > seg.snapend) return 'none';
  if ((b[start + 12] >>> 4) * 4 < TCP_HEADER_LENGTH) return 'none';
  const flags = b[start + 13];
  if (!(flags & TCP_FLAG_ACK)) return 'none';
  return state.lineState(seg.srcAddr, seg.dstAddr, u16(b, start), u16(b, start + 2), flags, u32(b, start + 4), u32(b, start + 8));
}

/**
 * Everything tcpdump prints after "IP " / "IP6 " for a TCP or UDP packet: addresses and ports,
 * the transport summary, and what it decodes on top (DNS, HTTP, VXLAN with the inner frame on
 * the next line). `src` and `dst` are the network addresses as printed.
 */
export function formatTransport(pkt: Packet, src: string, dst: string, opts: LineOptions): string {
  const protocol = pkt.tcp || pkt.problem?.layer === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  const seg = segmentOf(pkt, protocol);
  if (!seg) return `${src} > ${dst}: [|${protocol === IPPROTO_TCP ? 'tcp' : 'udp'}]`;
  return protocol === IPPROTO_TCP ? formatTcp(seg, src, dst, opts) : formatUdp(pkt, seg, src, dst, opts);
}

function addresses(seg: Segment, src: string, dst: string, sport: number, dport: number): string {
  return seg.direct ? `${src}.${sport} > ${dst}.${dport}: ` : `${sport} > ${dport}: `;
}

const FLAG_LETTERS: Array<[number, string]> = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'],
];

export function tcpFlagsText(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s || 'none';
}

const OPTION_NAMES: Record<number, string> = {
  0: 'eol', 1: 'nop', 2: 'mss', 3: 'wscale', 4: 'sackOK', 5: 'sack', 6: 'echo', 7: 'echoreply', 8: 'TS', 11: 'cc',
  12: 'ccnew', 13: 'ccecho', 19: 'md5', 20: 'scps', 28: 'uto', 29: 'tcp-ao', 30: 'mptcp', 34: 'tfo', 254: 'exp',
};
const MPTCP_SUBTYPES = ['capable', 'join', 'dss', 'add-addr', 'rem-addr', 'prio', 'fail', 'fast-close'];

function tfoText(b: Uint8Array, o: number, datalen: number): string {
  if (datalen === 0) return ' cookiereq';
  if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) return ' (invalid)';
  let s = ' cookie ';
  for (let i = 0; i < datalen; i++) s += b[o + i].toString(16).padStart(2, '0');
  return s;
}

/** print-tcp.c's option loop. Returns the text and how it ended. */
function tcpOptions(
  b: Uint8Array,
  start: number,
  hlen: number,
  snapend: number,
  rel: { thseq: number; thack: number; rev: boolean },
): { text: string; end: 'ok' | 'bad' | 'trunc' } {
  let out = ', options [';
  let cp = start;
  let left = hlen;
  let ch = '';
  const have = (o: number, n: number): boolean => o + n <= snapend;
  while (left > 0) {
    out += ch;
    // Reading the kind or length byte past the capture is tcpdump's longjmp: no closing mark.
    if (!have(cp, 1)) return { text: `${out} [|tcp]`, end: 'trunc' };
    const opt = b[cp++];
    let len: number;
    if (opt === 0 || opt === 1) len = 1;
    else {
      if (!have(cp, 1)) return { text: `${out} [|tcp]`, end: 'trunc' };
      len = b[cp++];
      if (len < 2 || len > left) return { text: `${out}[bad opt]${ch ? ']' : ''}`, end: 'bad' };
      left--;
    }
    left--;
    let datalen = 0;
    out += OPTION_NAMES[opt] ?? `unknown-${opt}`;
    // LENCHECK: the data must fit the header (else "bad opt") and the capture (else truncated).
    const check = (l: number): 'ok' | 'bad' | 'trunc' => (l > left ? 'bad' : !have(cp, l) ? 'trunc' : 'ok');
    const fail = (r: 'bad' | 'trunc'): { text: string; end: 'bad' | 'trunc' } =>
      r === 'bad' ? { text: `${out}[bad opt]${ch ? ']' : ''}`, end: 'bad' } : { text: `${out} [|tcp]${ch ? '>' : ''}`, end: 'trunc' };
    let r: 'ok' | 'bad' | 'trunc';
    switch (opt) {
      case 2:
        datalen = 2;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        out += ` ${u16(b, cp)}`;
        break;
      case 3:
        datalen = 1;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        out += ` ${b[cp]}`;
        break;
      case 5:
        datalen = len - 2;
        if (datalen % 8 !== 0) out += ' invalid sack';
        else {
          out += ` ${datalen / 8} `;
          for (let i = 0; i < datalen; i += 8) {
            if ((r = check(i + 8)) !== 'ok') return fail(r);
            let s = u32(b, cp + i);
            let e = u32(b, cp + i + 4);
            const base = rel.rev ? rel.thseq : rel.thack;
            s = (s - base) >>> 0;
            e = (e - base) >>> 0;
            out += `{${s}:${e}}`;
          }
        }
        break;
      case 6:
      case 7:
      case 11:
      case 12:
      case 13:
        datalen = 4;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        out += ` ${u32(b, cp)}`;
        break;
      case 8:
        datalen = 8;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        out += ` val ${u32(b, cp)} ecr ${u32(b, cp + 4)}`;
        break;
      case 19:
        datalen = 16;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        out += ' ';
        for (let i = 0; i < 16; i++) out += b[cp + i].toString(16).padStart(2, '0');
        break;
      case 20:
        datalen = 2;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        out += ` cap ${b[cp].toString(16).padStart(2, '0')} id ${b[cp + 1]}`;
        break;
      case 29:
        datalen = len - 2;
        if (datalen < 2) out += ' (invalid)';
        else {
          if ((r = check(1)) !== 'ok') return fail(r);
          out += ` keyid ${b[cp]}`;
          if ((r = check(2)) !== 'ok') return fail(r);
          out += ` rnextkeyid ${b[cp + 1]}`;
          if (datalen > 2) {
            out += ' mac 0x';
            for (let i = 2; i < datalen; i++) {
              if ((r = check(i + 1)) !== 'ok') return fail(r);
              out += b[cp + i].toString(16).padStart(2, '0');
            }
          }
        }
        break;
      case 0:
      case 1:
      case 4:
        break;
      case 28: {
        datalen = 2;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        let uto = u16(b, cp);
        out += ` 0x${uto.toString(16)}`;
        uto = uto & 1 ? (uto >>> 1) * 60 : uto >>> 1;
        out += ` ${uto}`;
        break;
      }
      case 30: {
        datalen = len - 2;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        // print-mptcp.c prints each subtype's fields; the subtype name is what we reproduce.
        const sub = datalen > 0 ? b[cp] >>> 4 : -1;
        out += ` ${len} ${MPTCP_SUBTYPES[sub] ?? 'unknown'}`;
        break;
      }
      case 34:
        datalen = len - 2;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        out += tfoText(b, cp, datalen);
        break;
      case 254: {
        datalen = len - 2;
        if ((r = check(datalen)) !== 'ok') return fail(r);
        if (datalen < 2) return fail('bad');
        const magic = u16(b, cp);
        out += '-';
        out += magic === 0xf989 ? `tfo${tfoText(b, cp + 2, datalen - 2)}` : magic.toString(16).padStart(4, '0');
        break;
      }
      default:
        datalen = len - 2;
        if (datalen) out += ' 0x';
        for (let i = 0; i < datalen; i++) {
          if ((r = check(i + 1)) !== 'ok') return fail(r);
          out += b[cp + i].toString(16).padStart(2, '0');
        }
        break;
    }
    cp += datalen;
    left -= datalen;
    let seen = datalen + 1;
    if (opt !== 0 && opt !== 1) seen++;
    if (seen !== len) out += `[len ${len}]`;
    ch = ',';
    if (opt === 0) break;
  }
  return { text: `${out}]`, end: 'ok' };
}

function formatTcp(seg: Segment, src: string, dst: string, opts: LineOptions): string {
  const { b, start, snapend } = seg;
  let length = seg.length;
  if (start + 4 > snapend) return `${src} > ${dst}: [|tcp]`;
  const sport = u16(b, start);
  const dport = u16(b, start + 2);
  let out = addresses(seg, src, dst, sport, dport);
  if (start + TCP_HEADER_LENGTH > snapend) return `${out} [|tcp]`;
  let hlen = (b[start + 12] >>> 4) * 4;
  if (hlen < TCP_HEADER_LENGTH) {
    return `${out} tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < ${TCP_HEADER_LENGTH}]`;
  }
  let seq = u32(b, start + 4);
  let ack = u32(b, start + 8);
  const win = u16(b, start + 14);
  const urp = u16(b, start + 18);
  const flags = b[start + 13];
  out += `Flags [${tcpFlagsText(flags)}]`;
  let rel = { thseq: 0, thack: 0, rev: false };
  if (flags & TCP_FLAG_ACK && opts.tcpState) {
    const r = opts.tcpState.relate(seg.srcAddr, seg.dstAddr, sport, dport, flags, seq, ack);
    seq = r.seq;
    ack = r.ack;
    rel = r;
  }
  if (hlen > length) return `${out} [bad hdr length ${hlen} - too long, > ${length}]`;
  length -= hlen;
  if (length > 0 || flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST)) {
    out += `, seq ${seq}`;
    if (length > 0) out += `:${(seq + length) >>> 0}`;
  }
  if (flags & TCP_FLAG_ACK) out += `, ack ${ack}`;
  out += `, win ${win}`;
  if (flags & TCP_FLAG_URG) out += `, urg ${urp}`;
  if (hlen > TCP_HEADER_LENGTH) {
    const o = tcpOptions(b, start + TCP_HEADER_LENGTH, hlen - TCP_HEADER_LENGTH, snapend, rel);
    out += o.text;
    if (o.end !== 'ok') return out;
  }
  out += `, length ${length}`;
  if (length <= 0) return out;
  return out + tcpPayload(b, start + hlen, length, snapend, sport, dport);
}

const either = (a: number, b: number, ...ports: number[]): boolean => ports.includes(a) || ports.includes(b);

/** print-tcp.c's dispatch by port, for the protocols whose non-verbose text is reproduced. */
function tcpPayload(b: Uint8Array, p: number, length: number, snapend: number, sport: number, dport: number): string {
  if (either(sport, dport, 23)) return '';
  if (either(sport, dport, 25)) return `: ${formatTextProtocol(b, p, length, snapend, SMTP_TEXT)}`;
  if (either(sport, dport, 43)) return `: ${formatTextProtocol(b, p, length, snapend, WHOIS_TEXT)}`;
  if (either(sport, dport, 179)) return ': BGP';
  if (either(sport, dport, 1723, 6379)) return '';
  if (either(sport, dport, 22)) return sshBanner(b, p, length, snapend);
  if (either(sport, dport, 139, 445, 10288)) return '';
  if (either(sport, dport, ...OPENFLOW_PORTS)) return formatOpenflow(b, p, length, snapend);
  if (either(sport, dport, 21)) return `: ${formatTextProtocol(b, p, length, snapend, FTP_TEXT)}`;
  if (either(sport, dport, 80, 8080)) return `: ${formatTextProtocol(b, p, length, snapend, HTTP_TEXT)}`;
  if (either(sport, dport, 554, 8554)) return `: ${formatTextProtocol(b, p, length, snapend, RTSP_TEXT)}`;
  if (either(sport, dport, 53)) return formatDns(b, p, length, snapend, true, false);
  return '';
}

/** print-ssh.c: the identification line "SSH-..." when the segment holds all of it. */
function sshBanner(b: Uint8Array, p: number, len: number, snapend: number): string {
  const lit = [0x53, 0x53, 0x48, 0x2d];
  for (let i = 0; i < 4; i++) {
    if (p + i >= snapend) return ' [|ssh]';
    if (b[p + i] !== lit[i]) return '';
  }
  let idx = 4;
  for (; idx < len; idx++) {
    if (p + idx >= snapend) return ' [|ssh]';
    const c = b[p + idx];
    if (c === 0x0a) break;
    if (c === 0x0d) {
      if (idx + 1 >= len) return '';
      if (p + idx + 1 >= snapend) return ' [|ssh]';
      if (b[p + idx + 1] === 0x0a) break;
      return '';
    }
    if (c < 0x20 || c > 0x7e) return '';
  }
  if (idx >= len) return '';
  return `: SSH: ${Buffer.from(b.buffer, b.byteOffset + p, idx).toString('latin1')}`;
}

function formatUdp(pkt: Packet, seg: Segment, src: string, dst: string, opts: LineOptions): string {
  const { b, start, snapend } = seg;
  let length = seg.length;
  if (start + 4 > snapend) return `${src} > ${dst}:  [|udp]`;
  const sport = u16(b, start);
  const dport = u16(b, start + 2);
  const head = addresses(seg, src, dst, sport, dport);
  if (length < 8) return `${head}truncated-udp ${length}`;
  if (start + 6 > snapend) return `${head} [|udp]`;
  let ulen = u16(b, start + 4);
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) return `${head}truncated-udplength ${ulen}`;
  ulen -= 8;
  length -= 8;
  if (ulen < length) length = ulen;
  const p = start + 8;
  if (p > snapend) return `${head} [|udp]`;
  return head + udpPayload(pkt, b, p, length, ulen, snapend, sport, dport, opts);
}

function udpPayload(pkt: Packet, b: Uint8Array, p: number, length: number, ulen: number, snapend: number, sport: number, dport: number, opts: LineOptions): string {
  if (either(sport, dport, 53)) return formatDns(b, p, length, snapend, false, false);
  if (either(sport, dport, 5353)) return formatDns(b, p, length, snapend, false, true);
  if (either(sport, dport, 67, 68)) return bootp(b, p, length, snapend);
  if (pkt.vxlan || pkt.problem?.layer === 'vxlan') return formatVxlan(pkt, b, p, length, opts);
  if (pkt.geneve || pkt.problem?.layer === 'geneve') return formatGeneve(pkt, b, p, length, opts);
  return `UDP, length ${ulen}`;
}

/** print-bootp.c without -v. */
function bootp(b: Uint8Array, p: number, length: number, snapend: number): string {
  if (p + 1 > snapend) return 'BOOTP/DHCP, [|bootp]';
  const op = b[p];
  let out = `BOOTP/DHCP, ${op === 1 ? 'Request' : op === 2 ? 'Reply' : `unknown (0x${op.toString(16).padStart(2, '0')})`}`;
  if (p + 3 > snapend) return `${out} [|bootp]`;
  if (b[p + 1] === 1 && b[p + 2] === 6 && op === 1) {
    if (p + 34 > snapend) return `${out} [|bootp]`;
    out += ` from ${macString(b, p + 28)}`;
  }
  return `${out}, length ${length}`;
}

