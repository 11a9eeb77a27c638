// A capture too large for the process's heap is analyzed up to where memory allows, then reported as
// damage with file, byte offset and reason (exit 2), never an out-of-memory abort.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openCapture } from '../../src/capture/index.js';
import { CaptureError } from '../../src/capture/errors.js';
import { analyzeCaptures, splitSize } from '../../src/correlate/analyze.js';
import { REPO } from '../helpers/tools.js';
import { writeBenchCapture } from '../helpers/bench-capture.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');
const run = promisify(execFile);

describe('memory limit of the analysis', () => {
  it('stops at a frame boundary and says where and why', async () => {
    const reader = await openCapture(join(REPO, 'samples', 'egress-nat', 'capture.pcapng'));
    try {
      const work = await analyzeCaptures([reader], { memoryLimitBytes: 1 });
      expect(work.damage).toBeInstanceOf(CaptureError);
      const e = work.damage as CaptureError;
      expect(e.message).toMatch(/capture\.pcapng: byte \d+: analysis stopped before frame 1: keeping every journey needs more memory/);
      // Nothing fitted: splitting would not help.
      expect(e.message).toMatch(/Give Node more memory/);
      expect(e.message).not.toMatch(/editcap/);
      expect(work.analysis.journeys).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it.skipIf(!existsSync(CLI))('analyze of 100k frames in a 64 MB heap: exit 2, the message, and the analysis of what fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-memlimit-'));
    try {
      const file = join(dir, 'big.pcapng');
      await writeBenchCapture(file, 100_000);
      const r = await run(process.execPath, ['--max-old-space-size=64', CLI, '--quiet', 'analyze', file, '--json', join(dir, 'a.json')], { timeout: 120_000, maxBuffer: 1 << 26 }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/big\.pcapng: byte \d+: analysis stopped before frame \d+: the flow table and the journeys waiting for their answers need more memory than this process may use/);
      // The advice names pieces smaller than what fitted.
      const reached = Number(/stopped before frame (\d+)/.exec(r.stderr)?.[1]);
      const pieces = Number(/editcap -c (\d+) /.exec(r.stderr)?.[1]);
      expect(pieces).toBeGreaterThan(0);
      expect(pieces).toBeLessThan(reached);
      const doc = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as { captures: { packets: number }[]; journeys: unknown[] };
      expect(doc.journeys.length).toBeGreaterThan(1000);
      expect(doc.captures[0].packets).toBeLessThan(100_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('splitSize', () => {
  it('is a fifth fewer frames than fitted, to two significant digits', () => {
    expect(splitSize(883_865)).toBe(700_000);
    expect(splitSize(1_000_000)).toBe(800_000);
    expect(splitSize(123)).toBe(98);
    expect(splitSize(2)).toBe(1);
    expect(splitSize(1)).toBe(1);
  });
});
