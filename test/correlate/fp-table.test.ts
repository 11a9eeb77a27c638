// The journey assembler's table of open journeys (fp-table.ts) must answer as a Map would, at every
// step of the churn the assembler puts it through: the fingerprints of a real capture's packets and
// of the emulator's capture of a scenario, opened in capture order, joined by their copies on other
// interfaces, and deleted when their window passes or a copy comes again on an interface already
// crossed. A table started at 8 cells grows several times and, that small, has clusters that wrap
// around the end of its arrays, which is where a backward shift goes wrong first.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/tools.js';
import { openCapture } from '../../src/capture/index.js';
import { Observer } from '../../src/correlate/observe.js';
import { FingerprintTable } from '../../src/correlate/fp-table.js';
import { parseScenario } from '../../src/scenario/index.js';
import { emulateScenario, encodeEmulated } from '../../src/emulate/index.js';

interface Sighting {
  fp: number;
  t: number;
  iface: string;
}

/** Every frame's fingerprint, time and interface, in the order `analyze` hands them to the assembler. */
async function sightings(path: string): Promise<Sighting[]> {
  const observer = new Observer({ ifaceMap: new Map(), evidenceLines: false });
  const out: Sighting[] = [];
  const reader = await openCapture(path);
  try {
    for await (const batch of reader.batches()) {
      for (const frame of batch) {
        const o = observer.observe(frame);
        out.push({ fp: o.fp, t: o.t, iface: o.iface });
        observer.release([o]);
      }
    }
  } finally {
    await reader.close();
  }
  return out;
}

interface Entry {
  fp: number;
  last: number;
  ifaces: Set<string>;
}

interface Churn {
  inserts: number;
  deletes: number;
  largest: number;
}

/**
 * Drives a table and a Map through the operations JourneyAssembler.add makes for each sighting
 * (expire what is out of its window, oldest first; look the fingerprint up; join, or delete and open
 * anew) and holds every answer of the table against the Map's after each one.
 */
function churn(seen: readonly Sighting[], windowNs: number): Churn {
  const table = new FingerprintTable<Entry>(8);
  const map = new Map<number, Entry>();
  const opened: Entry[] = [];
  let head = 0;
  const counts: Churn = { inserts: 0, deletes: 0, largest: 0 };
  const same = (gone?: number): void => {
    expect(table.size).toBe(map.size);
    for (const [fp, e] of map) expect(table.get(fp)).toBe(e);
    if (gone !== undefined) expect(table.get(gone)).toBeUndefined();
  };
  const remove = (fp: number): void => {
    expect(table.delete(fp)).toBe(map.delete(fp));
    counts.deletes++;
    same(fp);
    expect(table.delete(fp)).toBe(false);
  };
  for (const s of seen) {
    for (; head < opened.length; head++) {
      const e = opened[head];
      if (map.get(e.fp) !== e) continue;
      if (s.t - e.last <= windowNs) break;
      remove(e.fp);
    }
    const e = table.get(s.fp);
    expect(e).toBe(map.get(s.fp));
    if (e && s.t - e.last <= windowNs && !e.ifaces.has(s.iface)) {
      e.ifaces.add(s.iface);
      e.last = Math.max(e.last, s.t);
      continue;
    }
    if (e) remove(s.fp);
    const n: Entry = { fp: s.fp, last: s.t, ifaces: new Set([s.iface]) };
    table.set(s.fp, n);
    map.set(s.fp, n);
    opened.push(n);
    counts.inserts++;
    counts.largest = Math.max(counts.largest, map.size);
    same();
  }
  // Set on a key the table holds replaces its value, as Map.set does.
  for (const [fp, e] of map) {
    const copy = { ...e };
    table.set(fp, copy);
    map.set(fp, copy);
  }
  same();
  table.clear();
  map.clear();
  same(seen[0].fp);
  return counts;
}

/** Windows of the assembler (analyze's 300 ms) and shorter ones, for more deletes and fewer live entries. */
const WINDOWS = [300_000_000, 1_000_000, 10_000];

/** The publish sample's scenario with more traffic: 40 requests from outside to the published port, 50 pings. */
function busyPublish(): string {
  const file = join(REPO, 'samples', 'publish', 'scenario.txt');
  const traffic = [...Array<string>(40).fill('outside curl -s http://203.0.113.108:8080/'), 'ip netns exec c1 ping -c 50 203.0.113.108'];
  return `${readFileSync(file, 'utf8').trimEnd()}\n${traffic.join('\n')}\n`;
}

describe('FingerprintTable', () => {
  it('answers as a Map through the churn of a sample capture (tcp-loss)', async () => {
    const seen = await sightings(join(REPO, 'samples', 'tcp-loss', 'capture.pcapng'));
    expect(seen.length).toBeGreaterThan(100);
    // Its 45 journeys open at once in analyze's window, and close one by one in the short ones.
    const deletes = WINDOWS.map((w) => churn(seen, w).deletes);
    expect(deletes[0]).toBeGreaterThan(0);
    expect(Math.min(...deletes.slice(1))).toBeGreaterThan(40);
  });

  it('answers as a Map through the churn of the emulator capture of a busy scenario, grown from 8 cells', async () => {
    const scenario = parseScenario(busyPublish(), 'busy-publish.txt');
    const dir = mkdtempSync(join(tmpdir(), 'pn-fp-table-'));
    try {
      const path = join(dir, 'emulated.pcapng');
      writeFileSync(path, encodeEmulated(emulateScenario(scenario)));
      const seen = await sightings(path);
      expect(seen.length).toBeGreaterThan(1000);
      for (const w of WINDOWS) {
        const c = churn(seen, w);
        expect(c.deletes).toBeGreaterThan(500);
        // Grown six times from its 8 cells (a load of a half) in analyze's window.
        if (w === WINDOWS[0]) expect(c.largest).toBeGreaterThan(256);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
