import { join } from 'node:path';
import { expect } from 'vitest';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures, type AnalysisWork } from '../../src/correlate/analyze.js';
import { REPO } from './tools.js';

/** The analysis of a bundled sample's capture, which must read without damage. */
export async function analyzeSample(sample: string, ifaceMap?: Map<number, string>): Promise<AnalysisWork> {
  const reader = await openCapture(join(REPO, 'samples', sample, 'capture.pcapng'));
  try {
    const work = await analyzeCaptures([reader], { ifaceMap });
    expect(work.damage).toBeUndefined();
    return work;
  } finally {
    await reader.close();
  }
}
