// Evidence lines printed later, for the frames a report cites (evidenceLines 'later' and
// fillEvidenceLines), must be the lines printed in order as the frames are read: tcpdump's relative
// TCP numbers depend on every frame before, so the Observer keeps what the state gave each segment,
// or prints at once the frames whose way to the TCP printer it cannot tell from the decoded layers.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REPO, corpusCaptures } from '../helpers/tools.js';
import { openCapture } from '../../src/capture/index.js';
import { Observer } from '../../src/correlate/observe.js';
import type { Observation } from '../../src/correlate/observation.js';
import { fillEvidenceLines } from '../../src/correlate/evidence-lines.js';
import { DEFAULT_CHUNK_SIZE } from '../../src/capture/chunks.js';
import { writeBenchCapture } from '../helpers/bench-capture.js';

async function observeAll(path: string, evidenceLines: true | 'later'): Promise<Observation[]> {
  const observer = new Observer({ ifaceMap: new Map(), evidenceLines });
  const out: Observation[] = [];
  let reader;
  try {
    reader = await openCapture(path);
  } catch {
    return out;
  }
  try {
    for await (const batch of reader.batches()) for (const f of batch) out.push(observer.observe(f));
  } catch {
    // A damaged file: the frames before the damage are what there is to compare.
  } finally {
    await reader.close();
  }
  return out;
}

const lines = (obs: Observation[]): string[] => obs.map((o) => `${o.frame} ${o.line}`);

async function expectSameLines(path: string): Promise<{ frames: number; later: number; related: number }> {
  const eager = await observeAll(path, true);
  const later = await observeAll(path, 'later');
  const counts = { frames: later.length, later: 0, related: 0 };
  for (const o of later) {
    if (o.deferredLine === undefined) continue;
    counts.later++;
    if (o.deferredLine !== false) counts.related++;
  }
  // Out of order on purpose: the last frames first, as a report's exemplars come.
  await fillEvidenceLines([...later].reverse());
  expect(lines(later), path).toEqual(lines(eager));
  for (const o of later) expect(o.deferredLine, `${path}#${o.frame}`).toBeUndefined();
  return counts;
}

describe('evidence lines printed later', () => {
  it('are the lines printed in order, on every frame of every sample', async () => {
    let related = 0;
    let later = 0;
    let frames = 0;
    for (const name of readdirSync(join(REPO, 'samples')).sort()) {
      for (const file of readdirSync(join(REPO, 'samples', name)).filter((f) => /\.pcap(ng)?$/.test(f)).sort()) {
        const c = await expectSameLines(join(REPO, 'samples', name, file));
        related += c.related;
        later += c.later;
        frames += c.frames;
      }
    }
    // Most frames wait, TCP ones with the numbers they need; only tunnels and the odd frame print at once.
    expect(related).toBeGreaterThan(500);
    expect(later / frames).toBeGreaterThan(0.9);
  });

  it('are the lines printed in order, on every frame of the corpus: damaged, tunnelled, fragmented, IPv6 extensions', async () => {
    const files = corpusCaptures();
    expect(files.length).toBeGreaterThan(300);
    let related = 0;
    let later = 0;
    let frames = 0;
    for (const c of files) {
      const n = await expectSameLines(c.path);
      related += n.related;
      later += n.later;
      frames += n.frames;
    }
    expect(related).toBeGreaterThan(300);
    expect(later / frames).toBeGreaterThan(0.9);
  }, 120_000);

  it('are the lines printed in order on a capture of many chunks, each handed back to be read into again', async () => {
    // 40,000 frames of the benchmark's host: about 20 MB, ten of the reader's chunks, so that the
    // frames cited late come from chunks read into again after their first frames were looked at.
    const dir = mkdtempSync(join(tmpdir(), 'evidence-'));
    try {
      const path = join(dir, 'bench.pcapng');
      await writeBenchCapture(path, 40_000);
      expect(statSync(path).size).toBeGreaterThan(5 * DEFAULT_CHUNK_SIZE);
      const c = await expectSameLines(path);
      expect(c.frames).toBe(40_000);
      expect(c.related).toBeGreaterThan(20_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('only reads a file up to the last frame cited, and says so when the file changed under it', async () => {
    const path = join(REPO, 'samples', 'tcp-loss', readdirSync(join(REPO, 'samples', 'tcp-loss')).find((f) => f.endsWith('.pcapng'))!);
    const obs = await observeAll(path, 'later');
    const cited = obs.slice(3, 5);
    await fillEvidenceLines(cited);
    expect(cited.every((o) => typeof o.line === 'string' && o.line.length > 0)).toBe(true);
    expect(obs[6].line).toBeUndefined();
    const moved = { ...obs[7], tsNsec: (obs[7].tsNsec + 1) % 1e9 };
    await expect(fillEvidenceLines([moved])).rejects.toThrow(/the file changed during the analysis/);
  });
});
