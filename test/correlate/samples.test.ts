// Golden expectations for the recorded samples, written from each scenario (what the kernel must
// have done) and checked once by reading the captures with `read`. They hold the correlator to the
// stories the samples exist to tell.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures, type AnalysisWork } from '../../src/correlate/analyze.js';
import type { Journey } from '../../src/correlate/model.js';
import { emptyTopology } from '../../src/correlate/topology.js';
import { REPO } from '../helpers/tools.js';
import { analyzeSample } from '../helpers/samples.js';

const analyze = analyzeSample;

const path = (j: Journey): string => j.hops.map((h) => h.interface).join(' -> ');
const first = (w: AnalysisWork, j: Journey) => w.hopsOf(j)[0];

describe.skipIf(!existsSync(join(REPO, 'samples', 'egress-nat')))('correlator on the recorded samples', () => {
  it('bridge-ping: the ARP request has a hop on all four interfaces; the reply and echoes skip vethc3', async () => {
    const w = await analyze('bridge-ping');
    const req = w.analysis.journeys.find((j) => j.kind === 'arp' && first(w, j).detail?.arpOp === 1 && first(w, j).dst === '172.17.0.2')!;
    expect(req.hops).toHaveLength(4);
    expect(req.hops[0].interface).toBe('veth5d6e7f8');
    expect(req.hops[1].interface).toBe('docker0');
    // Flooded: each egress port is a step from the bridge.
    expect(req.steps.filter((s) => s.from === 'docker0').map((s) => s.to).sort()).toEqual(['veth1a2b3c4', 'veth9a8b7c6']);
    expect(req.fate).toBe('answered');
    const echoes = w.analysis.journeys.filter((j) => j.kind === 'icmp');
    expect(echoes.length).toBe(4);
    for (const e of echoes) expect(e.hops.map((h) => h.interface)).not.toContain('veth9a8b7c6');
    expect(echoes.filter((e) => !e.isReply).every((e) => e.fate === 'answered')).toBe(true);
    expect(w.analysis.findings).toEqual([]);
  });

  it('egress-nat: echoes, the DNS query and the SYN leave eth0 through source NAT, ports rewritten; no retransmission', async () => {
    const w = await analyze('egress-nat');
    const a = w.analysis;
    const requests = a.journeys.filter((j) => j.kind === 'icmp' && first(w, j).detail?.icmpType === 8);
    expect(requests.length).toBe(2);
    for (const j of requests) {
      expect(path(j)).toBe('veth1a2b3c4 -> docker0 -> eth0');
      const nat = j.steps.find((s) => s.nat)!.nat!;
      expect(nat).toEqual({ type: 'snat', before: '172.17.0.2', after: '203.0.113.108' });
      expect(j.fate).toBe('answered');
    }
    const syn = a.journeys.find((j) => j.kind === 'tcp' && first(w, j).tcpFlags === 0x02)!;
    const synNat = syn.steps.find((s) => s.nat)!.nat!;
    expect(synNat.type).toBe('snat');
    expect(synNat.before.split(':')[1]).not.toBe(synNat.after.split(':')[1]);
    expect(Number(synNat.after.split(':')[1])).toBeGreaterThanOrEqual(40000);
    const dns = a.journeys.find((j) => first(w, j).detail?.dnsResponse === false)!;
    const dnsNat = dns.steps.find((s) => s.nat)!.nat!;
    expect(dnsNat.before.split(':')[1]).not.toBe(dnsNat.after.split(':')[1]);
    expect(dns.fate).toBe('answered');
    expect(a.findings.map((f) => f.code)).not.toContain('retransmission');
    // Copies on veth, docker0 and eth0 are hops, never retransmissions.
    expect(a.journeys.some((j) => j.retransmission)).toBe(false);
    const tcp = a.flows.find((f) => f.protocol === 'tcp')!;
    expect(tcp.translations.map((t) => [t.type, t.interface])).toEqual([['snat', 'eth0']]);
    expect(tcp.state).toBe('SF');
    expect(tcp.history).toBe('ShADadfF');
    expect(tcp.communityIds?.length).toBe(2);
    expect(a.nat?.length).toBe(3);
  });

  it('namespaces-tutorial: dropped at the host, then a private source leaks, then translated and answered', async () => {
    const w = await analyze('namespaces-tutorial');
    const outs = w.analysis.journeys.filter((j) => j.kind === 'icmp' && first(w, j).detail?.icmpType === 8 && first(w, j).dst === '198.51.100.8');
    expect(outs).toHaveLength(3);
    expect(outs[0].fate).toBe('dropped');
    expect(path(outs[0])).toBe('vethc1 -> br0');
    expect(path(outs[1])).toBe('vethc1 -> br0 -> wlan0');
    expect(outs[1].steps.some((s) => s.nat)).toBe(false);
    expect(outs[2].fate).toBe('answered');
    expect(outs[2].steps.find((s) => s.nat)?.nat).toEqual({ type: 'snat', before: '10.0.0.2', after: '203.0.113.108' });
    const codes = (id: number) => w.analysis.findings.filter((f) => f.journeys?.includes(id)).map((f) => f.code);
    expect(codes(outs[0].id)).toContain('dropped-at-host');
    expect(codes(outs[1].id)).toContain('unnatted-private-source');
    expect(codes(outs[2].id)).toEqual([]);
    const local = w.analysis.journeys.find((j) => first(w, j).detail?.icmpType === 8 && first(w, j).dst === '10.0.0.3')!;
    expect(local.fate).toBe('answered');
  });

  it('publish: the request is DNATed from the uplink address and port to the container; the host-local ping never reaches eth0', async () => {
    const w = await analyze('publish');
    const syn = w.analysis.journeys.find((j) => j.kind === 'tcp' && first(w, j).tcpFlags === 0x02)!;
    expect(path(syn)).toBe('eth0 -> docker0 -> veth1a2b3c4');
    expect(syn.steps.find((s) => s.nat)?.nat).toEqual({ type: 'dnat', before: '203.0.113.108:8080', after: '172.17.0.2:80' });
    const flow = w.analysis.flows.find((f) => f.protocol === 'tcp')!;
    expect(flow.translations[0]).toMatchObject({ type: 'dnat', interface: 'eth0' });
    const ping = w.analysis.journeys.find((j) => first(w, j).detail?.icmpType === 8)!;
    expect(ping.hops.map((h) => h.interface)).not.toContain('eth0');
    expect(ping.fate).toBe('answered');
  });

  it('publish-filtered: the SYNs to the published port die in the host, silently; the host reaches the server directly', async () => {
    const reader = await openCapture(join(REPO, 'samples', 'publish-filtered', 'capture.pcapng'));
    let w: AnalysisWork;
    try {
      // What `ip -j addr` on the host (or the scenario) says: 203.0.113.108 is the host's own.
      w = await analyzeCaptures([reader], { topology: { ...emptyTopology(), hostAddresses: ['203.0.113.108', '172.17.0.1'] } });
    } finally {
      await reader.close();
    }
    const syns = w.analysis.journeys.filter((j) => j.kind === 'tcp' && first(w, j).dport === 8080);
    expect(syns.length).toBeGreaterThan(3);
    for (const j of syns) {
      expect(path(j)).toBe('eth0');
      expect(j.fate).toBe('dropped');
    }
    const finding = w.analysis.findings.find((f) => f.code === 'dropped-at-host')!;
    expect(finding.severity).toBe('error');
    expect(finding.message).toMatch(/to the host's own address 203\.0\.113\.108 \(port 8080\).*not even the RST a closed port sends/);
    expect(finding.journeys).toEqual(syns.map((j) => j.id));
    const direct = w.analysis.flows.find((f) => f.server === '172.17.0.2:80')!;
    expect(direct.client).toMatch(/^172\.17\.0\.1:/);
    expect(direct.state).toBe('SF');
  });

  it('publish-filtered without knowing the host\'s addresses: unanswered SYNs, no claim of a drop', async () => {
    const w = await analyze('publish-filtered');
    const syns = w.analysis.journeys.filter((j) => j.kind === 'tcp' && first(w, j).dport === 8080);
    expect(syns.every((j) => j.fate !== 'dropped')).toBe(true);
    const noReply = w.analysis.findings.find((f) => f.code === 'no-reply')!;
    // The port is named: findings are per connection, and a scan's would otherwise read the same.
    expect(noReply.message).toBe(`${syns.length} TCP SYNs from 203.0.113.1 to 203.0.113.108:8080 got no answer in the captures (last seen on eth0).`);
  });

  it('localhost-publish: the DNAT connection is one flow; the proxied request is two flows spliced', async () => {
    const w = await analyze('localhost-publish');
    const tcp = w.analysis.flows.filter((f) => f.protocol === 'tcp');
    expect(tcp).toHaveLength(3);
    const lo = tcp.find((f) => f.server === '127.0.0.1:9090')!;
    expect(lo.proxyOf).toBeDefined();
    const other = tcp.find((f) => f.id === lo.proxyOf)!;
    expect(other.server).toBe('172.17.0.2:80');
    expect(tcp.filter((f) => f.proxyOf === undefined)).toHaveLength(1);
  });

  it('tcp-loss: the true retransmissions are found and counted, the drops are placed at the host', async () => {
    const w = await analyze('tcp-loss');
    const retrans = w.analysis.journeys.filter((j) => j.retransmission);
    expect(retrans.length).toBeGreaterThan(0);
    const flow = w.analysis.flows.find((f) => f.protocol === 'tcp')!;
    expect(flow.retransmissions).toBe(retrans.length);
    const finding = w.analysis.findings.find((f) => f.code === 'retransmission')!;
    expect(finding.journeys?.length).toBe(retrans.length);
    const dropped = w.analysis.journeys.filter((j) => j.fate === 'dropped');
    expect(dropped.length).toBeGreaterThan(0);
    for (const d of dropped) expect(path(d)).toBe('eth0');
    expect(w.analysis.findings.map((f) => f.code)).toContain('dropped-at-host');
  });

  it('embedded-dns: the redirected query on lo is answered from port 53', async () => {
    const w = await analyze('embedded-dns');
    const q = w.analysis.journeys.find((j) => first(w, j).detail?.dnsResponse === false)!;
    expect(first(w, q).dport).not.toBe(53);
    expect(q.fate).toBe('answered');
    const a = w.analysis.journeys.find((j) => j.id === q.answeredBy)!;
    expect(first(w, a).sport).toBe(53);
  });

  it('host-network and none-network: everything stays on lo', async () => {
    for (const s of ['host-network', 'none-network']) {
      const w = await analyze(s);
      // The bridge's own IGMP report is kernel housekeeping, not the container's traffic.
      const traffic = w.analysis.journeys.filter((j) => first(w, j).proto !== 2);
      expect(traffic.length).toBeGreaterThan(0);
      for (const j of traffic) for (const h of j.hops) expect(h.interface).toMatch(/(^|:)lo$/);
    }
  });

  it('any-capture: cooked v2 indexes named by --iface-map tell the same NAT story as egress-nat', async () => {
    const w = await analyze('any-capture', new Map([[2, 'eth0'], [3, 'docker0'], [4, 'veth1a2b3c4']]));
    const requests = w.analysis.journeys.filter((j) => j.kind === 'icmp' && first(w, j).detail?.icmpType === 8);
    expect(requests.length).toBe(2);
    for (const j of requests) {
      expect(j.hops.map((h) => h.interface).sort()).toEqual(['docker0', 'eth0', 'veth1a2b3c4']);
      expect(j.steps.find((s) => s.nat)?.nat?.type).toBe('snat');
    }
    expect(w.analysis.limitations ?? []).toEqual([]);
  });
});
