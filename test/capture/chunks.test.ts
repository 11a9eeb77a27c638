import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameTimeNs } from '../../src/capture/index.js';
import { CORPUS, corpusCaptures } from '../helpers/tools.js';
import { type ReadResult, readAll } from './read-all.js';

function digest(r: ReadResult): string[] {
  const lines = r.frames.map((f) => `${f.number} ${f.iface.index} ${frameTimeNs(f)} ${f.caplen} ${f.origLen} ${f.direction} ${f.fileOffset} ${Buffer.from(f.data).toString('hex')}`);
  lines.push(`error: ${String(r.error)}`, `anomalies: ${JSON.stringify(r.info?.anomalies)}`, `interfaces: ${r.info?.interfaces.length}`);
  return lines;
}

const all = corpusCaptures();

describe('chunking', () => {
  it.skipIf(all.length === 0)('gives the same frames, views and errors whatever the chunk size, for every corpus capture', async () => {
    const differ: string[] = [];
    for (const e of all) {
      const whole = digest(await readAll(e.path));
      for (const chunkSize of [64, 1000]) {
        const small = digest(await readAll(e.path, chunkSize));
        if (JSON.stringify(small) !== JSON.stringify(whole)) differ.push(`${relative(CORPUS, e.path)} with chunks of ${chunkSize}`);
      }
    }
    expect(differ).toEqual([]);
  });
});
