/**
 * A story's sequence diagram: the two ends and every interface crossed are participants; each packet
 * shown is a chain of arrows hop by hop, labelled with what the hop did and how long it took; notes
 * mark NAT (before -> after) and drops. Long exchanges show their first packets and a note for the rest.
 */
import type { Journey } from '../correlate/model.js';
import { durationText, labelOf } from '../correlate/groups.js';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../correlate/observation.js';
import type { Observation } from '../correlate/observation.js';
import { hostOfInterface } from '../correlate/hosts.js';
import type { SequenceDiagram, SequenceItem, SequenceParticipant } from './mermaid.js';
import { bytesText, clientAddresses, natsOf, tcpPhases, type HopsOf } from './facts.js';
import type { Namer } from './names.js';
import type { Story } from './stories.js';

const MAX_SHOWN = 10;

export interface SequenceContext {
  hopsOf: HopsOf;
  names: Namer;
}

function packetText(j: Journey, hopsOf: HopsOf): string {
  const o = hopsOf(j)[0];
  const d = o.detail;
  if (o.kind === 'arp') return d?.arpOp === 1 ? `ARP who-has ${o.dst}` : `ARP ${o.src} is-at ${d?.arpSha ?? ''}`;
  if (o.kind === 'tcp') {
    const f = o.tcpFlags ?? 0;
    const flags = f & TCP_SYN ? (f & 0x10 ? 'SYN-ACK' : 'SYN') : f & TCP_RST ? 'RST' : f & TCP_FIN ? 'FIN' : o.payloadLen > 0 ? '' : 'ACK';
    const http = o.httpText ? ` ${o.httpText}` : o.payloadLen > 0 ? ` ${o.payloadLen} bytes` : '';
    return `${flags}${http}`.trim() + ` ${o.sport ?? ''}>${o.dport ?? ''}`;
  }
  if (d?.dnsText) return `DNS ${d.dnsResponse ? '' : 'query '}${d.dnsText}`;
  if (d?.icmpSeq !== undefined) return `${labelOf(o)} seq ${d.icmpSeq}`;
  return labelOf(o);
}

/** Which journeys get arrows: the ones a person needs to follow the exchange. */
function shownJourneys(story: Story, hopsOf: HopsOf): { shown: Journey[]; summary?: string | string[]; summaryAfter?: Journey } {
  const byTime = (a: Journey, b: Journey): number => hopsOf(a)[0].t - hopsOf(b)[0].t;
  const chosen: Journey[] = [];
  const add = (j: Journey | undefined): void => addOnce(chosen, j);
  const byId = new Map([...story.journeys, ...story.arp, ...story.dns].map((j) => [j.id, j]));
  const withAnswer = (j: Journey | undefined): void => {
    add(j);
    if (j?.answeredBy !== undefined) add(byId.get(j.answeredBy));
  };
  story.dns.filter((j) => !j.isReply).slice(0, 1).forEach(withAnswer);
  story.arp.filter((j) => !j.isReply).slice(0, 2).forEach(withAnswer);
  if (story.kind === 'tcp') {
    const { summary, summaryAfter } = tcpShown(story, hopsOf, chosen);
    return { shown: chosen.sort(byTime).slice(0, MAX_SHOWN + 6), summary, summaryAfter };
  }
  const requests = story.journeys.filter((j) => !j.isReply);
  const head = requests.slice(0, 2);
  head.forEach(withAnswer);
  const rest = requests.length - head.length;
  let summary: string | undefined;
  if (rest > 0) {
    const answered = requests.slice(head.length).filter((j) => j.fate === 'answered').length;
    const dropped = requests.slice(head.length).filter((j) => j.fate === 'dropped').length;
    summary = `${rest} more like these: ${answered} answered${dropped > 0 ? `, ${dropped} dropped` : ''}`;
  }
  if (story.journeys.length > 0 && chosen.length === 0) story.journeys.slice(0, 3).forEach(add);
  return { shown: chosen.sort(byTime).slice(0, MAX_SHOWN), summary, summaryAfter: chosen.sort(byTime).at(-1) };
}

function addOnce(chosen: Journey[], j: Journey | undefined): void {
  if (j && !chosen.includes(j)) chosen.push(j);
}

/** A TCP story's handshake, request, answer and close, with a note for the data phase or the SYN's tries. */
function tcpShown(story: Story, hopsOf: HopsOf, chosen: Journey[]): { summary?: string[]; summaryAfter?: Journey } {
  const mainFlow = story.flows.filter((f) => f.protocol === 'tcp');
  let summary: string[] | undefined;
  let summaryAfter: Journey | undefined;
  for (const flow of mainFlow.slice(0, 2)) {
    const js = story.journeys.filter((j) => j.flow === flow.id);
    const ph = tcpPhases(js, clientAddresses([flow]), hopsOf);
    addOnce(chosen, ph.syn);
    addOnce(chosen, ph.synAck);
    addOnce(chosen, ph.handshakeAck);
    addOnce(chosen, ph.request);
    addOnce(chosen, ph.response);
    const rest = ph.dataFromServer.length + ph.dataFromClient.length - (ph.request ? 1 : 0) - (ph.response ? 1 : 0);
    if (rest > 0 && !summary) {
      summary = [
        `data phase: ${rest} more segments with data`,
        `${bytesText(ph.bytesFromServer)} from the server, ${bytesText(ph.bytesFromClient)} from the client`,
        `${ph.pureAcks} pure ACKs${ph.retransmissions.length > 0 ? `, ${ph.retransmissions.length} retransmitted` : ''}`,
      ];
      summaryAfter = ph.response ?? ph.request ?? ph.handshakeAck;
    } else if (rest > 0) {
      const small = js.filter((j) => hopsOf(j)[0].payloadLen > 0).slice(0, 2);
      small.forEach((j) => addOnce(chosen, j));
    }
    // An unanswered SYN tried again and again: one arrow for it, a note for the tries.
    const synAgain = ph.synRetries;
    if (!ph.synAck && synAgain.length > 0 && !summary) {
      const dropped = synAgain.filter((j) => j.fate === 'dropped').length;
      summary = [`the SYN sent ${synAgain.length} more ${synAgain.length === 1 ? 'time' : 'times'}`, dropped === synAgain.length ? 'each dropped the same way' : 'no answer to any'];
      summaryAfter = ph.syn;
    }
    ph.fins.slice(0, 2).forEach((j) => addOnce(chosen, j));
    ph.rsts.slice(0, 1).forEach((j) => addOnce(chosen, j));
  }
  return { summary, summaryAfter };
}

export function storySequence(story: Story, ctx: SequenceContext): SequenceDiagram | undefined {
  const { shown, summary, summaryAfter } = shownJourneys(story, ctx.hopsOf);
  if (shown.length === 0) return undefined;
  const cast = new Cast(ctx.names);
  const lead = shown.find((j) => !j.isReply) ?? shown[0];
  cast.end(ctx.hopsOf(lead)[0].src, false);
  for (const j of shown) for (const h of j.hops) cast.add(`if:${h.interface}`, h.interface, 'participant', hostBox(h.interface));
  const items: SequenceItem[] = [];
  const noted = new Set<string>();
  for (const j of shown) {
    const hops = ctx.hopsOf(j);
    const srcKey = cast.end(hops[0].src, false);
    items.push({ type: 'message', from: srcKey, to: `if:${j.hops[0].interface}`, text: packetText(j, ctx.hopsOf) });
    for (const s of j.steps) {
      if (s.kind === 'local') continue;
      const lat = durationText(s.latencyNs);
      items.push({ type: 'message', from: `if:${s.from}`, to: `if:${s.to}`, text: `${s.kind} +${lat}`, arrow: 'dotted' });
    }
    natNotes(j, noted, items);
    arrival(j, hops, cast, items);
    if (summary && j === summaryAfter) items.push({ type: 'note', over: [srcKey, `if:${j.hops[0].interface}`], text: summary });
  }
  const participants = cast.list;
  if (summary && !summaryAfter) items.push({ type: 'note', over: [participants[0].key], text: summary });
  // Hosts at the far end go last so the picture reads left to right as the packet travels.
  const hostsLast = [participants[0], ...participants.slice(1).filter((p) => !p.key.startsWith('host:')), ...participants.slice(1).filter((p) => p.key.startsWith('host:'))];
  return { participants: hostsLast, items };
}

/** With captures from several hosts, an interface's lane sits in its host's box. */
function hostBox(iface: string): string | undefined {
  const host = hostOfInterface(iface);
  return host === undefined ? undefined : `host ${host}`;
}

/** The participants, each once, in the order they first appear. */
class Cast {
  readonly list: SequenceParticipant[] = [];
  private readonly have = new Set<string>();

  constructor(private readonly names: Namer) {}

  add(key: string, label: string, kind: 'participant' | 'actor' = 'participant', box?: string): string {
    if (!this.have.has(key)) {
      this.have.add(key);
      this.list.push(box === undefined ? { key, label, kind } : { key, label, kind, box });
    }
    return key;
  }

  /**
   * The ends are hosts (actors); interfaces sit between them in the order the first packet crossed
   * them. The host is one participant whichever of its addresses a packet names.
   */
  end(addr: string, local: boolean): string {
    return local || this.names.nameOf(addr) === 'host' ? this.add('host:local', 'host', 'actor') : this.add(`host:${addr}`, this.names.short(addr), 'actor');
  }
}

function natNotes(j: Journey, noted: Set<string>, items: SequenceItem[]): void {
  for (const { step, nat } of natsOf(j)) {
    // Said once per direction: conntrack rewrites every later packet of the connection the same way.
    const key = `${nat.type}|${nat.before}|${nat.after}`;
    if (noted.has(key)) continue;
    noted.add(key);
    const side = nat.type === 'snat' ? 'source' : 'destination';
    const text = j.isReply
      ? [`conntrack reverses the NAT:`, `${side} ${nat.before} -> ${nat.after}`]
      : [`${nat.type.toUpperCase()} ${nat.before} -> ${nat.after}`, 'later packets: the same, by conntrack'];
    items.push({ type: 'note', over: [`if:${step.from}`, `if:${step.to}`], text });
  }
}

/** Where the packet ended: dropped, at the host, at the one an ARP request asked for, or delivered. */
function arrival(j: Journey, hops: Observation[], cast: Cast, items: SequenceItem[]): void {
  const o = hops[0];
  const lastHop = j.hops[j.hops.length - 1];
  const lastObs = hops[hops.length - 1];
  if (j.fate === 'dropped') {
    items.push({ type: 'message', from: `if:${lastHop.interface}`, to: cast.end(lastObs.dst, false), text: 'dropped here', arrow: 'cross' });
    items.push({ type: 'note', over: [`if:${lastHop.interface}`], text: 'dropped: never left the host' });
  } else if (j.steps.some((s) => s.kind === 'local')) {
    items.push({ type: 'message', from: `if:${lastHop.interface}`, to: cast.end(lastObs.dst, true), text: 'to the host itself' });
  } else if (o.kind === 'arp' && o.detail?.arpOp === 1) {
    // A broadcast reaches everyone on the link; the one it asked for is the one that matters.
    if (j.answeredBy !== undefined) {
      items.push({ type: 'message', from: `if:${lastHop.interface}`, to: cast.end(lastObs.dst, false), text: 'delivered: it is asked' });
    }
  } else {
    items.push({ type: 'message', from: `if:${lastHop.interface}`, to: cast.end(lastObs.dst, false), text: j.fate === 'unknown' ? 'beyond the captures' : 'delivered' });
  }
}
