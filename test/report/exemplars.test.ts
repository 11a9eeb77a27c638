// A report keeps what it tells as the journeys pass: every journey of a small capture (the report is
// the one the whole analysis gives), exemplars of a large one, with counts of all traffic. The report
// used to keep every journey of any capture, and refused captures past what the heap could hold.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures, streamFrames } from '../../src/correlate/analyze.js';
import { mergeCaptures } from '../../src/capture/index.js';
import { buildReport, toMarkdown } from '../../src/report/document.js';
import { ExemplarKeeper } from '../../src/report/exemplars.js';
import { runReport } from '../../src/cli/report.js';
import { REPO } from '../helpers/tools.js';
import { writeLongDownload, writeSynStorm } from './generated-captures.js';

/** 2 + 2 x SEGMENTS journeys in one conversation: more than a report keeps of one. */
const SEGMENTS = 400;
const JOURNEYS = 2 + 2 * SEGMENTS + 1;
/** Unanswered SYNs of one kind: a finding each, far more than a report keeps. */
const STORM = 3000;

async function keptOf(path: string): Promise<ReturnType<ExemplarKeeper['result']>> {
  const reader = await openCapture(path);
  try {
    const keeper = new ExemplarKeeper();
    const run = await streamFrames(mergeCaptures([reader]), [reader], { evidenceLines: true }, keeper.sink);
    return keeper.result(run);
  } finally {
    await reader.close();
  }
}

describe('what a report keeps', () => {
  it('keeps every journey of a small capture: the report is the one of the whole analysis', async () => {
    const path = join(REPO, 'samples', 'tcp-loss', 'capture.pcapng');
    const kept = await keptOf(path);
    expect(kept.sampled).toBeUndefined();
    const reader = await openCapture(path);
    const whole = await analyzeCaptures([reader], { evidenceLines: true }).finally(() => reader.close());
    expect(kept.analysis.journeys.map((j) => j.id)).toEqual(whole.analysis.journeys.map((j) => j.id));
    expect(toMarkdown(buildReport({ analysis: kept.analysis, hopsOf: kept.hopsOf }))).toBe(toMarkdown(buildReport(whole)));
  });

  it(`tells a conversation of ${JOURNEYS} journeys from exemplars, with the counts of all of them`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pn-exemplars-'));
    try {
      const path = join(dir, 'download.pcapng');
      await writeLongDownload(path, SEGMENTS);
      const kept = await keptOf(path);
      expect(kept.sampled?.journeys).toBe(JOURNEYS);
      expect(kept.analysis.journeys.length).toBeLessThan(JOURNEYS / 2);

      await runReport([path], { output: dir, quiet: true }, 'test');
      const md = await readFile(join(dir, 'report.md'), 'utf8');
      expect(md).toContain(`are ${JOURNEYS} distinct packets once the copies of each on several interfaces are joined. Too many to tell one by one: the stories are told from exemplars, ${kept.analysis.journeys.length} packets kept`);
      expect(md).toContain(`every count in this report covers all ${JOURNEYS}`);
      expect(md).toContain(`**All traffic like this.** This story is told from exemplars: ${kept.analysis.journeys.length} of its packets are kept, of the ${JOURNEYS} its conversation carried`);
      expect(md).toContain(`It is the only conversation of this kind (TCP from \`172.17.0.2\` to port 80, first seen along \`docker0\` → \`eth0\` with NAT): ${JOURNEYS} packets in all.`);
      // The slowest crossing of all is cited with its frames.
      expect(md).toMatch(/the slowest \d+ µs \(a TCP [^)]*`download\.pcapng#\d+` to `download\.pcapng#\d+`\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps, of the findings of a large capture, those its stories cite, and counts every one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pn-exemplars-'));
    try {
      const path = join(dir, 'storm.pcapng');
      await writeSynStorm(path, STORM);
      const kept = await keptOf(path);
      expect(kept.sampled?.journeys).toBe(STORM);
      expect(kept.findings.count).toBe(STORM);
      expect(kept.findings.warnings).toBe(STORM);
      // One no-reply finding per connection, and only the kept connections' are held.
      const keptIds = new Set(kept.analysis.journeys.map((j) => j.id));
      expect(kept.analysis.findings.length).toBe(keptIds.size);
      expect(kept.analysis.findings.length).toBeLessThan(20);
      for (const f of kept.analysis.findings) expect(f.journeys?.some((id) => keptIds.has(id))).toBe(true);

      // The report is the one all the findings would give.
      const reader = await openCapture(path);
      const whole = await analyzeCaptures([reader], { evidenceLines: true }).finally(() => reader.close());
      expect(whole.analysis.findings).toHaveLength(STORM);
      const md = toMarkdown(buildReport({ analysis: kept.analysis, hopsOf: kept.hopsOf, sampled: kept.sampled, findings: kept.findings }));
      const withAll = toMarkdown(buildReport({ analysis: { ...kept.analysis, findings: whole.analysis.findings }, hopsOf: kept.hopsOf, sampled: kept.sampled }));
      expect(md).toBe(withAll);
      expect(md).toContain(`And ${STORM - 50} more findings (${STORM - 50} \`no-reply\`)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
