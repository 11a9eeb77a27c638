// RecentTable keeps what was asked for in the last one to two generations: on the addresses and
// endpoints of a real capture, every entry of the last generation is found with its value, nothing
// older than two generations is, and it never holds more than two generations.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { REPO } from '../helpers/tools.js';
import { openCapture } from '../../src/capture/index.js';
import { Observer } from '../../src/correlate/observe.js';
import { RecentTable } from '../../src/correlate/recent.js';
import { endpoint } from '../../src/correlate/endpoint.js';

async function endpointsOf(path: string): Promise<string[]> {
  const observer = new Observer({ ifaceMap: new Map(), evidenceLines: false });
  const reader = await openCapture(path);
  const out: string[] = [];
  try {
    for await (const batch of reader.batches()) {
      for (const f of batch) {
        const o = observer.observe(f);
        if (o.family !== 0) out.push(endpoint(o.src, o.sport), endpoint(o.dst, o.dport));
      }
    }
  } finally {
    await reader.close();
  }
  return out;
}

describe('RecentTable', () => {
  it('on the endpoints of the tcp-loss and egress-nat samples, in generations of 3', async () => {
    const keys = [...(await endpointsOf(join(REPO, 'samples', 'tcp-loss', 'capture.pcapng'))), ...(await endpointsOf(join(REPO, 'samples', 'egress-nat', 'capture.pcapng')))];
    const size = 3;
    const table = new RecentTable<string, string>(size);
    // What a plain table would answer, and the order keys were last set or found in.
    const order: string[] = [];
    let hits = 0;
    let forgotten = 0;
    for (const key of keys) {
      const found = table.get(key);
      const last = order.lastIndexOf(key);
      // Distinct keys set or found since: within one generation it must be there, past two it must not.
      const since = last < 0 ? Infinity : new Set(order.slice(last + 1)).size;
      if (since < size) expect(found).toBe(`value of ${key}`);
      if (since >= 2 * size) expect(found).toBeUndefined();
      if (found === undefined) {
        if (last >= 0) forgotten++;
        table.set(key, `value of ${key}`);
      } else {
        expect(found).toBe(`value of ${key}`);
        hits++;
      }
      order.push(key);
      expect(table.held).toBeLessThanOrEqual(2 * size);
    }
    expect(hits).toBeGreaterThan(keys.length / 2);
    expect(forgotten).toBeGreaterThan(0);
  });
});
