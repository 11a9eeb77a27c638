import { getHeapStatistics } from 'node:v8';
import type { CaptureReader } from '../capture/index.js';
import { CaptureError } from '../capture/errors.js';
import { mergeCaptures } from '../capture/index.js';
import type { Frame } from '../capture/frame.js';
import { formatEpochNs } from '../capture/frame.js';
import type { Analysis, CaptureSummary, Hop, InterfaceInfo, InterfaceRole, Journey } from './model.js';
import type { Observation } from './observation.js';
import { Observer } from './observe.js';
import { JourneyAssembler, type OpenJourney } from './journey-assembler.js';
import { orderHops, stepsOf } from './steps.js';
import { FlowBuilder } from './flows.js';
import { RoleInference } from './roles.js';
import { resolveAnswers } from './fates.js';
import { findingsOf } from './findings.js';
import { natBindingsOf } from './nat-table.js';
import { summaryOf } from './summary.js';
import type { Topology } from './topology.js';

export interface AnalyzeOptions {
  /** Correlation window: copies of one packet further apart than this are different packets. */
  windowNs?: number;
  communityIdSeed?: number;
  /** Names for cooked-v2 interface indexes (`--iface-map`). */
  ifaceMap?: Map<number, string>;
  /** Roles the user gave, overriding inference. */
  roles?: Map<string, InterfaceRole>;
  /** Keep the `read` line of every hop, for reports that cite their evidence. */
  evidenceLines?: boolean;
  topology?: Topology;
  /**
   * Heap bytes the frames may fill before reading stops (default: 40% of the process's heap limit,
   * the rest being what answers, flows, findings and the document need after reading).
   */
  memoryLimitBytes?: number;
}

/** The share of V8's heap limit the read loop may use; measured: the later phases add about half. */
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
  return analyzeFrames(mergeCaptures(readers), readers, options);
}

export async function analyzeFrames(
  batches: AsyncIterable<Frame[]>,
  readers: CaptureReader[],
  options: AnalyzeOptions = {},
): Promise<AnalysisWork> {
  const windowNs = options.windowNs ?? DEFAULT_WINDOW_NS;
  const observer = new Observer({ ifaceMap: options.ifaceMap ?? new Map(), evidenceLines: options.evidenceLines ?? false });
  const roleInference = new RoleInference();
  const rolePairs = new Map<string, Set<string>>();
  const work: { journey: Journey; hops: Observation[] }[] = [];
  const ifacePackets = new Map<string, number>();
  const firstLast = new Map<string, [Frame, Frame]>();

  const assembler = new JourneyAssembler(windowNs, (open: OpenJourney) => {
    const hops = orderHops(open.hops);
    const journey: Journey = {
      id: open.id,
      kind: hops[0].kind,
      summary: summaryOf(hops[0]),
      hops: hops.map(toHop),
      steps: stepsOf(hops),
      fate: 'unknown',
    };
    work.push({ journey, hops });
  });

  // A capture damaged part-way still tells what was read before the damage: the error is kept and
  // handed back beside the analysis, for the caller to report after it.
  let damage: unknown;
  const heapLimit = getHeapStatistics().heap_size_limit;
  const memoryLimit = options.memoryLimitBytes ?? heapLimit * READ_HEAP_SHARE;
  try {
    for await (const batch of batches) {
      // The analysis keeps every journey for the document: on a capture too large for this process it
      // stops, at a frame boundary, and what was read is analyzed, rather than dying out of memory.
      if (batch.length > 0 && getHeapStatistics().used_heap_size > memoryLimit) {
        const at = batch[0];
        damage = new CaptureError(
          at.file,
          at.fileOffset,
          `analysis stopped before frame ${at.number}: keeping every journey needs more memory than this process may use ` +
            `(${Math.round(memoryLimit / 2 ** 20)} MiB of a ${Math.round(heapLimit / 2 ** 20)} MiB heap); the frames before it in time order are analyzed. ` +
            `Split the capture (editcap -c 1000000 in.pcapng out.pcapng) or give Node more memory (NODE_OPTIONS=--max-old-space-size=16384)`,
        );
        break;
      }
      for (const frame of batch) {
      const span = firstLast.get(frame.file);
      if (span) span[1] = frame;
      else firstLast.set(frame.file, [frame, frame]);
      const o = observer.observe(frame);
      ifacePackets.set(o.iface, (ifacePackets.get(o.iface) ?? 0) + 1);
      // Roles depend only on which address pairs each interface carried: each pair is looked at once.
      if (o.family !== 0) {
        let pairs = rolePairs.get(o.iface);
        if (!pairs) rolePairs.set(o.iface, (pairs = new Set()));
        const pair = `${o.src} ${o.dst}`;
        if (!pairs.has(pair)) {
          pairs.add(pair);
          roleInference.observe(o);
        }
      }
      assembler.add(o);
      }
    }
  } catch (err) {
    damage = err;
  }
  assembler.flush();
  work.sort((a, b) => a.journey.id - b.journey.id);
  // Ids in order of first sighting, 1-based and dense, as people count.
  const renumber = new Map<number, number>();
  work.forEach((w, i) => renumber.set(w.journey.id, i + 1));
  for (const w of work) w.journey.id = renumber.get(w.journey.id)!;

  roleInference.learnSteps(work.map((w) => w.journey));
  const interfaces: InterfaceInfo[] = [...ifacePackets.keys()].sort().map((name) => {
    const { role, source } = roleInference.roleOf(name, options.roles?.get(name));
    return { name, role, roleSource: source, packets: ifacePackets.get(name) ?? 0 };
  });
  const roles = new Map(interfaces.map((i) => [i.name, i]));

  const hopsById = new Map(work.map((w) => [w.journey.id, w.hops]));
  const hopsOf = (j: Journey): Observation[] => hopsById.get(j.id) ?? [];

  const { silentlyDropped, hostAddresses } = resolveAnswers(work, roles, options.topology);

  const flowBuilder = new FlowBuilder({ communityIdSeed: options.communityIdSeed ?? 0 });
  for (const w of work) flowBuilder.add(w);
  const flows = flowBuilder.finish();
  const journeys = work.map((w) => w.journey);

  const captures: CaptureSummary[] = readers.map((r) => {
    const span = firstLast.get(r.file);
    return {
      file: r.file,
      format: r.info.format,
      packets: r.info.packets,
      interfaces: r.info.interfaces.map((i) => ({ name: i.name, linktype: i.linktype, packets: r.info.packetsPerInterface[i.index] ?? 0 })),
      ...(span ? { start: formatEpochNs(span[0]), end: formatEpochNs(span[1]) } : {}),
    };
  });

  const analysis: Analysis = {
    version: 1,
    captures,
    interfaces,
    hostAddresses,
    journeys,
    flows,
    findings: findingsOf({ journeys, hopsOf, flows, roles, silentlyDropped }),
    nat: natBindingsOf(journeys, flows),
    limitations: observer.limitations(),
  };
  return damage === undefined ? { analysis, hopsOf } : { analysis, hopsOf, damage };
}

function toHop(o: Observation): Hop {
  const h: Hop = {
    interface: o.iface,
    ts: `${o.tsSec}.${String(o.tsNsec).padStart(9, '0')}`,
    file: o.file,
    frame: o.frame,
    src: o.src,
    dst: o.dst,
  };
  if (o.sport !== undefined) h.sport = o.sport;
  if (o.dport !== undefined) h.dport = o.dport;
  if (o.icmpId !== undefined) h.icmpId = o.icmpId;
  if (o.ttl !== undefined) h.ttl = o.ttl;
  if (o.srcMac !== undefined) h.srcMac = o.srcMac;
  if (o.dstMac !== undefined) h.dstMac = o.dstMac;
  if (o.direction !== undefined) h.direction = o.direction;
  return h;
}
