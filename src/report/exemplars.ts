/**
 * What a report keeps of a capture of any size, as the correlator hands journeys on: every journey
 * of a small capture; of a large one, the first conversations of each family (same client, service,
 * path and NAT) and the first conversations that failed, with counts and percentiles of all traffic,
 * so that memory stays flat however long the capture.
 */
import type { CorrelatorSink } from '../correlate/correlator.js';
import type { CorrelationRun } from '../correlate/analyze.js';
import type { Analysis, Finding, Flow, Journey, NatBinding } from '../correlate/model.js';
import type { JourneyWork } from '../correlate/journey-work.js';
import type { Observation } from '../correlate/observation.js';
import { TCP_FIN, TCP_RST } from '../correlate/observation.js';
import { TransitSample, transitNs } from '../correlate/groups.js';
import { GlanceTable, noteJourney, type FlowTraffic } from './glance.js';
import { FindingTally, findingPosition, inDocumentOrder, type FindingsOverview, type PlacedFinding } from '../correlate/findings.js';
import { MAX_ROWS } from './document.js';

/** Conversations (flows) of one family kept whole (up to JOURNEYS_PER_FLOW): its first ones. */
const FLOWS_PER_FAMILY = 4;
/** Journeys kept of one conversation, or of one family of loose traffic (ARP, ICMP errors): its first. */
const JOURNEYS_PER_FLOW = 64;
/** Beyond those, a kept conversation's FINs and RSTs, so that its ending can still be told. */
const ENDINGS_PER_FLOW = 4;
/** Conversations of one family kept from their first drop on, for a story that failed. */
const FAILING_FLOWS_PER_FAMILY = 2;
/** Families told apart; the traffic of families first seen after these is counted only. */
const MAX_FAMILIES = 1000;
/** Journeys kept in all: past this, no further conversation starts being kept. */
const KEPT_BUDGET = 4000;
/** Transit times kept per family for its percentiles. */
const TRANSIT_SAMPLE = 2000;

/** Conversations alike: the same kind of packet from the same address to the same service, path and NAT. */
export interface Family {
  kind: Journey['kind'];
  src: string;
  /** The destination port, or the ICMP type (loose traffic). */
  service?: number;
  /** The interfaces its first journey crossed. */
  path: string[];
  /** Whether its first journey was rewritten by NAT on the way. */
  translated: boolean;
  flows: number;
  journeys: number;
  dropped: number;
  retransmissions: number;
  transits: TransitSample;
  /** The journey that took longest to cross the host, and how long. */
  slowest?: { work: JourneyWork; ns: number };
  keptFlows: number;
  failingFlows: number;
}

/** A conversation while its journeys pass. */
interface FlowTally extends FlowTraffic {
  family: Family;
  keep: boolean;
  journeys: number;
  kept: number;
  endings: number;
}

/** What the report says of all traffic when it keeps only exemplars of it. */
export interface SampledTraffic {
  journeys: number;
  dropped: number;
  /** Journeys rewritten by NAT. */
  translated: number;
  kept: number;
  /** The family a kept journey belongs to, by journey id. */
  familyOf(journeyId: number): Family | undefined;
  /** Journeys of a kept conversation, kept or not, by flow id. */
  flowJourneys(flowId: number): number | undefined;
  flows: number;
  /** The flows with the most packets (the summary's), for the flows table. */
  largestFlows: Flow[];
  natBindings: number;
  /** The NAT bindings of the first translated flows, for the NAT table. */
  firstNatBindings: NatBinding[];
  glance: GlanceTable;
  families: number;
  /** Journeys of the families first seen after MAX_FAMILIES, counted only. */
  uncounted: number;
}

export interface KeptAnalysis {
  analysis: Analysis;
  hopsOf: (j: Journey) => Observation[];
  /** The observations of every journey kept, whose evidence the report may cite. */
  observations: () => Iterable<Observation>;
  /** Set when only exemplars were kept: what all traffic was. */
  sampled?: SampledTraffic;
  /** Every finding counted, those a person reads first (MAX_ROWS), whether `analysis` holds them all or not. */
  findings: FindingsOverview;
}

function isTranslated(j: Journey): boolean {
  for (const st of j.steps) if (st.nat) return true;
  return false;
}

/** Keeps the journeys, flows and NAT bindings a report tells, as a correlator sink. */
export class ExemplarKeeper {
  private readonly kept: JourneyWork[] = [];
  private readonly keptFlows = new Map<number, Flow>();
  private readonly nat: NatBinding[] = [];
  /** Conversations whose journeys are passing (a flow is handed on after all of its journeys). */
  private readonly live = new Map<number, FlowTally>();
  private readonly families = new Map<string, Family>();
  private readonly familyOfKept = new Map<number, Family>();
  /** Journeys of kept conversations by flow id (kept or not), for the stories that tell them. */
  private readonly journeysOfKeptFlow = new Map<number, number>();
  private readonly glance = new GlanceTable();
  private readonly findingTally = new FindingTally(MAX_ROWS);
  /**
   * Findings with their place in the document: every one while every journey is kept, then those
   * that name a kept journey, which are all the stories cite. A finding comes after the journeys it
   * names (when their flow, or the captures, end), so whether they were kept is known.
   */
  private findings: PlacedFinding[] = [];
  private complete = true;
  private journeys = 0;
  private dropped = 0;
  private translated = 0;
  private uncounted = 0;
  private flowCount = 0;

  readonly sink: CorrelatorSink = {
    // Exemplars are told from their observations long after they are finished: kept ones say so.
    journey: (w) => this.journey(w),
    flow: (f) => this.flow(f),
    natBinding: (b) => {
      if (this.complete || this.keptFlows.has(b.flow) || this.live.get(b.flow)?.keep) this.nat.push(b);
    },
    finding: (f, part, key) => {
      const pos = findingPosition(part, key);
      this.findingTally.add(f, pos);
      if (this.complete || this.namesKept(f)) this.findings.push({ pos, finding: f });
    },
  };

  private namesKept(f: Finding): boolean {
    return f.journeys?.some((id) => this.familyOfKept.has(id)) === true;
  }

  /** Takes in a journey; true when `w` is kept (an exemplar, or its family's slowest so far). */
  private journey(w: JourneyWork): boolean {
    const j = w.journey;
    this.journeys++;
    const dropped = j.fate === 'dropped';
    if (dropped) this.dropped++;
    if (isTranslated(j)) this.translated++;
    let tally = j.flow === undefined ? undefined : this.live.get(j.flow);
    if (j.flow !== undefined && !tally) {
      const family = this.familyFor(w, true);
      if (!family) return this.drop(false);
      const keep = family.keptFlows < FLOWS_PER_FAMILY && this.kept.length < KEPT_BUDGET;
      if (keep) family.keptFlows++;
      tally = { family, keep, journeys: 0, kept: 0, endings: 0, dropped: 0, retransmissions: 0 };
      this.live.set(j.flow, tally);
      family.flows++;
    }
    const family = tally?.family ?? this.familyFor(w, false);
    if (!family) return this.drop(false);
    family.journeys++;
    if (dropped) family.dropped++;
    if (j.retransmission) family.retransmissions++;
    let slowest = false;
    if (j.hops.length > 1) {
      const ns = transitNs(j);
      family.transits.add(ns);
      if (!family.slowest || ns > family.slowest.ns) {
        family.slowest = { work: w, ns };
        slowest = true;
      }
    }
    if (!tally) {
      // Loose traffic (ARP, ICMP errors, neighbour discovery): the family's first journeys.
      if (family.journeys <= JOURNEYS_PER_FLOW && this.kept.length < 2 * KEPT_BUDGET) return this.keep(w, family);
      return this.drop(slowest);
    }
    tally.journeys++;
    noteJourney(tally, j);
    if (!tally.keep && dropped && family.failingFlows < FAILING_FLOWS_PER_FAMILY && this.kept.length < 2 * KEPT_BUDGET) {
      // A conversation that failed is told from its failure on: the first ones of the family may all have gone well.
      family.failingFlows++;
      tally.keep = true;
    }
    if (!tally.keep) return this.drop(slowest);
    if (tally.kept < JOURNEYS_PER_FLOW) {
      tally.kept++;
      return this.keep(w, family);
    }
    if (tally.endings < ENDINGS_PER_FLOW && ((w.hops[0].tcpFlags ?? 0) & (TCP_FIN | TCP_RST)) !== 0) {
      tally.endings++;
      return this.keep(w, family);
    }
    return this.drop(slowest);
  }

  private keep(w: JourneyWork, family: Family): true {
    this.kept.push(w);
    this.familyOfKept.set(w.journey.id, family);
    return true;
  }

  /** A journey not told as an exemplar; still kept (`slowest`) while it is its family's slowest. */
  private drop(slowest: boolean): boolean {
    if (this.complete) {
      this.complete = false;
      this.findings = this.findings.filter((x) => this.namesKept(x.finding));
    }
    return slowest;
  }

  /**
   * The family of a journey: of a flow's first journey (one key a conversation, not a packet), or of
   * a loose journey. Undefined once MAX_FAMILIES are told apart and this one is new.
   */
  private familyFor(w: JourneyWork, ofFlow: boolean): Family | undefined {
    const j = w.journey;
    const o = w.hops[0];
    const service = ofFlow ? o.dport : (o.detail?.icmpType ?? o.detail?.arpOp ?? o.proto);
    let path = j.hops[0].interface;
    for (let i = 1; i < j.hops.length; i++) path += `>${j.hops[i].interface}`;
    const translated = isTranslated(j);
    // Loose traffic is told apart by its destination too: an ARP request for the gateway is not one for a neighbour.
    const key = `${ofFlow ? 'f' : `l|${o.dst}`}|${j.kind}|${o.src}|${service ?? ''}|${path}|${translated ? 'nat' : ''}`;
    let family = this.families.get(key);
    if (family) return family;
    if (this.families.size >= MAX_FAMILIES) {
      this.uncounted++;
      return undefined;
    }
    family = {
      kind: j.kind,
      src: o.src,
      ...(service === undefined ? {} : { service }),
      path: j.hops.map((h) => h.interface),
      translated,
      flows: 0,
      journeys: 0,
      dropped: 0,
      retransmissions: 0,
      transits: new TransitSample(TRANSIT_SAMPLE),
      keptFlows: 0,
      failingFlows: 0,
    };
    this.families.set(key, family);
    return family;
  }

  private flow(f: Flow): void {
    this.flowCount++;
    const tally = this.live.get(f.id);
    this.live.delete(f.id);
    if (tally) {
      this.glance.add(f, tally);
      if (tally.keep) this.journeysOfKeptFlow.set(f.id, tally.journeys);
    } else {
      this.glance.add(f, { dropped: 0, retransmissions: 0 });
    }
    if (this.complete || tally?.keep) this.keptFlows.set(f.id, f);
  }

  /** The analysis the report tells, once the run is over. */
  result(run: CorrelationRun): KeptAnalysis {
    const s = run.summary;
    // Flows kept while every journey still was, but whose later journeys were not, tell nothing.
    const told = (id: number): boolean => this.complete || this.journeysOfKeptFlow.has(id);
    const flows = [...this.keptFlows.values()].filter((f) => told(f.id)).sort((a, b) => a.id - b.id);
    const byId = new Map(flows.map((f) => [f.id, f]));
    for (const [a, b] of s.proxies) {
      const fa = byId.get(a);
      const fb = byId.get(b);
      if (fa) fa.proxyOf = b;
      if (fb) fb.proxyOf = a;
    }
    const nat = this.nat.filter((b) => told(b.flow)).sort((a, b) => a.flow - b.flow);
    const analysis: Analysis = {
      version: 1,
      hosts: run.hosts,
      journeys: this.kept.map((w) => w.journey),
      captures: run.captures,
      interfaces: s.interfaces,
      hostAddresses: s.hostAddresses,
      flows,
      findings: inDocumentOrder(this.findings),
      nat,
      limitations: s.limitations,
    };
    const hopsById = new Map(this.kept.map((w) => [w.journey.id, w.hops]));
    const hopsOf = (j: Journey): Observation[] => hopsById.get(j.id) ?? [];
    const observations = function* (): Iterable<Observation> {
      for (const hops of hopsById.values()) yield* hops;
    };
    const findings = this.findingTally.overview();
    if (this.complete) return { analysis, hopsOf, observations, findings };
    // The slowest journey of each family is cited by its story: its observations are kept with it.
    for (const family of this.families.values()) if (family.slowest) hopsById.set(family.slowest.work.journey.id, family.slowest.work.hops);
    const sampled: SampledTraffic = {
      journeys: this.journeys,
      dropped: this.dropped,
      translated: this.translated,
      kept: this.kept.length,
      familyOf: (id) => this.familyOfKept.get(id),
      flowJourneys: (id) => this.journeysOfKeptFlow.get(id),
      flows: this.flowCount,
      largestFlows: s.largestFlows,
      natBindings: s.natBindings,
      firstNatBindings: s.firstNatBindings,
      glance: this.glance,
      families: this.families.size,
      uncounted: this.uncounted,
    };
    return { analysis, hopsOf, observations, sampled, findings };
  }
}
