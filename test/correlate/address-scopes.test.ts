// Findings on real captures of healthy setups: no error, whatever the link's own chatter (IPv6
// neighbour discovery, MLD, DHCP, routing protocols to their groups) and whatever the host's own
// private address, while the samples built to fail keep their errors. The captures: the samples
// recorded by `lab --ipv6` (test/fixtures/ipv6-on), the committed samples, and the corpus captures
// on which every error was judged false (each is one interface of a host that did not forward).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import type { Analysis, Finding } from '../../src/correlate/model.js';
import { CORPUS, REPO } from '../helpers/tools.js';

async function analyze(file: string): Promise<Analysis> {
  const reader = await openCapture(file);
  try {
    const work = await analyzeCaptures([reader]);
    expect(work.damage).toBeUndefined();
    return work.analysis;
  } finally {
    await reader.close();
  }
}

const ipv6On = (sample: string): string => join(REPO, 'test', 'fixtures', 'ipv6-on', `${sample}.pcapng`);
const committed = (sample: string): string => join(REPO, 'samples', sample, 'capture.pcapng');
const codes = (findings: Finding[], severity: Finding['severity']): string[] => [...new Set(findings.filter((f) => f.severity === severity).map((f) => f.code))].sort();
const errors = (a: Analysis): string[] => a.findings.filter((f) => f.severity === 'error').map((f) => `${f.code}: ${f.message}`);

const HEALTHY_SAMPLES = ['bridge-ping', 'egress-nat', 'publish', 'localhost-publish', 'embedded-dns', 'host-network', 'none-network'];

/** What each failing sample is built to show, as error and warning codes. */
const FAILING_SAMPLES: Record<string, { error: string[]; warning: string[] }> = {
  // Forwarding off (dropped), then the private source leaking before MASQUERADE is added.
  'namespaces-tutorial': { error: ['dropped-at-host', 'unnatted-private-source'], warning: ['no-reply'] },
  // FORWARD policy DROP: the client's SYNs are sent again and again and nothing answers.
  'publish-filtered': { error: [], warning: ['no-reply', 'retransmission'] },
  'tcp-loss': { error: ['dropped-at-host'], warning: ['retransmission'] },
};

/**
 * Corpus captures on which the old classification raised errors, every one judged false: each is a
 * single interface, none shows a host forwarding a container's packets.
 */
const HEALTHY_CORPUS = [
  // Link-local sources (fe80::) to link-scoped groups or neighbours: NDP, MLD, VRRP, Babel, AHCP, OSPFv3.
  'community-id/pcaps/icmp6.pcap',
  'libpcap/tests/pcap-invalid-version-2.pcap',
  'tcpdump/tests/ahcp.pcapng',
  'tcpdump/tests/babel.pcap',
  'tcpdump/tests/babel_rtt.pcap',
  'tcpdump/tests/icmpv6-length-zero.pcapng',
  'tcpdump/tests/icmpv6-ra-pref64.pcap',
  'tcpdump/tests/icmpv6.pcap',
  'tcpdump/tests/icmpv6_opt24.pcap',
  'tcpdump/tests/ospf3_auth.pcapng',
  // Private sources to link multicast (CARP, VRRP, OSPF, RIP) or the limited broadcast.
  'libpcap/tests/filter/carp.pcap',
  'libpcap/tests/filter/vrrp.pcap',
  'tcpdump/tests/OSPFv2_Capture_FINAL.pcapng',
  'tcpdump/tests/ospf-sr.pcapng',
  'tcpdump/tests/ospf-sr2.pcapng',
  'tcpdump/tests/ripv2-invalid-length.pcap',
  'pcapng-test-generator/output_be/advanced/test100.pcapng',
  'pcapng-test-generator/output_be/advanced/test101.pcapng',
  'pcapng-test-generator/output_be/advanced/test102.pcapng',
  'pcapng-test-generator/output_be/basic/test006.pcapng',
  'pcapng-test-generator/output_be/difficult/test201.pcapng',
  'pcapng-test-generator/output_be/difficult/test202.pcapng',
  'pcapng-test-generator/output_le/advanced/test100.pcapng',
  'pcapng-test-generator/output_le/advanced/test101.pcapng',
  'pcapng-test-generator/output_le/advanced/test102.pcapng',
  'pcapng-test-generator/output_le/basic/test006.pcapng',
  'pcapng-test-generator/output_le/difficult/test201.pcapng',
  'pcapng-test-generator/output_le/difficult/test202.pcapng',
  // A private host talking to the internet and answered: NAT further along (a home router) works.
  'community-id/pcaps/udp.pcap',
  'tcpdump/tests/dns-badvers.pcap',
  'tcpdump/tests/dns_tcp.pcap',
  'tcpdump/tests/dns_tcp_8053.pcap',
  'tcpdump/tests/dns_udp.pcap',
  'tcpdump/tests/dns_udp_2.pcap',
  'tcpdump/tests/dns_udp_8053.pcap',
  'tcpdump/tests/of10_7050q.pcapng',
  'tcpdump/tests/tfo-5c1fa7f9ae91.pcap',
  'tcpdump/tests/whois.pcap',
  'zeek/Traces/pcapng-multi-interface.pcapng',
  'zeek/Traces/trunc/icmp-header-trunc.pcap',
  'zeek/Traces/trunc/icmp-payload-trunc.pcap',
  'zeek/Traces/tunnels/gre-sample.pcap',
  'zeek/Traces/tunnels/vxlan-encapsulated-http.pcap',
  // A private host's own packet, unanswered, seen on its only interface: maybe the host's own
  // address behind another router; nothing shows the host forwarding it (a warning at most).
  'pcap-parser/assets/modified-format.pcap',
  'tcpdump/tests/LINKTYPE_IPV4.pcap',
  'tcpdump/tests/LINKTYPE_IPV6_invalid.pcap',
  'tcpdump/tests/LINKTYPE_RAW_ipv4.pcap',
  'tcpdump/tests/dns-zlip-1.pcap',
  'tcpdump/tests/dns-zlip-2.pcap',
  'tcpdump/tests/dns-zlip-3.pcap',
  'tcpdump/tests/gquic.pcap',
  'tcpdump/tests/time_2038.pcap',
  'tcpdump/tests/time_2038_max.pcap',
  'tcpdump/tests/time_2038_overflow.pcap',
  'tcpdump/tests/time_2039.pcap',
  'tcpdump/tests/time_2106.pcap',
  'tcpdump/tests/time_2106_max.pcap',
  'tcpdump/tests/time_2106_overflow.pcapng',
  'tcpdump/tests/time_2107.pcapng',
];

describe('healthy setups with IPv6 left on (lab --ipv6)', () => {
  for (const sample of HEALTHY_SAMPLES) {
    it(`${sample}: no error finding, no leak, nothing dropped`, async () => {
      const a = await analyze(ipv6On(sample));
      expect(errors(a)).toEqual([]);
      expect(a.findings.filter((f) => f.code === 'unnatted-private-source')).toEqual([]);
      expect(a.journeys.filter((j) => j.fate === 'dropped').map((j) => j.summary)).toEqual([]);
    });
  }

  it('the recordings do carry the link-local chatter, on the uplink too', async () => {
    const a = await analyze(ipv6On('egress-nat'));
    const chatter = a.journeys.filter((j) => j.hops[0].src.startsWith('fe80:') || j.hops[0].src === '::');
    expect(chatter.filter((j) => j.hops.some((h) => h.interface === 'eth0')).length).toBeGreaterThan(2);
    expect(a.interfaces.find((i) => i.name === 'eth0')?.role).toBe('uplink');
  });
});

describe('the samples built to fail keep their findings', () => {
  for (const [sample, want] of Object.entries(FAILING_SAMPLES)) {
    for (const [how, file] of [
      ['committed capture', committed(sample)],
      ['recorded with IPv6 on', ipv6On(sample)],
    ] as const) {
      it(`${sample}, ${how}: ${want.error.join(', ') || 'no error'}; ${want.warning.join(', ')}`, async () => {
        const a = await analyze(file);
        expect(codes(a.findings, 'error')).toEqual(want.error);
        expect(codes(a.findings, 'warning')).toEqual(want.warning);
      });
    }
  }

  it('namespaces-tutorial: the leak named is the container address 10.0.0.2 leaving wlan0, and only that', async () => {
    for (const file of [committed('namespaces-tutorial'), ipv6On('namespaces-tutorial')]) {
      const leaks = (await analyze(file)).findings.filter((f) => f.code === 'unnatted-private-source');
      expect(leaks.map((f) => [f.severity, f.message.match(/uplink (\S+) with the private source ([^:]+):/)?.slice(1)])).toEqual([['error', ['wlan0', '10.0.0.2']]]);
    }
  });
});

describe('corpus captures of healthy hosts', () => {
  it.each(HEALTHY_CORPUS)('%s: no error finding', async (path) => {
    expect(errors(await analyze(join(CORPUS, path)))).toEqual([]);
  });

  it('an interface that carries only its link chatter is no uplink', async () => {
    for (const path of ['tcpdump/tests/icmpv6.pcap', 'tcpdump/tests/babel.pcap', 'libpcap/tests/filter/vrrp.pcap']) {
      const a = await analyze(join(CORPUS, path));
      expect(a.interfaces.map((i) => i.role), path).toEqual(['unknown']);
    }
  });

  it("a private source answered through the uplink did not leak; one unanswered and not seen forwarded is a warning", async () => {
    const answered = await analyze(join(CORPUS, 'zeek/Traces/pcapng-multi-interface.pcapng'));
    expect(answered.findings.filter((f) => f.code === 'unnatted-private-source')).toEqual([]);
    const alone = await analyze(join(CORPUS, 'tcpdump/tests/time_2038.pcap'));
    const leak = alone.findings.filter((f) => f.code === 'unnatted-private-source');
    expect(leak.map((f) => f.severity)).toEqual(['warning']);
    expect(leak[0].message).toMatch(/192\.168\.1\.11 .*do not show it crossing the host/);
  });

  it('gratuitous ARP and ARP probes wait for no answer', async () => {
    const a = await analyze(join(CORPUS, 'zeek/Traces/linuxsll-arp.pcap'));
    const announced = a.journeys.filter((j) => j.kind === 'arp' && j.hops[0].src === j.hops[0].dst);
    expect(announced.length).toBeGreaterThan(0);
    const ids = new Set(announced.map((j) => j.id));
    expect(a.findings.filter((f) => f.code === 'no-reply' && f.journeys?.some((id) => ids.has(id)))).toEqual([]);
  });
});
