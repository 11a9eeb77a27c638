/**
 * Stories: the journeys of an analysis grouped the way a person thinks of them. A conversation (a
 * flow) is a story; the ARP exchange that preceded it and the DNS lookup that named its server are
 * chapters of the same story; the two connections of a userland proxy are one story; many connections
 * that look alike are one story with counts.
 */
import type { Analysis, Flow, Journey } from '../correlate/model.js';
import { isIgmp, type Observation } from '../correlate/observation.js';
import { requestKind } from '../correlate/answers.js';
import { firstAtLeast, maxOf, minOf, pushAll } from './arrays.js';

export type StoryKind = 'arp' | 'ping' | 'dns' | 'tcp' | 'udp' | 'icmp-error' | 'neighbour' | 'other';

export interface Story {
  /** 1-based, in order of the first packet. */
  id: number;
  kind: StoryKind;
  /** Flows in the story (the main one first; a proxy's second connection, a DNS lookup...). */
  flows: Flow[];
  /** Every journey of the story, in time order. */
  journeys: Journey[];
  /** ARP journeys that resolved the first hop before the conversation. */
  arp: Journey[];
  /** DNS journeys that looked up the server's name before the conversation. */
  dns: Journey[];
  /** Further stories just like this one (same ends, same path), folded in and counted. */
  alike: number;
  firstNs: number;
  lastNs: number;
  /** Higher is more worth a person's time: drops, NAT, findings, many hops. */
  weight: number;
}

const ARP_LEAD_NS = 2_000_000_000;
const DNS_LEAD_NS = 5_000_000_000;

/** Kernel chatter that is not anyone's conversation: router solicitations, MLD and IGMP joins. */
export function isBackgroundNoise(o: Observation): boolean {
  const type = o.detail?.icmpType;
  if (o.kind === 'icmpv6') return type === 133 || type === 143 || type === 131 || type === 135 || type === 136;
  if (isIgmp(o)) return true; // IGMP membership reports
  return o.family === 6 && o.kind === 'udp' && (o.dport === 5353 || o.dport === 547);
}

function tsNs(o: Observation | undefined): number {
  return o ? o.t : 0;
}

export interface StoryInput {
  analysis: Analysis;
  hopsOf: (j: Journey) => Observation[];
}

export function buildStories({ analysis, hopsOf }: StoryInput): Story[] {
  const { byFlow, loose } = journeysByFlow(analysis);
  const stories = flowStories(analysis, byFlow, hopsOf);
  const arpJourneys = looseStories(loose, stories, hopsOf);
  joinAnswersToQuestions(stories);
  for (const s of stories) {
    if (s.journeys.length === 0) continue;
    s.journeys.sort((a, b) => tsNs(hopsOf(a)[0]) - tsNs(hopsOf(b)[0]));
    s.firstNs = tsNs(hopsOf(s.journeys[0])[0]);
    s.lastNs = maxOf(s.journeys.map((j) => tsNs(hopsOf(j).at(-1))));
  }

  attachArp(stories, arpJourneys, hopsOf);
  attachDns(stories, hopsOf);
  const merged = foldAlike(stories.filter((s) => s.journeys.length > 0 || s.arp.length > 0), hopsOf);

  const findingWeights = findingWeightsOf(merged, analysis);
  for (const s of merged) {
    s.firstNs = minOf(s.dns.map((j) => tsNs(hopsOf(j)[0])), minOf(s.arp.map((j) => tsNs(hopsOf(j)[0])), s.firstNs));
    s.weight = weightOf(s, findingWeights.get(s) ?? 0, hopsOf);
  }
  merged.sort((a, b) => a.firstNs - b.firstNs);
  merged.forEach((s, i) => (s.id = i + 1));
  return merged;
}

function journeysByFlow(analysis: Analysis): { byFlow: Map<number, Journey[]>; loose: Journey[] } {
  const flowById = new Map(analysis.flows.map((f) => [f.id, f]));
  const byFlow = new Map<number, Journey[]>();
  const loose: Journey[] = [];
  for (const j of analysis.journeys) {
    if (j.flow !== undefined && flowById.has(j.flow)) {
      const list = byFlow.get(j.flow);
      if (list) list.push(j);
      else byFlow.set(j.flow, [j]);
    } else {
      loose.push(j);
    }
  }
  return { byFlow, loose };
}

/** One story per flow, with a proxy's two connections joined. */
function flowStories(analysis: Analysis, byFlow: Map<number, Journey[]>, hopsOf: (j: Journey) => Observation[]): Story[] {
  const storyOfFlow = new Map<number, Story>();
  const stories: Story[] = [];
  for (const f of analysis.flows) {
    const partner = f.proxyOf !== undefined ? storyOfFlow.get(f.proxyOf) : undefined;
    const journeys = byFlow.get(f.id) ?? [];
    if (partner) {
      partner.flows.push(f);
      pushAll(partner.journeys, journeys);
      storyOfFlow.set(f.id, partner);
      continue;
    }
    const o = journeys.length > 0 ? hopsOf(journeys[0])[0] : undefined;
    const kind: StoryKind = o && isBackgroundNoise(o) ? 'neighbour' :
      f.protocol === 'tcp' ? 'tcp' : f.protocol === 'udp' ? (o?.detail?.dnsId !== undefined ? 'dns' : 'udp') : f.protocol === 'icmp' || f.protocol === 'icmpv6' ? 'ping' : 'other';
    const s: Story = { id: 0, kind, flows: [f], journeys: [...journeys], arp: [], dns: [], alike: 0, firstNs: 0, lastNs: 0, weight: 0 };
    storyOfFlow.set(f.id, s);
    stories.push(s);
  }
  return stories;
}

/**
 * Loose journeys (ICMP errors, neighbour discovery, anything without a flow) become stories of their
 * own, added to `stories`; the ARP journeys are returned, to be attached to the stories they served.
 */
function looseStories(loose: Journey[], stories: Story[], hopsOf: (j: Journey) => Observation[]): Journey[] {
  const arpJourneys: Journey[] = [];
  const looseByKey = new Map<string, Story>();
  for (const j of loose) {
    const o = hopsOf(j)[0];
    if (!o) continue;
    if (o.kind === 'arp') {
      arpJourneys.push(j);
      continue;
    }
    const kind: StoryKind = isBackgroundNoise(o) ? 'neighbour' : o.kind === 'icmp' || o.kind === 'icmpv6' ? 'icmp-error' : 'other';
    const key = `${kind}|${o.src}|${o.dst}|${o.detail?.icmpType ?? o.proto}`;
    let s = looseByKey.get(key);
    if (!s) {
      s = { id: 0, kind, flows: [], journeys: [], arp: [], dns: [], alike: 0, firstNs: 0, lastNs: 0, weight: 0 };
      looseByKey.set(key, s);
      stories.push(s);
    }
    s.journeys.push(j);
  }
  return arpJourneys;
}

/**
 * Answers that travelled as a flow of their own belong with the question: a redirected resolver's
 * (its ports were rewritten), and every member's answer to a ping to a group (each from its own
 * address). Every answer names its request, so a story of answers alone joins the asker's story.
 */
function joinAnswersToQuestions(stories: Story[]): void {
  const storyOf = new Map<number, Story>();
  for (const s of stories) for (const j of s.journeys) storyOf.set(j.id, s);
  for (const s of stories) {
    if (s.journeys.length === 0 || s.journeys.some((x) => !x.isReply)) continue;
    const asked = s.journeys.find((x) => x.answerOf !== undefined);
    const target = asked?.answerOf !== undefined ? storyOf.get(asked.answerOf) : undefined;
    if (!target || target === s) continue;
    pushAll(target.journeys, s.journeys);
    pushAll(target.flows, s.flows);
    for (const x of s.journeys) storyOf.set(x.id, target);
    s.journeys = [];
    s.flows = [];
  }
}

/** A story's first packet, for looking stories up by address and time. */
interface Opening {
  t: number;
  /** The story's place in `stories`: ties in time go to the earlier story, as a scan in order finds. */
  order: number;
  story: Story;
}

/** Openings by address, each list in time order (ties in story order): a window of them is a binary search away. */
class OpeningIndex {
  private readonly byAddress = new Map<string, Opening[]>();

  add(address: string, opening: Opening): void {
    const list = this.byAddress.get(address);
    if (list) list.push(opening);
    else this.byAddress.set(address, [opening]);
  }

  sort(): void {
    for (const list of this.byAddress.values()) list.sort((a, b) => a.t - b.t || a.order - b.order);
  }

  /** The openings of `address` from `from` to `to` (inclusive), in time order. */
  between(address: string, from: number, to: number): Opening[] {
    const list = this.byAddress.get(address);
    if (!list) return [];
    const out: Opening[] = [];
    for (let k = firstAtLeast(list, from, (o) => o.t); k < list.length && list[k].t <= to; k++) out.push(list[k]);
    return out;
  }
}

/** A journey of several hops with one of them on an interface: the span in which it crossed the host. */
interface Crossing {
  start: number;
  end: number;
  order: number;
}

/**
 * An ARP exchange belongs to the conversation that needed it: the next one to start, within two
 * seconds, from the asking address on the interface where the request was first seen. Requests
 * that no conversation followed stay a story of their own.
 */
function attachArp(stories: Story[], arps: Journey[], hopsOf: (j: Journey) => Observation[]): void {
  const replies = new Map<number, Journey>();
  for (const j of arps) if (j.answeredBy !== undefined) replies.set(j.answeredBy, j);
  const arpById = new Map(arps.map((j) => [j.id, j]));
  // The stories as they are now: ARP stories made below have no journeys, so they are never a match.
  const openings = new OpeningIndex();
  const crossings = new Map<string, Crossing[]>();
  let longest = 0;
  stories.forEach((s, order) => {
    if (s.kind === 'neighbour') return;
    if (s.journeys.length > 0) {
      const o = hopsOf(s.journeys[0])[0];
      if (o) {
        openings.add(o.src, { t: o.t, order, story: s });
        if (o.dst !== o.src) openings.add(o.dst, { t: o.t, order, story: s });
      }
    }
    for (const x of s.journeys) {
      const hops = hopsOf(x);
      if (hops.length < 2) continue;
      const start = hops[0].t;
      const end = hops[hops.length - 1].t;
      if (end - start > longest) longest = end - start;
      for (const iface of new Set(hops.map((h) => h.iface))) {
        const list = crossings.get(iface);
        if (list) list.push({ start, end, order });
        else crossings.set(iface, [{ start, end, order }]);
      }
    }
  });
  openings.sort();
  for (const list of crossings.values()) list.sort((a, b) => a.start - b.start);
  const pairs = new Map<string, Story>();
  for (const j of arps) {
    if (replies.has(j.id)) continue; // a reply travels with its request
    const req = hopsOf(j)[0];
    const reply = j.answeredBy !== undefined ? arpById.get(j.answeredBy) : undefined;
    const t = req.t;
    // The first conversation of the asker to start within the lead time.
    let best: Story | undefined = openings.between(req.src, t, t + ARP_LEAD_NS)[0]?.story;
    // A router resolving its next hop mid-way: the ARP falls between the hops of a packet it forwards.
    if (!best) best = firstCrossing(crossings.get(req.iface), t, longest, stories);
    const exchange = reply ? [j, reply] : [j];
    if (best) {
      pushAll(best.arp, exchange);
      continue;
    }
    const key = `${req.src}|${req.dst}`;
    let s = pairs.get(key);
    if (!s) {
      s = { id: 0, kind: 'arp', flows: [], journeys: [], arp: [], dns: [], alike: 0, firstNs: t, lastNs: t, weight: 0 };
      pairs.set(key, s);
      stories.push(s);
    }
    pushAll(s.arp, exchange);
    s.lastNs = maxOf(exchange.map((x) => hopsOf(x).at(-1)?.t ?? t), s.lastNs);
  }
}

/** The earliest story (in story order) with a crossing that spans `t`; `longest` bounds how far back one can start. */
function firstCrossing(list: Crossing[] | undefined, t: number, longest: number, stories: Story[]): Story | undefined {
  if (!list) return undefined;
  let order = Infinity;
  for (let k = firstAtLeast(list, t - longest, (c) => c.start); k < list.length && list[k].start <= t; k++) if (list[k].end >= t && list[k].order < order) order = list[k].order;
  return order === Infinity ? undefined : stories[order];
}

/** A DNS lookup whose answer named the server of a conversation that followed is its first chapter. */
function attachDns(stories: Story[], hopsOf: (j: Journey) => Observation[]): void {
  // The conversations a lookup may lead to, by their client: their first packets do not change below.
  const openings = new OpeningIndex();
  stories.forEach((s, order) => {
    if (s.kind === 'dns' || s.kind === 'neighbour' || s.kind === 'arp' || s.journeys.length === 0) return;
    const o = hopsOf(s.journeys[0])[0];
    if (o) openings.add(o.src, { t: o.t, order, story: s });
  });
  openings.sort();
  const lookups = stories.filter((s) => s.kind === 'dns');
  for (const d of lookups) {
    if (d.journeys.length === 0) continue;
    const named = new Set<string>();
    for (const j of d.journeys) {
      const answer = hopsOf(j)[0]?.detail;
      if (answer?.dnsResponse && answer.dnsText) for (const word of answer.dnsText.split(/[ ,]+/)) named.add(word);
    }
    const client = hopsOf(d.journeys[0])[0]?.src;
    if (client === undefined) continue;
    // In story order, the one that starts first (a story an earlier lookup joined starts at that lookup).
    const candidates = openings.between(client, d.firstNs, d.lastNs + DNS_LEAD_NS).sort((a, b) => a.order - b.order);
    let target: Story | undefined;
    for (const { t, story: s } of candidates) {
      const o = hopsOf(s.journeys[0])[0];
      if (named.has(o.dst) && (!target || t < target.firstNs)) target = s;
    }
    if (target) {
      pushAll(target.dns, d.journeys);
      pushAll(target.arp, d.arp);
      pushAll(target.flows, d.flows);
      target.firstNs = Math.min(target.firstNs, d.firstNs);
      d.journeys = [];
      d.arp = [];
    }
  }
}

/** The ends and the path of a story, the things that make two stories the same story. */
function signature(s: Story, hopsOf: (j: Journey) => Observation[]): string | undefined {
  if (s.journeys.length === 0 || (s.kind !== 'tcp' && s.kind !== 'udp' && s.kind !== 'dns' && s.kind !== 'ping')) return undefined;
  const j = s.journeys[0];
  const o = hopsOf(j)[0];
  const path = j.hops.map((h) => h.interface).join('>');
  const fates = [...new Set(s.journeys.filter((x) => !x.isReply).map((x) => x.fate))].sort().join(',');
  const nat = j.steps.map((st) => st.nat?.type ?? '').join(',');
  return `${s.kind}|${o.src}|${o.dst}|${o.dport ?? ''}|${path}|${fates}|${nat}|${s.flows.length}`;
}

/** Three or more stories with the same signature become one, with the others counted. */
function foldAlike(stories: Story[], hopsOf: (j: Journey) => Observation[]): Story[] {
  const bySig = new Map<string, Story[]>();
  for (const s of stories) {
    const sig = signature(s, hopsOf);
    if (sig === undefined) continue;
    const list = bySig.get(sig);
    if (list) list.push(s);
    else bySig.set(sig, [s]);
  }
  const folded = new Set<Story>();
  for (const list of bySig.values()) {
    if (list.length < 3) continue;
    const [head, ...rest] = list;
    for (const r of rest) {
      head.alike += 1;
      pushAll(head.flows, r.flows);
      pushAll(head.journeys, r.journeys);
      pushAll(head.arp, r.arp);
      pushAll(head.dns, r.dns);
      head.lastNs = Math.max(head.lastNs, r.lastNs);
      folded.add(r);
    }
    head.journeys.sort((a, b) => tsNs(hopsOf(a)[0]) - tsNs(hopsOf(b)[0]));
  }
  return stories.filter((s) => !folded.has(s));
}

/**
 * What the findings add to each story's weight: each finding that names any of a story's journeys,
 * once. Worked out from the findings' journey ids, one pass, rather than asking every finding of
 * every story (stories times findings times ids, on a busy capture).
 */
function findingWeightsOf(stories: Story[], analysis: Analysis): Map<Story, number> {
  const storyOf = new Map<number, Story>();
  for (const s of stories) for (const j of s.journeys) storyOf.set(j.id, s);
  const weights = new Map<Story, number>();
  for (const f of analysis.findings) {
    if (!f.journeys) continue;
    const counted = new Set<Story>();
    for (const id of f.journeys) {
      const s = storyOf.get(id);
      if (s === undefined || counted.has(s)) continue;
      counted.add(s);
      weights.set(s, (weights.get(s) ?? 0) + (f.severity === 'error' ? 50 : 20));
    }
  }
  return weights;
}

function weightOf(s: Story, findingWeight: number, hopsOf: (j: Journey) => Observation[]): number {
  if (s.kind === 'neighbour') return 0;
  let w = 1 + findingWeight;
  if (s.journeys.some((j) => j.steps.some((st) => st.nat))) w += 15;
  if (s.journeys.some((j) => j.fate === 'dropped')) w += 30;
  w += Math.min(10, maxOf(s.journeys.map((j) => j.hops.length), 0) * 2);
  if (s.journeys.some((j) => requestKind(hopsOf(j)[0]) !== undefined)) w += 5;
  if (s.flows.length > 1) w += 5;
  return w;
}
