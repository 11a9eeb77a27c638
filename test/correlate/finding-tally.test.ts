// The terminal's (and a report's) findings tallied as they come (FindingTally), in any order, against findingsForPeople
// of every finding in the document's order: on the findings of every sample together, for any number
// shown, so that what is shown and what is counted as left out are the same.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { FindingTally, findingsForPeople, overviewOf } from '../../src/correlate/findings.js';
import type { Finding } from '../../src/correlate/model.js';
import { parseIfaceMap } from '../../src/cli/options.js';
import { REPO } from '../helpers/tools.js';

const SAMPLES = join(REPO, 'samples');
const samples = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'capture.pcapng'))).sort() : [];

async function findingsOf(sample: string): Promise<Finding[]> {
  const map = join(SAMPLES, sample, 'iface-map.txt');
  const reader = await openCapture(join(SAMPLES, sample, 'capture.pcapng'));
  try {
    const { analysis } = await analyzeCaptures([reader], { ifaceMap: existsSync(map) ? parseIfaceMap(readFileSync(map, 'utf8').trim()) : undefined });
    return analysis.findings;
  } finally {
    await reader.close();
  }
}

/** A reproducible shuffle: findings become final in any order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const k = x % (i + 1);
    [out[i], out[k]] = [out[k], out[i]];
  }
  return out;
}

describe.skipIf(samples.length === 0)('FindingTally', () => {
  it('gives what findingsForPeople gives of every finding, whatever order they come in', async () => {
    const all: Finding[] = [];
    for (const s of samples) all.push(...(await findingsOf(s)));
    // Several severities and codes, more than are shown, or the test tells nothing.
    expect(new Set(all.map((f) => f.severity)).size).toBeGreaterThan(1);
    expect(new Set(all.map((f) => f.code)).size).toBeGreaterThan(3);
    expect(overviewOf(all, 1).errors).toBeGreaterThan(0);
    expect(overviewOf(all, 1).warnings).toBeGreaterThan(0);
    for (const max of [1, 2, 3, 5, 8, 13, all.length - 1, all.length, 60]) {
      for (const seed of [1, 7, 42]) {
        const tally = new FindingTally(max);
        // Positions with gaps, as the document's parts and keys give them.
        for (const i of shuffled(all.map((_, i) => i), seed)) tally.add(all[i], i * 3 + 1);
        expect(tally.count).toBe(all.length);
        expect(tally.forPeople()).toEqual(findingsForPeople(all, max));
        expect(tally.overview()).toEqual(overviewOf(all, max));
      }
    }
  });
});
