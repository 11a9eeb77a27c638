/**
 * A TCP endpoint good enough for HTTP/1 over the model: Linux's handshake options, a congestion
 * window (ten segments to start, slow start) that data leaves in GSO super-frames as a Linux socket
 * hands them to its device (what captures on veth and bridges show), immediate ACKs (quickack, as at
 * the start of every Linux connection), FIN teardown, and retransmission on timeout so that a filter
 * dropping a segment shows the retransmission a kernel would send.
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
/** TCP_INIT_CWND (RFC 6928), in segments. */
const INITIAL_CWND = 10;
/**
 * tcp_send_mss's size goal: a GSO packet holds at most GSO_LEGACY_MAX_SIZE less one and
 * MAX_TCP_HEADER (320 bytes on x86-64) of data, in whole segments (the recording's largest is
 * 46 × 1398 = 64308 bytes).
 */
const GSO_SIZE_GOAL = 65536 - 1 - 320;
/** CUBIC's multiplicative decrease (beta 717/1024) when a loss is detected. */
const CUBIC_BETA = 717 / 1024;

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
  /** The segment size the data was cut to: a GSO packet when the data is longer (gso_size). */
  mss: number;
}

/** Data the application wrote that the congestion window has not let out yet. */
interface Unsent {
  data: Uint8Array;
  /** The end of one send(): its last segment carries PSH. */
  push: boolean;
  /** The FIN close() queued behind the data. */
  fin: boolean;
}

/** Segments a packet of `len` data bytes cut to `mss` counts for (tcp_skb_pcount); SYN and FIN count one. */
function segmentCount(len: number, mss: number): number {
  return Math.max(1, Math.ceil(len / mss));
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
  /** The congestion window and slow-start threshold, in segments (snd_cwnd, snd_ssthresh). */
  private cwnd = INITIAL_CWND;
  private ssthresh = Infinity;
  /** ACKed segments not yet worth a whole segment of window in congestion avoidance (snd_cwnd_cnt). */
  private cwndCount = 0;
  private readonly unsent: Unsent[] = [];
  /** The acknowledgment number last sent: a later ACK of nothing new would read as a duplicate. */
  private ackSent: number | undefined;

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
   * tcp_v4_mtu_reduced then tcp_simple_retransmit: every packet still unacknowledged whose segments
   * are now too big was lost at the narrow hop; each goes again at once, cut to the new size (a GSO
   * packet of smaller segments). The window stays: the loss was the path's, not congestion.
   */
  private mtuReduced(): void {
    if (this.state === 'closed') return;
    const size = this.segmentSize();
    const queue = this.unacked.splice(0);
    for (const u of queue) {
      if (u.mss <= size || u.data.length <= size) {
        this.unacked.push(u);
        continue;
      }
      const most = this.gsoBytes(size);
      for (let o = 0; o < u.data.length; o += most) {
        const last = o + most >= u.data.length;
        const data = u.data.subarray(o, Math.min(u.data.length, o + most));
        const piece: Unacked = { seq: (u.seq + o) >>> 0, flags: last ? u.flags : u.flags & ~(TCP_FLAG_PSH | TCP_FLAG_FIN), data, len: data.length + (last && u.flags & TCP_FLAG_FIN ? 1 : 0), sentAt: -1, mss: size };
        this.unacked.push(piece);
        this.emit(piece.flags, piece.seq, piece.data, size);
      }
    }
  }

  /** The most data one GSO packet of `mss`-byte segments holds. */
  private gsoBytes(mss: number): number {
    return Math.max(1, Math.floor(GSO_SIZE_GOAL / mss)) * mss;
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

  private emit(flags: number, seq: number, data: Uint8Array, mss = data.length): void {
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
    if (flags & TCP_FLAG_ACK) this.ackSent = this.rcvNxt;
    const pkt: Ipv4Packet = { src: this.localAddr, dst: this.remoteAddr, ttl: 64, id, df: true, tos: 0, body };
    // A GSO packet counts one IP id per segment it will become (tcp_gso_segment numbers them on).
    if (data.length > mss) {
      pkt.gsoSegment = IPV4_MIN_HEADER_LENGTH + TCP_HEADER_LENGTH + options.length + mss;
      this.ipId += segmentCount(data.length, mss) - 1;
    }
    if (!this.ns.output(pkt) && this.state === 'syn-sent') this.end('unreachable');
  }

  private sendTracked(flags: number, data: Uint8Array, mss = data.length): void {
    const len = data.length + (flags & (TCP_FLAG_SYN | TCP_FLAG_FIN) ? 1 : 0);
    const seq = this.sndNxt;
    this.unacked.push({ seq, flags, data, len, sentAt: this.now, mss });
    this.sndNxt = (this.sndNxt + len) >>> 0;
    this.emit(flags, seq, data, mss);
    if (this.unacked.length === 1) this.arm();
  }

  /** Segments in flight (packets_out): what the congestion window is measured against. */
  private inFlight(): number {
    let n = 0;
    for (const u of this.unacked) n += segmentCount(u.data.length, u.mss);
    return n;
  }

  /**
   * tcp_write_xmit: while the window has room, the queued data leaves in GSO packets of whole
   * segments, each at most half the window (tcp_cwnd_test) and the size goal; the FIN follows the data.
   */
  private transmitQueued(): void {
    const mss = this.segmentSize();
    while (this.unsent.length > 0 && this.state !== 'closed') {
      const room = Math.min(Math.max(1, Math.floor(this.cwnd / 2)), this.cwnd - this.inFlight());
      if (room <= 0) return;
      const head = this.unsent[0];
      if (head.data.length === 0) {
        this.unsent.shift();
        if (head.fin) this.sendTracked(TCP_FLAG_FIN | TCP_FLAG_ACK, head.data);
        continue;
      }
      const most = Math.min(room * mss, this.gsoBytes(mss));
      const take = Math.min(most, head.data.length);
      const data = head.data.subarray(0, take);
      const whole = take === head.data.length;
      if (whole) this.unsent.shift();
      else head.data = head.data.subarray(take);
      this.sendTracked(TCP_FLAG_ACK | (whole && head.push ? TCP_FLAG_PSH : 0) | (whole && head.fin ? TCP_FLAG_FIN : 0), data, mss);
    }
  }

  private arm(): void {
    const epoch = ++this.timerEpoch;
    this.ns.world.sched.after(this.rto, () => {
      if (epoch !== this.timerEpoch || this.unacked.length === 0 || this.state === 'closed') return;
      ++this.retries;
      // A SYN gives up by time, as tcp_syn_retries = 6 would with pure backoff (1+2+...+64 = 127 s),
      // so the linear start below adds tries; other segments give up by count.
      if (this.state === 'syn-sent' ? this.now - this.firstSynAt >= SYN_GIVE_UP : this.retries > MAX_RETRIES) return this.end('timeout');
      // tcp_enter_loss: the window closes to one segment and slow start begins again.
      if (this.retries === 1) this.ssthresh = this.reducedWindow();
      this.cwnd = 1;
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
    this.emit(u.flags, u.seq, u.data, u.mss);
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
    if (data.length === 0) return;
    this.unsent.push({ data, push: true, fin: false });
    this.transmitQueued();
  }

  close(): void {
    if (this.finSent || this.state === 'closed') return;
    this.finSent = true;
    this.state = this.finReceived ? 'last-ack' : 'fin-wait';
    // tcp_send_fin: data still waiting for the window takes the FIN on its last packet.
    const tail = this.unsent.at(-1);
    if (tail !== undefined && tail.data.length > 0) tail.fin = true;
    else this.unsent.push({ data: new Uint8Array(0), push: false, fin: true });
    this.transmitQueued();
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
      // Packets that arrived together are acknowledged together: the ACK already sent for the first
      // covers the rest (three of the same would be taken for duplicates and fire a fast retransmit).
      if (this.sndNxt === mark && this.ackSent !== this.rcvNxt) this.emit(TCP_FLAG_ACK, this.sndNxt, new Uint8Array(0));
      if (this.finSent && this.finReceived && this.allAcked()) this.end('done');
    });
  }

  /** Everything written, FIN included, has left and been acknowledged. */
  private allAcked(): boolean {
    return this.unacked.length === 0 && this.unsent.length === 0;
  }

  /** The slow-start threshold after a loss (CUBIC's tcp_recalc_ssthresh). */
  private reducedWindow(): number {
    return Math.max(2, Math.floor(this.cwnd * CUBIC_BETA));
  }

  /** tcp_cong_avoid: slow start doubles the window each round trip, then it grows a segment a round trip. */
  private growWindow(segments: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += segments;
      return;
    }
    this.cwndCount += segments;
    if (this.cwndCount >= this.cwnd) {
      this.cwndCount -= this.cwnd;
      this.cwnd++;
    }
  }

  private acked(ack: number, pure = false): void {
    let progressed = false;
    let segments = 0;
    while (this.unacked.length > 0) {
      const u = this.unacked[0];
      const end = (u.seq + u.len) >>> 0;
      if (seqAfter(end, ack)) break;
      this.unacked.shift();
      progressed = true;
      if (u.data.length > 0) segments += segmentCount(u.data.length, u.mss);
      // The handshake gives the RTT sample (later cumulative ACKs after a loss would overstate it;
      // Linux measures with timestamps, which the model's idle links make equal to the handshake's).
      if (u.sentAt >= 0 && u.flags & TCP_FLAG_SYN) this.baseRto = MIN_RTO + (this.now - u.sentAt);
    }
    // An ACK of new data ends the exponential backoff (icsk_backoff = 0).
    if (progressed) this.rto = this.baseRto;
    if (!progressed) {
      if (pure && ack === this.sndUna && this.unacked.length > 0 && ++this.dupAcks === 3) {
        // Fast retransmit (RFC 5681): three duplicate ACKs name the lost segment.
        this.ssthresh = this.reducedWindow();
        this.cwnd = this.ssthresh;
        this.retransmitHead();
        this.recoverTo = this.sndNxt;
      }
      return;
    }
    this.dupAcks = 0;
    this.sndUna = ack;
    this.retries = 0;
    this.growWindow(segments);
    if (this.recoverTo !== undefined) {
      if (seqAfter(this.recoverTo, ack)) this.retransmitHead();
      else this.recoverTo = undefined;
    }
    this.ns.confirmNeighbour(this.remoteAddr);
    this.transmitQueued();
    if (this.unacked.length > 0) this.arm();
    else this.timerEpoch++;
    if (this.finSent && this.finReceived && this.allAcked()) this.end('done');
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

