// VXLAN, Geneve and GRE lines held to tcpdump 4.99 (-nn -tt, and -e) on every tunnel capture of the
// corpus, line for line. What tcpdump prints there that `read` does not is listed below, each with
// its reason, and each exception must still be met (a stale entry fails the test).
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { CORPUS, skipReason, tcpdumpLines } from '../../helpers/tools.js';
import { groupPackets, ourLines } from '../../helpers/lines.js';
import { decodePacket } from '../../../src/decode/packet.js';
import { formatPacketBody } from '../../../src/decode/tcpdump/line.js';

const CAPTURES = [
  'tcpdump/tests/vxlan.pcap',
  'tcpdump/tests/vxlan_port_8472.pcap',
  'tcpdump/tests/gso-ipv4-vxlan-ipv4.pcap',
  'tcpdump/tests/gso-ipv6-vxlan-ipv6.pcap',
  'tcpdump/tests/geneve.pcap',
  'tcpdump/tests/various_gre.pcap',
  'tcpdump/tests/gre-heapoverflow-1.pcap',
  'tcpdump/tests/gre-heapoverflow-2.pcap',
  'tcpdump/tests/nsh-over-vxlan-gpe.pcap',
  'tcpdump/tests/pptp.pcap',
  'tcpdump/tests/erspan-type-i-1.pcap',
  'tcpdump/tests/erspan-type-ii-1.pcap',
  'tcpdump/tests/erspan-type-iii-ft-0.pcap',
  'tcpdump/tests/erspan-type-iii-pb-1.pcap',
  'libpcap/tests/filter/vxlan.pcap',
  'libpcap/tests/filter/geneve.pcap',
];

interface Exception {
  reason: string;
  /** Whether tcpdump's text for a packet (its lines joined by newlines) falls under the exception. */
  applies(file: string, theirs: string): boolean;
}

const EXCEPTIONS: Exception[] = [
  {
    reason: 'tcpdump dumps in hex the payload of an ethertype it cannot print; read prints the header line only',
    applies: (_file, theirs) => /\n\t0x0000: /.test(theirs) && !/GRE|Geneve|VXLAN/.test(theirs),
  },
  {
    reason: "various_gre's frames beside its GRE ones are Cisco PVST, CDP, DTP and Loopback over SNAP, which read does not decode",
    applies: (file, theirs) => file.endsWith('various_gre.pcap') && /(STP 802\.1d|CDPv2|DTPv1|Loopback), /.test(theirs),
  },
  {
    reason: 'VXLAN-GPE (udp 4790) and NSH are not decoded: read prints the datagram as UDP',
    applies: (file) => file.endsWith('nsh-over-vxlan-gpe.pcap'),
  },
  {
    reason: "PPTP's control messages (tcp 1723) and the PPP inside GRE version 1 are not decoded",
    applies: (file, theirs) => file.endsWith('pptp.pcap') && /: pptp CTRL_MSGTYPE=|GREv1, .*: LCP, /.test(theirs),
  },
];

const why = skipReason(['tcpdump']);

describe.skipIf(why !== undefined)('tunnels against tcpdump 4.99', () => {
  for (const e of [false, true]) {
    it(`prints every tunnel capture as tcpdump -nn -tt${e ? ' -e' : ''} does, but for the listed exceptions`, async () => {
      const used = new Set<Exception>();
      const tunnelLines = { vxlan: 0, otv: 0, geneve: 0, gre: 0 };
      for (const c of CAPTURES) {
        const file = join(CORPUS, c);
        const theirs = groupPackets(tcpdumpLines(file, e ? ['-nn', '-tt', '-e'] : ['-nn', '-tt']), /^-?\d+\.\d{6} /);
        const ours = (await ourLines(file, { linkHeader: e })).map((l) => l.text);
        expect(ours.length, c).toBe(theirs.length);
        for (let i = 0; i < theirs.length; i++) {
          const exception = EXCEPTIONS.find((x) => x.applies(file, theirs[i]));
          if (exception) {
            used.add(exception);
            continue;
          }
          expect(ours[i], `${c}#${i + 1}`).toBe(theirs[i]);
          if (/: VXLAN, /.test(ours[i])) tunnelLines.vxlan++;
          if (/: OTV, /.test(ours[i])) tunnelLines.otv++;
          if (/: Geneve, /.test(ours[i])) tunnelLines.geneve++;
          if (/: GREv[01], /.test(ours[i])) tunnelLines.gre++;
        }
      }
      for (const x of EXCEPTIONS) expect(used.has(x), `exception still met: ${x.reason}`).toBe(true);
      expect(tunnelLines.vxlan).toBeGreaterThanOrEqual(22);
      expect(tunnelLines.otv).toBeGreaterThanOrEqual(10);
      expect(tunnelLines.geneve).toBeGreaterThanOrEqual(49);
      expect(tunnelLines.gre).toBeGreaterThanOrEqual(43);
    });
  }
});

describe('tunnel headers tcpdump prints from damaged or unusual bytes', () => {
  const outer = (payload: number[]): Uint8Array =>
    Uint8Array.from([0x45, 0, 0, 20 + payload.length, 0, 1, 0, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, ...payload]);
  const line = (payload: number[], e = false): string => formatPacketBody(decodePacket(outer(payload), 228), { linkHeader: e });

  // Each expected line is what tcpdump 4.99.3 printed for these bytes written to a pcap (LINKTYPE_IPV4).
  it('GRE: source routes, checksum offsets, PPTP acknowledgments and unknown versions', () => {
    // Routing present: the offset is printed (the checksum only with -v), then the IP source route.
    const route = [0x40, 0, 0x89, 0x09, 0, 0, 0, 4, 0x08, 0x00, 4, 8, 10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0, 0];
    expect(line(route)).toBe('IP 192.0.2.1 > 192.0.2.2: GREv0, off 0x4, (rtaf=ip 10.0.0.1 *10.0.0.2), length 24: gre-proto-0x8909');
    expect(line([0x40, 0, 0x89, 0x09, 0, 0, 0, 0, 0xff, 0xfe, 1, 4, 0, 1, 0, 2, 0, 0, 0, 0])).toBe('IP 192.0.2.1 > 192.0.2.2: GREv0, off 0x0, (rtaf=asn, badoffset=1), length 20: gre-proto-0x8909');
    expect(line([0x30, 0x81, 0x88, 0x0b, 0, 40, 0, 9, 0, 0, 0, 3, 0, 0, 0, 2], true)).toBe('192.0.2.1 > 192.0.2.2: GREv1, call 9, seq 3, ack 2, proto PPP (0x880b), length 16:  [|ppp]');
    expect(line([0x20, 0x81, 0x88, 0x0b, 0, 0, 0, 9, 0, 0, 0, 2])).toBe('IP 192.0.2.1 > 192.0.2.2: GREv1, call 9, ack 2, no-payload, length 12');
    expect(line([0x00, 0x03, 0x08, 0x00])).toBe('IP 192.0.2.1 > 192.0.2.2: GREv3 ERROR: unknown-version');
    expect(line([0x20, 0x00, 0x08, 0x00, 0, 0])).toBe('IP 192.0.2.1 > 192.0.2.2: GREv0 [|gre]');
    expect(line([0x00])).toBe('IP 192.0.2.1 > 192.0.2.2:  [|gre]');
  });

  it('GRE: the IPv4 packet inside, with and without -e', () => {
    const inner = [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0xf7, 0xff, 0, 0, 0, 0];
    const gre = [0x20, 0x00, 0x08, 0x00, 0, 0, 0, 0x2a, ...inner];
    expect(line(gre)).toBe('IP 192.0.2.1 > 192.0.2.2: GREv0, key=0x2a, length 36: IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 0, seq 0, length 8');
    expect(line(gre, true)).toBe('192.0.2.1 > 192.0.2.2: GREv0, key=0x2a, proto IPv4 (0x0800), length 36: 10.0.0.1 > 10.0.0.2: ICMP echo request, id 0, seq 0, length 8');
  });
});
