// Captures from several hosts (DESIGN.md "Several hosts, tunnels and MTU"): which host each file
// is, HOST:IFACE names, clock offsets, and one journey from a container on one host to a container
// on the other, on the two per-host captures of the VXLAN overlay the lab recorded.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openCapture, mergeCaptures } from '../../src/capture/index.js';
import { analyzeFrames, hostSetup, readerOffsets } from '../../src/correlate/analyze.js';
import { planHosts } from '../../src/correlate/hosts.js';
import type { Analysis } from '../../src/correlate/model.js';
import { REPO, skipReason } from '../helpers/tools.js';

const OVERLAY = join(REPO, 'samples', 'vxlan-overlay');
const HOST_FILES = [join(OVERLAY, 'host.pcapng'), join(OVERLAY, 'hostb.pcapng')];

async function analyzeFiles(files: string[], given = new Map<string, string>()): Promise<Analysis> {
  const readers = await Promise.all(files.map((f) => openCapture(f)));
  try {
    const hosts = await hostSetup(readers, given);
    const merged = mergeCaptures(readers, { clockOffsetNs: readerOffsets(readers, hosts) });
    return (await analyzeFrames(merged, readers, { hosts })).analysis;
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

describe('which host each capture comes from', () => {
  it('files with disjoint interface names are one host, named host, and keep their names', () => {
    const plan = planHosts([
      { file: 'a/veth.pcapng', interfaces: ['vethc1'] },
      { file: 'a/eth0.pcapng', interfaces: ['eth0', 'docker0'] },
    ]);
    expect(plan.hosts).toEqual([{ name: 'host', files: ['a/veth.pcapng', 'a/eth0.pcapng'] }]);
  });

  it('files that name the same interface are hosts of their own, named by their stems, told apart when the stems are alike', () => {
    const plan = planHosts([
      { file: 'x/node1.pcapng', interfaces: ['eth1', 'vxlan0'] },
      { file: 'y/node1.pcap', interfaces: ['eth1'] },
      { file: 'node2.pcapng', interfaces: ['eth1'] },
    ]);
    expect(plan.hosts.map((h) => h.name)).toEqual(['node1', 'node1-2', 'node2']);
  });

  it('--host names hosts, and a file it names is never placed by the automatic rule', () => {
    const plan = planHosts(
      [
        { file: 'one.pcapng', interfaces: ['eth0'] },
        { file: 'two.pcapng', interfaces: ['eth0'] },
      ],
      new Map([
        ['one.pcapng', 'left'],
        ['two.pcapng', 'right'],
      ]),
    );
    expect(plan.hosts).toEqual([
      { name: 'left', files: ['one.pcapng'] },
      { name: 'right', files: ['two.pcapng'] },
    ]);
  });
});

describe('a VXLAN overlay captured on each of its two hosts', () => {
  it('keeps the interfaces of the two hosts apart and names them HOST:IFACE everywhere', async () => {
    const a = await analyzeFiles(HOST_FILES);
    expect(a.hosts.map((h) => h.name)).toEqual(['host', 'hostb']);
    expect(a.interfaces.map((i) => i.name).sort()).toEqual(['host:eth1', 'host:vethc1', 'host:vxlan0', 'hostb:eth1', 'hostb:vethc2', 'hostb:vxlan0']);
    expect(a.captures.flatMap((c) => c.interfaces.map((i) => i.name)).sort()).toEqual(a.interfaces.map((i) => i.name).sort());
    expect(a.interfaces.find((i) => i.name === 'hostb:eth1')?.role).toBe('uplink');
  });

  it('tells each ping as one journey across both hosts: encapsulated, over the wire, decapsulated', async () => {
    const a = await analyzeFiles(HOST_FILES);
    const requests = a.journeys.filter((j) => j.summary.startsWith('ICMP echo request'));
    expect(requests).toHaveLength(2);
    for (const j of requests) {
      expect(j.steps.map((s) => `${s.from} ${s.kind} ${s.to}`)).toEqual([
        'host:vethc1 bridged host:vxlan0',
        'host:vxlan0 encapsulated host:eth1',
        'host:eth1 wire hostb:eth1',
        'hostb:eth1 decapsulated hostb:vxlan0',
        'hostb:vxlan0 bridged hostb:vethc2',
      ]);
      expect(j.fate).toBe('answered');
    }
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  const noEditcap = skipReason(['editcap']);
  it.skipIf(noEditcap !== undefined)(`with one host's clock 2.5 s ahead (editcap -t 2.5): the same journeys, and the offset ${noEditcap ?? ''}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-hosts-'));
    try {
      const shifted = join(dir, 'hostb.pcapng');
      execFileSync('editcap', ['-t', '2.5', HOST_FILES[1], shifted]);
      const usual = await analyzeFiles(HOST_FILES);
      const moved = await analyzeFiles([HOST_FILES[0], shifted]);
      const offset = Number(moved.hosts[1].clockOffsetNs);
      expect(Math.abs(offset - 2_500_000_000)).toBeLessThanOrEqual(5_000_000);
      expect(moved.hosts[1].offsetSamples).toBeGreaterThan(10);
      const story = (x: Analysis): unknown => x.journeys.map((j) => ({ summary: j.summary, fate: j.fate, steps: j.steps.map((s) => [s.from, s.to, s.kind, s.nat]) }));
      expect(story(moved)).toEqual(story(usual));
      // The hops keep the times as captured: hostb's are 2.5 s later.
      const hopOf = (x: Analysis): number => Number(x.journeys.find((j) => j.summary.startsWith('ICMP echo request'))!.hops.at(-1)!.ts);
      expect(hopOf(moved) - hopOf(usual)).toBeCloseTo(2.5, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a download that meets the tunnel MTU on the overlay', () => {
  it('drops the packets too big for vxlan0 with reason mtu, ties the fragmentation-needed answers to them, and says path-MTU discovery worked', async () => {
    const a = await analyzeFiles(HOST_FILES);
    const mtu = a.findings.filter((f) => f.code === 'mtu-exceeded');
    expect(mtu).toHaveLength(1);
    expect(mtu[0].severity).toBe('info');
    expect(mtu[0].message).toContain('hostb:vxlan0, whose MTU is 1450');
    expect(mtu[0].message).toContain('path-MTU discovery worked');
    const dropped = a.journeys.filter((j) => j.reason === 'mtu');
    expect(dropped.map((j) => j.id)).toEqual(mtu[0].journeys);
    for (const j of dropped) {
      expect(j.fate).toBe('dropped');
      expect(j.hops.at(-1)!.interface).toBe('hostb:vxlan0');
      const answer = a.journeys.find((x) => x.answerOf === j.id);
      expect(answer?.summary).toMatch(/^ICMP destination unreachable/);
    }
    // Dying of the MTU is not a drop at the host's filters.
    expect(a.findings.filter((f) => f.code === 'dropped-at-host')).toEqual([]);
  });
});

describe("the overlay's tunnel", () => {
  it('is a UDP flow of its own with tunnel { type, vni }, and every flow it carries names it', async () => {
    const a = await analyzeFiles(HOST_FILES);
    const outer = a.flows.filter((f) => f.tunnel && f.tunnel.flow === undefined);
    expect(outer.length).toBeGreaterThan(0);
    for (const f of outer) {
      expect(f.protocol).toBe('udp');
      expect(f.tunnel).toEqual({ type: 'vxlan', vni: 42 });
      expect(f.server).toMatch(/:4789$/);
      expect(f.interfaces.sort()).toEqual(['host:eth1', 'hostb:eth1']);
    }
    const carried = a.flows.filter((f) => f.interfaces.includes('host:eth1') && f.protocol !== 'udp');
    expect(carried.length).toBeGreaterThan(2);
    for (const f of carried) {
      expect(f.tunnel?.type).toBe('vxlan');
      expect(outer.map((o) => o.id)).toContain(f.tunnel?.flow);
    }
  });
});

describe('a burst of fragmentation-needed answers', () => {
  it('keeps each answer one journey with its own copies: Linux sends them all with IP id 0, so what they quote tells them apart', async () => {
    const { readScenario } = await import('../../src/cli/scenario-context.js');
    const { analyzeScenario } = await import('../../src/cli/expected.js');
    const scenario = await readScenario(join(OVERLAY, 'scenario.txt'));
    // The download's first window leaves as two GSO packets too big for vxlan0, answered a microsecond apart.
    const { work } = await analyzeScenario(scenario, {}, undefined, true);
    const answers = work.analysis.journeys.filter((j) => j.summary.startsWith('ICMP destination unreachable'));
    expect(answers.length).toBe(2);
    for (const j of answers) expect(j.hops.map((h) => h.interface)).toEqual(['hostb:vxlan0', 'hostb:vethc2']);
  });
});
