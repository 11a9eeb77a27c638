import type { Observation, ObservationDetail, OuterPacket } from './observation.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './observation.js';
import type { ConnState, Flow, NatRewrite, Step, Translation } from './model.js';
import { endpoint, isLoopbackAddress } from './endpoint.js';
import { communityId } from './community-id.js';
import { TupleKeys } from './tuple-keys.js';
import { addressBytes } from './address-bytes.js';
import type { JourneyWork } from './journey-work.js';
import { formatEpochNs } from '../capture/frame.js';
import { withItem } from './lists.js';
import { PROXY_WINDOW_NS, ProxyMatcher } from './proxies.js';
import { sameAddresses } from './steps.js';

type FlowProtocol = Flow['protocol'];

function protocolOf(o: Pick<Observation, 'kind'>): FlowProtocol {
  if (o.kind === 'tcp' || o.kind === 'udp' || o.kind === 'icmp' || o.kind === 'icmpv6') return o.kind;
  return 'other';
}

/** What a flow is made from: its first packet (a journey's first hop, or a tunnel's outer packet). */
type FirstPacket = Pick<Observation, 'src' | 'dst' | 'sport' | 'dport' | 'proto' | 'kind' | 't' | 'tsSec' | 'tsNsec' | 'detail'>;

function sameOuter(a: OuterPacket, b: OuterPacket): boolean {
  return a.src === b.src && a.dst === b.dst && a.sport === b.sport && a.dport === b.dport;
}

/** One end of a tuple: an address and its port, if it has one. */
interface End {
  addr: string;
  port?: number;
}

/** Adds a letter to a flow's history (Zeek's: upper case from the client), once. */
function mark(fw: FlowWork, letter: string, forward: boolean): void {
  const l = forward ? letter.toUpperCase() : letter;
  if (!fw.history.includes(l)) fw.history += l;
}

function hasSide(sides: readonly FlowSide[], key: number): boolean {
  for (let i = 0; i < sides.length; i++) if (sides[i].key === key) return true;
  return false;
}

function isAmong(ends: readonly End[], addr: string, port: number | undefined): boolean {
  for (let i = 0; i < ends.length; i++) if (ends[i].addr === addr && ends[i].port === port) return true;
  return false;
}

interface FlowWork {
  flow: Flow;
  /**
   * Source endpoints of the client's side, before and after every translation: a few at most, so a
   * list, where a Set per flow cost a port scan's half a million flows a hash table each.
   */
  clientSides: End[];
  history: string;
  /**
   * Segments that carried sequence space, in two generations (see SEEN_GENERATION); made with the
   * first such segment, as most flows (DNS, ICMP, a refused SYN) never have one.
   */
  seen: Set<number> | undefined;
  seenBefore?: Set<number>;
  /**
   * The tuple of each interface the flow was seen on, one per tuple key (see FlowSide): one or two
   * almost always, so a list, where a Map per flow cost every open flow a hash table.
   */
  sides: FlowSide[];
  /** TCP payload bytes each way, retransmissions left out: what a proxy carries across. */
  c2s: number;
  s2c: number;
  firstNs: number;
  /** The server side is local to the host (loopback, or a host address the flow was seen to end at). */
  serverLocal: boolean;
  /** The tuple keys that find this flow. */
  keys: number[];
  /** When its last journey was first seen (run nanoseconds). */
  lastNs: number;
  /** In `parked` rather than `active`. */
  parked: boolean;
  /** The time of the last hop of its last journey: `lastTs`, written when the flow finishes. */
  lastSec: number;
  lastNsec: number;
}

/**
 * A hop's tuple, kept as it was seen: its Community ID and text are made only if the flow ends with
 * more than one side, the only time they are written, where most flows (a DNS query, a connection
 * not translated) have one.
 */
interface FlowSide {
  /** Its tuple key (TupleKeys). */
  key: number;
  interface: string;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpId?: number;
  proto: number;
  icmpType?: number;
  icmpCode?: number;
  /** Seen from the client's side (the Community ID of a one-way ICMP type depends on it). */
  forward: boolean;
}

/**
 * Segments remembered per flow for retransmissions: the last one to two generations of this many.
 * A sender retransmits within its window, which is far fewer segments than this, so nothing is
 * missed, and a long transfer does not grow the flow table without bound.
 */
const SEEN_GENERATION = 8192;

export interface FlowOptions {
  communityIdSeed: number;
  /**
   * Finish flows that have gone quiet, as conntrack forgets them: a TCP connection closed (FIN both
   * ways, or a reset) after 10 s, anything else but an established TCP connection after 30 s; a
   * packet of the same tuple after that starts a new flow, as it makes a new conntrack entry. Off,
   * every flow lasts to the end of the captures.
   */
  expireIdle?: boolean;
  /** How many tuple sides are numbered before the open flows' are numbered afresh (default: MIN_SIDES, then twice the open flows'). */
  maxSides?: number;
}

/** conntrack's timeouts for a closed TCP connection (CLOSE) and for unreplied UDP and ICMP. */
const CLOSED_IDLE_NS = 10_000_000_000;
const QUIET_IDLE_NS = 30_000_000_000;
/** How far before a journey's first sighting a later journey's first hop may lie (see settleProxies). */
const PROXY_SLACK_NS = 10_000_000_000;
/** How often, in capture time, quiet flows are looked for. */
const SWEEP_NS = 1_000_000_000;

/**
 * Joins journeys into flows: both directions, and both sides of every translation, because each
 * journey carries the tuple of every hop it crossed (inside and outside of a NAT alike). A flow is
 * handed to `onFinish` when it has gone quiet (FlowOptions.expireIdle) or at the end; flows are
 * numbered in order of first sighting, and finish in any order.
 */
/**
 * Past this many numbered tuple sides, or twice as many as the open flows had when the numbers last
 * started again, they start again from the flows still open: the table follows the open flows
 * rather than filling, on long captures only, up to a fixed cap (memory that grew with the length).
 */
const MIN_SIDES = 1 << 14;
/** Below the TupleKeys limit, so that two sides still make one exact key. */
const MAX_SIDES = 1 << 24;

export class FlowBuilder {
  private readonly tuples = new TupleKeys();
  /** Sides numbered before the numbers start again (MIN_SIDES). */
  private sideLimit: number;
  private readonly byKey = new Map<number, FlowWork>();
  /** Flows not finished, least recently active first (re-inserted on every journey). */
  private readonly active = new Map<number, FlowWork>();
  /** Established TCP connections gone quiet: they live until the end, or until they speak again. */
  private readonly parked = new Map<number, FlowWork>();
  /** The flow last made most recently active: the last entry of `active`, unless it left it. */
  private newest: FlowWork | undefined;
  private readonly proxies = new ProxyMatcher();
  private nextProxySettle = -Infinity;
  private nextId = 1;
  private nextSweep = -Infinity;

  constructor(
    private readonly options: FlowOptions,
    private readonly onFinish: (flow: Flow) => void,
  ) {
    this.sideLimit = options.maxSides ?? MIN_SIDES;
  }

  add(w: JourneyWork): void {
    const first = w.hops[0];
    if (first.family === 0) return;
    if (this.options.expireIdle && first.t >= this.nextSweep) {
      this.nextSweep = first.t + SWEEP_NS;
      this.expire(first.t);
    }
    if (this.options.expireIdle) this.settleProxies(w);
    if (this.tuples.size > this.sideLimit) {
      this.renumber();
      if (this.options.maxSides === undefined) this.sideLimit = Math.min(MAX_SIDES, Math.max(MIN_SIDES, 2 * this.tuples.size));
    }
    // Bridged copies of a packet carry the same tuple: its key is looked up once.
    const keys: number[] = new Array<number>(w.hops.length);
    for (let i = 0; i < w.hops.length; i++) {
      const h = w.hops[i];
      const p = i > 0 ? w.hops[i - 1] : undefined;
      keys[i] = p && sameAddresses(p, h) ? keys[i - 1] : this.tuples.key(h, h.detail?.icmpId);
    }
    let fw: FlowWork | undefined;
    for (const k of keys) {
      fw = this.byKey.get(k);
      if (fw) break;
    }
    // Quiet for longer than its timeout since the last sweep: this packet makes a new entry.
    if (fw && this.options.expireIdle && this.expiry(fw, first.t) === 'finish') {
      this.active.delete(fw.flow.id);
      this.finishFlow(fw);
      fw = undefined;
    }
    if (!fw) fw = this.create(w);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if ((i > 0 && k === keys[i - 1]) || this.byKey.has(k)) continue;
      this.byKey.set(k, fw);
      fw.keys = withItem(fw.keys, k);
    }
    this.account(fw, w, keys);
    // Made the most recently active: already so for the next packet of a busy connection.
    if (fw !== this.newest) {
      const id = fw.flow.id;
      if (fw.parked) {
        this.parked.delete(id);
        fw.parked = false;
      }
      this.active.delete(id);
      this.active.set(id, fw);
      this.newest = fw;
    }
    if (first.t > fw.lastNs) fw.lastNs = first.t;
    for (let i = 0; i < w.hops.length; i++) {
      const outer = w.hops[i].detail?.outer;
      if (outer === undefined) continue;
      // The outer packet on both ends of the wire is one packet of the tunnel's flow, seen on both.
      const before = i > 0 ? w.hops[i - 1].detail?.outer : undefined;
      this.tunnel(fw, w.hops[i], outer, before === undefined || !sameOuter(before, outer));
    }
  }

  /**
   * The outer UDP conversation of a tunnel: a flow of its own with `tunnel`, counted by its outer
   * packets; the flow inside names the one that carried its first packet.
   */
  private tunnel(inner: FlowWork, h: Observation, outer: OuterPacket, newPacket: boolean): void {
    const vni = h.detail?.vni ?? 0;
    inner.flow.tunnel ??= { type: outer.type, vni };
    const tuple = { src: outer.src, dst: outer.dst, sport: outer.sport, dport: outer.dport, proto: 17 };
    const key = this.tuples.key(tuple, undefined);
    let fw = this.byKey.get(key);
    if (!fw) {
      fw = this.createFlow({ ...tuple, kind: 'udp', detail: undefined, t: h.t, tsSec: h.tsSec, tsNsec: h.tsNsec }, false);
      fw.flow.tunnel = { type: outer.type, vni };
      this.byKey.set(key, fw);
      fw.keys = withItem(fw.keys, key);
      fw.sides = withItem(fw.sides, { key, interface: h.iface, src: outer.src, dst: outer.dst, sport: outer.sport, dport: outer.dport, proto: 17, forward: true });
    }
    inner.flow.tunnel.flow ??= fw.flow.id;
    const f = fw.flow;
    if (newPacket) {
      f.packets++;
      f.bytes += outer.length;
    }
    if (!f.interfaces.includes(h.iface)) f.interfaces = withItem(f.interfaces, h.iface);
    fw.lastSec = h.tsSec;
    fw.lastNsec = h.tsNsec;
    if (h.t > fw.lastNs) fw.lastNs = h.t;
    this.active.delete(f.id);
    this.active.set(f.id, fw);
    if (fw.parked) {
      this.parked.delete(f.id);
      fw.parked = false;
    }
  }

  /**
   * Numbers the tuple sides of the open flows afresh: the sides of flows long finished are
   * forgotten, so the table stays bounded by the open flows however many come and go.
   */
  private renumber(): void {
    this.tuples.clear();
    this.byKey.clear();
    const open = [...this.active.values(), ...this.parked.values()].sort((a, b) => a.flow.id - b.flow.id);
    for (const fw of open) {
      fw.keys = [];
      for (const side of fw.sides) {
        const k = this.tuples.key(side, side.icmpId);
        side.key = k;
        if (this.byKey.has(k)) continue;
        this.byKey.set(k, fw);
        fw.keys = withItem(fw.keys, k);
      }
    }
  }

  /** What conntrack would have done with a flow by `nowNs`: forgotten it, kept it quietly, or neither yet. */
  private expiry(fw: FlowWork, nowNs: number): 'finish' | 'park' | undefined {
    const idle = nowNs - fw.lastNs;
    if (idle < CLOSED_IDLE_NS) return undefined;
    const h = fw.history;
    const closed = wasReset(h) || closedBothWays(h);
    if (fw.flow.protocol === 'tcp' && !closed && h.includes('h')) return 'park';
    return closed || idle >= QUIET_IDLE_NS ? 'finish' : undefined;
  }

  /** Finishes the flows quiet for long enough before `nowNs`. */
  private expire(nowNs: number): void {
    for (const [id, fw] of this.active) {
      // Least recently active first: the first one too recent for the shortest timeout ends the sweep.
      if (nowNs - fw.lastNs < CLOSED_IDLE_NS) break;
      const what = this.expiry(fw, nowNs);
      if (what === 'park') {
        this.active.delete(id);
        this.parked.set(id, fw);
        fw.parked = true;
        if (fw === this.newest) this.newest = undefined;
      } else if (what === 'finish') {
        this.active.delete(id);
        this.finishFlow(fw);
      }
    }
  }

  private finishFlow(fw: FlowWork): void {
    if (fw === this.newest) this.newest = undefined;
    const f = fw.flow;
    f.lastTs = formatEpochNs({ tsSec: fw.lastSec, tsNsec: fw.lastNsec });
    if (f.protocol === 'tcp') {
      // Set here, where a finished batch set it, so that documents keep their key order; the value
      // comes with the proxy match at the end.
      f.proxyOf = undefined;
      f.history = fw.history;
      f.state = connState(fw.history);
    }
    if (fw.sides.length > 1) f.communityIds = fw.sides.flatMap((side) => this.sideIds(side) ?? []);
    for (const k of fw.keys) if (this.byKey.get(k) === fw) this.byKey.delete(k);
    // Only a TCP flow that carried data can be either side of a proxy (see matchProxies).
    if (f.protocol === 'tcp' && fw.c2s > 0) this.proxies.add({ id: f.id, c2s: fw.c2s, s2c: fw.s2c, firstNs: fw.firstNs, serverLocal: fw.serverLocal, tcp: true });
    this.onFinish(f);
  }

  private sideIds(side: FlowSide): { interface: string; tuple: string; communityId: string } | undefined {
    const id = clientFirstCommunityId(side, side, side.forward, this.options.communityIdSeed);
    if (id === undefined) return undefined;
    return { interface: side.interface, tuple: `${endpoint(side.src, side.sport)} > ${endpoint(side.dst, side.dport)}`, communityId: id };
  }

  private create(w: JourneyWork): FlowWork {
    // A flow first seen by its answer (capture started late): the client is the answer's destination.
    return this.createFlow(w.hops[0], w.journey.isReply === true);
  }

  private createFlow(first: FirstPacket, reversed: boolean): FlowWork {
    const client = reversed ? endpoint(first.dst, first.dport) : endpoint(first.src, first.sport);
    const server = reversed ? endpoint(first.src, first.sport) : endpoint(first.dst, first.dport);
    const flow: Flow = {
      id: this.nextId++,
      protocol: protocolOf(first),
      client,
      server,
      translations: [],
      packets: 0,
      bytes: 0,
      interfaces: [],
      communityId: '',
      firstTs: formatEpochNs(first),
    };
    const icmpId = first.detail?.icmpId;
    if (icmpId !== undefined) flow.icmpId = icmpId;
    // Set now, where the JSON has it; its value is the last journey's, written at the end.
    flow.lastTs = flow.firstTs;
    const fw: FlowWork = {
      flow,
      clientSides: [reversed ? { addr: first.dst, port: first.dport } : { addr: first.src, port: first.sport }],
      history: '',
      seen: undefined,
      sides: [],
      c2s: 0,
      s2c: 0,
      firstNs: first.t,
      serverLocal: false,
      keys: [],
      lastNs: first.t,
      parked: false,
      lastSec: first.tsSec,
      lastNsec: first.tsNsec,
    };
    flow.communityId = clientFirstCommunityId(first, first.detail, !reversed, this.options.communityIdSeed) ?? '';
    return fw;
  }

  private account(fw: FlowWork, w: JourneyWork, keys: number[]): void {
    const { flow } = fw;
    const first = w.hops[0];
    w.journey.flow = flow.id;
    flow.packets++;
    flow.bytes += first.length;
    const last = w.hops[w.hops.length - 1];
    fw.lastSec = last.tsSec;
    fw.lastNsec = last.tsNsec;
    for (const h of w.hops) if (!flow.interfaces.includes(h.iface)) flow.interfaces = withItem(flow.interfaces, h.iface);

    // From the client when any hop's source is a side of the client's: then every hop's source is.
    let forward = false;
    for (let i = 0; i < w.hops.length && !forward; i++) forward = isAmong(fw.clientSides, w.hops[i].src, w.hops[i].sport);
    if (forward) {
      for (const h of w.hops) if (!isAmong(fw.clientSides, h.src, h.sport)) fw.clientSides = withItem(fw.clientSides, { addr: h.src, port: h.sport });
    }

    for (const step of w.journey.steps) {
      if (step.nat) addTranslation(flow, step, step.nat);
      if (step.natAlso) addTranslation(flow, step, step.natAlso);
    }

    for (let i = 0; i < w.hops.length; i++) {
      const h = w.hops[i];
      if (h.family === 0) continue;
      const canonical = keys[i];
      if (hasSide(fw.sides, canonical)) continue;
      fw.sides = withItem(fw.sides, {
        key: canonical,
        interface: h.iface,
        src: h.src,
        dst: h.dst,
        sport: h.sport,
        dport: h.dport,
        icmpId: h.detail?.icmpId,
        proto: h.proto,
        icmpType: h.detail?.icmpType,
        icmpCode: h.detail?.icmpCode,
        forward,
      });
    }

    if (first.kind === 'tcp') this.tcp(fw, w, forward);
    if (forward && w.journey.steps.some((st) => st.kind === 'local')) fw.serverLocal = true;
    if (isLoopbackAddress(first.dst)) fw.serverLocal = true;
  }

  private tcp(fw: FlowWork, w: JourneyWork, forward: boolean): void {
    const o = w.hops[0];
    const f = o.tcpFlags ?? 0;
    if ((f & (TCP_SYN | TCP_ACK)) === TCP_SYN) mark(fw, 's', forward);
    else if ((f & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) mark(fw, 'h', forward);
    else if (f & TCP_ACK && o.payloadLen === 0) mark(fw, 'a', forward);
    if (o.payloadLen > 0) mark(fw, 'd', forward);
    if (f & TCP_FIN) mark(fw, 'f', forward);
    if (f & TCP_RST) mark(fw, 'r', forward);

    // A segment that carries sequence space (data, SYN or FIN) seen again in the same direction is
    // sent again: a true retransmission. Copies on other interfaces joined this journey instead.
    if (o.payloadLen > 0 || f & (TCP_SYN | TCP_FIN)) {
      // Sequence number (32 bits), length (16), SYN and FIN (2) and direction (1): one exact number
      // below 2^53, where a string key per segment cost a busy capture hundreds of megabytes.
      const key = ((o.seq ?? 0) * 65536 + (o.payloadLen & 0xffff)) * 8 + (f & TCP_SYN ? 4 : 0) + (f & TCP_FIN ? 2 : 0) + (forward ? 1 : 0);
      if (fw.seen?.has(key) === true || fw.seenBefore?.has(key) === true) {
        // The answer to a request the host delivered twice is sent again, but nothing was lost.
        if (!w.journey.answersCopy) {
          w.journey.retransmission = true;
          fw.flow.retransmissions = (fw.flow.retransmissions ?? 0) + 1;
        }
      } else {
        fw.seen ??= new Set();
        fw.seen.add(key);
        if (fw.seen.size >= SEEN_GENERATION) {
          fw.seenBefore = fw.seen;
          fw.seen = new Set();
        }
        if (forward) fw.c2s += o.payloadLen;
        else fw.s2c += o.payloadLen;
      }
    }
  }

  /**
   * Finishes every flow still open (in order of id), and returns the userland proxies: pairs of
   * flow ids, each naming the other as `proxyOf`.
   */
  finish(): [number, number][] {
    const open = [...this.active.values(), ...this.parked.values()].sort((a, b) => a.flow.id - b.flow.id);
    this.active.clear();
    this.parked.clear();
    for (const fw of open) this.finishFlow(fw);
    return this.proxies.finish();
  }

  /**
   * Lets the proxy match forget the finished flows nothing to come can pair with. Flows yet to be
   * made start no earlier than the first sighting of the journey being added (journeys come in that
   * order), less PROXY_SLACK_NS for captures whose frames are not quite in time order; the open
   * ones are asked.
   */
  private settleProxies(w: JourneyWork): void {
    let floor = Infinity;
    for (const h of w.hops) if (h.t < floor) floor = h.t;
    if (floor < this.nextProxySettle) return;
    this.nextProxySettle = floor + PROXY_WINDOW_NS;
    const open: number[] = [];
    for (const fw of this.active.values()) if (fw.flow.protocol === 'tcp') open.push(fw.firstNs);
    for (const fw of this.parked.values()) if (fw.flow.protocol === 'tcp') open.push(fw.firstNs);
    this.proxies.settle(floor - PROXY_SLACK_NS, Float64Array.from(open).sort());
  }
}

/** A flow's translations name each rewrite once, whichever way its packet went. */
function addTranslation(flow: Flow, step: Step, nat: NatRewrite): void {
  // Source NAT happens on the way out of an interface, destination NAT on the way in.
  const t: Translation = { type: nat.type, interface: nat.type === 'dnat' ? step.from : step.to, before: nat.before, after: nat.after };
  const known = flow.translations.some((x) => (x.before === t.before && x.after === t.after) || (x.before === t.after && x.after === t.before));
  if (!known) flow.translations = withItem(flow.translations, t);
}

/**
 * The Community ID of a tuple as its client sent it: `fromClient` when the tuple's source is the
 * client's side, otherwise its ends are swapped first. Undefined for addresses that are not IP.
 */
function clientFirstCommunityId(t: Pick<Observation, 'src' | 'dst' | 'sport' | 'dport' | 'proto'>, icmp: IcmpKind | undefined, fromClient: boolean, seed: number): string | undefined {
  const src = addressBytes(t.src);
  const dst = addressBytes(t.dst);
  if (!src || !dst) return undefined;
  const [s, d, sp, dp] = fromClient ? [src, dst, t.sport, t.dport] : [dst, src, t.dport, t.sport];
  return communityId({ proto: t.proto, saddr: s, daddr: d, ...icmpPorts(icmp, sp, dp) }, seed);
}

/** An ICMP message's type and code: an observation's detail, or a flow side's. */
type IcmpKind = Pick<ObservationDetail, 'icmpType' | 'icmpCode'>;

function icmpPorts(o: IcmpKind | undefined, sport?: number, dport?: number): { sport?: number; dport?: number } {
  // Community ID hashes ICMP by type and code, not by the echo identifier.
  if (o?.icmpType !== undefined) return { sport: o.icmpType, dport: o.icmpCode ?? 0 };
  return { sport, dport };
}

/** A reset either way ends a connection (Zeek-style history: upper case client, lower case server). */
function wasReset(history: string): boolean {
  return history.includes('R') || history.includes('r');
}

/** A FIN each way closes it. */
function closedBothWays(history: string): boolean {
  return history.includes('F') && history.includes('f');
}

/**
 * Zeek's conn_state of a TCP connection from its history, as Zeek's base/protocols/conn/main.zeek
 * decides it from the two endpoints' states: an endpoint that never sent its SYN (the client) or
 * SYN-ACK (the server) counts as inactive, as Zeek counts TCP_PARTIAL.
 */
export function connState(history: string): ConnState {
  const has = (c: string): boolean => history.includes(c);
  const clientInactive = !has('S');
  const serverInactive = !has('h');
  if (has('r')) {
    if ((has('S') && serverInactive) || (has('R') && !has('D') && !has('d'))) return 'REJ';
    return clientInactive ? 'RSTRH' : 'RSTR';
  }
  if (has('R')) {
    // A SYN then the client's own reset, nothing of the client's in between: the attempt it abandoned.
    if (serverInactive) return /^\^?S[^HAFGIQ]*R/.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (closedBothWays(history)) return 'SF';
  if (has('F')) return serverInactive ? 'SH' : 'S2';
  if (has('f')) return clientInactive ? 'SHR' : 'S3';
  if (has('S') && !/[a-z]/.test(history)) return 'S0';
  if (has('S') && has('h')) return 'S1';
  return 'OTH';
}
