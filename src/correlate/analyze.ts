import { getHeapStatistics } from 'node:v8';
import type { CaptureReader } from '../capture/index.js';
import { CaptureError } from '../capture/errors.js';
import { mergeCaptures, openCapture } from '../capture/index.js';
import type { Frame } from '../capture/frame.js';
import { formatEpochNs } from '../capture/frame.js';
import type { Analysis, CaptureSummary, Finding, Flow, Host, InterfaceRole, Journey, NatBinding } from './model.js';
import type { Observation } from './observation.js';
import type { JourneyWork } from './journey-work.js';
import { Correlator, type CorrelationSummary, type CorrelatorSink } from './correlator.js';
import type { Topology } from './topology.js';
import { fileInterfaces, hostInterfaceName, planHosts, type HostPlan } from './hosts.js';
import { estimateClockOffsets, type ClockEstimate } from './clocks.js';

export interface AnalyzeOptions {
  /** Correlation window: copies of one packet further apart than this are different packets. */
  windowNs?: number;
  communityIdSeed?: number;
  /** Names for cooked-v2 interface indexes (`--iface-map`). */
  ifaceMap?: Map<number, string>;
  /** Roles the user gave, overriding inference. */
  roles?: Map<string, InterfaceRole>;
  /**
   * Keep the `read` line of every hop, for reports that cite their evidence: true, made as the
   * frames are read; 'later', left for fillEvidenceLines to make for the hops a report cites.
   */
  evidenceLines?: boolean | 'later';
  topology?: Topology;
  /**
   * Heap bytes the frames may fill before reading stops (default: 40% of the process's heap limit,
   * the rest being what answers, flows, findings and the document need after reading).
   */
  memoryLimitBytes?: number;
  /** The hosts the files come from and their clocks (hostSetup); without it, planned from the files' interfaces with clocks taken as equal. */
  hosts?: HostSetup;
}

/** Which host each file comes from, and how far each host's clock runs ahead of the first's. */
export interface HostSetup {
  plan: HostPlan;
  clocks: ReadonlyMap<string, ClockEstimate>;
}

/**
 * The hosts of `readers` (`given`: --host) and, with more than one, their clock offsets, read from
 * the start of each file by readers of its own (the analysis's readers are left unread).
 */
export async function hostSetup(readers: readonly CaptureReader[], given: ReadonlyMap<string, string> = new Map(), ifaceMap: Map<number, string> = new Map()): Promise<HostSetup> {
  const plan = planHosts(fileInterfaces(readers), given);
  if (plan.hosts.length < 2) return { plan, clocks: new Map() };
  const again = await Promise.all(readers.map((r) => openCapture(r.file)));
  try {
    return { plan, clocks: await estimateClockOffsets(again, plan, ifaceMap) };
  } finally {
    await Promise.all(again.map((r) => r.close()));
  }
}

/** The per-reader clock offsets mergeCaptures corrects time with. */
export function readerOffsets(readers: readonly CaptureReader[], setup: HostSetup): number[] {
  return readers.map((r) => setup.clocks.get(setup.plan.hostOf.get(r.file) ?? '')?.offsetNs ?? 0);
}

/** The document's `hosts`. */
export function hostRecords(setup: HostSetup): Host[] {
  return setup.plan.hosts.map((h) => {
    const c = setup.clocks.get(h.name);
    const host: Host = { name: h.name, files: h.files, clockOffsetNs: String(c?.offsetNs ?? 0), offsetSamples: c?.samples ?? 0 };
    if (c?.method) host.offsetMethod = c.method;
    return host;
  });
}

/**
 * The share of V8's heap limit (which counts the young generation too: 112 MiB for a 64 MiB old
 * space) the read loop may use; measured: the later phases of a report add about half.
 */
const READ_HEAP_SHARE = 0.4;

export const DEFAULT_WINDOW_NS = 300_000_000;

export interface AnalysisWork {
  analysis: Analysis;
  /** The observations behind each journey's hops (travel order), for reports and diff. */
  hopsOf: (j: Journey) => Observation[];
  /** The error that ended reading early (a damaged capture); the analysis covers what came before. */
  damage?: unknown;
}

/** Reads the captures (merged in time order) and correlates them into the analysis document. */
export async function analyzeCaptures(readers: CaptureReader[], options: AnalyzeOptions = {}): Promise<AnalysisWork> {
  const hosts = options.hosts ?? (await hostSetup(readers, new Map(), options.ifaceMap));
  return analyzeFrames(mergeCaptures(readers, { clockOffsetNs: readerOffsets(readers, hosts), recycle: true }), readers, { ...options, hosts });
}

export async function analyzeFrames(
  batches: AsyncIterable<Frame[]>,
  readers: CaptureReader[],
  options: AnalyzeOptions = {},
): Promise<AnalysisWork> {
  const work: JourneyWork[] = [];
  const flows: Flow[] = [];
  const nat: NatBinding[] = [];
  // Every journey is kept for the document: each waits for its answer to the end of the captures.
  // Flows end as they do in analyze (and in conntrack): when they have gone quiet.
  const sink: CorrelatorSink = { journey: (w) => work.push(w) > 0, flow: (f) => flows.push(f), natBinding: (b) => nat.push(b) };
  const run = await correlateFrames(batches, readers, { ...options, maxWaiting: Infinity }, sink, { memoryUse: 'keeping every journey needs' });
  const hopsById = new Map(work.map((w) => [w.journey.id, w.hops]));
  const rest = run.summary;
  flows.sort((a, b) => a.id - b.id);
  nat.sort((a, b) => a.flow - b.flow);
  for (const [a, b] of rest.proxies) {
    flows[a - 1].proxyOf = b;
    flows[b - 1].proxyOf = a;
  }
  // Journeys first: analyze writes them while it reads, before what is known only at the end.
  const analysis: Analysis = { version: 1, hosts: run.hosts, journeys: work.map((w) => w.journey), ...documentTail(run, flows, nat) };
  const hopsOf = (j: Journey): Observation[] => hopsById.get(j.id) ?? [];
  return run.damage === undefined ? { analysis, hopsOf } : { analysis, hopsOf, damage: run.damage };
}

/**
 * The document's fields after its journeys, in the order they are written: what is known only at the
 * end. Flows and NAT bindings are given, as arrays or as whatever writes them (analyze's spills), and
 * so are the findings when the sink took them (the summary's otherwise).
 */
export function documentTail<F, N, G = Finding[]>(run: CorrelationRun, flows: F, nat: N, findings?: G) {
  const a = run.summary;
  return { captures: run.captures, interfaces: a.interfaces, hostAddresses: a.hostAddresses, flows, findings: findings ?? a.findings, nat, limitations: a.limitations };
}

/** What a streamed run leaves besides the journeys it handed on. */
export interface CorrelationRun {
  hosts: Host[];
  captures: CaptureSummary[];
  summary: CorrelationSummary;
  /** The error that ended reading early (a damaged capture); the analysis covers what came before. */
  damage?: unknown;
}

/** How many journeys a streamed analysis lets wait for their answers at once. */
export const STREAM_MAX_WAITING = 20_000;

export interface StreamOptions extends AnalyzeOptions {
  maxWaiting?: number;
  maxFlowSides?: number;
}

/**
 * Correlates in flat memory: every journey is handed to the sink (in id order) once enough newer
 * journeys have come (STREAM_MAX_WAITING), every flow once it has gone quiet, and only then
 * forgotten; `drain` is awaited between batches, for a sink that writes. For `analyze` on captures
 * of any size.
 */
export async function streamFrames(
  batches: AsyncIterable<Frame[]>,
  readers: CaptureReader[],
  options: StreamOptions,
  sink: CorrelatorSink,
  drain?: () => Promise<void>,
): Promise<CorrelationRun> {
  return correlateFrames(
    batches,
    readers,
    { ...options, maxWaiting: options.maxWaiting ?? STREAM_MAX_WAITING },
    sink,
    { drain, memoryUse: 'the flow table and the journeys waiting for their answers need' },
  );
}

/**
 * Frames per file for `editcap -c` when the heap filled at frame `reached`: a fifth fewer, rounded
 * down to two significant digits, so that each piece fits with room to spare.
 */
export function splitSize(reached: number): number {
  const n = Math.max(1, Math.floor(reached * 0.8));
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.floor(n / unit) * unit;
}

/** Journeys finished between two writes at the end of the captures. */
const END_STEP = 1024;

async function correlateFrames(
  batches: AsyncIterable<Frame[]>,
  readers: CaptureReader[],
  options: AnalyzeOptions & { maxWaiting: number; maxFlowSides?: number },
  sink: CorrelatorSink,
  control: { memoryUse: string; drain?: () => Promise<void> },
): Promise<CorrelationRun> {
  const hosts = options.hosts ?? { plan: planHosts(fileInterfaces(readers)), clocks: new Map() };
  const offsets = readerOffsets(readers, hosts);
  const clockOffsetNs = new Map(readers.map((r, i) => [r.file, offsets[i]]));
  const correlator = new Correlator(
    {
      windowNs: options.windowNs ?? DEFAULT_WINDOW_NS,
      communityIdSeed: options.communityIdSeed ?? 0,
      ifaceMap: options.ifaceMap ?? new Map(),
      roles: options.roles ?? new Map(),
      evidenceLines: options.evidenceLines ?? false,
      topology: options.topology,
      maxWaiting: options.maxWaiting,
      maxFlowSides: options.maxFlowSides,
      hosts: hosts.plan,
      clockOffsetNs,
    },
    sink,
  );
  const firstLast = new Map<string, [Frame, Frame]>();
  // A capture damaged part-way still tells what was read before the damage: the error is kept and
  // handed back beside the analysis, for the caller to report after it.
  let damage: unknown;
  const { memoryUse, drain } = control;
  const memoryLimitBytes = options.memoryLimitBytes ?? getHeapStatistics().heap_size_limit * READ_HEAP_SHARE;
  try {
    for await (const batch of batches) {
      // A capture too large for this process stops, at a frame boundary, and what was read is
      // analyzed, rather than dying out of memory.
      if (batch.length > 0 && getHeapStatistics().used_heap_size > memoryLimitBytes) {
        damage = outOfMemory(batch[0], memoryUse, memoryLimitBytes);
        break;
      }
      for (const frame of batch) {
        const span = firstLast.get(frame.file);
        if (span) span[1] = frame;
        else firstLast.set(frame.file, [frame, frame]);
        correlator.add(frame);
      }
      if (drain) await drain();
    }
  } catch (err) {
    damage = err;
  }
  // Finished in steps, each written before the next, as while reading.
  while (correlator.finishWaiting(END_STEP)) if (drain) await drain();
  const summary = correlator.finish();
  if (drain) await drain();

  const captures = captureSummaries(readers, firstLast, hosts.plan);
  const run = { hosts: hostRecords(hosts), captures, summary };
  return damage === undefined ? run : { ...run, damage };
}

function outOfMemory(at: Frame, memoryUse: string, memoryLimitBytes: number): CaptureError {
  const heapLimit = getHeapStatistics().heap_size_limit;
  return new CaptureError(
    at.file,
    at.fileOffset,
    `analysis stopped before frame ${at.number}: ${memoryUse} more memory than this process may use ` +
      `(${Math.round(memoryLimitBytes / 2 ** 20)} MiB of a ${Math.round(heapLimit / 2 ** 20)} MiB heap); the frames before it in time order are analyzed. ` +
      `${at.number > 1 ? `Split the capture into files this process can hold (editcap -c ${splitSize(at.number)} in.pcapng out.pcapng) or give` : 'Give'} Node more memory (NODE_OPTIONS=--max-old-space-size=16384)`,
  );
}

/** Each capture as read: its format, counts, and the time of its first and last frame. */
function captureSummaries(readers: CaptureReader[], firstLast: Map<string, [Frame, Frame]>, plan: HostPlan): CaptureSummary[] {
  return readers.map((r) => {
    const span = firstLast.get(r.file);
    return {
      file: r.file,
      format: r.info.format,
      packets: r.info.packets,
      interfaces: r.info.interfaces.map((i) => ({ name: hostInterfaceName(plan, r.file, i.name), linktype: i.linktype, packets: r.info.packetsPerInterface[i.index] ?? 0 })),
      ...(span ? { start: formatEpochNs(span[0]), end: formatEpochNs(span[1]) } : {}),
    };
  });
}
