// The userland proxy match as flows finish (ProxyMatcher) against the match of every flow at once
// (matchProxies): the localhost-publish sample's socat proxy, its traffic repeated at intervals so
// that flows finish, and are matched, while the capture is read.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openCapture, mergeCaptures } from '../../src/capture/index.js';
import { analyzeCaptures, streamFrames } from '../../src/correlate/analyze.js';
import { ProxyMatcher, matchProxies, type ProxyFacts } from '../../src/correlate/proxies.js';
import type { Flow } from '../../src/correlate/model.js';
import { REPO } from '../helpers/tools.js';
import { repeatCapture } from '../helpers/repeat.js';

const SAMPLE = join(REPO, 'samples', 'localhost-publish', 'capture.pcapng');

describe.skipIf(!existsSync(SAMPLE))('userland proxies matched as flows finish', () => {
  it.each([
    ['a minute apart: each copy matched on its own', 60_000_000_000n],
    ['12 s apart: each copy matched while the next is read', 12_000_000_000n],
  ])('the proxy of every copy, %s', async (_, gapNs) => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-proxy-'));
    try {
      const copies = 5;
      const once = await openCapture(SAMPLE);
      const many = await openCapture(await repeatCapture(SAMPLE, dir, copies, gapNs));
      try {
        const { analysis: a } = await analyzeCaptures([once]);
        const pair = a.flows.filter((f) => f.proxyOf !== undefined).map((f) => f.id);
        expect(pair).toHaveLength(2);
        const flows: Flow[] = [];
        const run = await streamFrames(mergeCaptures([many]), [many], { maxWaiting: 20 }, { flow: (f) => flows.push(f), natBinding: () => {}, finding: () => {} });
        // Every copy's two connections, each with its own copy's partner.
        expect(run.summary.proxies).toHaveLength(copies);
        flows.sort((x, y) => x.id - y.id);
        for (const [x, y] of run.summary.proxies) {
          expect(y).toBeGreaterThan(x);
          expect(Number(flows[y - 1].firstTs)).toBeGreaterThanOrEqual(Number(flows[x - 1].firstTs));
        }
        expect(run.summary.proxies.map(([x, y]) => y - x)).toEqual(Array<number>(copies).fill(pair[1] - pair[0]));
      } finally {
        await once.close();
        await many.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds a finished flow only while a flow open or to come could pair with it', () => {
    // The byte counts and starts of the sample's proxied pair (1 s apart here), and a flow of the
    // same counts that starts within the window of the second, still open when the first two finish.
    const w = 5_000_000_000;
    const a: ProxyFacts = { id: 1, c2s: 77, s2c: 845, firstNs: 0, serverLocal: true, tcp: true };
    const b: ProxyFacts = { id: 2, c2s: 77, s2c: 845, firstNs: 1_000_000_000, serverLocal: false, tcp: true };
    const late: ProxyFacts = { id: 3, c2s: 77, s2c: 845, firstNs: 5_500_000_000, serverLocal: false, tcp: true };
    const m = new ProxyMatcher(w);
    m.add(a);
    m.add(b);
    // `late` is open: a and b may not be matched yet, whatever time it is.
    m.settle(100 * w, Float64Array.of(late.firstNs));
    expect(m.held).toBe(2);
    m.add(late);
    m.settle(100 * w, new Float64Array(0));
    expect(m.held).toBe(0);
    expect(m.finish()).toEqual(matchProxies([a, b, late], w));
  });
});
