// Lines for link, ARP, IP and ICMP frames held to what tcpdump 4.99 prints for the same corpus
// files: live where tcpdump is installed, and to the .out files of tcpdump's own tests.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CORPUS, skipReason, tcpdumpLines } from '../../helpers/tools.js';
import { groupPackets } from '../../helpers/lines.js';
import { readFrames } from '../frames.js';
import { decodePacket } from '../../../src/decode/packet.js';
import { formatFrameLine, formatTimestamp, type LineOptions } from '../../../src/decode/tcpdump/line.js';
import { TcpSequenceTracker } from '../../../src/decode/tcpdump/transport.js';

function ours(path: string, opts: Omit<LineOptions, 'tcpState'>): string[] {
  const tcpState = new TcpSequenceTracker();
  return readFrames(path).map((f) => formatFrameLine(f, decodePacket(f.data, f.iface.linktype), { ...opts, tcpState }));
}

// Files of link, ARP, IP and ICMP frames (the AH capture also tunnels TCP).
const LIVE = [
  'tcpdump/tests/802.1ad_QinQ.pcap',
  'tcpdump/tests/arp-too-long-tha.pcap',
  'zeek/Traces/linuxsll-arp.pcap',
  'zeek/Traces/linux_dlt_sll2.pcap',
  'tcpdump/tests/icmpv6-ra-pref64.pcap',
  'tcpdump/tests/icmpv6-ns-nonce.pcap',
  'tcpdump/tests/icmpv6-rfc7112.pcap',
  'tcpdump/tests/icmp-rfc8335.pcap',
  'tcpdump/tests/icmp6-rfc8335.pcap',
  'tcpdump/tests/ipv6-routing-header.pcap',
  'tcpdump/tests/ipv6-bad-version.pcap',
  'tcpdump/tests/icmp-cksum-oobr-3.pcapng',
  'tcpdump/tests/LINKTYPE_RAW_ipv6.pcap',
  'libpcap/tests/filter/AH-IPcomp-IPv4.pcap',
  'arkime/tests/pcap/bigendian.pcap',
];

const missing = skipReason(['tcpdump']);

describe.skipIf(missing !== undefined)('lines equal live tcpdump 4.99', () => {
  for (const path of LIVE) {
    for (const e of [false, true]) {
      it(`${path}${e ? ' -e' : ''}`, () => {
        const full = join(CORPUS, path);
        const theirs = groupPackets(tcpdumpLines(full, e ? ['-nn', '-tt', '-e'] : ['-nn', '-tt']), /^-?\d+\.\d{6} /);
        const mine = ours(full, { linkHeader: e });
        expect(theirs.length).toBeGreaterThan(0);
        // SLL2 lines name the interface from the reading host's table in tcpdump: compare after it.
        const strip = (l: string): string => (path.includes('sll2') ? l.replace(/^(\S+ )\S+\s+\S+\s+/, '$1') : l);
        expect(mine.map(strip)).toEqual(theirs.map(strip));
      });
    }
  }
});

describe("lines equal the .out files of tcpdump's tests", () => {
  for (const [capture, out, e] of [
    ['icmpv6-ns-nonce.pcap', 'icmpv6-ns-nonce-v0.out', false],
    ['icmpv6-rfc7112.pcap', 'icmpv6-rfc7112.out', false],
    ['icmpv6-length-zero.pcapng', 'icmpv6-length-zero.out', false],
  ] as const) {
    it(out, () => {
      const dir = join(CORPUS, 'tcpdump', 'tests');
      const expected = readFileSync(join(dir, out), 'utf8').replace(/\n$/, '').split('\n');
      const mine = ours(join(dir, capture), { linkHeader: e, time: 'tttt' }).map((l, i) => `${String(i + 1).padStart(5)}  ${l}`);
      expect(mine).toEqual(expected);
    });
  }
});

describe('timestamps', () => {
  it('prints -tt microseconds, nanoseconds and -tttt in UTC', () => {
    const t = { tsSec: 1660534249, tsNsec: 872259123 };
    expect(formatTimestamp(t, {})).toBe('1660534249.872259');
    expect(formatTimestamp(t, { nano: true })).toBe('1660534249.872259123');
    expect(formatTimestamp(t, { time: 'tttt' })).toBe('2022-08-15 03:30:49.872259');
  });
  it('prints what tcpdump 4.99 prints past 2038', () => {
    expect(formatTimestamp({ tsSec: 2 ** 31, tsNsec: 0 }, {})).toBe('[Error converting time]');
    expect(formatTimestamp({ tsSec: 2 ** 32 + 5, tsNsec: 0 }, {})).toBe('5.000000');
  });
});
