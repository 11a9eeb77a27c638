// VRRP lines (keepalived's advertisements): print-vrrp.c's words, and the corpus's VRRP captures
// (v2 and v3, over IPv4 and IPv6) against tcpdump itself.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { formatVrrp } from '../../../src/decode/tcpdump/vrrp.js';
import { CORPUS, skipReason, tcpdumpLines } from '../../helpers/tools.js';
import { ourLines } from '../../helpers/lines.js';

const vrrp = (bytes: number[], ttl = 255, len = bytes.length): string => formatVrrp(Uint8Array.from(bytes), 0, len, bytes.length, ttl);

describe('VRRP as tcpdump prints it', () => {
  it('advertisements of both versions, and what it does not take apart', () => {
    expect(vrrp([0x21, 51, 100, 1, 0, 1, 0, 0, 192, 0, 2, 10])).toBe('VRRPv2, Advertisement, vrid 51, prio 100, authtype none, intvl 1s, length 12');
    expect(vrrp([0x21, 51, 100, 1, 7, 1, 0, 0])).toBe('VRRPv2, Advertisement, vrid 51, prio 100, authtype #7, intvl 1s, length 8');
    expect(vrrp([0x31, 7, 200, 1, 0x00, 100, 0, 0], 64)).toBe('VRRPv3, Advertisement, (ttl 64), vrid 7, prio 200, intvl 100cs, length 8');
    expect(vrrp([0x32, 7, 200, 1])).toBe('VRRPv3, unknown type (2)');
    expect(vrrp([0x41, 7])).toBe('VRRPv4, Advertisement');
    expect(vrrp([0x21, 51], 255, 12)).toBe('VRRPv2, Advertisement [|vrrp]');
  });

  const why = skipReason(['tcpdump']);
  it.skipIf(why !== undefined)(`reads the corpus's VRRP captures as tcpdump does${why ? ` (${why})` : ''}`, async () => {
    let compared = 0;
    for (const name of ['vrrp.pcap', 'carp.pcap']) {
      const file = join(CORPUS, 'libpcap', 'tests', 'filter', name);
      for (const e of [false, true]) {
        const theirs = tcpdumpLines(file, e ? ['-nn', '-tt', '-e'] : ['-nn', '-tt']);
        const ours = (await ourLines(file, { linkHeader: e })).map((l) => l.text);
        expect(ours).toEqual(theirs);
        compared += theirs.filter((l) => l.includes('VRRPv')).length;
      }
    }
    expect(compared).toBeGreaterThan(10);
  });
});
