/**
 * Packets too big for the interface they had to leave by (DESIGN.md "Several hosts, tunnels and
 * MTU"). Current kernels answer one with ICMP fragmentation-needed (IPv6: packet-too-big) naming the
 * MTU, and quote it: the answer ties to the journey it answers, which died where it met the MTU.
 * What the sender did next says whether path-MTU discovery worked: its later data got through in
 * smaller packets, or it went on sending what cannot pass (a black hole).
 *
 * Without an answer, an MTU known otherwise still explains a journey that did not get through: one
 * from `--topology` (`ip -j link`), or a tunnel device's (50 bytes under its underlay's MTU, 1500
 * assumed when no topology tells it). A packet larger than an MTU is never enough by itself: veth and
 * tunnel captures hold GSO packets far larger than any MTU, which the kernel cuts up later. Only a
 * journey that ended at the interface it had to leave by is dropped for it: last seen on a tunnel
 * device and never on its underlay, or last seen where the same direction of its flow went on to an
 * interface whose MTU it exceeds, while it fitted the MTU where it was seen (so it was no GSO packet).
 */
import type { Finding, Flow } from './model.js';
import type { Topology } from './topology.js';
import { tooBigKey, type Observation } from './observation.js';
import type { JourneyWork } from './journey-work.js';
import { endpoint } from './endpoint.js';
import { plural } from './plural.js';
import { MAX_IDS } from './findings.js';
import { localInterfaceName } from './hosts.js';
import { TUNNEL_OVERHEAD } from '../decode/vxlan.js';

/** A flow's packets that met an MTU, and what came after. */
interface TooBig {
  /** Where the answer came from: the interface whose MTU it was. */
  iface: string;
  mtu: number;
  /** Where the MTU came from when no answer named it (undefined: the answer did). */
  mtuSource?: string;
  /** The sender's side of the flow (`ip:port`): its later packets are what it did next. */
  sender: { addr: string; port?: number };
  /** The packets that met the MTU, and the first MAX_IDS of their journeys (as every finding keeps). */
  count: number;
  ids: number[];
  largest: number;
  /** Later data from the sender that crossed. */
  crossedAfter: number;
}

/** The underlay MTU assumed when nothing tells it: Ethernet's. */
const ASSUMED_UNDERLAY_MTU = 1500;

interface KnownMtu {
  mtu: number;
  /** How it is known, for the finding. */
  source: string;
}

export class MtuCollector {
  /** Too-big answers admitted, by the key of the packet they quote, until the answer is finished. */
  private readonly answers = new Map<string, JourneyWork>();
  /** By flow, then whether an answer named the MTU (`a`) or not (`s`). */
  private readonly byFlow = new Map<string, TooBig>();
  private readonly done: Finding[] = [];
  /** Tunnel device -> its underlay, from the encapsulated and decapsulated steps seen so far. */
  private readonly tunnels = new Map<string, string>();
  /** By flow: where a sender's packets went after an interface (`src:port|iface` -> next interface). */
  private readonly nextHops = new Map<number, Map<string, string>>();

  constructor(private readonly topology?: Pick<Topology, 'mtus' | 'kinds'>) {}

  /** Call as journeys are admitted (in order of first sighting): an answer waits for its packet. */
  admit(w: JourneyWork): void {
    const q = w.hops[0].detail?.quoted;
    if (w.hops[0].detail?.mtu !== undefined && q !== undefined) this.answers.set(q, w);
  }

  /**
   * Call before `w`'s fate is decided: the answer that quotes it, if any. Its packet is finished
   * first (ids go by first sighting), so the answer is still waiting here.
   */
  answerTo(w: JourneyWork): JourneyWork | undefined {
    if (this.answers.size === 0) return undefined;
    for (const h of w.hops) {
      const a = this.answers.get(tooBigKey(h.src, h.sport, h.dst, h.dport, h.seq));
      if (a !== undefined && a !== w) return a;
    }
    return undefined;
  }

  /** `w` died of the MTU `answer` named: dropped, with the answer tied to it. */
  tooBig(w: JourneyWork, answer: JourneyWork): void {
    answer.journey.isReply = true;
    answer.journey.answerOf = w.journey.id;
    this.died(w, answer.hops[0].iface, { mtu: answer.hops[0].detail!.mtu!, source: '' });
  }

  /**
   * Call once `w`'s fate is decided, when no answer quotes it: whether it ended where it had to
   * leave by an interface whose known MTU it exceeds (then it is dropped for it, and true).
   */
  unansweredTooBig(w: JourneyWork): boolean {
    const j = w.journey;
    const last = w.hops.at(-1);
    if ((j.fate !== 'unknown' && j.fate !== 'dropped') || last === undefined || last.length === 0 || last.kind === 'arp') return false;
    const arrived = j.steps.at(-1)?.kind === 'decapsulated';
    if (this.isTunnel(last.iface) && !arrived) {
      const known = this.mtuOf(last.iface);
      if (known === undefined || last.length <= known.mtu) return false;
      this.died(w, last.iface, known);
      return true;
    }
    const next = j.flow === undefined ? undefined : this.nextHops.get(j.flow)?.get(`${last.src}:${last.sport}|${last.iface}`);
    if (next === undefined) return false;
    const known = this.mtuOf(next);
    const here = this.mtuOf(last.iface);
    if (known === undefined || here === undefined || last.length <= known.mtu || last.length > here.mtu) return false;
    this.died(w, next, known);
    return true;
  }

  private died(w: JourneyWork, iface: string, known: KnownMtu): void {
    const j = w.journey;
    j.fate = 'dropped';
    j.reason = 'mtu';
    if (j.flow === undefined) return;
    const first = w.hops[0];
    const key = `${j.flow}/${known.source === '' ? 'a' : 's'}`;
    let t = this.byFlow.get(key);
    if (!t) {
      t = { iface, mtu: known.mtu, mtuSource: known.source === '' ? undefined : known.source, sender: { addr: first.src, port: first.sport }, count: 0, ids: [], largest: 0, crossedAfter: 0 };
      this.byFlow.set(key, t);
    }
    t.count++;
    if (t.ids.length < MAX_IDS) t.ids.push(j.id);
    t.largest = Math.max(t.largest, first.length);
  }

  private isTunnel(iface: string): boolean {
    const kind = this.topology?.kinds.get(iface) ?? this.topology?.kinds.get(localInterfaceName(iface));
    return this.tunnels.has(iface) || kind === 'vxlan' || kind === 'geneve';
  }

  /** The interface's MTU as topology tells it, or a tunnel device's from its underlay's. */
  private mtuOf(iface: string): KnownMtu | undefined {
    const given = this.topologyMtu(iface);
    if (given !== undefined) return { mtu: given, source: 'from the topology given' };
    if (!this.isTunnel(iface)) return undefined;
    const underlay = this.tunnels.get(iface);
    const under = underlay === undefined ? undefined : this.topologyMtu(underlay);
    if (under !== undefined) return { mtu: under - TUNNEL_OVERHEAD, source: `a tunnel device's: ${underlay}'s MTU of ${under} less ${TUNNEL_OVERHEAD}` };
    return { mtu: ASSUMED_UNDERLAY_MTU - TUNNEL_OVERHEAD, source: `a tunnel device's, assuming ${underlay ?? 'its underlay'} has an MTU of ${ASSUMED_UNDERLAY_MTU}` };
  }

  private topologyMtu(iface: string): number | undefined {
    return this.topology?.mtus.get(iface) ?? this.topology?.mtus.get(localInterfaceName(iface));
  }

  /** Call for every journey once its fate is decided: the sender's later data that got through, and the ways packets went. */
  add(w: JourneyWork): void {
    const j = w.journey;
    this.learn(w);
    if (j.flow === undefined || j.reason === 'mtu' || this.byFlow.size === 0) return;
    const first = w.hops[0];
    for (const t of [this.byFlow.get(`${j.flow}/a`), this.byFlow.get(`${j.flow}/s`)]) {
      if (!t || first.src !== t.sender.addr || first.sport !== t.sender.port || first.payloadLen === 0) continue;
      if (j.fate !== 'dropped' && crossed(w.hops, t.iface)) t.crossedAfter++;
    }
  }

  private learn(w: JourneyWork): void {
    const j = w.journey;
    for (const s of j.steps) {
      if (s.kind === 'encapsulated') this.tunnels.set(s.from, s.to);
      else if (s.kind === 'decapsulated') this.tunnels.set(s.to, s.from);
    }
    if (j.flow === undefined || j.fate === 'dropped' || w.hops.length < 2) return;
    // The ways packets go matter only against an MTU known otherwise than by an answer: without a
    // tunnel or a topology's MTUs, a busy capture's every journey would build keys for nothing.
    if (this.tunnels.size === 0 && (this.topology === undefined || (this.topology.mtus.size === 0 && this.topology.kinds.size === 0))) return;
    let next = this.nextHops.get(j.flow);
    if (next === undefined) this.nextHops.set(j.flow, (next = new Map()));
    for (let i = 0; i + 1 < w.hops.length; i++) next.set(`${w.hops[i].src}:${w.hops[i].sport}|${w.hops[i].iface}`, w.hops[i + 1].iface);
  }

  /** Call when the answer's journey is finished: it answers nothing later. */
  forget(w: JourneyWork): void {
    const q = w.hops[0].detail?.quoted;
    if (q !== undefined && this.answers.get(q) === w) this.answers.delete(q);
  }

  flowFinished(f: Flow): void {
    this.nextHops.delete(f.id);
    for (const key of [`${f.id}/a`, `${f.id}/s`]) {
      const t = this.byFlow.get(key);
      if (!t) continue;
      this.byFlow.delete(key);
      this.done.push(t.mtuSource === undefined ? findingOf(t, f) : unansweredFindingOf(t, f));
    }
  }

  finish(): Finding[] {
    return this.done.sort((a, b) => (a.journeys?.[0] ?? 0) - (b.journeys?.[0] ?? 0));
  }
}

/** The packet left by the interface whose MTU stopped the others: a hop there and one after it. */
function crossed(hops: readonly Observation[], iface: string): boolean {
  const i = hops.findIndex((h) => h.iface === iface);
  return i >= 0 && i < hops.length - 1;
}

function findingOf(t: TooBig, f: Flow): Finding {
  const what = `${plural(t.count, 'packet')} of ${f.client} -> ${f.server} from ${endpoint(t.sender.addr, t.sender.port)} (up to ${t.largest} bytes)`;
  const answered = `${t.count === 1 ? 'was' : 'were'} too big for ${t.iface}, whose MTU is ${t.mtu}: it dropped ${t.count === 1 ? 'it' : 'them'} and answered with ICMP fragmentation needed naming ${t.mtu}`;
  const worked = t.crossedAfter > 0;
  const next = worked
    ? `The sender then sent its data again in smaller packets, and ${plural(t.crossedAfter, 'later packet')} with data crossed ${t.iface}: path-MTU discovery worked.`
    : `The sender's data did not get through ${t.iface} after that${t.count > 1 ? ', and it sent packets too big again' : ''}: a path-MTU black hole (the answer lost or ignored on the way back, or the sender not lowering its packet size).`;
  return { code: 'mtu-exceeded', severity: worked ? 'info' : 'warning', message: `${what} ${answered}. ${next}`, journeys: t.ids, flows: [f.id] };
}

/** Packets that did not get through an MTU no captured answer named. */
function unansweredFindingOf(t: TooBig, f: Flow): Finding {
  const one = t.count === 1;
  const what = `${plural(t.count, 'packet')} of ${f.client} -> ${f.server} from ${endpoint(t.sender.addr, t.sender.port)} (up to ${t.largest} bytes)`;
  const died = `${one ? 'was' : 'were'} larger than the MTU of ${t.iface}, ${t.mtu} (${t.mtuSource}), and never left by it; no ICMP fragmentation needed answering ${one ? 'it' : 'them'} was seen`;
  const worked = t.crossedAfter > 0;
  const next = worked
    ? `The sender's later data crossed ${t.iface} (${plural(t.crossedAfter, 'packet')}): it lowered its packet size, so an answer the captures do not hold reached it, or it probed the path itself.`
    : `The sender's data did not get through ${t.iface} after that${t.count > 1 ? ', and it sent packets too big again' : ''}: a path-MTU black hole (no fragmentation-needed sent, or one filtered on its way back; check the MTUs along the path and that ICMP type 3 code 4 reaches the sender).`;
  return { code: 'mtu-exceeded', severity: worked ? 'info' : 'warning', message: `${what} ${died}. ${next}`, journeys: t.ids, flows: [f.id] };
}
