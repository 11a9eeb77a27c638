/**
 * Expected against observed: aligns the journeys of two analyses (an emulated scenario and a real
 * capture, or two captures) and says where they part, in sentences a person can act on.
 *
 * What is compared is what the configuration decides: which packets exist, the interfaces they
 * cross, what each hop did, which NAT rewrote them to which addresses, and their fate. What the kernel
 * decides on its own is left out by rules stated here, never by hand:
 * - background noise: IPv6 router solicitations, neighbour discovery and MLD reports, IGMP, and
 *   unicast ARP probes (the kernel re-validating a neighbour entry whenever it likes);
 * - TCP's data phase: segment sizes, GSO super-frames and the number of pure ACKs depend on timing,
 *   so only a connection's control segments (SYN, SYN-ACK, FIN, RST) and its first data segment
 *   each way are compared one by one; the rest of the data phase is compared as bytes per direction;
 * - ephemeral ports and echo identifiers: a journey is recognised by its addresses and its service
 *   port (the well-known one), and NAT rewrites are compared by address (and by port where the rule
 *   sets one, as `--to-ports` does);
 * - the order of hops within one bridged stretch (same TTL): which of a port and its bridge stamps a
 *   frame first, and the order a flood reaches the ports, are capture artefacts; the interfaces of
 *   each stretch are compared as a set, and routed stretches in order;
 * - ARP exchanges expected but not observed (or the reverse): whether a neighbour entry was already
 *   cached depends on what ran before the capture, so they are reported as notes, not differences;
 * - data bytes of a direction that saw retransmissions or drops: what a drop removes depends on
 *   segment sizes (GSO super-frames on a real host), so only clean directions are compared.
 */
import { addressOf } from './endpoint.js';
import type { Analysis, Journey, NatRewrite } from './model.js';
import type { Observation } from './observation.js';
import { BROADCAST_MAC, isIgmp, TCP_FIN, TCP_RST, TCP_SYN } from './observation.js';
import { labelOf } from './groups.js';
import { requestKind } from './answers.js';

export interface AnalysisSide {
  analysis: Analysis;
  hopsOf: (j: Journey) => Observation[];
}

export interface JourneyRef {
  id: number;
  summary: string;
  path: string[];
  fate: Journey['fate'];
}

export interface HopDifference {
  expected: JourneyRef;
  observed: JourneyRef;
  differences: string[];
}

export interface DiffResult {
  agree: boolean;
  compared: number;
  missing: (JourneyRef & { lastSeen?: string; sentence: string })[];
  unexpected: (JourneyRef & { sentence: string })[];
  differing: HopDifference[];
  sentences: string[];
  /** What differs for reasons the rules above set aside, said for the record. */
  notes?: string[];
}

/** Where a rewrite came from, as the emulator or an iptables-save tells it: for explanations. */
export interface RuleExplainer {
  /** The rule that should have rewritten (or did rewrite) a packet at this interface, if known. */
  natRule(type: NatRewrite['type'], iface: string, after: string): string | undefined;
}

export function isDiffNoise(o: Observation, j: Journey): boolean {
  const d = o.detail;
  if (o.kind === 'icmpv6') return d?.icmpType !== 128 && d?.icmpType !== 129 && d?.icmpType !== 1 && d?.icmpType !== 3;
  if (o.kind === 'other' && isIgmp(o)) return true;
  if (o.kind === 'arp' && d?.arpOp === 1 && o.dstMac !== undefined && o.dstMac !== BROADCAST_MAC) return true;
  if (o.kind === 'arp' && d?.arpOp === 2 && j.isReply !== true) return false;
  return o.family === 6 && o.kind === 'udp' && (o.dport === 5353 || o.dport === 547 || o.dport === 546);
}

/** The well-known end of a conversation: the one port below the ephemeral range, or the asked one. */
function servicePort(o: Observation, isReply = false): string {
  if (o.sport === undefined || o.dport === undefined) return '';
  const low = (p: number): boolean => p < 32768;
  if (low(o.dport) !== low(o.sport)) return String(low(o.dport) ? o.dport : o.sport);
  if (requestKind(o) !== undefined) return String(o.dport);
  if (isReply) return String(o.sport);
  return String(Math.min(o.sport, o.dport));
}

/** The path with each bridged stretch as a sorted set: `a>{b,c,d}>e`. */
function pathKey(j: Journey): string {
  const parts: string[][] = [[j.hops[0].interface]];
  j.steps.forEach((s, i) => {
    if (s.kind === 'local') return;
    const to = j.hops[i + 1]?.interface ?? s.to;
    if (s.kind === 'bridged') parts[parts.length - 1].push(to);
    else parts.push([to]);
  });
  return parts.map((p) => (p.length === 1 ? p[0] : `{${[...p].sort().join(',')}}`)).join('>');
}

function tcpRole(o: Observation): string | undefined {
  const f = o.tcpFlags ?? 0;
  if (f & TCP_SYN) return f & 0x10 ? 'syn-ack' : 'syn';
  if (f & TCP_RST) return 'rst';
  if (f & TCP_FIN) return 'fin';
  return o.payloadLen > 0 ? 'data' : undefined;
}

interface Keyed {
  key: string;
  journey: Journey;
  first: Observation;
}

/** The journeys compared one by one, each with the key that recognises it on the other side. */
function comparable(side: AnalysisSide): { keyed: Keyed[]; bytes: Map<string, number>; unclean: Set<string> } {
  const keyed: Keyed[] = [];
  const bytes = new Map<string, number>();
  const unclean = new Set<string>();
  const firstDataSeen = new Set<string>();
  for (const j of side.analysis.journeys) {
    const hops = side.hopsOf(j);
    const o = hops[0];
    if (!o || isDiffNoise(o, j)) continue;
    let role = labelOf(o);
    if (o.kind === 'tcp') {
      const r = tcpRole(o);
      if (r === undefined) continue; // pure ACKs: timing, not configuration
      const dirKey = `${o.src}>${o.dst}:${servicePort(o, j.isReply)}`;
      if (j.retransmission || j.fate === 'dropped') unclean.add(dirKey);
      // A FIN may carry the last data (Linux sets it on a packet still waiting for the window).
      if (o.payloadLen > 0) bytes.set(dirKey, (bytes.get(dirKey) ?? 0) + o.payloadLen);
      if (r === 'data') {
        if (firstDataSeen.has(`${dirKey}|${j.flow}`)) continue;
        firstDataSeen.add(`${dirKey}|${j.flow}`);
      }
      if (j.retransmission) continue;
      role = r;
    }
    keyed.push({ key: `${o.kind}|${role}|${o.src}|${o.dst}|${servicePort(o, j.isReply)}`, journey: j, first: o });
  }
  return { keyed, bytes, unclean };
}

function ref(k: Keyed): JourneyRef {
  return { id: k.journey.id, summary: k.journey.summary, path: k.journey.hops.map((h) => h.interface), fate: k.journey.fate };
}

function natList(j: Journey): { iface: string; nat: NatRewrite }[] {
  return j.steps.flatMap((s) => [...(s.nat ? [{ iface: s.to, nat: s.nat }] : []), ...(s.natAlso ? [{ iface: s.to, nat: s.natAlso }] : [])]);
}

function compareJourneys(e: Keyed, o: Keyed, obsSide: AnalysisSide, rules?: RuleExplainer): string[] {
  const diffs: string[] = [];
  const ePath = e.journey.hops.map((h) => h.interface);
  const oPath = o.journey.hops.map((h) => h.interface);
  if (pathKey(e.journey) !== pathKey(o.journey)) {
    const missing = ePath.filter((i) => !oPath.includes(i));
    const extra = oPath.filter((i) => !ePath.includes(i));
    diffs.push(
      `expected it on ${ePath.join(' -> ')}, observed on ${oPath.join(' -> ')}` +
        (missing.length > 0 ? ` (never seen on ${missing.join(', ')})` : '') +
        (extra.length > 0 ? ` (also seen on ${extra.join(', ')})` : ''),
    );
  }
  const eSteps = e.journey.steps.filter((s) => s.kind !== 'local').map((s) => `${s.from}>${s.to}:${s.kind}`);
  const oSteps = o.journey.steps.filter((s) => s.kind !== 'local').map((s) => `${s.from}>${s.to}:${s.kind}`);
  const kinds = (j: Journey): string => j.steps.filter((s) => s.kind !== 'local').map((s) => s.kind).sort().join(',');
  if (pathKey(e.journey) === pathKey(o.journey) && kinds(e.journey) !== kinds(o.journey)) {
    diffs.push(`expected the hops to be ${eSteps.join(', ')}, observed ${oSteps.join(', ')}`);
  }
  const eNat = natList(e.journey);
  const oNat = natList(o.journey);
  for (const x of eNat) {
    const match = oNat.find((y) => y.nat.type === x.nat.type && y.iface === x.iface);
    const word = x.nat.type === 'snat' ? 'source' : 'destination';
    if (!match) {
      const seen = o.journey.hops.find((h) => h.interface === x.iface);
      const rule = rules?.natRule(x.nat.type, x.iface, x.nat.after);
      const seenText = seen
        ? `observed ${word} ${x.nat.type === 'snat' ? seen.src : seen.dst} ${x.nat.type === 'snat' ? 'leaving' : 'on'} ${x.iface}`
        : `the packet was never seen on ${x.iface}`;
      diffs.push(
        `expected ${word} NAT to ${addressOf(x.nat.after)} on ${x.iface}, ${seenText}: ` +
          (x.nat.type === 'snat' ? 'no MASQUERADE or SNAT rule matched' : 'no DNAT rule matched') +
          (rule ? ` (the scenario's rule: ${rule})` : ''),
      );
    } else if (addressOf(match.nat.after) !== addressOf(x.nat.after)) {
      diffs.push(`expected ${word} NAT to ${addressOf(x.nat.after)} on ${x.iface}, observed it to ${addressOf(match.nat.after)}`);
    }
  }
  for (const y of oNat) {
    if (eNat.some((x) => x.nat.type === y.nat.type && x.iface === y.iface)) continue;
    const rule = rules?.natRule(y.nat.type, y.iface, y.nat.after);
    diffs.push(`observed ${y.nat.type === 'snat' ? 'source' : 'destination'} NAT ${y.nat.before} -> ${y.nat.after} on ${y.iface} that was not expected${rule ? ` (a rule like ${rule} did it)` : ''}`);
  }
  if (e.journey.fate !== o.journey.fate && !(e.journey.fate === 'unknown' || o.journey.fate === 'unknown')) {
    const last = obsSide.hopsOf(o.journey).at(-1);
    diffs.push(`expected it ${e.journey.fate}, observed ${o.journey.fate}${last ? ` (last seen on ${last.iface})` : ''}`);
  }
  return diffs;
}

function describe(k: Keyed): string {
  return `${labelOf(k.first)} ${k.first.src} > ${k.first.dst}${k.first.dport !== undefined ? ` port ${servicePort(k.first, k.journey.isReply)}` : ''}`;
}

export function diffAnalyses(expected: AnalysisSide, observed: AnalysisSide, rules?: RuleExplainer): DiffResult {
  const e = comparable(expected);
  const o = comparable(observed);
  const result: DiffResult = { agree: true, compared: 0, missing: [], unexpected: [], differing: [], sentences: [], notes: [] };
  const { missingByKey, unmatched } = pairJourneys(e.keyed, o.keyed, observed, rules, result);
  for (const [, list] of missingByKey) {
    const k = list[0];
    const last = k.journey.hops.at(-1)?.interface;
    const sentence = `expected ${list.length === 1 ? '' : `${list.length} × `}${describe(k)} (${k.journey.hops.map((h) => h.interface).join(' -> ')}), never observed`;
    for (const x of list) result.missing.push({ ...ref(x), lastSeen: last, sentence });
  }
  for (const [, list] of unmatched) {
    if (list.length === 0) continue;
    const k = list[0];
    const sentence = `observed ${list.length === 1 ? '' : `${list.length} × `}${describe(k)} on ${k.journey.hops.map((h) => h.interface).join(' -> ')} that the scenario does not produce`;
    for (const x of list) result.unexpected.push({ ...ref(x), sentence });
  }
  for (const [dir, eb] of e.bytes) {
    if (e.unclean.has(dir) || o.unclean.has(dir)) continue;
    const ob = o.bytes.get(dir) ?? 0;
    if (ob !== eb && Math.abs(ob - eb) > Math.max(64, eb * 0.01)) {
      result.sentences.push(`expected ${eb} bytes of TCP data ${dir.replace('>', ' -> ')}, observed ${ob}`);
    }
  }
  sayDifferences(result);
  return result;
}

/**
 * Each expected journey matched with the first observed one of the same key, and compared; returns
 * the expected ones without a match and the observed ones left over, by key.
 */
function pairJourneys(
  expected: Keyed[],
  observed: Keyed[],
  observedSide: AnalysisSide,
  rules: RuleExplainer | undefined,
  result: DiffResult,
): { missingByKey: Map<string, Keyed[]>; unmatched: Map<string, Keyed[]> } {
  const queues = new Map<string, Keyed[]>();
  for (const k of observed) {
    const q = queues.get(k.key);
    if (q) q.push(k);
    else queues.set(k.key, [k]);
  }
  const missingByKey = new Map<string, Keyed[]>();
  for (const k of expected) {
    const q = queues.get(k.key);
    const match = q?.shift();
    if (!match) {
      const list = missingByKey.get(k.key);
      if (list) list.push(k);
      else missingByKey.set(k.key, [k]);
      continue;
    }
    result.compared++;
    const diffs = compareJourneys(k, match, observedSide, rules);
    if (diffs.length > 0) result.differing.push({ expected: ref(k), observed: ref(match), differences: diffs });
  }
  return { missingByKey, unmatched: queues };
}

/**
 * The sentences, each said once, with differing journeys grouped by what differs; ARP journeys
 * that went missing or appeared are notes (the neighbour cache), and do not make the sides disagree.
 */
function sayDifferences(result: DiffResult): void {
  const seen = new Set<string>();
  for (const m of result.missing) if (!seen.has(m.sentence)) seen.add(m.sentence) && result.sentences.push(m.sentence);
  for (const u of result.unexpected) if (!seen.has(u.sentence)) seen.add(u.sentence) && result.sentences.push(u.sentence);
  const grouped = new Map<string, HopDifference[]>();
  for (const d of result.differing) {
    const text = d.differences.join('; ');
    const list = grouped.get(text);
    if (list) list.push(d);
    else grouped.set(text, [d]);
  }
  for (const [text, list] of grouped) {
    result.sentences.push(`${list.length === 1 ? '' : `${list.length} × `}${list[0].expected.summary}: ${text}`);
  }
  const isArp = (r: JourneyRef): boolean => r.summary.startsWith('ARP');
  const notes = [...result.missing, ...result.unexpected].filter(isArp).map((r) => r.sentence);
  result.notes = [...new Set(notes)].map((n) => `${n} (neighbour cache state, not configuration)`);
  result.sentences = result.sentences.filter((x) => !notes.includes(x));
  result.agree =
    result.missing.every(isArp) && result.unexpected.every(isArp) && result.differing.length === 0 && result.sentences.length === 0;
}
