// The text of TCP, UDP, DNS, HTTP and VXLAN lines, held to tcpdump 4.99 run on the same corpus
// captures, and the relative sequence numbers of print-tcp.c on their own.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { CORPUS, skipReason, tcpdumpLines } from '../../helpers/tools.js';
import { readFrames } from '../frames.js';
import { decodePacket } from '../../../src/decode/packet.js';
import { formatFrameLine } from '../../../src/decode/tcpdump/line.js';
import { TcpSequenceTracker } from '../../../src/decode/tcpdump/transport.js';
import { TCP_FLAG_ACK, TCP_FLAG_SYN } from '../../../src/decode/enums.js';

const CAPTURES = [
  'arkime/tests/pcap/http-simple-get.pcap',
  'arkime/tests/pcap/dns-udp.pcap',
  'tcpdump/tests/dns_tcp.pcap',
  'tcpdump/tests/dns_udp.pcap',
  'tcpdump/tests/dns-badcookie.pcap',
  'tcpdump/tests/dns-badvers.pcap',
  'tcpdump/tests/dns-uri.pcap',
  'tcpdump/tests/dns-zlip-1.pcap',
  'tcpdump/tests/dns-zlip-2.pcap',
  'tcpdump/tests/dns-zlip-3.pcap',
  'tcpdump/tests/tfo-5c1fa7f9ae91.pcap',
  'tcpdump/tests/scps_invalid.pcap',
  'tcpdump/tests/tcp_eight_lowest_weight_flags_set.pcap',
  'tcpdump/tests/vxlan.pcap',
  'tcpdump/tests/vxlan_port_8472.pcap',
  'tcpdump/tests/of13_ericsson.pcapng',
];

function ourLines(file: string, linkHeader: boolean): string[] {
  const tcpState = new TcpSequenceTracker();
  return readFrames(file).map((f) => formatFrameLine(f, decodePacket(f.data, f.iface.linktype), { linkHeader, tcpState }));
}

function theirPackets(file: string, args: string[]): string[] {
  const out: string[] = [];
  for (const l of tcpdumpLines(file, args)) {
    if (/^-?\d+\.\d{6} /.test(l) || out.length === 0) out.push(l);
    else out[out.length - 1] += `\n${l}`;
  }
  return out;
}

describe.skipIf(skipReason(['tcpdump']) !== undefined)('transport text against tcpdump 4.99 -nn -tt', () => {
  for (const c of CAPTURES) {
    for (const e of [false, true]) {
      it(`${c}${e ? ' (-e)' : ''}`, () => {
        const file = join(CORPUS, c);
        const theirs = theirPackets(file, e ? ['-nn', '-tt', '-e'] : ['-nn', '-tt']);
        const ours = ourLines(file, e);
        expect(ours.slice(0, theirs.length)).toEqual(theirs);
      });
    }
  }
});

describe('TcpSequenceTracker', () => {
  const a = Uint8Array.from([10, 0, 0, 1]);
  const b = Uint8Array.from([10, 0, 0, 2]);

  it('takes the first ACK-bearing segment as the base of both directions', () => {
    const t = new TcpSequenceTracker();
    // SYN-ACK from the server (port 80 < 1234: the server side is the key's first)
    const synAck = t.relate(b, a, 80, 1234, TCP_FLAG_SYN | TCP_FLAG_ACK, 5000, 1001);
    expect([synAck.seq, synAck.ack]).toEqual([5000, 1001]);
    const ack = t.relate(a, b, 1234, 80, TCP_FLAG_ACK, 1001, 5001);
    expect([ack.seq, ack.ack]).toEqual([1, 1]);
    const data = t.relate(b, a, 80, 1234, TCP_FLAG_ACK, 5001, 1101);
    expect([data.seq, data.ack]).toEqual([1, 101]);
  });

  it('starts over on a SYN and wraps modulo 2^32', () => {
    const t = new TcpSequenceTracker();
    t.relate(a, b, 1234, 80, TCP_FLAG_ACK, 0xfffffff0, 10);
    const wrapped = t.relate(a, b, 1234, 80, TCP_FLAG_ACK, 0x10, 20);
    expect([wrapped.seq, wrapped.ack]).toEqual([0x20, 11]);
    const again = t.relate(a, b, 1234, 80, TCP_FLAG_SYN | TCP_FLAG_ACK, 77, 88);
    expect([again.seq, again.ack]).toEqual([77, 88]);
  });

  it('with a bound, remembers the connections of the last one to two generations, IPv4 and IPv6 alike', () => {
    const a6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0x20));
    const b6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 2 : 0x20));
    const t = new TcpSequenceTracker(3);
    t.relate(a, b, 1000, 80, TCP_FLAG_ACK, 100, 200);
    t.relate(a6, b6, 1000, 80, TCP_FLAG_ACK, 100, 200);
    // Two more connections fill the first generation: the first two are now the generation before.
    t.relate(a, b, 1001, 80, TCP_FLAG_ACK, 5, 5);
    const before = t.relate(a, b, 1000, 80, TCP_FLAG_ACK, 110, 210);
    expect([before.seq, before.ack]).toEqual([10, 11]);
    const before6 = t.relate(a6, b6, 1000, 80, TCP_FLAG_ACK, 150, 200);
    expect([before6.seq, before6.ack]).toEqual([50, 1]);
    // Moved to the current generation when found, so they outlive the next turn.
    for (let p = 2000; p < 2006; p++) t.relate(a, b, p, 80, TCP_FLAG_ACK, 1, 1);
    const forgotten = t.relate(a, b, 1001, 80, TCP_FLAG_ACK, 9, 9);
    expect([forgotten.seq, forgotten.ack]).toEqual([9, 9]);
    // Unbounded, as tcpdump: never forgotten.
    const all = new TcpSequenceTracker();
    all.relate(a, b, 1000, 80, TCP_FLAG_ACK, 100, 200);
    for (let p = 2000; p < 2100; p++) all.relate(a, b, p, 80, TCP_FLAG_ACK, 1, 1);
    const kept = all.relate(a, b, 1000, 80, TCP_FLAG_ACK, 110, 210);
    expect([kept.seq, kept.ack]).toEqual([10, 11]);
  });
});
