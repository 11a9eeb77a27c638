// decodePacket over real frames from the corpus: each link type reaches the network layer it
// carries, and a frame cut inside any layer yields a problem naming that layer and offset, with
// nothing decoded after it.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { CORPUS } from '../helpers/tools.js';
import { readFrames } from './frames.js';
import { decodePacket, type Packet } from '../../src/decode/packet.js';
import { EthernetHeader } from '../../src/decode/ethernet.js';
import { SllHeader } from '../../src/decode/sll.js';
import { Sll2Header } from '../../src/decode/sll2.js';
import { NullHeader } from '../../src/decode/null.js';
import { ND_OPT_SOURCE_LINKADDR } from '../../src/decode/icmpv6.js';
import { ICMPV6_ROUTER_ADVERT, ICMP_ECHO, ICMP_UNREACH } from '../../src/decode/enums.js';

const file = (p: string): string => join(CORPUS, p);
const first = (p: string, n = 1): { pkt: Packet; data: Uint8Array; linktype: number } => {
  const f = readFrames(file(p))[n - 1];
  return { pkt: decodePacket(f.data, f.iface.linktype), data: f.data, linktype: f.iface.linktype };
};

describe('decodePacket on corpus frames', () => {
  it('Ethernet / IPv4 / ICMP echo', () => {
    const { pkt } = first('libpcap/tests/filter/gateway_or_not.pcap');
    const icmpFrame = readFrames(file('libpcap/tests/filter/gateway_or_not.pcap'))
      .map((f) => decodePacket(f.data, f.iface.linktype))
      .find((p) => p.icmp);
    expect(pkt.link).toBeInstanceOf(EthernetHeader);
    expect(icmpFrame?.ipv4?.protocol).toBe(1);
    expect(icmpFrame?.icmp?.type).toBe(ICMP_ECHO);
    expect(icmpFrame?.icmp?.id).toBe(7);
    expect(icmpFrame?.icmp?.seq).toBe(317);
    expect(icmpFrame?.icmp?.checksumValid).toBe(true);
    expect(icmpFrame?.ipv4?.checksumValid).toBe(true);
    expect(icmpFrame?.problem).toBeUndefined();
  });

  it('QinQ: two tags, then ARP', () => {
    const { pkt } = first('tcpdump/tests/802.1ad_QinQ.pcap');
    expect(pkt.vlans.map((v) => [v.tpid, v.id])).toEqual([
      [0x88a8, 200],
      [0x8100, 2001],
    ]);
    expect(pkt.etherType).toBe(0x0806);
    expect(pkt.arp?.operation).toBe(1);
    expect(pkt.arp?.targetProtocolAddress).toBe('172.21.79.100');
    expect(pkt.arp?.senderProtocolAddress).toBe('172.21.79.97');
  });

  it('Linux cooked v1 and v2', () => {
    const sll = first('zeek/Traces/linuxsll-arp.pcap').pkt;
    expect(sll.link).toBeInstanceOf(SllHeader);
    expect((sll.link as SllHeader).address).toBe('cc:2d:e0:26:19:99');
    expect(sll.arp?.targetProtocolAddress).toBe('192.168.22.160');
    const sll2 = first('zeek/Traces/linux_dlt_sll2.pcap').pkt;
    expect(sll2.link).toBeInstanceOf(Sll2Header);
    expect((sll2.link as Sll2Header).interfaceIndex).toBe(1);
    expect(sll2.icmp?.type).toBe(ICMP_ECHO);
  });

  it('null (BSD loopback) carries IPv4 in host byte order', () => {
    const { pkt } = first('tcpdump/tests/dns-badcookie.pcap');
    expect(pkt.link).toBeInstanceOf(NullHeader);
    expect((pkt.link as NullHeader).family).toBe(2);
    expect(pkt.ipv4).toBeDefined();
  });

  it('raw IPv6 (LINKTYPE_RAW) and router advertisement options', () => {
    const raw = first('tcpdump/tests/LINKTYPE_RAW_ipv6.pcap').pkt;
    expect(raw.ipv6?.version).toBe(6);
    const ra = first('tcpdump/tests/icmpv6-ra-pref64.pcap').pkt;
    expect(ra.icmpv6?.type).toBe(ICMPV6_ROUTER_ADVERT);
    expect(ra.ipv6?.src).toBe('fe80::e015:81ff:feb4:b945');
    const opts = ra.icmpv6?.ndOptions ?? [];
    expect(opts.some((o) => o.type === ND_OPT_SOURCE_LINKADDR && o.linkAddress === 'e2:15:81:b4:b9:45')).toBe(true);
    expect(ra.icmpv6?.checksumValidWith(ra.ipv6!.srcOffset, ra.ipv6!.dstOffset)).toBe(true);
  });

  it('an ICMP port unreachable carries the offending packet', () => {
    const pkt = readFrames(file('tcpdump/tests/icmp-cksum-oobr-3.pcapng'))
      .map((f) => decodePacket(f.data, f.iface.linktype))
      .find((p) => p.icmp);
    expect(pkt?.icmp?.type).toBe(ICMP_UNREACH);
    expect(pkt?.icmp?.inner?.ipv4?.dst).toBe('97.242.24.11');
    expect(pkt?.icmp?.inner?.ipv4?.protocol).toBe(17);
  });

  it('an unknown link type is a problem on the link layer', () => {
    const pkt = decodePacket(new Uint8Array(20), 147);
    expect(pkt.problem).toMatchObject({ layer: 'link', offset: 0 });
    expect(pkt.link).toBeUndefined();
  });
});

describe('cut frames', () => {
  // Every prefix of a real frame decodes without throwing; a cut inside a header is a truncation
  // problem on that layer at that layer's offset, and nothing after it is present.
  const cases: [string, number, [string, number][]][] = [
    ['libpcap/tests/filter/gateway_or_not.pcap', 0, [['ethernet', 0], ['ipv4', 14], ['icmp', 34]]],
    ['tcpdump/tests/802.1ad_QinQ.pcap', 0, [['ethernet', 0], ['vlan', 14], ['vlan', 18], ['arp', 22]]],
    ['zeek/Traces/linuxsll-arp.pcap', 0, [['sll', 0], ['arp', 16]]],
    ['tcpdump/tests/icmpv6-ra-pref64.pcap', 0, [['ipv6', 14], ['icmpv6', 54]]],
  ];
  for (const [path, index, layers] of cases) {
    it(`every prefix of ${path}`, () => {
      const frames = readFrames(file(path));
      const f = path.includes('gateway') ? frames.find((x) => decodePacket(x.data, x.iface.linktype).icmp)! : frames[index];
      for (let cut = 0; cut < f.data.length; cut++) {
        const pkt = decodePacket(f.data.subarray(0, cut), f.iface.linktype);
        for (const [layer, offset] of layers) {
          if (cut > offset && cut < offset + 4) {
            expect(pkt.problem, `cut at ${cut}`).toMatchObject({ layer, code: 'truncated' });
          }
        }
        if (pkt.problem?.layer === 'ipv4') expect(pkt.icmp).toBeUndefined();
        if (pkt.problem?.layer === 'ethernet') expect(pkt.ipv4 ?? pkt.arp).toBeUndefined();
        if (pkt.problem?.layer === 'vlan') expect(pkt.arp).toBeUndefined();
        if (pkt.problem?.layer === 'ipv6') expect(pkt.icmpv6).toBeUndefined();
      }
    });
  }

  it('names the offset of the layer that is cut', () => {
    const f = readFrames(file('tcpdump/tests/802.1ad_QinQ.pcap'))[0];
    expect(decodePacket(f.data.subarray(0, 10), 1).problem).toMatchObject({ layer: 'ethernet', offset: 0, code: 'truncated' });
    expect(decodePacket(f.data.subarray(0, 16), 1).problem).toMatchObject({ layer: 'vlan', offset: 14, code: 'truncated' });
    const arpCut = decodePacket(f.data.subarray(0, 30), 1);
    expect(arpCut.problem).toMatchObject({ layer: 'arp', offset: 22, code: 'truncated' });
    expect(arpCut.vlans).toHaveLength(2);
    expect(arpCut.arp).toBeUndefined();
  });
});

describe('malformed headers', () => {
  it('IPv4 header length below 20 and total length below the header', () => {
    const f = readFrames(file('libpcap/tests/filter/gateway_or_not.pcap'))[0];
    const bad = Uint8Array.from(f.data);
    bad[14] = 0x44;
    expect(decodePacket(bad, 1).problem).toMatchObject({ layer: 'ipv4', offset: 14, code: 'bad-length' });
    const badLen = Uint8Array.from(f.data);
    badLen[16] = 0;
    badLen[17] = 10;
    expect(decodePacket(badLen, 1).problem).toMatchObject({ layer: 'ipv4', offset: 16, code: 'bad-length' });
  });

  it('IPv6 extension headers that loop on themselves stop at a bound', () => {
    // 40-byte header naming destination options, then many 8-byte destination-options headers.
    const n = 40;
    const b = new Uint8Array(14 + 40 + 8 * n);
    b[12] = 0x86;
    b[13] = 0xdd;
    b[14] = 0x60;
    b[18] = (8 * n) >> 8;
    b[19] = (8 * n) & 0xff;
    b[20] = 60;
    for (let i = 0; i < n; i++) b[54 + 8 * i] = 60;
    const pkt = decodePacket(b, 1);
    expect(pkt.problem).toMatchObject({ layer: 'ipv6', code: 'too-many' });
    expect(pkt.ipv6).toBeUndefined();
  });

  it('says what is wrong as a code: a link type not read, an IP version, a hop-by-hop header out of place', () => {
    expect(decodePacket(new Uint8Array(20), 9999).problem).toMatchObject({ layer: 'link', offset: 0, code: 'unsupported', truncated: false });
    expect(decodePacket(Uint8Array.of(0x50, 0, 0, 20), 101).problem).toMatchObject({ layer: 'link', code: 'bad-version' });
    expect(decodePacket(new Uint8Array(0), 101).problem).toMatchObject({ layer: 'link', code: 'truncated', truncated: true });
    // IPv6 naming destination options, whose header names hop-by-hop: RFC 8200 allows it only first.
    const b = new Uint8Array(40 + 16);
    b[0] = 0x60;
    b[5] = 16;
    b[6] = 60;
    b[40] = 0;
    expect(decodePacket(b, 101).problem).toMatchObject({ layer: 'ipv6', offset: 48, code: 'bad-order' });
  });

  it('an IPv4 fragment after the first carries no transport layer', () => {
    const f = readFrames(file('libpcap/tests/filter/gateway_or_not.pcap')).find((x) => decodePacket(x.data, 1).icmp)!;
    const frag = Uint8Array.from(f.data);
    frag[20] = 0x00;
    frag[21] = 0x10; // offset 128 bytes
    const pkt = decodePacket(frag, 1);
    expect(pkt.ipv4?.isLaterFragment).toBe(true);
    expect(pkt.ipv4?.fragmentOffset).toBe(128);
    expect(pkt.icmp).toBeUndefined();
    expect(pkt.problem).toBeUndefined();
  });
});
