// The streaming correlator (analyze) against the one that keeps every journey (report, diff): the
// same document on every sample, and on a long capture it hands journeys and flows on as it goes,
// while telling each repetition of the same traffic as it tells it once.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openCapture, mergeCaptures, type CaptureReader } from '../../src/capture/index.js';
import type { Frame } from '../../src/capture/frame.js';
import { analyzeCaptures, streamFrames, type CorrelationRun } from '../../src/correlate/analyze.js';
import type { Flow, Journey, NatBinding } from '../../src/correlate/model.js';
import { parseIfaceMap } from '../../src/cli/options.js';
import { REPO } from '../helpers/tools.js';
import { repeatCapture } from '../helpers/repeat.js';

const SAMPLES = join(REPO, 'samples');

interface Streamed {
  run: CorrelationRun;
  journeys: Journey[];
  flows: Flow[];
  nat: NatBinding[];
  /** Journeys and flows handed on before the last batch of frames was read. */
  journeysEarly: number;
  flowsEarly: number;
}

async function stream(readers: CaptureReader[], options: Parameters<typeof streamFrames>[2]): Promise<Streamed> {
  const journeys: Journey[] = [];
  const flows: Flow[] = [];
  const nat: NatBinding[] = [];
  let reading = true;
  let journeysEarly = 0;
  let flowsEarly = 0;
  const batches = mergeCaptures(readers);
  async function* counted(): AsyncGenerator<Frame[]> {
    for await (const b of batches) yield b;
    reading = false;
  }
  const run = await streamFrames(counted(), readers, options, {
    // A copy, not kept: the correlator fills the objects of the journeys no sink keeps again for
    // later ones, which the stories below then hold to the analysis that keeps every journey.
    journey: (w) => {
      journeys.push(structuredClone(w.journey));
      if (reading) journeysEarly++;
    },
    flow: (f) => {
      flows.push(f);
      if (reading) flowsEarly++;
    },
    natBinding: (b) => nat.push(b),
  });
  flows.sort((a, b) => a.id - b.id);
  nat.sort((a, b) => a.flow - b.flow);
  for (const [a, b] of run.summary.proxies) {
    flows[a - 1].proxyOf = b;
    flows[b - 1].proxyOf = a;
  }
  return { run, journeys, flows, nat, journeysEarly, flowsEarly };
}

const samples = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'capture.pcapng'))) : [];

function ifaceMapOf(sample: string): Map<number, string> | undefined {
  const file = join(SAMPLES, sample, 'iface-map.txt');
  return existsSync(file) ? parseIfaceMap(readFileSync(file, 'utf8').trim()) : undefined;
}

describe.skipIf(samples.length === 0)('streaming analysis', () => {
  it.each(samples)('%s: the same document as the analysis that keeps every journey', async (sample) => {
    const file = join(SAMPLES, sample, 'capture.pcapng');
    const ifaceMap = ifaceMapOf(sample);
    const kept = await openCapture(file);
    const streamed = await openCapture(file);
    try {
      const { analysis: a } = await analyzeCaptures([kept], { ifaceMap });
      const s = await stream([streamed], { ifaceMap });
      // JSON, as the document is compared: a key set to undefined is no key.
      const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
      expect(json(s.journeys)).toEqual(json(a.journeys));
      expect(json(s.flows)).toEqual(json(a.flows));
      expect(s.nat).toEqual(a.nat);
      expect(s.run.summary.findings).toEqual(a.findings);
      expect(s.run.summary.interfaces).toEqual(a.interfaces);
      expect(s.run.summary.hostAddresses).toEqual(a.hostAddresses);
      expect(s.run.summary.limitations).toEqual(a.limitations);
      expect(s.run.captures).toEqual(a.captures);
      expect(s.run.summary.flows).toBe(a.flows.length);
      expect(s.run.summary.journeys).toBe(a.journeys.length);
    } finally {
      await kept.close();
      await streamed.close();
    }
  });

  it.each(samples)('%s: the same flows when the flow table numbers its tuples afresh after every few', async (sample) => {
    const file = join(SAMPLES, sample, 'capture.pcapng');
    const ifaceMap = ifaceMapOf(sample);
    const usual = await openCapture(file);
    const renumbered = await openCapture(file);
    try {
      const a = await stream([usual], { ifaceMap });
      const b = await stream([renumbered], { ifaceMap, maxFlowSides: 2 });
      const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
      expect(json(b.journeys)).toEqual(json(a.journeys));
      expect(json(b.flows)).toEqual(json(a.flows));
      expect(b.nat).toEqual(a.nat);
      expect(b.run.summary.findings).toEqual(a.run.summary.findings);
    } finally {
      await usual.close();
      await renumbered.close();
    }
  });

  it('a capture of the same traffic four times, a minute apart: handed on as it goes, each time told as once', async () => {
    const file = join(SAMPLES, 'egress-nat', 'capture.pcapng');
    const dir = mkdtempSync(join(tmpdir(), 'pn-stream-'));
    try {
      const copies = 4;
      const repeated = await repeatCapture(file, dir, copies, 60_000_000_000n);

      const once = await openCapture(file);
      const many = await openCapture(repeated);
      try {
        const { analysis: a } = await analyzeCaptures([once]);
        const s = await stream([many], { maxWaiting: 20 });
        expect(s.journeys).toHaveLength(copies * a.journeys.length);
        // Handed on while reading, not kept to the end: at most 20 wait, besides those of the last
        // copy still open or closing when the frames ran out.
        expect(s.journeysEarly).toBeGreaterThanOrEqual(copies * a.journeys.length - 20 - a.journeys.length);
        expect(s.flowsEarly).toBeGreaterThan(0);
        // A minute later the same tuples are new conntrack entries: new flows, each like the first.
        expect(s.flows).toHaveLength(copies * a.flows.length);
        expect(s.nat).toHaveLength(copies * (a.nat ?? []).length);
        const story = (j: Journey): unknown => ({ kind: j.kind, summary: j.summary, fate: j.fate, path: j.hops.map((h) => h.interface), steps: j.steps.map((x) => ({ ...x, latencyNs: 0 })), reply: j.isReply === true });
        for (let c = 0; c < copies; c++) {
          const part = s.journeys.slice(c * a.journeys.length, (c + 1) * a.journeys.length);
          expect(part.map(story)).toEqual(a.journeys.map(story));
          const flows = s.flows.slice(c * a.flows.length, (c + 1) * a.flows.length);
          expect(flows.map((f) => [f.protocol, f.client, f.server, f.packets, f.state, f.translations])).toEqual(a.flows.map((f) => [f.protocol, f.client, f.server, f.packets, f.state, f.translations]));
        }
        expect(s.run.summary.findings.map((f) => f.code).sort()).toEqual(a.findings.flatMap((f) => Array<string>(copies).fill(f.code)).sort());
      } finally {
        await once.close();
        await many.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
