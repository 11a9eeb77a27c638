// MTUs known without an answer: from `ip -j -d link` given as --topology, or from a tunnel device's
// kind. The overlay sample's hostb capture with its fragmentation-needed answers cut out is the
// case: the packets too big for vxlan0 must still be dropped for the MTU, with no answer to cite.
// The fixture is hostb's `ip -j -d link` as the lab builds the sample's scenario (eth1 1500, vxlan0
// 1450 over it, br0, vethc2).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runAnalyze } from '../../src/cli/analyze.js';
import { addTopology, emptyTopology, topologyKind } from '../../src/correlate/topology.js';
import type { Analysis } from '../../src/correlate/model.js';
import { REPO, skipReason } from '../helpers/tools.js';

const OVERLAY = join(REPO, 'samples', 'vxlan-overlay');
const LINK = join(REPO, 'test', 'correlate', 'fixtures', 'vxlan-overlay-hostb-link.json');
const tshark = skipReason(['tshark']);

function topology() {
  const topo = emptyTopology();
  addTopology(topo, readFileSync(LINK, 'utf8'), LINK);
  return topo;
}

async function analyze(hostb: string, withTopology: boolean): Promise<Analysis> {
  const work = await runAnalyze([join(OVERLAY, 'host.pcapng'), hostb], { topology: withTopology ? topology() : undefined });
  return work.analysis;
}

describe('ip -j link as topology', () => {
  it('is told from ip -j addr by its shape, and gives each interface its MTU and kind', () => {
    const text = readFileSync(LINK, 'utf8');
    expect(topologyKind(text)).toBe('ip-link');
    const topo = topology();
    expect(Object.fromEntries(topo.mtus)).toEqual({ lo: 65536, eth1: 1500, vxlan0: 1450, br0: 1450, vethc2: 1500 });
    expect(topo.kinds.get('vxlan0')).toBe('vxlan');
    expect(topo.hostAddresses).toEqual([]);
  });
});

describe.skipIf(tshark !== undefined)(`packets too big for vxlan0 whose answers were not captured${tshark ? ` (${tshark})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pn-mtu-'));
  const hostb = join(dir, 'hostb.pcapng');
  const cut = () => {
    const r = spawnSync('tshark', ['-r', join(OVERLAY, 'hostb.pcapng'), '-Y', 'not (icmp.type == 3 && icmp.code == 4)', '-w', hostb], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };

  it('with the topology: the two GSO packets vxlan0 dropped and the lone segment the bridge dropped are mtu drops, one finding naming 1450', async () => {
    cut();
    const a = await analyze(hostb, true);
    const dropped = a.journeys.filter((j) => j.reason === 'mtu');
    expect(dropped.map((j) => [j.fate, j.hops.at(-1)?.interface])).toEqual([
      ['dropped', 'hostb:vxlan0'],
      ['dropped', 'hostb:vxlan0'],
      ['dropped', 'hostb:vethc2'],
    ]);
    const mtu = a.findings.filter((f) => f.code === 'mtu-exceeded');
    expect(mtu).toHaveLength(1);
    expect(mtu[0].journeys).toEqual(dropped.map((j) => j.id));
    expect(mtu[0].message).toContain('larger than the MTU of hostb:vxlan0, 1450 (from the topology given)');
    expect(mtu[0].message).toContain('no ICMP fragmentation needed answering them was seen');
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // GSO packets far above 1450 crossed vxlan0 all through the download: none of them is a drop.
    expect(a.journeys.filter((j) => j.reason === undefined && j.fate === 'dropped')).toEqual([]);
  });

  it('without it: vxlan0 is known as a tunnel by its steps and assumed 50 bytes under a 1500-byte underlay', async () => {
    cut();
    const a = await analyze(hostb, false);
    const mtu = a.findings.filter((f) => f.code === 'mtu-exceeded');
    expect(mtu).toHaveLength(1);
    expect(mtu[0].journeys).toHaveLength(2);
    expect(mtu[0].message).toContain("1450 (a tunnel device's, assuming hostb:eth1 has an MTU of 1500)");
  });

  it('the sample as captured, answers included, is told as before: the answers name the MTU', async () => {
    const a = await analyze(join(OVERLAY, 'hostb.pcapng'), false);
    const mtu = a.findings.filter((f) => f.code === 'mtu-exceeded');
    expect(mtu).toHaveLength(1);
    expect(mtu[0].message).toContain('answered with ICMP fragmentation needed naming 1450');
    expect(a.journeys.filter((j) => j.reason === 'mtu')).toHaveLength(2);
    rmSync(dir, { recursive: true, force: true });
  });
});
