/**
 * Stories: the journeys of an analysis grouped the way a person thinks of them. A conversation (a
 * flow) is a story; the ARP exchange that preceded it and the DNS lookup that named its server are
 * chapters of the same story; the two connections of a userland proxy are one story; many connections
 * that look alike are one story with counts.
 */
import type { Analysis, Flow, Journey } from '../correlate/model.js';
import { isIgmp, type Observation } from '../correlate/observation.js';
import { requestKind } from '../correlate/answers.js';

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
  if (o.kind === 'icmpv6') return o.icmpType === 133 || o.icmpType === 143 || o.icmpType === 131 || o.icmpType === 135 || o.icmpType === 136;
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

  // One story per flow, with a proxy's two connections joined.
  const storyOfFlow = new Map<number, Story>();
  const stories: Story[] = [];
  const first = (j: Journey): Observation | undefined => hopsOf(j)[0];
  for (const f of analysis.flows) {
    const partner = f.proxyOf !== undefined ? storyOfFlow.get(f.proxyOf) : undefined;
    const journeys = byFlow.get(f.id) ?? [];
    if (partner) {
      partner.flows.push(f);
      partner.journeys.push(...journeys);
      storyOfFlow.set(f.id, partner);
      continue;
    }
    const o = journeys.length > 0 ? first(journeys[0]) : undefined;
    const kind: StoryKind = o && isBackgroundNoise(o) ? 'neighbour' :
      f.protocol === 'tcp' ? 'tcp' : f.protocol === 'udp' ? (o?.dnsId !== undefined ? 'dns' : 'udp') : f.protocol === 'icmp' || f.protocol === 'icmpv6' ? 'ping' : 'other';
    const s: Story = { id: 0, kind, flows: [f], journeys: [...journeys], arp: [], dns: [], alike: 0, firstNs: 0, lastNs: 0, weight: 0 };
    storyOfFlow.set(f.id, s);
    stories.push(s);
  }

  // Loose journeys: ARP (attached below), ICMP errors, neighbour discovery, anything without a flow.
  const arpJourneys: Journey[] = [];
  const looseByKey = new Map<string, Story>();
  for (const j of loose) {
    const o = first(j);
    if (!o) continue;
    if (o.kind === 'arp') {
      arpJourneys.push(j);
      continue;
    }
    const kind: StoryKind = isBackgroundNoise(o) ? 'neighbour' : o.kind === 'icmp' || o.kind === 'icmpv6' ? 'icmp-error' : 'other';
    const key = `${kind}|${o.src}|${o.dst}|${o.icmpType ?? o.proto}`;
    let s = looseByKey.get(key);
    if (!s) {
      s = { id: 0, kind, flows: [], journeys: [], arp: [], dns: [], alike: 0, firstNs: 0, lastNs: 0, weight: 0 };
      looseByKey.set(key, s);
      stories.push(s);
    }
    s.journeys.push(j);
  }
  // Answers that travelled as a flow of their own belong with the question: a redirected resolver's
  // (its ports were rewritten), and every member's answer to a ping to a group (each from its own
  // address). Every answer names its request, so a story of answers alone joins the asker's story.
  const storyOf = new Map<number, Story>();
  for (const s of stories) for (const j of s.journeys) storyOf.set(j.id, s);
  for (const s of stories) {
    if (s.journeys.length === 0 || s.journeys.some((x) => !x.isReply)) continue;
    const asked = s.journeys.find((x) => x.answerOf !== undefined);
    const target = asked?.answerOf !== undefined ? storyOf.get(asked.answerOf) : undefined;
    if (!target || target === s) continue;
    target.journeys.push(...s.journeys);
    target.flows.push(...s.flows);
    for (const x of s.journeys) storyOf.set(x.id, target);
    s.journeys = [];
    s.flows = [];
  }
  for (const s of stories) {
    if (s.journeys.length === 0) continue;
    s.journeys.sort((a, b) => tsNs(first(a)) - tsNs(first(b)));
    s.firstNs = tsNs(first(s.journeys[0]));
    s.lastNs = Math.max(...s.journeys.map((j) => tsNs(hopsOf(j).at(-1))));
  }

  attachArp(stories, arpJourneys, hopsOf);
  attachDns(stories, hopsOf);
  const merged = foldAlike(stories.filter((s) => s.journeys.length > 0 || s.arp.length > 0), hopsOf);

  for (const s of merged) {
    s.firstNs = Math.min(s.firstNs, ...s.arp.map((j) => tsNs(first(j))), ...s.dns.map((j) => tsNs(first(j))));
    s.weight = weightOf(s, analysis, hopsOf);
  }
  merged.sort((a, b) => a.firstNs - b.firstNs);
  merged.forEach((s, i) => (s.id = i + 1));
  return merged;
}

/**
 * An ARP exchange belongs to the conversation that needed it: the next one to start, within two
 * seconds, from the asking address on the interface where the request was first seen. Requests
 * that no conversation followed stay a story of their own.
 */
function attachArp(stories: Story[], arps: Journey[], hopsOf: (j: Journey) => Observation[]): void {
  const replies = new Map<number, Journey>();
  for (const j of arps) if (j.answeredBy !== undefined) replies.set(j.answeredBy, j);
  const pairs = new Map<string, Story>();
  for (const j of arps) {
    if (replies.has(j.id)) continue; // a reply travels with its request
    const req = hopsOf(j)[0];
    const reply = j.answeredBy !== undefined ? arps.find((x) => x.id === j.answeredBy) : undefined;
    const t = req.t;
    let best: Story | undefined;
    for (const s of stories) {
      if (s.kind === 'neighbour' || s.journeys.length === 0) continue;
      const o = hopsOf(s.journeys[0])[0];
      if (!o || o.t < t || o.t - t > ARP_LEAD_NS) continue;
      const asker = req.src;
      const fromAsker = o.src === asker || o.dst === asker;
      if (!fromAsker) continue;
      if (!best || o.t < hopsOf(best.journeys[0])[0].t) best = s;
    }
    // A router resolving its next hop mid-way: the ARP falls between the hops of a packet it forwards.
    if (!best) {
      for (const s of stories) {
        if (s.kind === 'neighbour') continue;
        const during = s.journeys.some((x) => {
          const hops = hopsOf(x);
          return hops.length > 1 && hops.some((h) => h.iface === req.iface) && hops[0].t <= t && t <= hops[hops.length - 1].t;
        });
        if (during) {
          best = s;
          break;
        }
      }
    }
    const exchange = reply ? [j, reply] : [j];
    if (best) {
      best.arp.push(...exchange);
      continue;
    }
    const key = `${req.src}|${req.dst}`;
    let s = pairs.get(key);
    if (!s) {
      s = { id: 0, kind: 'arp', flows: [], journeys: [], arp: [], dns: [], alike: 0, firstNs: t, lastNs: t, weight: 0 };
      pairs.set(key, s);
      stories.push(s);
    }
    s.arp.push(...exchange);
    s.lastNs = Math.max(s.lastNs, ...exchange.map((x) => hopsOf(x).at(-1)?.t ?? t));
  }
}

/** A DNS lookup whose answer named the server of a conversation that followed is its first chapter. */
function attachDns(stories: Story[], hopsOf: (j: Journey) => Observation[]): void {
  const lookups = stories.filter((s) => s.kind === 'dns');
  for (const d of lookups) {
    if (d.journeys.length === 0) continue;
    const answers = d.journeys.map((j) => hopsOf(j)[0]).filter((o) => o?.dnsResponse && o.dnsText);
    const client = hopsOf(d.journeys[0])[0]?.src;
    let target: Story | undefined;
    for (const s of stories) {
      if (s === d || s.kind === 'dns' || s.kind === 'neighbour' || s.kind === 'arp' || s.journeys.length === 0) continue;
      const o = hopsOf(s.journeys[0])[0];
      if (!o || o.src !== client || o.t < d.firstNs || o.t - d.lastNs > DNS_LEAD_NS) continue;
      const named = answers.some((a) => (a.dnsText ?? '').split(/[ ,]+/).includes(o.dst));
      if (named && (!target || o.t < target.firstNs)) target = s;
    }
    if (target) {
      target.dns.push(...d.journeys);
      target.arp.push(...d.arp);
      target.flows.push(...d.flows);
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
      head.flows.push(...r.flows);
      head.journeys.push(...r.journeys);
      head.arp.push(...r.arp);
      head.dns.push(...r.dns);
      head.lastNs = Math.max(head.lastNs, r.lastNs);
      folded.add(r);
    }
    head.journeys.sort((a, b) => tsNs(hopsOf(a)[0]) - tsNs(hopsOf(b)[0]));
  }
  return stories.filter((s) => !folded.has(s));
}

function weightOf(s: Story, analysis: Analysis, hopsOf: (j: Journey) => Observation[]): number {
  if (s.kind === 'neighbour') return 0;
  const ids = new Set(s.journeys.map((j) => j.id));
  let w = 1;
  for (const f of analysis.findings) if (f.journeys?.some((id) => ids.has(id))) w += f.severity === 'error' ? 50 : 20;
  if (s.journeys.some((j) => j.steps.some((st) => st.nat))) w += 15;
  if (s.journeys.some((j) => j.fate === 'dropped')) w += 30;
  w += Math.min(10, Math.max(0, ...s.journeys.map((j) => j.hops.length)) * 2);
  if (s.journeys.some((j) => requestKind(hopsOf(j)[0]) !== undefined)) w += 5;
  if (s.flows.length > 1) w += 5;
  return w;
}
