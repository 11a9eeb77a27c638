// A real capture with IPv6 left on (test/fixtures/ipv6-noise): the kernel's chatter is read as
// tcpdump reads it and analyzed without false alarms, and a ping to a group is answered by each member.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures, type AnalysisWork } from '../../src/correlate/analyze.js';
import { buildReport, toMarkdown } from '../../src/report/document.js';
import { REPO, skipReason, tcpdumpLines } from '../helpers/tools.js';
import { ourLines } from '../helpers/lines.js';

const FILE = join(REPO, 'test', 'fixtures', 'ipv6-noise', 'capture.pcapng');

async function analyze(): Promise<AnalysisWork> {
  const reader = await openCapture(FILE);
  try {
    return await analyzeCaptures([reader], { evidenceLines: true });
  } finally {
    await reader.close();
  }
}

describe('a capture with IPv6 chatter', () => {
  const why = skipReason(['tcpdump']);
  it.skipIf(why !== undefined)(`reads every frame as tcpdump prints it${why ? ` (${why})` : ''}`, async () => {
    // tcpdump prints in file order, `read` in time order: the same lines, compared as sets.
    const theirs = tcpdumpLines(FILE, ['-nn', '-tt']).sort();
    const ours = (await ourLines(FILE, {})).map((l) => l.text).sort();
    expect(ours).toEqual(theirs);
    expect(theirs.filter((l) => /multicast listener report v2/.test(l)).length).toBeGreaterThan(5);
  });

  it('answers a ping to ff02::1 with every member, and raises no alarm over the chatter', async () => {
    const { analysis } = await analyze();
    const group = analysis.journeys.filter((j) => j.kind === 'icmpv6' && j.hops[0].dst === 'ff02::1');
    expect(group.length).toBe(2);
    for (const j of group) expect(j.fate).toBe('answered');
    const answers = analysis.journeys.filter((j) => j.answerOf !== undefined && group.some((g) => g.id === j.answerOf));
    expect(new Set(answers.map((j) => j.hops[0].src)).size).toBe(2);
    for (const j of answers) expect(j.isReply).toBe(true);
    expect(analysis.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(analysis.journeys.filter((j) => j.fate === 'dropped')).toEqual([]);
  });

  it('tells two stories, the group ping with both members that answered', async () => {
    const work = await analyze();
    const md = toMarkdown(buildReport({ analysis: work.analysis, hopsOf: work.hopsOf }));
    expect(md).toMatch(/They tell 2 stories/);
    expect(md).toMatch(/`ff02::1` is a group address: 2 members answered, each from its own address/);
    expect(md).not.toMatch(/no reply/);
  });
});
