/**
 * The vxlan-overlay sample: its committed per-host captures, and `lab -o DIR/` recording it again on
 * this kernel, tell the same story as the emulator: VXLAN on the underlay, the real kernel's
 * fragmentation-needed naming 1450 for c2's segments too big for the tunnel, and the download
 * completing after it (path-MTU discovery). Only as root, with namespaces.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, skipReason } from '../helpers/tools.js';
import { expectOverlayStory, overlayRows } from '../helpers/overlay.js';
import { parseScenario } from '../../src/scenario/index.js';
import { existingNamespaces, labUnavailableReason, runLab } from '../../src/lab/index.js';

const DIR = join(REPO, 'samples', 'vxlan-overlay');
const FILE = join(DIR, 'scenario.txt');
const tshark = skipReason(['tshark']);

describe.skipIf(tshark !== undefined)('vxlan-overlay sample', () => {
  if (tshark) console.warn(tshark);
  it('has a capture per host, and no combined one, that tell the story of its README', () => {
    expect(readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort()).toEqual(['host.pcapng', 'hostb.pcapng']);
    expectOverlayStory(overlayRows(join(DIR, 'host.pcapng')), overlayRows(join(DIR, 'hostb.pcapng')));
  });
});

const labSkip = labUnavailableReason() ?? skipReason(['ip', 'dumpcap', 'tshark', 'curl', 'python3']);

describe.skipIf(labSkip !== undefined)('lab -o DIR/ records the overlay per host', () => {
  if (labSkip) console.warn(`lab tests ${labSkip}`);
  it('writes DIR/host.pcapng and DIR/hostb.pcapng with the real kernel\'s answer naming 1450', async () => {
    const scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
    const temp = mkdtempSync(join(tmpdir(), 'pn-labtest-'));
    const prefix = `pnt${process.pid}vx-`;
    try {
      const out = join(temp, 'hosts');
      const result = await runLab(scenario, { output: out, perHost: true, prefix });
      expect(result.hosts?.map((h) => [h.host, h.interfaces])).toEqual([
        ['host', ['vethc1', 'vxlan0', 'eth1']],
        ['hostb', ['vethc2', 'vxlan0', 'eth1']],
      ]);
      expect(result.traffic.map((t) => t.exitCode)).toEqual([0, 0, 0]);
      expectOverlayStory(overlayRows(join(out, 'host.pcapng')), overlayRows(join(out, 'hostb.pcapng')));
    } finally {
      rmSync(temp, { recursive: true, force: true });
      expect(existingNamespaces(prefix)).toEqual([]);
      expect(existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(prefix)) : []).toEqual([]);
    }
  }, 60_000);
});
