/**
 * How far each host's clock runs ahead of the first host's, from packets captured on both: a packet
 * that crossed from one host to the other (the outer packet of a tunnel, or the same frame on the
 * two ends of a link) carries the same fingerprint on each, and the difference of its two first
 * sightings is the offset plus the time it took to cross, or minus it the other way. The median of
 * those differences is the offset: the crossing times, microseconds on a link, cancel between the
 * two directions and are in any case far below what moves a journey out of its window.
 *
 * Read before the analysis, from the start of each file: the correlation needs corrected time from
 * the first frame on, to join the copies of one packet seen on two hosts.
 */
import type { CaptureReader } from '../capture/index.js';
import { Observer } from './observe.js';
import type { HostPlan } from './hosts.js';

/** Frames read from the start of each file to compare clocks: a few seconds of a busy capture. */
export const CLOCK_FRAMES_PER_FILE = 200_000;

export interface ClockEstimate {
  /** Nanoseconds this host's clock runs ahead of the first host's. */
  offsetNs: number;
  /** Packets seen on both hosts that the estimate comes from (0: none; the offset is then 0). */
  samples: number;
}

/**
 * The clock offset of every host of `plan` against its first host, read from `readers` (opened
 * for this pre-pass only: they are read from the start, in file order).
 */
export async function estimateClockOffsets(readers: readonly CaptureReader[], plan: HostPlan, ifaceMap: Map<number, string>, framesPerFile = CLOCK_FRAMES_PER_FILE): Promise<Map<string, ClockEstimate>> {
  const out = new Map<string, ClockEstimate>();
  for (const h of plan.hosts) out.set(h.name, { offsetNs: 0, samples: 0 });
  if (plan.hosts.length < 2) return out;
  // First sighting of each fingerprint on each host, in nanoseconds from one common epoch second.
  const firstSeen = new Map<string, Map<number, number>>(plan.hosts.map((h) => [h.name, new Map()]));
  let epochSec: number | undefined;
  for (const reader of readers) {
    const seen = firstSeen.get(plan.hostOf.get(reader.file) ?? '')!;
    const observer = new Observer({ ifaceMap, evidenceLines: false });
    let n = 0;
    try {
      read: for await (const batch of reader.batches()) {
        for (const frame of batch) {
          if (n++ >= framesPerFile) break read;
          epochSec ??= frame.tsSec;
          const o = observer.observe(frame);
          // Frames that are not IP say too little to be told from the same frame sent twice.
          if (o.family !== 0) {
            const t = (frame.tsSec - epochSec) * 1e9 + frame.tsNsec;
            const before = seen.get(o.fp);
            if (before === undefined || t < before) seen.set(o.fp, t);
          }
          observer.release([o]);
        }
      }
    } catch {
      // A damaged file compares what it had before the damage; the analysis reports the damage.
    }
  }
  const first = firstSeen.get(plan.hosts[0].name)!;
  for (const h of plan.hosts.slice(1)) {
    const differences: number[] = [];
    for (const [fp, t] of firstSeen.get(h.name)!) {
      const t0 = first.get(fp);
      if (t0 !== undefined) differences.push(t - t0);
    }
    if (differences.length === 0) continue;
    differences.sort((a, b) => a - b);
    const mid = differences.length >> 1;
    const median = differences.length % 2 === 1 ? differences[mid] : (differences[mid - 1] + differences[mid]) / 2;
    out.set(h.name, { offsetNs: Math.round(median), samples: differences.length });
  }
  return out;
}
