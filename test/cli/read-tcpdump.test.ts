// `read` prints what tcpdump 4.99 prints, so users can paste its lines beside tcpdump's. Held
// against tcpdump run live on the same files (corpus and samples), and against the `.out` files of
// tcpdump's own tests where tcpdump 4.99 still reproduces them (they come from tcpdump master).
import { describe, it, expect } from 'vitest';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, REPO, corpusCaptures, skipReason, tcpdumpLines } from '../helpers/tools.js';
import { ourLines, groupPackets, MatchTally, judge } from '../helpers/lines.js';

const ENFORCED = ['arp', 'icmp', 'udp', 'dns', 'tcp', 'http'];
const DECODED_LINKTYPES = /^(1|113|276|101|0|108|228|229)\(/;
const missing = skipReason(['tcpdump']);

function sampleCaptures(): string[] {
  const dir = join(REPO, 'samples');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(dir, d.name)).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(dir, d.name, f)));
}

const liveFiles = (): string[] => [
  ...corpusCaptures()
    .filter((c) => c.tsharkReads !== 'no' && DECODED_LINKTYPES.test(c.linktype))
    .map((c) => c.path),
  ...sampleCaptures(),
];

// The files are compared in parts (no single test near vitest's 60 s worker RPC limit); the rates
// are judged over all of them, by the last test of each run, once every part has added its lines.
const LIVE_PART = 60;

describe.skipIf(missing !== undefined)('read against live tcpdump 4.99 (-nn -tt, and -e)', () => {
  const files = missing === undefined ? liveFiles() : [];
  for (const linkHeader of [false, true]) {
    const tally = new MatchTally();
    const label = `tcpdump${linkHeader ? ' -e' : ''}`;
    for (let start = 0; start < files.length; start += LIVE_PART) {
      const part = files.slice(start, start + LIVE_PART);
      it(`compares ${label} on files ${start + 1}-${start + part.length} of ${files.length}`, async () => {
        for (const file of part) {
          const theirs = groupPackets(tcpdumpLines(file, linkHeader ? ['-nn', '-tt', '-e'] : ['-nn', '-tt']), /^-?\d+\.\d{6} /);
          const ours = await ourLines(file, { linkHeader });
          const n = Math.min(theirs.length, ours.length);
          for (let i = 0; i < n; i++) {
            const { bucket, ok } = judge(ours[i].bucket, ours[i].text, theirs[i], ours[i].cookedV2);
            tally.add(bucket, ok, () => `${file.replace(CORPUS + '/', '')}#${i + 1}\n  tcpdump: ${theirs[i]}\n  ours:    ${ours[i].text}`);
          }
          // Let the worker answer vitest between files.
          await new Promise((r) => setImmediate(r));
        }
      });
    }
    it(`matches ${label} per protocol on the corpus and samples (at least 95% each)`, () => {
      console.log(tally.report(`read vs ${label}`));
      expect(tally.total('tcp')).toBeGreaterThan(0);
      for (const bucket of ENFORCED) {
        if (tally.total(bucket) > 0) expect.soft(tally.rate(bucket), `${bucket} match rate`).toBeGreaterThanOrEqual(0.95);
      }
    });
  }
});

interface OutTest {
  name: string;
  capture: string;
  out: string;
  options: string[];
}

function outTests(): OutTest[] {
  const list = join(CORPUS, 'tcpdump', 'TESTLIST.selected');
  if (!existsSync(list)) return [];
  return readFileSync(list, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/))
    .map(([name, capture, out, ...options]) => ({ name, capture, out, options }))
    // Only the option sets `read` offers: none, or -e.
    .filter((t) => t.options.length === 0 || (t.options.length === 1 && t.options[0] === '-e'));
}

describe.skipIf(missing !== undefined)("read against the .out files of tcpdump's tests", () => {
  it('matches every packet that tcpdump 4.99 itself still prints as the .out says', async () => {
    const tally = new MatchTally();
    let reproduced = 0;
    const start = /^ {0,4}\d+ {2}/;
    for (const t of outTests()) {
      const capture = join(CORPUS, 'tcpdump', 'tests', t.capture);
      const outFile = join(CORPUS, 'tcpdump', 'tests', t.out);
      if (!existsSync(capture) || !existsSync(outFile)) continue;
      const expected = groupPackets(readFileSync(outFile, 'utf8').replace(/\n$/, '').split('\n'), start);
      const live = groupPackets(tcpdumpLines(capture, ['-#', '-n', '-tttt', ...t.options]), start);
      const ours = await ourLines(capture, { linkHeader: t.options.includes('-e'), time: 'tttt' });
      for (let i = 0; i < expected.length && i < ours.length; i++) {
        if (live[i] !== expected[i]) continue; // changed in tcpdump since 4.99: not a reference for us
        reproduced++;
        const text = `${String(i + 1).padStart(5)}  ${ours[i].text}`;
        const { bucket, ok } = judge(ours[i].bucket, text, expected[i], ours[i].cookedV2);
        tally.add(bucket, ok, () => `${t.name}#${i + 1}\n  .out: ${expected[i]}\n  ours: ${text}`);
      }
    }
    console.log(tally.report(`read vs tcpdump .out (${reproduced} packets 4.99 reproduces)`));
    expect(reproduced).toBeGreaterThan(0);
    for (const bucket of ENFORCED) {
      if (tally.total(bucket) > 0) expect.soft(tally.rate(bucket), `${bucket} match rate`).toBeGreaterThanOrEqual(0.95);
    }
  });
});
