// What only some frames have (ICMP, DNS, ARP, tunnels) is in one ObservationDetail, and only those
// frames carry one: tens of thousands of observations wait for their journeys' fates at once, and
// a field costs 8 bytes on every one of them. The Observer fills observations again once their
// journeys are done (release), and their details too, each detail taken off its observation into a
// pool of its own: an observation filled again must be the one a fresh Observer makes, detail
// included, or none where it has none.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { Observer } from '../../src/correlate/observe.js';
import type { Observation } from '../../src/correlate/observation.js';
import { REPO } from '../helpers/tools.js';

const CAPTURES = readdirSync(join(REPO, 'samples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(REPO, 'samples', d.name)).filter((f) => f.endsWith('.pcapng')).map((f) => join(REPO, 'samples', d.name, f)));

/**
 * Every frame of `path` observed twice: by an Observer that keeps every observation, and by one
 * given each back as soon as it is made (a copy is kept of it), so that every frame fills again
 * the observation and the detail of the frame before.
 */
async function observeTwice(path: string): Promise<{ kept: Observation[]; reused: Observation[] }> {
  const keeping = new Observer({ ifaceMap: new Map(), evidenceLines: false });
  const reusing = new Observer({ ifaceMap: new Map(), evidenceLines: false });
  const kept: Observation[] = [];
  const reused: Observation[] = [];
  const reader = await openCapture(path);
  try {
    for await (const batch of reader.batches()) {
      for (const f of batch) {
        kept.push(keeping.observe(f));
        const o = reusing.observe(f);
        reused.push(structuredClone(o));
        reusing.release([o]);
      }
    }
  } finally {
    await reader.close();
  }
  return { kept, reused };
}

describe('observations', () => {
  it('keep what only ICMP, DNS, ARP and tunnel frames have in a detail, that no other frame carries', async () => {
    const seen = { plain: 0, arp: 0, icmp: 0, dns: 0, tunnel: 0 };
    for (const path of CAPTURES) {
      const { kept } = await observeTwice(path);
      for (const o of kept) {
        const d = o.detail;
        const where = `${path}#${o.frame}`;
        if (o.kind === 'arp') expect(d?.arpOp, where).toBeDefined();
        if (o.kind === 'icmp' || o.kind === 'icmpv6') expect(d?.icmpType, where).toBeDefined();
        if (d === undefined) {
          if (o.kind === 'tcp' || o.kind === 'udp') seen.plain++;
          continue;
        }
        expect(Object.values(d).some((v) => v !== undefined), `${where}: an empty detail`).toBe(true);
        if (d.arpOp !== undefined) seen.arp++;
        if (d.icmpType !== undefined) seen.icmp++;
        if (d.dnsText !== undefined) seen.dns++;
        if (d.vni !== undefined) seen.tunnel++;
      }
    }
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
  });

  it('filled again, with their details, are what a fresh Observer makes, field for field', async () => {
    let details = 0;
    for (const path of CAPTURES) {
      const { kept, reused } = await observeTwice(path);
      expect(reused.length).toBe(kept.length);
      for (let i = 0; i < kept.length; i++) {
        expect(reused[i], `${path}#${kept[i].frame}`).toStrictEqual(structuredClone(kept[i]));
        if (kept[i].detail !== undefined) details++;
      }
    }
    expect(details).toBeGreaterThan(100);
  });
});
