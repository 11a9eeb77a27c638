// One long download is one story of hundreds of thousands of packets. The report used to spread its
// journeys as call arguments (push(...), Math.max(...)), which V8 refuses past about 120,000: the
// report of a 38 MB capture ended in an internal error.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { buildReport, toMarkdown } from '../../src/report/document.js';
import { writeLongDownload } from './generated-captures.js';

const SEGMENTS = 65_000;

describe('the report of one long download', () => {
  it(`tells ${2 * SEGMENTS + 3} journeys of one connection as one story`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pn-long-download-'));
    try {
      const path = join(dir, 'download.pcapng');
      await writeLongDownload(path, SEGMENTS);
      const reader = await openCapture(path);
      const work = await analyzeCaptures([reader], { evidenceLines: true }).finally(() => reader.close());
      expect(work.analysis.journeys).toHaveLength(2 * SEGMENTS + 3);
      const md = toMarkdown(buildReport({ analysis: work.analysis, hopsOf: work.hopsOf }));
      expect(md).toContain('They tell 1 story: 172.17.0.2 connects to 198.51.100.7:80: answered through NAT.');
      expect(md).toContain(`The data phase: ${SEGMENTS} segments with data, 6.5 MB from the server and 0 bytes from the client`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
