// A rewrite on the server's direction of a translated flow is conntrack undoing the rule, not a rule:
// the words and diagrams that name rules (SNAT, DNAT) must tell the two apart.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { isReversal } from '../../src/correlate/nat-table.js';
import { REPO } from '../helpers/tools.js';

async function rewrites(sample: string): Promise<{ type: string; reversal: boolean; towardsClient: boolean }[]> {
  const reader = await openCapture(join(REPO, 'samples', sample, 'capture.pcapng'));
  try {
    const { analysis } = await analyzeCaptures([reader], {});
    const flows = new Map(analysis.flows.map((f) => [f.id, f]));
    return analysis.journeys.flatMap((j) => {
      const flow = j.flow === undefined ? undefined : flows.get(j.flow);
      const towardsClient = flow !== undefined && j.hops[0].src !== flow.client.replace(/:\d+$/, '');
      return j.steps.flatMap((s) => (s.nat ? [{ type: s.nat.type, reversal: isReversal(s.nat, flow), towardsClient }] : []));
    });
  } finally {
    await reader.close();
  }
}

describe('NAT reversal', () => {
  it('egress-nat: every SNAT is a rule on the way out, every DNAT its reversal on the way back', async () => {
    const r = await rewrites('egress-nat');
    expect(r.filter((x) => x.type === 'snat').length).toBeGreaterThan(10);
    for (const x of r) expect(x).toEqual({ type: x.type, reversal: x.type === 'dnat', towardsClient: x.type === 'dnat' });
  });

  it('publish: every DNAT is the published port on the way in, every SNAT its reversal on the way out', async () => {
    const r = await rewrites('publish');
    expect(r.filter((x) => x.type === 'dnat').length).toBeGreaterThan(3);
    for (const x of r) expect(x).toEqual({ type: x.type, reversal: x.type === 'snat', towardsClient: x.type === 'snat' });
  });
});
