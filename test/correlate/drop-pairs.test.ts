// Drops are told apart by their pair of addresses, a finding each, up to MAX_DROP_PAIRS pairs: a host
// that drops what the internet sends it meets new sources until its capture ends, and a group kept
// per pair grew with the capture. Past the bound, drops are counted together.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { MAX_DROP_PAIRS } from '../../src/correlate/findings.js';
import { writeForwardDrops } from '../report/generated-captures.js';

const PAST = 37;

describe(`drops of more than ${MAX_DROP_PAIRS} pairs of addresses`, () => {
  it('are a finding each up to the bound, and one finding for the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pn-drop-pairs-'));
    try {
      const path = join(dir, 'drops.pcapng');
      await writeForwardDrops(path, MAX_DROP_PAIRS + PAST);
      const reader = await openCapture(path);
      const { analysis } = await analyzeCaptures([reader], {}).finally(() => reader.close());
      const drops = analysis.findings.filter((f) => f.code === 'dropped-at-host');
      expect(drops).toHaveLength(MAX_DROP_PAIRS + 1);
      expect(drops[0].message).toMatch(/^1 UDP packet from 172\.17\.0\.2 to 11\.0\.0\.9 entered the host \(veth3a1f0c0 -> docker0\) and never left through eth0/);
      expect(drops[MAX_DROP_PAIRS - 1].journeys).toHaveLength(1);
      const rest = drops[MAX_DROP_PAIRS];
      expect(rest.message).toBe(
        `${PAST} UDP packets between addresses past the first ${MAX_DROP_PAIRS} pairs of addresses told apart, counted together ` +
          `(the first from 172.17.0.2 to 11.39.16.9) entered the host (veth3a1f0c0 -> docker0) and never left through eth0, where routing would send them: ` +
          `ip_forward is probably 0 on the host, or a filter (iptables FORWARD policy DROP) dropped it.`,
      );
      expect(rest.journeys).toHaveLength(PAST);
      expect(new Set(drops.flatMap((f) => f.journeys ?? [])).size).toBe(MAX_DROP_PAIRS + PAST);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
