// A report is read by people: a port scan's finding per connection is not listed one by one. The
// report shows the first ones, errors first, and counts the rest, which the analysis document keeps.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { buildReport, toMarkdown } from '../../src/report/document.js';
import { writeSynScan } from './generated-captures.js';

describe('the report of a SYN scan', () => {
  it('lists 50 of its 80 no-reply findings and counts the other 30', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pn-syn-scan-'));
    try {
      const path = join(dir, 'scan.pcapng');
      await writeSynScan(path, 80);
      const reader = await openCapture(path);
      const work = await analyzeCaptures([reader], { evidenceLines: true }).finally(() => reader.close());
      expect(work.analysis.findings.filter((f) => f.code === 'no-reply')).toHaveLength(80);
      const md = toMarkdown(buildReport({ analysis: work.analysis, hopsOf: work.hopsOf }));
      const section = md.slice(md.indexOf('## Findings'), md.indexOf('\n## ', md.indexOf('## Findings') + 1));
      expect(section.match(/^- \*\*Warning\*\* \(`no-reply`\)/gm)).toHaveLength(50);
      expect(section).toContain('1 TCP SYN from 172.17.0.2 to 198.51.100.7:1 got no answer');
      expect(section).not.toContain('198.51.100.7:51 got no answer');
      expect(section).toContain('And 30 more findings (30 `no-reply`), every one in the analysis document (`--json`).');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
