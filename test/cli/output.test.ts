import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonDocumentWriter, writeJsonDocument } from '../../src/cli/output.js';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { REPO } from '../helpers/tools.js';

async function streamed(doc: object, flushAt?: number): Promise<{ text: string; chunks: number }> {
  const parts: string[] = [];
  await writeJsonDocument(doc, async (chunk) => {
    parts.push(chunk.toString());
  }, flushAt);
  return { text: parts.join(''), chunks: parts.length };
}

describe('writeJsonDocument', () => {
  it('writes what JSON.stringify(doc, null, 2) does, for odd members too', async () => {
    const docs: object[] = [
      {},
      { a: undefined, f: () => 1 },
      { empty: [], nested: { x: [1, { y: 'a\nb' }], z: null }, list: [undefined, 'q"uote', { deep: [[], {}] }], last: 3 },
      { many: Array.from({ length: 1500 }, (_, i) => ({ i, s: `n${i}`, h: [{ k: i }] })) },
    ];
    for (const doc of docs) {
      for (const flushAt of [1, 100, undefined]) expect((await streamed(doc, flushAt)).text).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    }
  });

  it('hands a large document over in several pieces', async () => {
    const doc = { journeys: Array.from({ length: 5000 }, (_, i) => ({ id: i, summary: 'x'.repeat(100) })) };
    const { text, chunks } = await streamed(doc, 1 << 16);
    expect(text).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(chunks).toBeGreaterThan(5);
  });

  it('writes the analysis of every sample exactly as JSON.stringify would', async () => {
    const samples = join(REPO, 'samples');
    // A sample recorded per host (vxlan-overlay) has a capture per host and no capture.pcapng.
    for (const name of readdirSync(samples).filter((n) => existsSync(join(samples, n, 'capture.pcapng')))) {
      const reader = await openCapture(join(samples, name, 'capture.pcapng'));
      try {
        const work = await analyzeCaptures([reader]);
        expect((await streamed(work.analysis, 4096)).text).toBe(`${JSON.stringify(work.analysis, null, 2)}\n`);
      } finally {
        await reader.close();
      }
    }
  });
});

describe('JsonDocumentWriter', () => {
  it('an array streamed a member at a time, between other members, prints as JSON.stringify would', async () => {
    const parts: string[] = [];
    const out = new JsonDocumentWriter(async (chunk) => {
      parts.push(chunk.toString());
    }, 4096);
    const members = Array.from({ length: 1300 }, (_, i) => ({ id: i + 1, text: `é "${i}"\n`, list: [i, { deep: i % 3 === 0 ? null : [i] }], empty: [] }));
    await out.member('version', 1);
    out.openArray('journeys');
    for (const [i, m] of members.entries()) {
      out.push(m);
      if (i % 100 === 0) await out.flush(false);
    }
    out.closeArray();
    out.openArray('none');
    out.closeArray();
    await out.member('after', { x: [1, 2] });
    await out.end();
    // Written in pieces as slices of 512 members filled, not at the end.
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.join('')).toBe(`${JSON.stringify({ version: 1, journeys: members, none: [], after: { x: [1, 2] } }, null, 2)}\n`);
  });
});
