import type { Finding, Flow, InterfaceInfo, JourneyKind } from './model.js';
import type { Observation } from './observation.js';
import { addressScope, endpoint } from './endpoint.js';
import { expectsAnswer, requestKind } from './answers.js';
import { plural } from './plural.js';
import type { JourneyWork } from './journey-work.js';
import type { RoleView } from './fates.js';

/**
 * The words that tell a silently dropped SYN from the other drops in a `dropped-at-host` message;
 * reports pick their advice by them.
 */
export const SILENT_DROP_WORDS = 'not even the RST a closed port sends';

/**
 * The parts of the document's findings, in its order; within a part, findings go in the order of
 * their keys. A bypassed NAT explains the silence and the resets the other findings would see
 * alone: first.
 */
export const FindingPart = { natBypassed: 0, dropped: 1, leaks: 2, retransmissions: 3, noReply: 4, mtu: 5 } as const;
export type FindingPart = (typeof FindingPart)[keyof typeof FindingPart];
/** How many parts there are. */
export const FINDING_PARTS = Object.keys(FindingPart).length;

/** One number that orders the whole document's findings: a part's keys are below 2^40 (flow ids, ordinals). */
export function findingPosition(part: FindingPart, key: number): number {
  return part * 2 ** 40 + key;
}

/** A finding with its place in the document (findingPosition), kept by whoever gathers them in any order. */
export interface PlacedFinding {
  pos: number;
  finding: Finding;
}

/** The findings of `placed` in the document's order (sorting `placed` itself). */
export function inDocumentOrder(placed: PlacedFinding[]): Finding[] {
  return placed.sort((a, b) => a.pos - b.pos).map((x) => x.finding);
}

/**
 * Takes a finding once it is final, with its place in the document: its part and its key there (a
 * positive integer, each once per part).
 */
export type FindingHandler = (f: Finding, part: FindingPart, key: number) => void;

/**
 * What one finding needs of the first journey of its group: a few fields, kept instead of the
 * journey so that a group of a million packets costs a million ids, not a million journeys.
 */
interface Exemplar {
  kind: JourneyKind;
  first: HopNames;
  last: HopNames;
  path: string;
  /** The first hop's observation fields the messages use. */
  dport?: number;
  request?: ReturnType<typeof requestKind>;
  flow?: number;
  silent: boolean;
  /** Its first hop on an uplink, with the roles known when it was collected. */
  leak?: HopNames;
}

/**
 * What the messages name of a hop. Kept instead of the hop, which holds its timestamp text and MACs:
 * a port scan makes a group per connection, hundreds of thousands of them.
 */
interface HopNames {
  interface: string;
  src: string;
  dst: string;
  dport?: number;
}

function namesOf(h: Observation): HopNames {
  return { interface: h.iface, src: h.src, dst: h.dst, dport: h.dport };
}

/**
 * Journey ids kept per finding: its first ones. A long capture's finding speaks for every packet of
 * its kind (its count), and lists the first of them, so that memory does not grow with the capture.
 */
export const MAX_IDS = 1000;

/**
 * Pairs of addresses whose drops are told apart, a finding each. A host on the internet that drops
 * what scanners send meets new sources to the end of its capture: past these many pairs, drops are
 * counted together, one finding per kind of packet and interface, so memory stays bounded.
 */
export const MAX_DROP_PAIRS = 10_000;

interface Group {
  exemplar: Exemplar;
  /** The first MAX_IDS of the journeys the finding speaks for. */
  ids: number[];
  /** How many journeys it speaks for. */
  count: number;
  /** Some other packet of one of `flows` crossed the host (see dropFindings). */
  siblingsCrossed?: boolean;
  /** The flows of the group's journeys, where the finding asks about them (drops). */
  flows?: Set<number>;
  /** Leaks: some journey of the group was seen crossing the host before the uplink, untranslated. */
  forwarded?: boolean;
  /** No reply: its place among the no-reply groups (their findings' order), and its key in `unanswered`. */
  ordinal?: number;
  key?: string;
}

/** An uplink hop that carried a source needing NAT untranslated, and whether the host forwarded it. */
interface Leak {
  hop: Observation;
  forwarded: boolean;
}

function exemplarOf(w: JourneyWork, silent: boolean, leak?: Observation): Exemplar {
  const j = w.journey;
  const first = namesOf(w.hops[0]);
  return {
    kind: j.kind,
    first,
    last: w.hops.length === 1 ? first : namesOf(w.hops[w.hops.length - 1]),
    path: w.hops.map((h) => h.iface).join(' -> '),
    dport: w.hops[0]?.dport,
    request: w.hops[0] === undefined ? undefined : requestKind(w.hops[0]),
    flow: j.flow,
    silent,
    leak: leak && namesOf(leak),
  };
}

function addTo(groups: Map<string, Group>, key: string, w: JourneyWork, options: { silent?: boolean; leak?: Observation; flows?: boolean } = {}): Group {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { exemplar: exemplarOf(w, options.silent ?? false, options.leak), ids: [], count: 0, flows: options.flows ? new Set() : undefined }));
  g.count++;
  if (g.ids.length < MAX_IDS) g.ids.push(w.journey.id);
  return g;
}

/**
 * Collects findings from journeys as their fates are decided (in order of first sighting) and words
 * them once they are final, when the roles and the flows are known: one finding speaks for every
 * packet with the same story, so what is kept per packet is its id. A finding of one flow (its
 * retransmissions, its requests nobody answered) is final when the flow finishes and is handed on
 * then; the others at the end.
 */
export class FindingCollector {
  private readonly dropped = new Map<string, Group>();
  /** Drops of the pairs past MAX_DROP_PAIRS, by kind, interface and silence. */
  private readonly droppedPastPairs = new Map<string, Group>();
  private readonly leaks = new Map<string, Group>();
  private readonly unanswered = new Map<string, Group>();
  private unansweredGroups = 0;
  /** The no-reply groups of each open flow. */
  private readonly unansweredOf = new Map<number, Group[]>();
  private readonly retransmitted = new Map<number, number[]>();
  /** Open flows some packet of which crossed the host (more than one hop, not dropped). */
  private readonly crossed = new Set<number>();
  /** The drop groups of each open flow with a dropped packet: told when the flow ends whether others crossed. */
  private readonly dropsOf = new Map<number, Group[]>();
  /**
   * Private and unique-local addresses that packets from global ones reached through an uplink: the
   * far side routes answers to them (another router's NAT, a routed site), so their packets that
   * left untranslated did not leak.
   */
  private readonly reachedFromOutside = new Set<string>();

  constructor(private readonly hand: FindingHandler) {}

  /** Call after the journey's fate and flow are known; `silent`: a SYN dropped without even a RST. */
  add(w: JourneyWork, roles: RoleView, silent: boolean): void {
    const j = w.journey;
    const first = w.hops[0];
    const last = w.hops[w.hops.length - 1];
    if (j.flow !== undefined && j.fate !== 'dropped' && w.hops.length > 1) this.crossed.add(j.flow);
    // A packet too big for its way out has a finding of its own (mtu.ts).
    if (j.fate === 'dropped' && j.reason !== 'mtu') {
      const key = `${j.kind}|${first.src}|${first.dst}|${last.iface}`;
      const g =
        this.dropped.size < MAX_DROP_PAIRS || this.dropped.has(key)
          ? addTo(this.dropped, key, w, { silent, flows: true })
          : addTo(this.droppedPastPairs, `${j.kind}|${last.iface}|${silent}`, w, { silent, flows: true });
      if (j.flow !== undefined && g.flows && !g.flows.has(j.flow) && g.flows.size < MAX_IDS) {
        g.flows.add(j.flow);
        const groups = this.dropsOf.get(j.flow);
        if (!groups) this.dropsOf.set(j.flow, [g]);
        else if (!groups.includes(g)) groups.push(g);
      }
    }
    this.learnReached(w.hops, roles);
    const leak = this.leakOf(w.hops, roles);
    if (leak) {
      const g = addTo(this.leaks, `${leak.hop.src}|${leak.hop.iface}`, w, { leak: leak.hop });
      g.forwarded = g.forwarded === true || leak.forwarded;
    }
    if (j.retransmission && j.flow !== undefined) {
      const list = this.retransmitted.get(j.flow);
      if (list) {
      if (list.length < MAX_IDS) list.push(j.id);
    }
      else this.retransmitted.set(j.flow, [j.id]);
    }
    if (j.fate !== 'answered' && j.fate !== 'dropped' && w.hops[0] !== undefined && expectsAnswer(w.hops[0])) {
      const key = `${j.kind}|${j.flow ?? first.dst}`;
      const g = addTo(this.unanswered, key, w);
      if (g.ordinal === undefined) {
        g.ordinal = ++this.unansweredGroups;
        g.key = key;
        if (j.flow !== undefined) {
          const groups = this.unansweredOf.get(j.flow);
          if (groups) groups.push(g);
          else this.unansweredOf.set(j.flow, [g]);
        }
      }
    }
  }

  /**
   * The first uplink hop of a journey whose source must be translated before it leaves a site (a
   * private or unique-local address, going to a global one) and was not. Only those scopes can leak:
   * link-local and unspecified sources never leave their link (neighbour discovery, DHCP, MLD),
   * loopback never leaves the host, and a packet to a private, link-scoped or group destination
   * stays inside the site whatever its source. A source that changed before the uplink was
   * translated (NAT worked). `forwarded`: the packet was seen on an inside interface first, so the
   * source is not the host's own address.
   */
  private leakOf(hops: readonly Observation[], roles: RoleView): Leak | undefined {
    for (let i = 0; i < hops.length; i++) {
      const h = hops[i];
      if (roles.role(h.iface) !== 'uplink') continue;
      const src = addressScope(h.src);
      if ((src !== 'private' && src !== 'unique-local') || addressScope(h.dst) !== 'global') return undefined;
      let forwarded = false;
      for (let k = 0; k < i; k++) {
        if (hops[k].src !== h.src) return undefined;
        const r = roles.role(hops[k].iface);
        if (r === 'bridge' || r === 'veth' || r === 'container' || r === 'unknown') forwarded = true;
      }
      return { hop: h, forwarded };
    }
    return undefined;
  }

  private learnReached(hops: readonly Observation[], roles: RoleView): void {
    for (const h of hops) {
      if (roles.role(h.iface) !== 'uplink' || addressScope(h.src) !== 'global') continue;
      const dst = addressScope(h.dst);
      if (dst === 'private' || dst === 'unique-local') this.reachedFromOutside.add(h.dst);
    }
  }

  /**
   * A flow is finished (no later journey is of it): its requests nobody answered are final, and its
   * retransmissions, if any, are one finding.
   */
  flowFinished(f: Flow): void {
    const groups = this.dropsOf.get(f.id);
    if (groups && this.crossed.has(f.id)) for (const g of groups) g.siblingsCrossed = true;
    this.dropsOf.delete(f.id);
    this.crossed.delete(f.id);
    for (const g of this.unansweredOf.get(f.id) ?? []) {
      this.unanswered.delete(g.key!);
      this.hand(noReplyFinding(g), FindingPart.noReply, g.ordinal!);
    }
    this.unansweredOf.delete(f.id);
    const ids = this.retransmitted.get(f.id) ?? [];
    this.retransmitted.delete(f.id);
    if (!f.retransmissions) return;
    this.hand({
      code: 'retransmission',
      severity: 'warning',
      message:
        `${plural(f.retransmissions, 'TCP segment')} of the connection ${f.client} -> ${f.server} ${f.retransmissions === 1 ? 'was' : 'were'} sent again on the same interface: ` +
        `true retransmissions, the first copy was lost or not acknowledged in time.`,
      journeys: ids,
      flows: [f.id],
    }, FindingPart.retransmissions, f.id);
  }

  /** The end of the captures: hands on the findings final only now. */
  finish(roles: Map<string, InterfaceInfo>): void {
    const numbered = (part: FindingPart): ((f: Finding) => void) => {
      let key = 0;
      return (f) => this.hand(f, part, ++key);
    };
    this.dropFindings(roles, numbered(FindingPart.dropped));
    this.leakFindings(numbered(FindingPart.leaks));
    for (const g of this.unanswered.values()) this.hand(noReplyFinding(g), FindingPart.noReply, g.ordinal!);
  }

  /** Packets that entered the host and never left it: each pair of addresses told apart, then the rest. */
  private dropFindings(roles: Map<string, InterfaceInfo>, out: (f: Finding) => void): void {
    const role = (iface: string): string => roles.get(iface)?.role ?? 'unknown';
    const uplinks = [...roles.values()].filter((r) => r.role === 'uplink').map((r) => r.name);
    for (const g of this.dropped.values()) out(dropFinding(g, false, role, uplinks));
    for (const g of this.droppedPastPairs.values()) out(dropFinding(g, true, role, uplinks));
  }

  /** Private sources that left the uplink untranslated, as sure as the captures make them. */
  private leakFindings(out: (f: Finding) => void): void {
    for (const { exemplar: x, ids, count, forwarded } of this.leaks.values()) {
      // The uplink hop of the group's first journey, as found when it was collected.
      const h = x.leak!;
      const them = count === 1 ? 'it' : 'them';
      // Answers came back to it through the uplink: whatever translated or routed them, it worked.
      if (this.reachedFromOutside.has(h.src)) continue;
      // Only an RFC 1918 or CGNAT source the host was seen forwarding is proof: a unique-local
      // source may be routed between sites or translated by NPTv6, and one seen only on the uplink
      // may be the host's own address behind another router's NAT.
      const left = `${plural(count, 'packet')} left the uplink ${h.interface} with the`;
      let severity: Finding['severity'] = 'warning';
      let message: string;
      if (addressScope(h.src) === 'unique-local') {
        message =
          `${left} unique-local source ${h.src} and nothing came back to it there: ` +
          `sites route ULA between themselves and NPTv6 translates it without conntrack, so this is a fault only if the far side has no route back ` +
          `(check ip -6 route there, and ip6tables -t nat -L POSTROUTING here).`;
      } else if (forwarded) {
        severity = 'error';
        message =
          `${left} private source ${h.src}: no MASQUERADE or SNAT rule ` +
          `translated ${them}, so the far side cannot route an answer back (check iptables -t nat -L POSTROUTING).`;
      } else {
        message =
          `${left} private source ${h.src} and nothing came back to it there; ` +
          `the captures do not show ${them} crossing the host: if ${h.src} is a container's address rather than the host's own, no MASQUERADE or SNAT rule ` +
          `translated ${them} (check iptables -t nat -L POSTROUTING).`;
      }
      out({ code: 'unnatted-private-source', severity, message, journeys: ids });
    }
  }

}

/**
 * The finding of one group of drops; `together`: the drops of the pairs of addresses past
 * MAX_DROP_PAIRS, whose exemplar is only the first of them.
 */
function dropFinding(g: Group, together: boolean, role: (iface: string) => string, uplinks: string[]): Finding {
  const { exemplar: x, ids, count, siblingsCrossed } = g;
  const { last } = x;
  const past = `past the first ${MAX_DROP_PAIRS} pairs of addresses told apart, counted together`;
  if (x.silent) {
    const between = together
      ? `from sources to the host's own addresses ${past} (the first from ${last.src} to ${last.dst}, port ${x.dport ?? '?'})`
      : `from ${last.src} to the host's own address ${last.dst} (port ${x.dport ?? '?'})`;
    return {
      code: 'dropped-at-host',
      severity: 'error',
      message:
        `${plural(count, 'TCP SYN')} ${between} entered the host (${x.path}): ` +
        `no answer came back, ${SILENT_DROP_WORDS}, so a filter dropped ${count === 1 ? 'it' : 'them'} silently, ` +
        `in INPUT, or in FORWARD after the DNAT of a published port (nothing was seen leaving towards a container).`,
      journeys: ids,
    };
  }
  const between = together ? `between addresses ${past} (the first from ${last.src} to ${last.dst})` : `from ${last.src} to ${last.dst}`;
  // When other packets of the same conversation crossed the host, forwarding is on: something
  // selective (a filter with a statistic or rate match, a full queue) dropped these ones.
  const why = siblingsCrossed
    ? `other packets of ${together ? 'some of these connections' : 'the same connection'} crossed the host, so forwarding is on: a selective filter rule (iptables FORWARD DROP with a statistic, rate or state match) dropped these`
    : 'ip_forward is probably 0 on the host, or a filter (iptables FORWARD policy DROP) dropped it';
  return {
    code: 'dropped-at-host',
    severity: 'error',
    message:
      `${plural(count, `${x.kind.toUpperCase()} packet`)} ${between} entered the host (${x.path}) ` +
      (role(last.interface) === 'uplink'
        ? `and never left towards the container that conntrack's NAT binding hands ${count === 1 ? 'it' : 'them'} to: ${why}.`
        : `and never left${uplinks.length > 0 ? ` through ${uplinks.join(', ')}` : ''}, where routing would send ${count === 1 ? 'it' : 'them'}: ${why}.`),
    journeys: ids,
  };
}

/** The finding of requests nobody answered. */
function noReplyFinding({ exemplar: x, ids, count }: Group): Finding {
  const what = x.request === 'arp' ? 'ARP request' : x.request === 'echo' ? 'ICMP echo request' : x.request === 'syn' ? 'TCP SYN' : 'DNS query';
  // A SYN or a query names its port: one finding per flow, and a scan's thousands of them would
  // otherwise read the same. An ARP request asks the link for an address rather than going to it.
  const to = x.request === 'syn' || x.request === 'dns' ? endpoint(x.first.dst, x.first.dport) : x.first.dst;
  const route = x.request === 'arp' ? `from ${x.first.src} for ${to}` : `from ${x.first.src} to ${to}`;
  return {
    code: 'no-reply',
    severity: 'warning',
    message: `${plural(count, what)} ${route} got no answer in the captures (last seen on ${x.last.interface}).`,
    journeys: ids,
    ...(x.flow !== undefined ? { flows: [x.flow] } : {}),
  };
}

/**
 * The findings a person reads: at most `max`, errors first, then warnings, then notes (in their
 * order within each), and how many of each code are left out. A busy capture has thousands (a port
 * scan one per connection); the analysis document keeps every one.
 */
export function findingsForPeople(findings: readonly Finding[], max: number): FindingsForPeople {
  if (findings.length <= max) return { shown: [...findings], hidden: 0, left: [] };
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const ordered = [...findings].sort((x, y) => rank[x.severity] - rank[y.severity]);
  const rest = new Map<string, number>();
  for (const f of ordered.slice(max)) rest.set(f.code, (rest.get(f.code) ?? 0) + 1);
  return { shown: ordered.slice(0, max), hidden: ordered.length - max, left: [...rest].sort((x, y) => y[1] - x[1]).map(([code, count]) => ({ code, count })) };
}

/** What findingsForPeople gives. */
export interface FindingsForPeople {
  shown: Finding[];
  hidden: number;
  left: { code: string; count: number }[];
}

/** What a person is told of all the findings: how many of each severity, and findingsForPeople's. */
export interface FindingsOverview {
  count: number;
  errors: number;
  warnings: number;
  forPeople: FindingsForPeople;
}

/** The overview of findings all at hand. */
export function overviewOf(findings: readonly Finding[], max: number): FindingsOverview {
  let errors = 0;
  let warnings = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
  }
  return { count: findings.length, errors, warnings, forPeople: findingsForPeople(findings, max) };
}

const SEVERITIES: readonly Finding['severity'][] = ['error', 'warning', 'info'];

/** Positions (ascending) kept up to a bound: the smallest `size` of those offered. */
class Smallest<T> {
  readonly items: { pos: number; value: T }[] = [];

  constructor(private readonly size: number) {}

  offer(pos: number, value: T): void {
    const items = this.items;
    if (items.length === this.size && pos > items[items.length - 1].pos) return;
    let at = items.length;
    while (at > 0 && items[at - 1].pos > pos) at--;
    items.splice(at, 0, { pos, value });
    if (items.length > this.size) items.pop();
  }
}

/**
 * findingsForPeople of every finding without holding them: findings come as they are final, in any
 * order, each with its position in the document, and what is kept is what the person reads (the
 * first `max` of each severity) and, for the count of each code left out, the first `max` + 1
 * positions of each code of each severity (the first one left out is among them).
 */
export class FindingTally {
  count = 0;
  private readonly first = new Map<Finding['severity'], Smallest<Finding>>();
  private readonly codes = new Map<Finding['severity'], Map<string, { count: number; positions: Smallest<null> }>>();

  constructor(private readonly max: number) {}

  /** `pos`: the finding's place in the document's order (any numbers that sort as it does). */
  add(f: Finding, pos: number): void {
    this.count++;
    let first = this.first.get(f.severity);
    if (!first) this.first.set(f.severity, (first = new Smallest(this.max)));
    first.offer(pos, f);
    let codes = this.codes.get(f.severity);
    if (!codes) this.codes.set(f.severity, (codes = new Map()));
    let c = codes.get(f.code);
    if (!c) codes.set(f.code, (c = { count: 0, positions: new Smallest(this.max + 1) }));
    c.count++;
    c.positions.offer(pos, null);
  }

  /** What findingsForPeople(every finding in document order, max) gives. */
  forPeople(): FindingsForPeople {
    const ofSeverity = SEVERITIES.map((s) => this.first.get(s)?.items ?? []);
    if (this.count <= this.max) {
      const all = ofSeverity.flat().sort((a, b) => a.pos - b.pos);
      return { shown: all.map((x) => x.value), hidden: 0, left: [] };
    }
    const shown: Finding[] = [];
    // Each code left out: how many, and where its first one left out is (severity, position).
    const rest = new Map<string, { count: number; rank: number; pos: number }>();
    SEVERITIES.forEach((severity, rank) => {
      const taken = ofSeverity[rank].slice(0, this.max - shown.length);
      for (const x of taken) shown.push(x.value);
      const lastShown = taken.length > 0 ? taken[taken.length - 1].pos : -Infinity;
      for (const [code, c] of this.codes.get(severity) ?? []) {
        const kept = c.positions.items;
        const shownOfCode = kept.filter((x) => x.pos <= lastShown).length;
        if (c.count === shownOfCode) continue;
        const r = rest.get(code);
        if (r) r.count += c.count - shownOfCode;
        else rest.set(code, { count: c.count - shownOfCode, rank, pos: kept[shownOfCode].pos });
      }
    });
    // Most left out first; ties in the order findingsForPeople meets them (severity, then document order).
    const left = [...rest]
      .sort((x, y) => y[1].count - x[1].count || x[1].rank - y[1].rank || x[1].pos - y[1].pos)
      .map(([code, r]) => ({ code, count: r.count }));
    return { shown, hidden: this.count - this.max, left };
  }

  /** What overviewOf(every finding, max) gives. */
  overview(): FindingsOverview {
    const counted = (severity: Finding['severity']): number => {
      let n = 0;
      for (const c of this.codes.get(severity)?.values() ?? []) n += c.count;
      return n;
    };
    return { count: this.count, errors: counted('error'), warnings: counted('warning'), forPeople: this.forPeople() };
  }
}
