// The scratch files behind analyze's document: members come back as JSON.stringify prints them in
// the document, in order of id, and nothing is left on disk.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonSpill, SpilledArray } from '../../src/cli/json-spill.js';
import { writeJsonDocument } from '../../src/cli/output.js';

async function documentText(doc: object): Promise<string> {
  const parts: string[] = [];
  await writeJsonDocument(doc, async (chunk) => {
    parts.push(chunk.toString());
  });
  return parts.join('');
}

describe('JsonSpill', () => {
  it('is unlinked as soon as it is open: no exit can leave it behind', async () => {
    // A folder of its own: the system's is shared with the other test files running at the same time.
    const root = mkdtempSync(join(tmpdir(), 'spill-root-'));
    const spill = await JsonSpill.create(root);
    try {
      expect(readdirSync(root)).toEqual([]);
    } finally {
      await spill.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('members added with ids come out in id order, across blocks of ids, patched on the way', async () => {
    const spill = await JsonSpill.create();
    const ids = Array.from({ length: 20000 }, (_, i) => i + 1).sort((a, b) => ((a * 7919) % 20011) - ((b * 7919) % 20011));
    try {
      for (const id of ids) {
        spill.addWithId(id, { id, name: `flow ${id} ✓`, history: 'ShADadFf' });
        if (id % 997 === 0) await spill.drain();
      }
      const patch = (id: number, text: string): string => (id === 42 ? text.replace('\n      "history": ', '\n      "proxyOf": 43,\n      "history": ') : text);
      const text = await documentText({ flows: new SpilledArray(spill, patch) });
      const want = [...ids].sort((a, b) => a - b).map((id) => (id === 42 ? { id, name: `flow ${id} ✓`, proxyOf: 43, history: 'ShADadFf' } : { id, name: `flow ${id} ✓`, history: 'ShADadFf' }));
      expect(text).toBe(`${JSON.stringify({ flows: want }, null, 2)}\n`);
    } finally {
      await spill.close();
    }
  });

  it('an empty spill is an empty array', async () => {
    const spill = await JsonSpill.create();
    try {
      expect(await documentText({ nat: new SpilledArray(spill) })).toBe(`${JSON.stringify({ nat: [] }, null, 2)}\n`);
    } finally {
      await spill.close();
    }
  });
});
