// A journey's record written straight from the correlator's work (journey-json.ts) must be the very
// bytes JSON.stringify gives of the record the correlator makes: on every bundled sample and on the
// captures the emulator writes of every sample's scenario, analysed as `analyze` does, in NDJSON's
// compact form and in the --json document's indented one; and on strings no capture here holds.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/tools.js';
import { analyzeOptionsFrom, runAnalyzeStream } from '../../src/cli/analyze.js';
import type { AnalysisOutput } from '../../src/cli/analysis-output.js';
import { arrayMembersText } from '../../src/cli/json-spill.js';
import type { JourneyWork } from '../../src/correlate/journey-work.js';
import type { Journey } from '../../src/correlate/model.js';
import type { Observation } from '../../src/correlate/observation.js';
import { Fragments, JsonBytes } from '../../src/correlate/json-bytes.js';
import { hopOf, JOURNEY_KEYS, STEP_KEYS, writeJourneyLine, writeJourneyMember } from '../../src/correlate/journey-json.js';
import { summaryOf } from '../../src/correlate/summary.js';
import { parseScenario } from '../../src/scenario/index.js';
import { emulateScenario, encodeEmulated, splitByHost } from '../../src/emulate/index.js';

const SAMPLES = join(REPO, 'samples');
const samples = readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'scenario.txt'))).sort();

/** What main wrote for a journey: its NDJSON line (ndjsonLine) and its member of the document (JsonDocumentWriter). */
function expected(j: Journey): { line: string; member: string } {
  return { line: `{"type":"journey",${JSON.stringify(j).slice(1)}\n`, member: arrayMembersText([j]) };
}

function written(w: JourneyWork): { line: string; member: string } {
  const out = new JsonBytes(64);
  writeJourneyLine(out, w);
  const line = out.take().toString('utf8');
  writeJourneyMember(out, w);
  return { line, member: out.take().toString('utf8') };
}

interface Checked {
  journeys: number;
  /** The first journey whose bytes differ, both ways. */
  differs?: { id: number; expected: { line: string; member: string }; written: { line: string; member: string } };
  keyOrders: Set<string>;
  stepKeyOrders: Set<string>;
}

/**
 * Analyses the captures as `analyze FILES --ndjson` does (the same window, waiting and hosts), with
 * a sink that has the records made and holds the serialiser's bytes against JSON.stringify of each.
 */
async function check(files: string[], ifaceMap?: string): Promise<Checked> {
  const result: Checked = { journeys: 0, keyOrders: new Set(), stepKeyOrders: new Set() };
  const output: AnalysisOutput = {
    sink: {
      journey: (w) => {
        result.journeys++;
        result.keyOrders.add(Object.keys(w.journey).join(','));
        for (const s of w.journey.steps) result.stepKeyOrders.add(Object.keys(s).join(','));
        const want = expected(w.journey);
        const got = written(w);
        if (result.differs === undefined && (got.line !== want.line || got.member !== want.member)) result.differs = { id: w.journey.id, expected: want, written: got };
      },
      flow: () => {},
      natBinding: () => {},
    },
    drain: async () => {},
    finish: async () => {},
    close: async () => {},
  };
  const options = await analyzeOptionsFrom({ ifaceMap, quiet: true });
  await runAnalyzeStream(files, options, async () => output);
  return result;
}

function expectSame(c: Checked): void {
  expect(c.journeys).toBeGreaterThan(0);
  expect(c.differs).toBeUndefined();
  // Every record has the Journey literal's keys in its order, and its steps keys in STEP_KEYS's.
  expect([...c.keyOrders]).toEqual([JOURNEY_KEYS.join(',')]);
  for (const order of c.stepKeyOrders) {
    const keys = order.split(',');
    expect(keys).toEqual(STEP_KEYS.filter((k) => keys.includes(k)));
  }
}

describe('journey records written from the work', () => {
  it.each(samples)('%s: the bytes of JSON.stringify of each record, compact and indented', async (sample) => {
    const dir = join(SAMPLES, sample);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.pcapng'))
      .map((f) => join(dir, f));
    const map = join(dir, 'iface-map.txt');
    expectSame(await check(files, existsSync(map) ? readFileSync(map, 'utf8').trim() : undefined));
  });

  it.each(samples)('%s emulated: the same, on the captures the emulator writes of its scenario', async (sample) => {
    const file = join(SAMPLES, sample, 'scenario.txt');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const capture = emulateScenario(scenario);
    const dir = mkdtempSync(join(tmpdir(), 'pn-journey-json-'));
    try {
      const parts = [...splitByHost(capture, scenario.captures)];
      const files = parts.map(([host, part]) => {
        const path = join(dir, `${host}.pcapng`);
        writeFileSync(path, encodeEmulated(part, parts.length > 1 ? host : undefined));
        return path;
      });
      expectSame(await check(files));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Text that needs escaping, or looks as if it might: JSON.stringify is the judge. */
const NASTY = [
  '',
  'plain',
  'quote " and backslash \\',
  'tab\tnewline\ncr\rbs\bff\fnul\u0000 unit sep\u001f del\u007f',
  'é ü 漢字 ☃',
  'emoji 😀 pair',
  'lone high \ud83d end',
  'lone low \ude00 end',
  '\ud83d',
  'reversed \ude00\ud83d pair',
  '\u2028\u2029 line separators',
  '</script><!-- -->',
  'x'.repeat(70) + '"',
];

describe('JsonBytes', () => {
  it('writes strings exactly as JSON.stringify, scanned or in fragments', () => {
    const out = new JsonBytes(8);
    const one = new Fragments('{"a":', '}');
    const pair = new Fragments('{"a":', '}', ',"b":');
    for (const s of NASTY) {
      out.string(s);
      expect(out.take().toString('utf8'), JSON.stringify(s)).toBe(JSON.stringify(s));
      // Twice: the second is the copy of the bytes made the first time.
      for (let i = 0; i < 2; i++) {
        one.write(out, s);
        expect(out.take().toString('utf8')).toBe(JSON.stringify({ a: s }));
        pair.writePair(out, s, NASTY[3]);
        pair.writePair(out, 'x', s);
        expect(out.take().toString('utf8')).toBe(JSON.stringify({ a: s, b: NASTY[3] }) + JSON.stringify({ a: 'x', b: s }));
      }
    }
  });

  it('writes numbers exactly as JSON.stringify', () => {
    const out = new JsonBytes(4);
    const numbers = [0, -0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53, -1, -(2 ** 31), 1.5, 0.1, 1e21, 1e-7, 123456789012, NaN, Infinity, -Infinity];
    for (const n of numbers) {
      out.number(n);
      expect(out.take().toString('utf8'), String(n)).toBe(JSON.stringify(n));
    }
  });

  it('a journey whose texts need escaping: hops, summary and steps as JSON.stringify writes its record', () => {
    const dns = { dnsText: 'TXT? "quoted\\name"\u0001.\ud83d.example.', dnsResponse: false };
    const hop = (iface: string, file: string, extra: Partial<Observation>): Observation => ({
      iface,
      file,
      frame: 7,
      tsSec: 0,
      tsNsec: 5,
      t: 0,
      kind: 'udp',
      fp: 0,
      family: 4,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 17,
      sport: 53,
      dport: 0,
      payloadLen: 0,
      length: 0,
      detail: dns,
      ...extra,
    });
    for (const [a, b] of [
      [NASTY[2], NASTY[3]],
      [NASTY[4], NASTY[6]],
      ['br "lan"', '/captures/dumpcap "a\\b".pcapng'],
      ['eth0', '/captures/dumpcap "a".pcapng'],
    ]) {
      const hops = [hop(a, b, { ttl: 64, srcMac: '02:42:ac:11:00:02', dstMac: b, direction: 'out' }), hop(b, a, { tsSec: 1_795_362_815, tsNsec: 999_999_999, ttl: 63, detail: { ...dns, icmpId: 0 }, sport: undefined })];
      const journey: Journey = {
        id: 3,
        kind: 'udp',
        summary: summaryOf(hops[0]),
        hops: hops.map(hopOf),
        steps: [{ from: a, to: b, kind: 'routed', latencyNs: 2 ** 40, nat: { type: 'snat', before: `${a}:53`, after: b }, natAlso: { type: 'dnat', before: b, after: a } }],
        fate: 'dropped',
        reason: 'mtu',
        isReply: true,
        answerOf: 2,
        answeredBy: undefined,
        flow: 0,
        retransmission: false,
        answersCopy: true,
        resetOf: 1,
      };
      // The serialiser reads hops and summary from the observations, never from the record.
      const w: JourneyWork = { journey: { ...journey, summary: '', hops: [] }, hops };
      expect(written(w)).toEqual(expected(journey));
    }
  });
});
