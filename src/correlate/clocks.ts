/**
 * How far each host's clock runs ahead of the first host's, from packets captured on both, as NTP
 * does (DESIGN.md "Several hosts"). A packet that crossed from one host to the other carries the
 * same fingerprint on each (the outer packet of a tunnel is fingerprinted by the frame it carries).
 * Its copies on the two uplinks are the two ends of the link between the hosts, and which way it
 * went each host's own clock tells: the sender saw it inside before its uplink, the receiver on its
 * uplink before inside. With d1 the smallest arrival-minus-departure of packets from the first
 * host to the other and d2 that of packets the other way, the offset is (d1 - d2) / 2; with one
 * direction only, d1 (or -d2) bounds it. Without such packets, the median difference of the first
 * sightings of the packets both hosts saw stands in.
 *
 * Read before the analysis, from the start of each file: the correlation needs corrected time from
 * the first frame on, to join the copies of one packet seen on two hosts.
 */
import type { CaptureReader } from '../capture/index.js';
import { Observer } from './observe.js';
import type { HostPlan } from './hosts.js';
import { roleFromName } from './roles.js';

/** Frames read from the start of each file to compare clocks: a few seconds of a busy capture. */
export const CLOCK_FRAMES_PER_FILE = 200_000;

export interface ClockEstimate {
  /** Nanoseconds this host's clock runs ahead of the first host's. */
  offsetNs: number;
  /** Packets seen on both hosts that the estimate comes from (0: none; the offset is then 0). */
  samples: number;
  /** How it was estimated: both directions of the link, one (a bound), or first sightings. */
  method?: 'link' | 'one-way' | 'sightings';
}

/** When a host saw one packet: first and last on any interface, first on an uplink (NaN: never). */
interface Sighting {
  first: number;
  last: number;
  uplink: number;
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
  const firstSeen = new Map<string, Map<number, Sighting>>(plan.hosts.map((h) => [h.name, new Map()]));
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
            const up = roleFromName(o.iface) === 'uplink';
            const s = seen.get(o.fp);
            if (s === undefined) seen.set(o.fp, { first: t, last: t, uplink: up ? t : NaN });
            else {
              if (t < s.first) s.first = t;
              if (t > s.last) s.last = t;
              if (up && !(t >= s.uplink)) s.uplink = t;
            }
          }
          observer.release([o]);
        }
      }
    } catch {
      // A damaged file compares what it had before the damage; the analysis reports the damage.
    }
  }
  const first = firstSeen.get(plan.hosts[0].name)!;
  for (const h of plan.hosts.slice(1)) out.set(h.name, compareClocks(first, firstSeen.get(h.name)!));
  return out;
}

/** Sent by the host: seen inside first, on its uplink last. */
function sent(s: Sighting): boolean {
  return s.first < s.uplink && s.uplink >= s.last;
}

/** Received by the host: seen on its uplink first, inside after. */
function received(s: Sighting): boolean {
  return s.uplink <= s.first && s.last > s.uplink;
}

/** Host b's clock against host a's (see the top of this file). */
function compareClocks(a: Map<number, Sighting>, b: Map<number, Sighting>): ClockEstimate {
  let d1 = Infinity;
  let d2 = Infinity;
  let samples = 0;
  const sightings: number[] = [];
  for (const [fp, sb] of b) {
    const sa = a.get(fp);
    if (sa === undefined) continue;
    sightings.push(sb.first - sa.first);
    if (Number.isNaN(sa.uplink) || Number.isNaN(sb.uplink)) continue;
    const aToB = sent(sa) || received(sb);
    const bToA = sent(sb) || received(sa);
    if (aToB === bToA) continue;
    samples++;
    if (aToB) d1 = Math.min(d1, sb.uplink - sa.uplink);
    else d2 = Math.min(d2, sa.uplink - sb.uplink);
  }
  if (samples > 0) {
    if (d1 < Infinity && d2 < Infinity) return { offsetNs: Math.round((d1 - d2) / 2), samples, method: 'link' };
    return { offsetNs: Math.round(d1 < Infinity ? d1 : -d2), samples, method: 'one-way' };
  }
  if (sightings.length === 0) return { offsetNs: 0, samples: 0 };
  sightings.sort((x, y) => x - y);
  const mid = sightings.length >> 1;
  const median = sightings.length % 2 === 1 ? sightings[mid] : (sightings[mid - 1] + sightings[mid]) / 2;
  return { offsetNs: Math.round(median), samples: sightings.length, method: 'sightings' };
}
