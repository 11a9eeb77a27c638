// `analyze --ndjson`: the analysis document's records one JSON object a line (DESIGN.md), through the
// built CLI on every sample, held against the --json document of the same run.
import { describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { REPO, skipReason } from '../helpers/tools.js';
import { analyzeOptionsFrom, runAnalyzeStream, type RunAnalyzeOptions } from '../../src/cli/analyze.js';
import { NdjsonStream } from '../../src/cli/ndjson.js';
import { writeBenchCapture } from '../helpers/bench-capture.js';

const run = promisify(execFile);
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const noCli = existsSync(CLI) ? false : `skipped: ${relative(REPO, CLI)} is missing (npm run build; npm ci runs it)`;
const SAMPLES = join(REPO, 'samples');
const samples = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'capture.pcapng'))) : [];
const TYPES = ['host', 'capture', 'interface', 'journey', 'flow', 'finding', 'summary', 'nat'];
/** The document's arrays and the records that carry their members. */
const ARRAYS: Record<string, string> = { hosts: 'host', captures: 'capture', interfaces: 'interface', journeys: 'journey', flows: 'flow', findings: 'finding', nat: 'nat' };

type Rec = Record<string, unknown> & { type: string };

function mapArgs(sample: string): string[] {
  const map = join(SAMPLES, sample, 'iface-map.txt');
  return existsSync(map) ? ['--iface-map', readFileSync(map, 'utf8').trim()] : [];
}

/** Every line one record: parsed, each checked to be a JSON object with a known type. */
function records(text: string): Rec[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const r = JSON.parse(line) as Rec;
      expect(TYPES, line).toContain(r.type);
      return r;
    });
}

function ofType(recs: Rec[], type: string): Record<string, unknown>[] {
  return recs.filter((r) => r.type === type).map(({ type: _, ...rest }) => rest);
}

const byKey = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a[key]) - Number(b[key]);

/** The records say what the document says: its arrays member for member, its other fields in the summary. */
function expectSameAnalysis(recs: Rec[], doc: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(doc)) {
    const type = ARRAYS[key];
    if (type === undefined) {
      expect(ofType(recs, 'summary')[0][key], key).toEqual(value);
      continue;
    }
    let got = ofType(recs, type);
    // Flows and NAT bindings finish in any order; the stream writes them as they do.
    if (key === 'flows') got = got.sort(byKey('id'));
    if (key === 'nat') got = got.sort(byKey('flow'));
    expect(got, key).toEqual(value);
  }
  expect(ofType(recs, 'summary')).toHaveLength(1);
  expect(recs[recs.length - 1].type).toBe('summary');
  expect(recs[0].type).toBe('host');
  const captures = doc.captures as { file: string }[];
  expect(ofType(recs, 'host')).toEqual([{ name: 'host', files: captures.map((c) => c.file), clockOffsetNs: '0', offsetSamples: 0 }]);
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, '--quiet', ...args], { maxBuffer: 1 << 28 }).then(
    (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

describe.skipIf(noCli !== false || samples.length === 0)('analyze --ndjson', () => {
  if (noCli) console.warn(noCli);

  it.each(samples)('%s: the records of the --json document of the same run', async (sample) => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-ndjson-'));
    try {
      const capture = join(SAMPLES, sample, 'capture.pcapng');
      const r = await cli(['analyze', capture, ...mapArgs(sample), '--json', join(dir, 'a.json'), '--ndjson', join(dir, 'a.ndjson')]);
      expect(r.code, r.stderr).toBe(0);
      // The terminal view still goes to stdout when neither output does.
      expect(r.stdout).toContain('Journeys');
      const doc = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as Record<string, unknown>;
      expectSameAnalysis(records(readFileSync(join(dir, 'a.ndjson'), 'utf8')), doc);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--ndjson - writes the records alone to stdout, the same as to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-ndjson-'));
    try {
      const capture = join(SAMPLES, 'localhost-publish', 'capture.pcapng');
      const r = await cli(['analyze', capture, '--ndjson', '-', '--json', join(dir, 'a.json')]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as Record<string, unknown>;
      expectSameAnalysis(records(r.stdout), doc);
      // A userland proxy's flows are known only at the end: their records still name each other.
      expect(ofType(records(r.stdout), 'flow').some((f) => f.proxyOf !== undefined)).toBe(true);
      const both = await cli(['analyze', capture, '--ndjson', '-', '--json', '-']);
      expect(both.code).toBe(1);
      expect(both.stderr).toContain('--json - and --ndjson -: they cannot both be written to the same place');
      const same = await cli(['analyze', capture, '--ndjson', join(dir, 'a.out'), '--json', join(dir, '.', 'a.out')]);
      expect(same.code).toBe(1);
      expect(existsSync(join(dir, 'a.out'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const noJq = skipReason(['jq']);
  it.skipIf(noJq !== undefined)(`jq reads the records line by line${noJq ? ` (${noJq})` : ''}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-ndjson-'));
    try {
      const capture = join(SAMPLES, 'egress-nat', 'capture.pcapng');
      const file = join(dir, 'a.ndjson');
      const r = await cli(['analyze', capture, '--ndjson', file, '--json', join(dir, 'a.json')]);
      expect(r.code, r.stderr).toBe(0);
      const text = readFileSync(file, 'utf8');
      const { stdout } = await run('jq', ['-c', '.', file]);
      expect(stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(records(text));
      // The README's example: journeys counted by fate.
      const doc = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as { journeys: { fate: string }[] };
      const fates = await run('jq', ['-r', 'select(.type == "journey") | .fate', file]);
      expect(fates.stdout.trimEnd().split('\n')).toEqual(doc.journeys.map((j) => j.fate));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--ndjson - | head -1: exit 0, nothing on stderr', async () => {
    const capture = join(SAMPLES, 'egress-nat', 'capture.pcapng');
    const { code, stderr, first } = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, '--quiet', 'analyze', capture, '--ndjson', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        out += d;
        // What head -1 does: read up to the first newline, then go.
        if (out.includes('\n')) child.stdout.destroy();
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        err += d;
      });
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stderr: err, first: out.split('\n')[0] }));
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((JSON.parse(first) as Rec).type).toBe('host');
  });

  it('an unwritable --ndjson path is a usage error before any capture is read', async () => {
    const r = await cli(['analyze', '/nonexistent/capture.pcapng', '--ndjson', '/nonexistent/dir/a.ndjson']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--ndjson /nonexistent/dir/a.ndjson: cannot be written: no such directory');
  });

  it('a truncated capture: the records of what was read, and exit 2 naming the file and offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-ndjson-'));
    try {
      const whole = readFileSync(join(SAMPLES, 'egress-nat', 'capture.pcapng'));
      const cut = join(dir, 'cut.pcapng');
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const r = await cli(['analyze', cut, '--ndjson', join(dir, 'a.ndjson'), '--json', join(dir, 'a.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('cut.pcapng');
      expect(r.stderr).toMatch(/offset|byte/);
      const doc = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as { journeys: unknown[] } & Record<string, unknown>;
      expect(doc.journeys.length).toBeGreaterThan(0);
      expectSameAnalysis(records(readFileSync(join(dir, 'a.ndjson'), 'utf8')), doc);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NdjsonStream', () => {
  it('writes journeys while the capture is read, and every record once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-ndjson-'));
    let out: NdjsonStream | undefined;
    try {
      const file = join(dir, 'g.pcapng');
      await writeBenchCapture(file, 30_000);
      const lines: string[] = [];
      let finishing = false;
      let beforeFinish = 0;
      const options: RunAnalyzeOptions & { maxWaiting: number } = { ...(await analyzeOptionsFrom({ quiet: true })), maxWaiting: 200 };
      const run = await runAnalyzeStream([file], options, async (hosts) => {
        out = await NdjsonStream.create(
          async (chunk) => {
            const text = chunk.toString();
            lines.push(...text.split('\n').filter((l) => l !== ''));
            if (!finishing) beforeFinish = lines.length;
          },
          hosts,
          1 << 12,
        );
        const stream = out;
        return { sink: stream.sink, drain: () => stream.drain(), finish: (r) => ((finishing = true), stream.finish(r)), close: () => stream.close() };
      });
      const recs = lines.map((l) => JSON.parse(l) as Rec);
      const journeys = recs.filter((r) => r.type === 'journey').map((r) => Number(r.id));
      expect(journeys.length).toBeGreaterThan(1000);
      // Most journeys went out before the end of the capture, not held for it.
      expect(recs.slice(0, beforeFinish).filter((r) => r.type === 'journey').length).toBeGreaterThan(journeys.length / 2);
      expect(journeys).toEqual(journeys.map((_, i) => i + 1));
      const flows = recs.filter((r) => r.type === 'flow').map((r) => Number(r.id));
      expect(new Set(flows).size).toBe(flows.length);
      expect(flows.length).toBe(run.summary.flows);
      const summary = recs[recs.length - 1];
      expect(summary.type).toBe('summary');
      // The findings went to the stream, not into the summary, which counts them.
      expect(recs.filter((r) => r.type === 'finding').length).toBe(run.summary.findingCount);
      expect(summary.counts).toEqual({ journeys: journeys.length, flows: run.summary.flows, nat: run.summary.natBindings, findings: run.summary.findingCount });
    } finally {
      await out?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
