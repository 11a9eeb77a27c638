// What the fates know about connections (connection-facts.ts), kept 150 s of capture after a
// connection's last packet (CONNECTION_FACTS_NS) and then forgotten. End to end, on real frames
// placed in time: a port NAT forwards inwards (tcp-loss's MASQUERADE), then the frames of it that
// stop at the uplink again; one SYN that got no answer (publish-filtered's), then its retry. Kept,
// the later packets are judged by what came before; forgotten, as if it had never been. And table
// by table, against the Maps they replace, through the churn of the benchmark's capture.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeCaptures, openCapture, writePcapng, type WriterFrame } from '../../src/capture/index.js';
import { frameTimeNs } from '../../src/capture/frame.js';
import { streamFrames } from '../../src/correlate/analyze.js';
import { ClientTuples, NatInward } from '../../src/correlate/connection-facts.js';
import { Observer } from '../../src/correlate/observe.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../src/correlate/observation.js';
import { endpoint, echoOrEndpoint } from '../../src/correlate/endpoint.js';
import { REPO } from '../helpers/tools.js';
import { writeBenchCapture } from '../helpers/bench-capture.js';
import { framesOf } from '../helpers/repeat.js';

const TCP_LOSS = join(REPO, 'samples', 'tcp-loss', 'capture.pcapng');
const PUBLISH_FILTERED = join(REPO, 'samples', 'publish-filtered', 'capture.pcapng');
/** tcp-loss: the server's segments to the outside of MASQUERADE (203.0.113.108:50576) that stop at eth0. */
const LOST_ON_THE_WAY_IN = [28, 68, 114];
/** publish-filtered: the first SYN from outside to the published port, and its first retry. */
const SYN = 3;
const SYN_RETRY = 4;

interface Part {
  file: string;
  /** Seconds after the first part's start at which this part's first frame is put. */
  at: number;
  /** Frame numbers of the file, all when absent. */
  frames?: number[];
}

/** Writes the parts, each shifted in time, into one capture; returns the frame numbers each part got there. */
async function timeline(path: string, parts: Part[]): Promise<number[][]> {
  const names: string[] = [];
  const linktypes: number[] = [];
  const out: WriterFrame[] = [];
  const numbers: number[][] = [];
  let start: bigint | undefined;
  for (const part of parts) {
    const frames = (await framesOf(part.file)).filter((f) => part.frames === undefined || part.frames.includes(f.number));
    start ??= frameTimeNs(frames[0]);
    const shift = start + BigInt(part.at * 1000) * 1_000_000n - frameTimeNs(frames[0]);
    numbers.push([]);
    for (const f of frames) {
      if (!names.includes(f.iface.name)) {
        names.push(f.iface.name);
        linktypes.push(f.iface.linktype);
      }
      const tsNs = frameTimeNs(f) + shift;
      expect(out.length === 0 || tsNs >= out[out.length - 1].tsNs).toBe(true);
      out.push({ iface: names.indexOf(f.iface.name), tsNs, data: f.data, origLen: f.origLen });
      numbers[numbers.length - 1].push(out.length);
    }
  }
  await writePcapng(
    path,
    names.map((name, i) => ({ name, linktype: linktypes[i] })),
    out,
  );
  return numbers;
}

/** The fate of every journey, by the frame number of its first hop, as analyze decides them (streamed). */
async function fates(path: string, maxWaiting: number): Promise<Map<number, string>> {
  const reader = await openCapture(path);
  const out = new Map<number, string>();
  try {
    await streamFrames(mergeCaptures([reader]), [reader], { maxWaiting }, {
      journey: (w) => {
        out.set(w.hops[0].frame, w.journey.fate);
      },
      flow: () => {},
      natBinding: () => {},
    });
  } finally {
    await reader.close();
  }
  return out;
}

async function inDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'pn-connection-facts-'));
  try {
    return await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('connection facts, kept 150 s of capture', () => {
  // The outside of MASQUERADE is the host's address (tcp-loss learns it), so a segment to it that
  // stops at the uplink was delivered to the host, unless NAT forwards that port inwards: then it
  // was dropped on the way in. Every journey waits here until the end, so nothing is forgotten
  // before the first of the later segments is judged.
  it.each([
    [149, 'dropped'],
    [200, 'delivered'],
  ])('a port NAT forwards inwards, %i s later', async (later, fate) => {
    await inDir(async (dir) => {
      const path = join(dir, 'timeline.pcapng');
      const [first, again] = await timeline(path, [
        { file: TCP_LOSS, at: 0 },
        { file: TCP_LOSS, at: later, frames: LOST_ON_THE_WAY_IN },
      ]);
      const decided = await fates(path, Infinity);
      expect(LOST_ON_THE_WAY_IN.map((n) => decided.get(first[n - 1]))).toEqual(['dropped', 'dropped', 'dropped']);
      expect(again.map((n) => decided.get(n))).toEqual([fate, fate, fate]);
    });
  });

  // A SYN to the host sent again and met with silence was dropped by a filter; sent once, the host
  // had it. Between the SYN and its retry, tcp-loss again and again keeps the judge busy: its
  // journeys are judged (and facts forgotten) while the later ones come, as in a long capture,
  // where what a journey's fate is decided with is learnt 20 journeys before it.
  it.each([
    [140, 'dropped'],
    [200, 'delivered'],
  ])('a SYN that got no answer, its retry %i s later', async (later, fate) => {
    await inDir(async (dir) => {
      const path = join(dir, 'timeline.pcapng');
      const parts = await timeline(path, [
        { file: TCP_LOSS, at: 0 },
        { file: PUBLISH_FILTERED, at: 10, frames: [SYN] },
        { file: TCP_LOSS, at: 11 },
        { file: TCP_LOSS, at: 8 + later },
        { file: PUBLISH_FILTERED, at: 10 + later, frames: [SYN_RETRY] },
        { file: TCP_LOSS, at: 11 + later },
      ]);
      const decided = await fates(path, 20);
      expect([decided.get(parts[1][0]), decided.get(parts[4][0])]).toEqual(['delivered', fate]);
    });
  });
});

/** The Maps ClientTuples replaces (fates.ts before it), as they were. */
class TupleMaps {
  readonly resets = new Map<string, number>();
  readonly syns = new Map<string, { unanswered: number; last: number }>();

  countSyn(k: string, change: 1 | -1, t: number): void {
    const n = this.syns.get(k);
    if (n === undefined) {
      this.syns.set(k, { unanswered: change, last: t });
      return;
    }
    n.unanswered += change;
    if (change > 0) n.last = t;
    if (n.unanswered === 0) this.syns.delete(k);
  }

  forgetBefore(before: number): void {
    for (const [k, t] of this.resets) if (t < before) this.resets.delete(k);
    for (const [k, n] of this.syns) if (n.last < before) this.syns.delete(k);
  }
}

const tupleText = (src: string, sport: number | undefined, dst: string, dport: number | undefined): string => `${endpoint(src, sport)}>${endpoint(dst, dport)}`;

describe('connection facts against the Maps they replace', () => {
  // Every packet's TCP flags feed the SYN counts and RSTs (a SYN-ACK answers its SYN), every
  // packet's source endpoint is set as if NAT forwarded it inwards, and facts older than `keepNs`
  // are forgotten every `everyNs`: short times for churn (tables that grow, shrink and move their
  // rows); after each, every tuple and endpoint seen is asked for.
  it.each([
    [200_000_000, 50_000_000],
    [20_000_000, 5_000_000],
  ])('on the benchmark capture, forgetting after %i ns every %i ns', async (keepNs, everyNs) => {
    await inDir(async (dir) => {
      const path = join(dir, 'bench.pcapng');
      await writeBenchCapture(path, 20_000);
      const observer = new Observer({ ifaceMap: new Map(), evidenceLines: false });
      const obs = (await framesOf(path)).map((f) => observer.observe(f));
      const tuples = new ClientTuples();
      const maps = new TupleMaps();
      const inward = new NatInward();
      const inwardMap = new Map<string, number>();
      const seenTuples = new Map<string, [string, number | undefined, string, number | undefined]>();
      const seenEnds = new Map<string, [string, number | undefined, number | undefined]>();
      let next = obs[0].t + everyNs;
      const counts = { checks: 0, resets: 0, unanswered: 0, forgotten: 0 };
      const check = (): void => {
        const wrong: string[] = [];
        for (const [k, [src, sport, dst, dport]] of seenTuples) {
          if (tuples.unansweredSyns(src, sport, dst, dport) !== (maps.syns.get(k)?.unanswered ?? 0)) wrong.push(`SYNs of ${k}`);
          if (tuples.wasReset(src, sport, dst, dport) !== maps.resets.has(k)) wrong.push(`RST of ${k}`);
        }
        for (const [k, [addr, port, icmpId]] of seenEnds) if (inward.has(addr, port, icmpId) !== inwardMap.has(k)) wrong.push(`inward ${k}`);
        expect(wrong).toEqual([]);
        counts.checks++;
        counts.resets += maps.resets.size;
        counts.unanswered += maps.syns.size;
      };
      for (const o of obs) {
        if (o.t >= next) {
          const before = o.t - keepNs;
          const held = maps.resets.size + maps.syns.size + inwardMap.size;
          tuples.forgetBefore(before);
          maps.forgetBefore(before);
          inward.forgetBefore(before);
          for (const [k, t] of inwardMap) if (t < before) inwardMap.delete(k);
          counts.forgotten += held - (maps.resets.size + maps.syns.size + inwardMap.size);
          check();
          next = o.t + everyNs;
        }
        if (o.family === 0) continue;
        const icmpId = o.detail?.icmpId;
        const end = echoOrEndpoint(o.src, o.sport, icmpId);
        inward.set(o.src, o.sport, icmpId, o.t);
        inwardMap.set(end, o.t);
        seenEnds.set(end, [o.src, o.sport, icmpId]);
        if (o.tcpFlags === undefined) continue;
        const out = tupleText(o.src, o.sport, o.dst, o.dport);
        const back = tupleText(o.dst, o.dport, o.src, o.sport);
        seenTuples.set(out, [o.src, o.sport, o.dst, o.dport]);
        seenTuples.set(back, [o.dst, o.dport, o.src, o.sport]);
        if ((o.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
          tuples.countSyn(o.src, o.sport, o.dst, o.dport, 1, o.t);
          maps.countSyn(out, 1, o.t);
        } else if ((o.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
          tuples.countSyn(o.dst, o.dport, o.src, o.sport, -1, o.t);
          maps.countSyn(back, -1, o.t);
        }
        if ((o.tcpFlags & TCP_RST) !== 0) {
          tuples.reset(o.dst, o.dport, o.src, o.sport, o.t);
          maps.resets.set(back, o.t);
        }
      }
      check();
      // Enough of each for the checks to mean something: RSTs and SYNs without answers held
      // through them (the capture's 1.5 s hold about a hundred RSTs), and thousands of facts forgotten.
      expect(counts.checks).toBeGreaterThan(30);
      expect(counts.resets).toBeGreaterThan(100);
      expect(counts.unanswered).toBeGreaterThan(counts.checks);
      expect(counts.forgotten).toBeGreaterThan(1900);
    });
  });
});
