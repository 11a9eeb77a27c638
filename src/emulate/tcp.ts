/**
 * A TCP endpoint good enough for HTTP/1 over the model: Linux's handshake options, MSS-sized data
 * segments (no GSO: captures on veth and bridges show what the wire would carry), immediate ACKs
 * (quickack, as at the start of every Linux connection), FIN teardown, and retransmission on timeout
 * so that a filter dropping a segment shows the retransmission a kernel would send.
 */
import type { Ip4 } from './addr.js';
import type { Ipv4Packet, TcpBody } from './packet.js';
import { synOptions, TCP_HEADER_LENGTH, timestampOptions } from '../decode/tcp.js';
import { tcpKey, type Namespace } from './namespace.js';
import type { Device } from './link.js';
import { IPV4_MIN_HEADER_LENGTH } from '../decode/ipv4.js';
import { IPPROTO_TCP, TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_PSH, TCP_FLAG_RST, TCP_FLAG_SYN } from '../decode/enums.js';

const TS_OPTIONS = 12;
/** What Linux 6.x picks for tcp_rmem's 32 MiB maximum (the lab machine's kernel). */
const WSCALE = 10;
const SYN_RTO = 1_000_000_000;
const MIN_RTO = 200_000_000;
const SYN_LINEAR_TIMEOUTS = 4;
const SYN_GIVE_UP = 127_000_000_000;
const MAX_RETRIES = 6;
/** Time from a segment's arrival to the ACK or answer the stack sends. */
const STACK_COST = 4_000;
/** TCP_DELACK_MIN. */
const DELAYED_ACK = 40_000_000;

export interface TcpEvents {
  established?(c: TcpConnection): void;
  data?(c: TcpConnection, data: Uint8Array): void;
  /** The peer sent FIN. */
  fin?(c: TcpConnection): void;
  /** Both sides are done (or a RST / too many retransmissions ended it). */
  closed?(c: TcpConnection, reason: 'done' | 'reset' | 'timeout' | 'unreachable'): void;
}

type State = 'syn-sent' | 'syn-recv' | 'established' | 'fin-wait' | 'close-wait' | 'last-ack' | 'closed';

interface Unacked {
  seq: number;
  flags: number;
  data: Uint8Array;
  /** Sequence space: data length, plus one for SYN or FIN. */
  len: number;
  sentAt: number;
}

function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export class TcpConnection {
  state: State;
  private sndNxt: number;
  private sndUna: number;
  private rcvNxt = 0;
  private readonly tsOffset: number;
  private peerTs = 0;
  private peerMss = 536;
  private ipId: number;
  private readonly unacked: Unacked[] = [];
  private rto = SYN_RTO;
  private baseRto = SYN_RTO;
  private timerEpoch = 0;
  private retries = 0;
  private firstSynAt = 0;
  private finSent = false;
  private finReceived = false;
  /** Out-of-order data kept until the hole before it is filled (Linux queues it and SACKs it). */
  private readonly outOfOrder = new Map<number, { data: Uint8Array; fin: boolean }>();
  private dupAcks = 0;
  /** While recovering, every partial ACK retransmits the next hole (NewReno, RFC 6582). */
  private recoverTo: number | undefined;
  private readonly loopback: boolean;
  private readonly passive: boolean;

  constructor(
    readonly ns: Namespace,
    readonly localAddr: Ip4,
    readonly localPort: number,
    readonly remoteAddr: Ip4,
    readonly remotePort: number,
    readonly events: TcpEvents,
    state: State,
  ) {
    this.state = state;
    this.passive = state === 'syn-recv';
    const rng = ns.world.rng;
    this.sndNxt = rng.next32();
    this.sndUna = this.sndNxt;
    this.tsOffset = rng.next32();
    this.ipId = rng.between(0, 0xffff);
    this.loopback = ns.route(remoteAddr) === 'local';
    const key = tcpKey(localAddr, localPort, remoteAddr, remotePort);
    ns.tcp.set(key, { segment: (p, b, d) => this.segment(p, b, d), mtuReduced: () => this.mtuReduced() });
  }

  /** Data bytes a segment carries: the peer's MSS or the path's, whichever is smaller, less the timestamps (tcp_current_mss). */
  private segmentSize(): number {
    const pathMss = this.ns.pathMtu(this.remoteAddr) - IPV4_MIN_HEADER_LENGTH - TCP_HEADER_LENGTH;
    return Math.max(1, Math.min(this.peerMss, pathMss) - TS_OPTIONS);
  }

  /**
   * tcp_v4_mtu_reduced then tcp_simple_retransmit: every segment still unacknowledged that is now
   * too big was lost at the narrow hop; each is cut to the new size and sent again at once.
   */
  private mtuReduced(): void {
    if (this.state === 'closed') return;
    const size = this.segmentSize();
    const queue = this.unacked.splice(0);
    for (const u of queue) {
      if (u.data.length <= size) {
        this.unacked.push(u);
        continue;
      }
      for (let o = 0; o < u.data.length; o += size) {
        const last = o + size >= u.data.length;
        const data = u.data.subarray(o, Math.min(u.data.length, o + size));
        const piece: Unacked = { seq: (u.seq + o) >>> 0, flags: last ? u.flags : u.flags & ~(TCP_FLAG_PSH | TCP_FLAG_FIN), data, len: data.length + (last && u.flags & TCP_FLAG_FIN ? 1 : 0), sentAt: -1 };
        this.unacked.push(piece);
        this.emit(piece.flags, piece.seq, piece.data);
      }
    }
  }

  private get now(): number {
    return this.ns.world.sched.now;
  }

  private tsVal(): number {
    return (this.tsOffset + Math.floor(this.now / 1_000_000)) >>> 0;
  }

  /** Window field values Linux shows: scaled by 2^7 after the handshake. */
  private window(flags: number): number {
    if (this.loopback) return flags & TCP_FLAG_SYN ? (flags & TCP_FLAG_ACK ? 65483 : 65495) : this.passive ? 64 : 64;
    if (flags & TCP_FLAG_SYN) return flags & TCP_FLAG_ACK ? 65160 : 64240;
    // 64256 and 65280 bytes at the window scale of 10 that a 32 MiB tcp_rmem maximum gives.
    return this.passive ? 64 : 63;
  }

  private emit(flags: number, seq: number, data: Uint8Array): void {
    const syn = (flags & TCP_FLAG_SYN) !== 0;
    const options = syn ? synOptions(this.ns.mssFor(this.remoteAddr), this.tsVal(), flags & TCP_FLAG_ACK ? this.peerTs : 0, WSCALE) : timestampOptions(this.tsVal(), this.peerTs);
    const body: TcpBody = {
      proto: IPPROTO_TCP,
      sport: this.localPort,
      dport: this.remotePort,
      seq,
      ack: flags & TCP_FLAG_ACK ? this.rcvNxt : 0,
      flags,
      window: this.window(flags),
      options,
      data,
    };
    // A SYN-ACK goes out with IP id 0 (ip_build_and_send_pkt); the rest count up from a random start.
    const id = syn && flags & TCP_FLAG_ACK ? 0 : this.ipId++ & 0xffff;
    const pkt: Ipv4Packet = { src: this.localAddr, dst: this.remoteAddr, ttl: 64, id, df: true, tos: 0, body };
    if (!this.ns.output(pkt) && this.state === 'syn-sent') this.end('unreachable');
  }

  private sendTracked(flags: number, data: Uint8Array): void {
    const len = data.length + (flags & (TCP_FLAG_SYN | TCP_FLAG_FIN) ? 1 : 0);
    const seq = this.sndNxt;
    this.unacked.push({ seq, flags, data, len, sentAt: this.now });
    this.sndNxt = (this.sndNxt + len) >>> 0;
    this.emit(flags, seq, data);
    if (this.unacked.length === 1) this.arm();
  }

  private arm(): void {
    const epoch = ++this.timerEpoch;
    this.ns.world.sched.after(this.rto, () => {
      if (epoch !== this.timerEpoch || this.unacked.length === 0 || this.state === 'closed') return;
      ++this.retries;
      // A SYN gives up by time, as tcp_syn_retries = 6 would with pure backoff (1+2+...+64 = 127 s),
      // so the linear start below adds tries; other segments give up by count.
      if (this.state === 'syn-sent' ? this.now - this.firstSynAt >= SYN_GIVE_UP : this.retries > MAX_RETRIES) return this.end('timeout');
      // Go back to the first unacknowledged segment, as an RTO does.
      this.retransmitHead();
      this.recoverTo = this.sndNxt;
      // Linux 6.5+ (net.ipv4.tcp_syn_linear_timeouts = 4): an unanswered SYN is sent again at the same
      // timeout the first four times, then with exponential backoff: 1, 1, 1, 1, 1, 2, 4, 8 s.
      if (this.state !== 'syn-sent' || this.retries > SYN_LINEAR_TIMEOUTS) this.rto *= 2;
      this.arm();
    });
  }

  private retransmitHead(): void {
    const u = this.unacked[0];
    if (u === undefined) return;
    u.sentAt = -1;
    this.emit(u.flags, u.seq, u.data);
  }

  /** SYN from the client side. */
  connect(): void {
    this.firstSynAt = this.now;
    this.sendTracked(TCP_FLAG_SYN, new Uint8Array(0));
  }

  /** The program gave up (curl --max-time): the socket goes; a connection never opened sends nothing. */
  abort(): void {
    if (this.state === 'syn-sent') this.end('timeout');
    else this.close();
  }

  /** The listener's answer to a SYN. */
  accept(syn: TcpBody): void {
    this.rcvNxt = (syn.seq + 1) >>> 0;
    this.readPeerOptions(syn);
    this.sendTracked(TCP_FLAG_SYN | TCP_FLAG_ACK, new Uint8Array(0));
  }

  send(data: Uint8Array): void {
    const segment = this.segmentSize();
    for (let o = 0; o < data.length; o += segment) {
      const chunk = data.subarray(o, Math.min(data.length, o + segment));
      const last = o + segment >= data.length;
      this.sendTracked(TCP_FLAG_ACK | (last ? TCP_FLAG_PSH : 0), chunk);
    }
  }

  close(): void {
    if (this.finSent || this.state === 'closed') return;
    this.finSent = true;
    this.state = this.finReceived ? 'last-ack' : 'fin-wait';
    this.sendTracked(TCP_FLAG_FIN | TCP_FLAG_ACK, new Uint8Array(0));
  }

  private readPeerOptions(b: TcpBody): void {
    const o = b.options;
    for (let i = 0; i < o.length; ) {
      const kind = o[i];
      if (kind === 0) break;
      if (kind === 1) {
        i++;
        continue;
      }
      const len = o[i + 1];
      if (len < 2) break;
      if (kind === 2 && len === 4) this.peerMss = (o[i + 2] << 8) | o[i + 3];
      if (kind === 8 && len === 10) this.peerTs = ((o[i + 2] << 24) >>> 0) + ((o[i + 3] << 16) | (o[i + 4] << 8) | o[i + 5]);
      i += len;
    }
  }

  private ackNow(): void {
    this.ns.world.sched.after(STACK_COST, () => {
      if (this.state !== 'closed') this.emit(TCP_FLAG_ACK, this.sndNxt, new Uint8Array(0));
    });
  }

  private segment(_pkt: Ipv4Packet, b: TcpBody, _dev: Device): void {
    if (this.state === 'closed') {
      // TIME_WAIT: a retransmitted FIN means our last ACK was lost; send it again.
      if (b.flags & TCP_FLAG_FIN && this.finReceived && this.finSent) this.ns.world.sched.after(STACK_COST, () => this.emit(TCP_FLAG_ACK, this.sndNxt, new Uint8Array(0)));
      return;
    }
    this.readPeerOptions(b);
    if (b.flags & TCP_FLAG_RST) return this.end('reset');
    if (b.flags & TCP_FLAG_ACK) this.acked(b.ack, b.data.length === 0 && (b.flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)) === 0);
    if (this.handshake(b)) return;
    if (b.flags & TCP_FLAG_SYN) {
      // tcp_validate_incoming: a SYN on a synchronised connection gets a challenge ACK (RFC 5961).
      this.ackNow();
      return;
    }
    this.receive(b);
  }

  /** The segment in the handshake states; returns whether it was consumed there. */
  private handshake(b: TcpBody): boolean {
    if (this.state === 'syn-sent') {
      if ((b.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) !== (TCP_FLAG_SYN | TCP_FLAG_ACK)) return true;
      this.rcvNxt = (b.seq + 1) >>> 0;
      this.state = 'established';
      this.ns.world.sched.after(STACK_COST, () => {
        this.emit(TCP_FLAG_ACK, this.sndNxt, new Uint8Array(0));
        this.events.established?.(this);
      });
      return true;
    }
    if (this.state === 'syn-recv') {
      if (b.flags & TCP_FLAG_SYN) {
        // tcp_check_req: the peer's SYN again (sent again, or a copy) is answered with our SYN-ACK again.
        this.ns.world.sched.after(STACK_COST, () => this.state === 'syn-recv' && this.retransmitHead());
        return true;
      }
      if (!(b.flags & TCP_FLAG_ACK) || this.unacked.length > 0) return true;
      this.state = 'established';
      this.events.established?.(this);
    }
    return false;
  }

  /** Data and FIN in sequence, with what waited out of order behind them, then the ACK. */
  private receive(b: TcpBody): void {
    const len = b.data.length;
    if (len === 0 && !(b.flags & TCP_FLAG_FIN)) return;
    if (b.seq !== this.rcvNxt) {
      // Ahead of a hole: kept for later; old: already had. Either way a duplicate ACK says what we expect.
      if (seqAfter(b.seq, this.rcvNxt)) this.outOfOrder.set(b.seq, { data: b.data, fin: (b.flags & TCP_FLAG_FIN) !== 0 });
      this.ackNow();
      return;
    }
    let fin = (b.flags & TCP_FLAG_FIN) !== 0;
    if (len > 0) {
      this.rcvNxt = (this.rcvNxt + len) >>> 0;
      this.events.data?.(this, b.data);
    }
    for (let next = this.outOfOrder.get(this.rcvNxt); next !== undefined && !fin; next = this.outOfOrder.get(this.rcvNxt)) {
      this.outOfOrder.delete(this.rcvNxt);
      this.rcvNxt = (this.rcvNxt + next.data.length) >>> 0;
      if (next.data.length > 0) this.events.data?.(this, next.data);
      fin = next.fin;
    }
    let delay = STACK_COST;
    if (fin) {
      this.rcvNxt = (this.rcvNxt + 1) >>> 0;
      this.finReceived = true;
      if (this.state === 'established') {
        // tcp_fin puts the socket in pingpong mode: the ACK waits, hoping to ride on our own FIN.
        this.state = 'close-wait';
        delay = DELAYED_ACK;
      }
      this.events.fin?.(this);
    }
    // When the application answered at once (data or FIN queued just now), that carries the ACK.
    this.ackUnlessPiggybacked(delay);
  }

  private ackUnlessPiggybacked(delay: number): void {
    const mark = this.sndNxt;
    this.ns.world.sched.after(delay, () => {
      if (this.state === 'closed' && !this.finReceived) return;
      if (this.sndNxt === mark) this.emit(TCP_FLAG_ACK, this.sndNxt, new Uint8Array(0));
      if (this.finSent && this.finReceived && this.unacked.length === 0) this.end('done');
    });
  }

  private acked(ack: number, pure = false): void {
    let progressed = false;
    while (this.unacked.length > 0) {
      const u = this.unacked[0];
      const end = (u.seq + u.len) >>> 0;
      if (seqAfter(end, ack)) break;
      this.unacked.shift();
      progressed = true;
      // The handshake gives the RTT sample (later cumulative ACKs after a loss would overstate it;
      // Linux measures with timestamps, which the model's idle links make equal to the handshake's).
      if (u.sentAt >= 0 && u.flags & TCP_FLAG_SYN) this.baseRto = MIN_RTO + (this.now - u.sentAt);
    }
    // An ACK of new data ends the exponential backoff (icsk_backoff = 0).
    if (progressed) this.rto = this.baseRto;
    if (!progressed) {
      if (pure && ack === this.sndUna && this.unacked.length > 0 && ++this.dupAcks === 3) {
        // Fast retransmit (RFC 5681): three duplicate ACKs name the lost segment.
        this.retransmitHead();
        this.recoverTo = this.sndNxt;
      }
      return;
    }
    this.dupAcks = 0;
    this.sndUna = ack;
    this.retries = 0;
    if (this.recoverTo !== undefined) {
      if (seqAfter(this.recoverTo, ack)) this.retransmitHead();
      else this.recoverTo = undefined;
    }
    this.ns.confirmNeighbour(this.remoteAddr);
    if (this.unacked.length > 0) this.arm();
    else this.timerEpoch++;
    if (this.finSent && this.unacked.length === 0 && (this.state === 'last-ack' || (this.state === 'fin-wait' && this.finReceived))) this.end('done');
    else if (this.finSent && this.finReceived && this.unacked.length === 0) this.end('done');
  }

  private end(reason: 'done' | 'reset' | 'timeout' | 'unreachable'): void {
    if (this.state === 'closed') return;
    // A reset leaves no TIME_WAIT: the tuple is free, and a listener answers the next SYN afresh.
    if (reason === 'reset') this.ns.tcp.delete(tcpKey(this.localAddr, this.localPort, this.remoteAddr, this.remotePort));
    this.state = 'closed';
    this.timerEpoch++;
    // TIME_WAIT keeps the tuple; the model never reuses it, so dropping the socket is enough.
    this.events.closed?.(this, reason);
  }
}

/** Opens a client connection from an ephemeral port; src 0 lets routing choose. */
export function tcpConnect(ns: Namespace, dst: Ip4, dport: number, events: TcpEvents): TcpConnection | undefined {
  const r = ns.route(dst);
  if (r === undefined) return undefined;
  const src = ns.sourceFor(r, dst);
  const sport = ns.ephemeralPort((p) => ns.tcp.has(tcpKey(src, p, dst, dport)) || ns.tcpListeners.has(p));
  const c = new TcpConnection(ns, src, sport, dst, dport, events, 'syn-sent');
  c.connect();
  return c;
}

/** A listening socket on every address of the namespace (or one, when `addr` is given). */
export function tcpListen(ns: Namespace, port: number, addr: Ip4 | undefined, accept: (c: TcpConnection) => TcpEvents): void {
  ns.tcpListeners.set(port, (pkt, b) => {
    if (addr !== undefined && pkt.dst !== addr) return;
    if ((b.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) !== TCP_FLAG_SYN) return;
    const holder: TcpEvents = {};
    const c = new TcpConnection(ns, pkt.dst, b.dport, pkt.src, b.sport, holder, 'syn-recv');
    Object.assign(holder, accept(c));
    c.accept(b);
  });
}

