import type { Frame } from '../capture/frame.js';
import type { Finding, Flow, InterfaceInfo, InterfaceRole, Journey, NatBinding } from './model.js';
import type { JourneyWork } from './journey-work.js';
import type { Topology } from './topology.js';
import { Observer } from './observe.js';
import { JourneyAssembler, type OpenJourney } from './journey-assembler.js';
import { orderHops, stepsOf } from './steps.js';
import { FlowBuilder } from './flows.js';
import { RoleInference } from './roles.js';
import { AnswerMatcher } from './answers.js';
import { FateJudge, type RoleView } from './fates.js';
import { FindingCollector, FindingPart, FindingTally, findingPosition, inDocumentOrder, type FindingsForPeople, type PlacedFinding } from './findings.js';
import { NatBindingCollector } from './nat-table.js';
import { NatBypassCollector } from './nat-bypass.js';
import { GroupCollector, type JourneyGroup, type UngroupedJourneys, durationText } from './groups.js';
import { summaryOf } from './summary.js';
import { hopOf } from './journey-json.js';
import { MtuCollector } from './mtu.js';
import { useHostNames, type HostPlan } from './hosts.js';

export interface CorrelatorOptions {
  /** Correlation window: copies of one packet further apart than this are different packets. */
  windowNs: number;
  communityIdSeed: number;
  /** Names for cooked-v2 interface indexes (`--iface-map`). */
  ifaceMap: Map<number, string>;
  /** Roles the user gave, overriding inference. */
  roles: Map<string, InterfaceRole>;
  /** Keep the `read` line of every hop, for reports that cite their evidence (ObserverOptions.evidenceLines). */
  evidenceLines: boolean | 'later';
  topology?: Topology;
  /**
   * How many journeys wait at once for their answers, and for the later packets that tell where
   * their addresses live, before the oldest one's fate is decided and it is handed on; Infinity:
   * all of them, to the end. Counted in journeys, not seconds, because journeys are what cost memory.
   */
  maxWaiting: number;
  /** Tuple sides the flow table numbers before it starts again from its open flows (FlowOptions.maxSides). */
  maxFlowSides?: number;
  /** The hosts the files come from: with several, interfaces are named HOST:IFACE. */
  hosts?: HostPlan;
  /** Nanoseconds each file's clock runs ahead of the first host's. */
  clockOffsetNs?: ReadonlyMap<string, number>;
}

/**
 * Where finished work goes: journeys in id order, flows and NAT bindings in the order they finish.
 * Without `journey` (the terminal view) the journeys' document records (hops, summary) are never made.
 */
export interface CorrelatorSink {
  /**
   * Returns true when the sink keeps `w`, or any of it (the record w.journey, its steps, the
   * observations w.hops), after it returns: the analysis that keeps every journey, a report's
   * exemplars. The objects of a journey no sink keeps are filled again for later frames and
   * journeys. `w.journey` is the document's record, hops and summary made, unless the sink
   * `serialisesJourneys`.
   */
  journey?(w: JourneyWork): boolean | void;
  /**
   * The sink writes each journey's record as JSON straight from `w` (journey-json.ts), during
   * journey() only: the correlator then never makes the record's `hops` and `summary` (w.journey
   * has [] and '' for them), which for the streamed --json and --ndjson cost more than the
   * serialising. A sink that keeps journeys, or reads their records, leaves this unset.
   */
  readonly serialisesJourneys?: boolean;
  flow(f: Flow): void;
  natBinding(b: NatBinding): void;
  /**
   * Takes each finding once it is final, with its place in the document (its part, then its key
   * there), rather than the summary keeping every one: analyze's documents spill them.
   */
  finding?(f: Finding, part: FindingPart, key: number): void;
}

/** Flows the terminal shows: the ones with the most packets. */
export const LARGEST_FLOWS = 60;

/** What is left when every journey has been handed on: the rest of the analysis document. */
export interface CorrelationSummary {
  interfaces: InterfaceInfo[];
  hostAddresses: string[];
  /** Every finding in the document's order, unless the sink took them (CorrelatorSink.finding): then none. */
  findings: Finding[];
  /** How many findings there are, and those the terminal shows (findingsForPeople with LARGEST_FLOWS). */
  findingCount: number;
  findingsForPeople: FindingsForPeople;
  limitations: string[];
  /** How many flows and NAT bindings went to the sink. */
  flows: number;
  natBindings: number;
  /** Userland proxies: pairs of flow ids, each the other's `proxyOf` (set on the flows below). */
  proxies: [number, number][];
  /** The LARGEST_FLOWS flows with the most packets, by id. */
  largestFlows: Flow[];
  /** The NAT bindings of the first LARGEST_FLOWS translated flows. */
  firstNatBindings: NatBinding[];
  /** The translations of the groups' flows, by flow id (a group's rewrite is told apart from its flow's reversal). */
  groupFlows: Map<number, Pick<Flow, 'translations'>>;
  /** The journeys told as stories a person reads (the terminal view), counted. */
  groups: JourneyGroup[];
  /** Journeys of the groups first seen after the first MAX_GROUPS, counted by label. */
  ungrouped?: UngroupedJourneys;
  journeys: number;
}

/**
 * The correlator as a stream: frames in (time order), finished journeys out (in order of first
 * sighting, which is their id), each once `maxWaiting` newer journeys have come. Memory holds the
 * journeys still waiting, the flow table and what is known per address, never the whole capture,
 * unless every journey may wait (reports, which tell every packet).
 */
export class Correlator {
  private readonly observer: Observer;
  private readonly roleInference = new RoleInference();
  private readonly ifacePackets = new Map<string, number>();
  private readonly assembler: JourneyAssembler;
  /** Closed journeys not yet admitted: admission goes by id, and journeys close out of order. */
  private readonly closed = new Map<number, JourneyWork>();
  private nextAdmit = 1;
  /** Admitted journeys waiting for their fate, oldest first (a queue: `head` is its start). */
  private waiting: JourneyWork[] = [];
  private head = 0;
  private latest = -Infinity;
  private readonly matcher = new AnswerMatcher();
  private readonly judge: FateJudge;
  private readonly flows: FlowBuilder;
  private readonly findings = new FindingCollector((f, part, key) => this.found(f, part, key));
  private readonly natBindings = new NatBindingCollector();
  private readonly bypasses = new NatBypassCollector((f, part, key) => this.found(f, part, key));
  private readonly findingTally = new FindingTally(LARGEST_FLOWS);
  /** Findings by their place in the document, when the sink does not take them. */
  private readonly keptFindings: PlacedFinding[] = [];
  private readonly mtu: MtuCollector;
  private readonly groups = new GroupCollector();
  private finished = 0;
  private flowCount = 0;
  private natCount = 0;
  private largestFlows: Flow[] = [];
  private firstNatBindings: NatBinding[] = [];
  private readonly groupFlows = new Map<number, Pick<Flow, 'translations'>>();
  /** Journeys finished before the end of the captures, and the shortest time one of them waited. */
  private early = 0;
  private shortestWaitNs = Infinity;
  private readonly view: RoleView & { refresh(): void };
  /** Finished journeys no sink kept, to be filled again for the next ones closed (workOf). */
  private readonly spare: JourneyWork[] = [];

  constructor(
    private readonly options: CorrelatorOptions,
    private readonly sink: CorrelatorSink,
  ) {
    this.observer = new Observer({ ifaceMap: options.ifaceMap, evidenceLines: options.evidenceLines, hosts: options.hosts, clockOffsetNs: options.clockOffsetNs });
    useHostNames(options.hosts && options.hosts.hosts.length > 1 ? options.hosts.hosts.map((h) => h.name) : []);
    this.judge = new FateJudge(options.topology);
    this.mtu = new MtuCollector(options.topology);
    this.flows = new FlowBuilder({ communityIdSeed: options.communityIdSeed, expireIdle: true, maxSides: options.maxFlowSides }, (f) => this.flowFinished(f));
    this.assembler = new JourneyAssembler(options.windowNs, (open) => this.close(open));
    this.view = this.roleView();
  }

  /** Roles as known now, cached until something learnt could change one. */
  private roleView(): RoleView & { refresh(): void } {
    const cache = new Map<string, InterfaceRole>();
    let learnt = -1;
    let interfaces = -1;
    const view = {
      version: 0,
      hasUplink: false,
      role: (iface: string): InterfaceRole => {
        let r = cache.get(iface);
        if (r === undefined) {
          r = this.roleInference.roleOf(iface, this.options.roles.get(iface)).role;
          cache.set(iface, r);
        }
        return r;
      },
      refresh: (): void => {
        if (learnt === this.roleInference.version && interfaces === this.ifacePackets.size) return;
        learnt = this.roleInference.version;
        interfaces = this.ifacePackets.size;
        cache.clear();
        view.version++;
        view.hasUplink = [...this.ifacePackets.keys()].some((name) => view.role(name) === 'uplink');
      },
    };
    return view;
  }

  add(frame: Frame): void {
    const o = this.observer.observe(frame);
    this.ifacePackets.set(o.iface, (this.ifacePackets.get(o.iface) ?? 0) + 1);
    this.roleInference.observe(o);
    this.assembler.add(o);
    if (o.t > this.latest) this.latest = o.t;
    this.finishDue();
  }

  private close(open: OpenJourney): void {
    const w = this.workOf(open);
    const journey = w.journey;
    this.roleInference.learnJourney(journey);
    // Ids are given in order of first sighting, so admitting by id keeps that order for answers.
    // Most journeys close in that order and are admitted at once; the others wait in `closed`.
    if (journey.id !== this.nextAdmit) {
      this.closed.set(journey.id, w);
      return;
    }
    this.nextAdmit++;
    this.admit(w);
    for (let next = this.closed.get(this.nextAdmit); next !== undefined; next = this.closed.get(this.nextAdmit)) {
      this.closed.delete(this.nextAdmit++);
      this.admit(next);
    }
  }

  /**
   * The work of a journey just closed, in the objects of one finished before it that no sink kept
   * when there is one. A journey's objects wait with it for its answer, long enough to be promoted
   * to V8's old generation to die there: made afresh for every packet, they were a third of what
   * analyze promoted, all of it collector work (bench/NOTES.md, fourth pass).
   */
  private workOf(open: OpenJourney): JourneyWork {
    const w = this.spare.pop() ?? blankWork();
    const hops = orderHops(open.hops, w.hops);
    w.hops = hops;
    const j = w.journey;
    j.id = open.id;
    j.kind = hops[0].kind;
    j.summary = '';
    if (j.hops.length !== 0) j.hops = [];
    j.steps = stepsOf(hops, j.steps);
    j.fate = 'unknown';
    j.reason = undefined;
    j.isReply = undefined;
    j.answerOf = undefined;
    j.answeredBy = undefined;
    j.flow = undefined;
    j.retransmission = undefined;
    j.answersCopy = undefined;
    j.resetOf = undefined;
    w.answerFirstHop = undefined;
    w.requestIface = undefined;
    w.answers = undefined;
    w.waitKeys = undefined;
    return w;
  }

  private admit(w: JourneyWork): void {
    this.mtu.admit(w);
    const request = this.matcher.admit(w);
    if (request) this.judge.answered(request);
    this.judge.learn(w);
    this.waiting.push(w);
  }

  /** Finishes the oldest journeys while too many wait. */
  private finishDue(): void {
    while (this.waiting.length - this.head > this.options.maxWaiting) {
      const waitedNs = this.latest - this.waiting[this.head].hops[0].t;
      if (waitedNs < this.shortestWaitNs) this.shortestWaitNs = waitedNs;
      this.early++;
      this.finishNext();
    }
    // Drop the finished part of the queue now and then rather than shifting one by one.
    if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  private finishNext(): void {
    const w = this.waiting[this.head];
    this.waiting[this.head++] = undefined as unknown as JourneyWork;
    this.view.refresh();
    const tooBig = this.mtu.answerTo(w);
    const silent = this.judge.decide(w, this.view);
    this.matcher.forget(w);
    this.flows.add(w);
    if (tooBig) this.mtu.tooBig(w, tooBig);
    else if (!this.mtu.unansweredTooBig(w)) this.mtu.add(w);
    this.mtu.forget(w);
    this.findings.add(w, this.view, silent);
    this.bypasses.add(w);
    this.natBindings.add(w);
    this.groups.add(w);
    this.finished++;
    // Its answer's observation is another journey's, filled again once that one is finished.
    w.answerFirstHop = undefined;
    let kept = false;
    if (this.sink.journey) {
      if (!this.sink.serialisesJourneys) {
        w.journey.summary = summaryOf(w.hops[0]);
        w.journey.hops = w.hops.map(hopOf);
      }
      kept = this.sink.journey(w) === true;
    }
    if (!kept) {
      this.observer.release(w.hops);
      if (this.spare.length < MAX_SPARE) this.spare.push(w);
    }
  }

  /** A finding is final: counted for the terminal, and handed on or kept. */
  private found(f: Finding, part: FindingPart, key: number): void {
    const pos = findingPosition(part, key);
    this.findingTally.add(f, pos);
    if (this.sink.finding) this.sink.finding(f, part, key);
    else this.keptFindings.push({ pos, finding: f });
  }

  private flowFinished(f: Flow): void {
    this.flowCount++;
    this.mtu.flowFinished(f);
    this.findings.flowFinished(f);
    this.bypasses.flowFinished(f);
    const binding = this.natBindings.flowFinished(f);
    if (binding) {
      this.natCount++;
      this.firstNatBindings.push(binding);
      if (this.firstNatBindings.length > 2 * LARGEST_FLOWS) this.firstNatBindings = firstByFlow(this.firstNatBindings);
      this.sink.natBinding(binding);
    }
    this.largestFlows.push(f);
    if (this.largestFlows.length > 2 * LARGEST_FLOWS) this.largestFlows = largest(this.largestFlows);
    if (this.groups.names(f.id)) this.groupFlows.set(f.id, { translations: f.translations });
    this.groups.flowFinished(f.id);
    this.sink.flow(f);
  }

  /**
   * The end of the captures: closes the journeys still open, then finishes up to `count` of those
   * waiting; true while some still wait. Called in steps, so that the caller can write what each
   * step handed on before the next: finishing the whole queue at once held every one of their
   * documents in memory at the same time.
   */
  finishWaiting(count: number): boolean {
    this.assembler.flush();
    const end = Math.min(this.waiting.length, this.head + count);
    while (this.head < end) this.finishNext();
    if (this.head < this.waiting.length) return true;
    this.waiting = [];
    this.head = 0;
    return false;
  }

  /** Finishes every journey still waiting and every flow: what is left is the summary. */
  finish(): CorrelationSummary {
    this.finishWaiting(Infinity);
    this.view.refresh();
    const interfaces: InterfaceInfo[] = [...this.ifacePackets.keys()].sort().map((name) => {
      const { role, source } = this.roleInference.roleOf(name, this.options.roles.get(name));
      return { name, role, roleSource: source, packets: this.ifacePackets.get(name) ?? 0 };
    });
    const roles = new Map(interfaces.map((i) => [i.name, i]));
    const proxies = this.flows.finish();
    // The terminal's flows get their proxy mark here; the sink marks the flows it holds or wrote.
    const kept = new Map(this.largestFlows.map((f) => [f.id, f]));
    for (const [a, b] of proxies) {
      const fa = kept.get(a);
      const fb = kept.get(b);
      if (fa) fa.proxyOf = b;
      if (fb) fb.proxyOf = a;
    }
    this.findings.finish(roles);
    this.mtu.finish().forEach((f, i) => this.found(f, FindingPart.mtu, i + 1));
    const limitations = this.observer.limitations();
    if (this.early > 0) {
      limitations.push(
        `Answers were looked for among the next ${this.options.maxWaiting.toLocaleString('en-US')} journeys of each packet, not to the end of the captures ` +
          `(which would hold them all in memory): at the busiest moment that was ${durationText(this.shortestWaitNs)} of capture, ` +
          `and an answer later than that is reported as no reply.`,
      );
    }
    return {
      interfaces,
      hostAddresses: this.judge.hostAddresses(this.view),
      findings: inDocumentOrder(this.keptFindings),
      findingCount: this.findingTally.count,
      findingsForPeople: this.findingTally.forPeople(),
      limitations,
      flows: this.flowCount,
      natBindings: this.natCount,
      proxies,
      largestFlows: largest(this.largestFlows).sort((a, b) => a.id - b.id),
      firstNatBindings: firstByFlow(this.firstNatBindings),
      groupFlows: this.groupFlows,
      ...this.groups.finish(),
      journeys: this.finished,
    };
  }
}

/** Journeys close about as fast as they finish: a few spare ones are all that is ever used. */
const MAX_SPARE = 4096;

/**
 * A journey's work with every field there, filled by Correlator.workOf. The document's hops and
 * summary are made when the journey is finished: a journey waiting for its answer costs its
 * observations only. Every field is there from the start, in the order they are learnt (an answer's
 * own admission, then a later answer to it, then its flow at the end): one shape for every journey,
 * and the document's key order as when they were added one by one.
 */
function blankWork(): JourneyWork {
  const journey: Journey = {
    id: 0,
    kind: 'other',
    summary: '',
    hops: [],
    steps: [],
    fate: 'unknown',
    reason: undefined,
    isReply: undefined,
    answerOf: undefined,
    answeredBy: undefined,
    flow: undefined,
    retransmission: undefined,
    answersCopy: undefined,
    resetOf: undefined,
  };
  return { journey, hops: [], answerFirstHop: undefined, requestIface: undefined, answers: undefined, waitKeys: undefined };
}

/** The LARGEST_FLOWS flows with the most packets, ties to the first: as a stable sort would pick. */
function largest(flows: Flow[]): Flow[] {
  return flows.sort((a, b) => b.packets - a.packets || a.id - b.id).slice(0, LARGEST_FLOWS);
}

function firstByFlow(bindings: NatBinding[]): NatBinding[] {
  return bindings.sort((a, b) => a.flow - b.flow).slice(0, LARGEST_FLOWS);
}
