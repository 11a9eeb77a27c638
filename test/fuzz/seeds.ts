/**
 * What the fuzzer mutates: the corpus captures, the samples, and a few captures made here whose frames
 * aim at the decoders' known traps (DNS pointer loops and chains, IPv6 extension-header chains, TCP
 * options of length 0 and 1, nested ICMP errors, stacked VLAN tags, hostile text).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encodePcap, encodePcapng, type WriterFrame, type WriterInterface } from '../../src/capture/index.js';
import { CORPUS, REPO } from '../helpers/tools.js';
import * as F from './frames.js';
import { pcapngBlock } from './mutate.js';

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** Seeds larger than this are left out: a case reads, analyses and reports its file several times. */
export const MAX_SEED_BYTES = 1 << 20;

function capturesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...capturesUnder(p));
    else if (/\.(pcap|pcapng|cap|dmp)$/i.test(entry.name)) out.push(p);
  }
  return out.sort();
}

export function fileSeeds(): { seeds: Seed[]; skipped: string[] } {
  const seeds: Seed[] = [];
  const skipped: string[] = [];
  for (const p of [...capturesUnder(CORPUS), ...capturesUnder(join(REPO, 'samples'))]) {
    const size = statSync(p).size;
    if (size > MAX_SEED_BYTES) {
      skipped.push(relative(REPO, p));
      continue;
    }
    const buf = readFileSync(p);
    seeds.push({ name: relative(REPO, p), bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) });
  }
  return { seeds, skipped };
}

const T0 = 1_700_000_000_000_000_000n;

function frames(data: Uint8Array[], iface = 0, stepNs = 1_000_000n): WriterFrame[] {
  return data.map((d, i) => ({ iface, tsNs: T0 + BigInt(i) * stepNs, data: d }));
}

/** Frames whose decoding has a trap in it, on Ethernet. */
export function trapFrames(): Uint8Array[] {
  const E = F.ethernet;
  const dnsUdp = (p: Uint8Array, sport = 40000): Uint8Array => E(0x0800, F.ipv4(17, F.udp(sport, 53, p)));
  const tcpOpts = (opts: number[]): Uint8Array => E(0x0800, F.ipv4(6, F.tcp(40000, 80, 0x02, new Uint8Array(0), Uint8Array.from(opts))));
  const nestedIcmp = (depth: number): Uint8Array => {
    let inner = F.ipv4(1, F.icmpEcho(8, 7, 1));
    for (let i = 0; i < depth; i++) inner = F.ipv4(1, F.icmpError(inner));
    return E(0x0800, inner);
  };
  let ipip = F.ipv4(1, F.icmpEcho(8, 1, 1));
  for (let i = 0; i < 10; i++) ipip = F.ipv4(4, ipip);
  return [
    dnsUdp(F.dnsQuery(1, F.dnsName(['example', 'com']))),
    dnsUdp(F.dnsResponse(1, F.dnsName(['example', 'com']), ['a.b']), 53),
    dnsUdp(F.dnsPointerLoop(2)),
    dnsUdp(F.dnsPointerChain(3, 300)),
    tcpOpts([0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x08, 0x00]),
    tcpOpts([0x02, 0x01, 0x01, 0x01]),
    tcpOpts([0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0x05, 0x00, 0x1e, 0xff]),
    tcpOpts([0x1e, 0x02, 0x1e, 0x00]),
    E(0x86dd, F.ipv6Extensions(40, 17, F.udp(1, 53, F.dnsQuery(4, F.dnsName(['x']))))),
    E(0x86dd, F.ipv6Extensions(3, 58, F.icmpEcho(128, 1, 1))),
    E(0x86dd, F.ipv6(0, Uint8Array.of(17, 0, 0xc2, 4, 0, 0, 0, 0), 0)),
    nestedIcmp(6),
    E(0x0800, ipip),
    F.vlan(40, 0x0800, F.ipv4(1, F.icmpEcho(8, 9, 9))),
    E(0x0800, F.ipv4(17, F.udp(4789, 4789, F.vxlan(42, F.ethernet(0x0800, F.ipv4(17, F.udp(4789, 4789, F.vxlan(43, F.ethernet(0x0806, F.arp(1)))))))))),
    E(0x0800, F.ipv4(17, F.udp(40000, 6081, F.geneve(10, 0x6558, F.ethernet(0x0800, F.ipv4(47, F.gre(0x0800, F.ipv4(1, F.icmpEcho(8, 3, 3))))))))),
    E(0x0800, F.ipv4(47, F.gre(0x6558, F.ethernet(0x0800, F.ipv4(17, F.udp(40000, 6081, F.geneve(11, 0x0800, F.ipv4(1, F.icmpEcho(8, 4, 4))))))))),
    E(0x0800, F.ipv4(6, F.tcp(40000, 80, 0x18, F.text('GET /<b>x</b>`y` HTTP/1.1\r\nHost: h\r\n\r\n')))),
    E(0x0800, F.ipv4(6, F.tcp(80, 40000, 0x18, F.text(`HTTP/1.1 200 ${'x'.repeat(9000)}`)))),
    E(0x0800, F.ipv4(1, F.icmpEcho(8, 5, 5), [172, 17, 0, 2], [8, 8, 8, 8], Uint8Array.of(0x07, 0x27, 0x04, ...new Array(36).fill(0)))),
    E(0x0806, F.arp(1)),
    E(0x0806, F.arp(2), F.MAC_B, F.MAC_A),
    E(0x0800, Uint8Array.of(0x4f, 0, 0, 20)),
    E(0x88cc, new Uint8Array(10)),
  ];
}

/** Synthetic captures in every link type the decoders know, both byte orders, and odd block kinds. */
export function syntheticSeeds(): Seed[] {
  const traps = trapFrames();
  const ip = F.ipv4(17, F.udp(40000, 53, F.dnsPointerChain(5, 50)));
  const ip6 = F.ipv6Extensions(5, 17, F.udp(40000, 53, F.dnsQuery(6, F.dnsName(['a', 'b']))));
  const ifaces: WriterInterface[] = [
    { name: 'eth0', linktype: 1 },
    { name: 'any', linktype: 276, tsresol: 6 },
    { name: 'lo', linktype: 0, tsresol: 0x80 | 20, tsoffset: 3 },
    { name: 'cooked', linktype: 113, snaplen: 96 },
    { name: 'raw', linktype: 101 },
  ];
  const mixed: WriterFrame[] = [
    ...frames(traps, 0),
    ...frames([F.sll2(0x0800, 4, ip), F.sll2(0x86dd, 5, ip6, 4), F.sll2(0x0806, 6, F.arp(1), 1)], 1),
    ...frames([F.nullLink(2, ip), F.nullLink(30, ip6), F.nullLink(24, ip6)], 2),
    ...frames([F.sll(0x0800, ip), F.sll(0x86dd, ip6, 4)], 3),
    ...frames([ip, ip6], 4),
  ];
  const ng = encodePcapng(ifaces, mixed, { comment: 'fuzz seed <b>' });
  const ngBe = encodePcapng(ifaces, mixed, { bigEndian: true });
  // Name resolution and statistics blocks, which the writer does not make, between the frames.
  const nrbBody = F.concat(Uint8Array.of(1, 0, 12, 0, 172, 17, 0, 2), F.text('c1\0db\0'), Uint8Array.of(0, 0, 0, 0));
  const isbBody = F.concat(new Uint8Array(12), Uint8Array.of(4, 0, 8, 0), new Uint8Array(8), Uint8Array.of(2, 0, 8, 0), new Uint8Array(8), new Uint8Array(4));
  const extra = F.concat(pcapngBlock(4, nrbBody, true), pcapngBlock(5, isbBody, true), pcapngBlock(0xbad, F.text('custom'), true));
  const withExtra = F.concat(ng, extra, ng);
  const pcapFrames = traps.map((data, i) => ({ tsNs: T0 + BigInt(i) * 1000n, data }));
  return [
    { name: 'synthetic/mixed.pcapng', bytes: ng },
    { name: 'synthetic/mixed-be.pcapng', bytes: ngBe },
    { name: 'synthetic/two-sections.pcapng', bytes: F.concat(ng, ngBe) },
    { name: 'synthetic/extra-blocks.pcapng', bytes: withExtra },
    { name: 'synthetic/traps.pcap', bytes: encodePcap(1, pcapFrames) },
    { name: 'synthetic/traps-nano.pcap', bytes: encodePcap(1, pcapFrames, { nano: true, snaplen: 64 }) },
    { name: 'synthetic/raw.pcap', bytes: encodePcap(101, [ip, ip6].map((data, i) => ({ tsNs: T0 + BigInt(i), data }))) },
  ];
}
