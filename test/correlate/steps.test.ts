// The correlator fills the hop and step lists of a finished journey again for the next one
// (correlator.ts workOf): the lists it fills must be what the lists made afresh would be, for the
// journeys of every sample and for their hops in every order.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { REPO } from '../helpers/tools.js';
import { openCapture, mergeCaptures } from '../../src/capture/index.js';
import { Observer } from '../../src/correlate/observe.js';
import { JourneyAssembler } from '../../src/correlate/journey-assembler.js';
import { DEFAULT_WINDOW_NS } from '../../src/correlate/analyze.js';
import { orderHops, sortByTravel, stepsOf, travelOrder } from '../../src/correlate/steps.js';
import type { Observation } from '../../src/correlate/observation.js';
import type { Step } from '../../src/correlate/model.js';

const SAMPLES = join(REPO, 'samples');

/** Every journey's hops of a sample's captures, in the order the assembler closes them. */
async function journeysOf(dir: string): Promise<Observation[][]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.pcapng') || f.endsWith('.pcap'));
  const readers = await Promise.all(files.map((f) => openCapture(join(dir, f))));
  const observer = new Observer({ ifaceMap: new Map(), evidenceLines: false });
  const out: Observation[][] = [];
  const assembler = new JourneyAssembler(DEFAULT_WINDOW_NS, (j) => out.push([...j.hops]));
  try {
    for await (const batch of mergeCaptures(readers)) for (const f of batch) assembler.add(observer.observe(f));
    assembler.flush();
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
  return out;
}

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield [items[i], ...p];
  }
}

const stepText = (steps: Step[]): string => JSON.stringify(steps);

describe('hop and step lists filled again', () => {
  const samples = readdirSync(SAMPLES).filter((d) => readdirSync(join(SAMPLES, d)).some((f) => f.endsWith('.pcapng')));

  it.each(samples)('%s: the same order and steps as lists made afresh', async (sample) => {
    const journeys = await journeysOf(join(SAMPLES, sample));
    expect(journeys.length).toBeGreaterThan(0);
    // One list of each kind, filled for every journey in turn as the correlator's spare ones are.
    let hopList: Observation[] = [];
    let stepList: Step[] = [];
    let orders = 0;
    for (const hops of journeys) {
      // Hop lists of up to six in every order (the assembler's order is one of them); longer ones as closed.
      const orderings = hops.length <= 6 ? permutations(hops) : [hops];
      for (const p of orderings) {
        const fresh = orderHops(p);
        // Filled when it has the length needed, else made afresh of exactly that length.
        const fits = hopList.length === p.length;
        const filled = orderHops(p, hopList);
        if (fits) expect(filled).toBe(hopList);
        else expect(filled).not.toBe(hopList);
        hopList = filled;
        expect(filled.map((o) => o.frame + o.iface)).toEqual(fresh.map((o) => o.frame + o.iface));
        // Both are sorted by sortByTravel: hold it to sort() itself.
        expect(sortByTravel([...p]).map((o) => o.frame + o.iface)).toEqual([...p].sort(travelOrder).map((o) => o.frame + o.iface));
        orders++;
      }
      const fresh = orderHops(hops);
      const filled = orderHops(hops, hopList);
      hopList = filled;
      stepList = stepsOf(filled, stepList);
      expect(stepText(stepList)).toBe(stepText(stepsOf(fresh)));
    }
    expect(orders).toBeGreaterThanOrEqual(journeys.length);
  });

  it('lists of hops of many packets, three to sixty-three long, in order and reversed: as sort() orders them', async () => {
    // Hops of different packets compare by time, TTL and file order all at once: the comparison
    // need not be a consistent order there, and the filled list must still come out as sort()'s.
    const hops = (await journeysOf(join(SAMPLES, 'vxlan-overlay'))).flat();
    expect(hops.length).toBeGreaterThan(200);
    let lists = 0;
    for (let n = 3; n < 64; n++) {
      for (let start = 0; start + n <= hops.length; start += 37) {
        const list = hops.slice(start, start + n);
        for (const l of [list, [...list].reverse()]) {
          expect(orderHops(l, []).map((o) => o.frame + o.iface)).toEqual(orderHops(l).map((o) => o.frame + o.iface));
          expect(sortByTravel([...l]).map((o) => o.frame + o.iface)).toEqual([...l].sort(travelOrder).map((o) => o.frame + o.iface));
          lists++;
        }
      }
    }
    expect(lists).toBeGreaterThan(1000);
  });
});
