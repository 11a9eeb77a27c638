/**
 * Packets too big for the interface they had to leave by (DESIGN.md "Several hosts, tunnels and
 * MTU"). Current kernels answer one with ICMP fragmentation-needed (IPv6: packet-too-big) naming the
 * MTU, and quote it: the answer ties to the journey it answers, which died where it met the MTU.
 * What the sender did next says whether path-MTU discovery worked: its later data got through in
 * smaller packets, or it went on sending what cannot pass (a black hole).
 */
import type { Finding, Flow } from './model.js';
import { tooBigKey, type Observation } from './observation.js';
import type { JourneyWork } from './journey-work.js';
import { endpoint } from './endpoint.js';
import { plural } from './plural.js';

/** A flow's packets that met an MTU, and what came after. */
interface TooBig {
  /** Where the answer came from: the interface whose MTU it was. */
  iface: string;
  mtu: number;
  /** The sender's side of the flow (`ip:port`): its later packets are what it did next. */
  sender: { addr: string; port?: number };
  ids: number[];
  largest: number;
  /** Later data from the sender that crossed, and later packets of it that met the MTU again. */
  crossedAfter: number;
  tooBigAgain: number;
}

export class MtuCollector {
  /** Too-big answers admitted, by the key of the packet they quote, until the answer is finished. */
  private readonly answers = new Map<string, JourneyWork>();
  private readonly byFlow = new Map<number, TooBig>();
  private readonly done: Finding[] = [];

  /** Call as journeys are admitted (in order of first sighting): an answer waits for its packet. */
  admit(w: JourneyWork): void {
    const q = w.hops[0].quoted;
    if (w.hops[0].mtu !== undefined && q !== undefined) this.answers.set(q, w);
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
    const j = w.journey;
    j.fate = 'dropped';
    j.reason = 'mtu';
    answer.journey.isReply = true;
    answer.journey.answerOf = j.id;
    if (j.flow === undefined) return;
    const first = w.hops[0];
    let t = this.byFlow.get(j.flow);
    if (!t) {
      t = {
        iface: answer.hops[0].iface,
        mtu: answer.hops[0].mtu!,
        sender: { addr: first.src, port: first.sport },
        ids: [],
        largest: 0,
        crossedAfter: 0,
        tooBigAgain: 0,
      };
      this.byFlow.set(j.flow, t);
    } else t.tooBigAgain++;
    t.ids.push(j.id);
    t.largest = Math.max(t.largest, first.length);
  }

  /** Call for every journey once its fate is decided: the sender's later data that got through. */
  add(w: JourneyWork): void {
    const j = w.journey;
    if (j.flow === undefined || j.reason === 'mtu' || this.byFlow.size === 0) return;
    const t = this.byFlow.get(j.flow);
    const first = w.hops[0];
    if (!t || first.src !== t.sender.addr || first.sport !== t.sender.port || first.payloadLen === 0) return;
    if (j.fate !== 'dropped' && crossed(w.hops, t.iface)) t.crossedAfter++;
  }

  /** Call when the answer's journey is finished: it answers nothing later. */
  forget(w: JourneyWork): void {
    const q = w.hops[0].quoted;
    if (q !== undefined && this.answers.get(q) === w) this.answers.delete(q);
  }

  flowFinished(f: Flow): void {
    const t = this.byFlow.get(f.id);
    if (!t) return;
    this.byFlow.delete(f.id);
    this.done.push(findingOf(t, f));
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
  const what = `${plural(t.ids.length, 'packet')} of ${f.client} -> ${f.server} from ${endpoint(t.sender.addr, t.sender.port)} (up to ${t.largest} bytes)`;
  const answered = `${t.ids.length === 1 ? 'was' : 'were'} too big for ${t.iface}, whose MTU is ${t.mtu}: it dropped ${t.ids.length === 1 ? 'it' : 'them'} and answered with ICMP fragmentation needed naming ${t.mtu}`;
  const worked = t.crossedAfter > 0;
  const next = worked
    ? `The sender then sent its data again in smaller packets, and ${plural(t.crossedAfter, 'later packet')} with data crossed ${t.iface}: path-MTU discovery worked.`
    : `The sender's data did not get through ${t.iface} after that${t.tooBigAgain > 0 ? ', and it sent packets too big again' : ''}: a path-MTU black hole (the answer lost or ignored on the way back, or the sender not lowering its packet size).`;
  return { code: 'mtu-exceeded', severity: worked ? 'info' : 'warning', message: `${what} ${answered}. ${next}`, journeys: t.ids, flows: [f.id] };
}
