// LLDP lines: the length and the system name, as tcpdump 4.99 prints them without -v. The frames are
// built here (a switch's usual TLVs, odd bytes in a name, a NUL, a truncated TLV, two names) and the
// expected lines are what tcpdump printed for them, checked again live where tcpdump is installed.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { encodePcap } from '../../../src/capture/pcap-writer.js';
import { skipReason, tcpdumpLines } from '../../helpers/tools.js';
import { ourLines } from '../../helpers/lines.js';

const tlv = (type: number, bytes: number[]): number[] => [(type << 1) | (bytes.length >> 8), bytes.length & 0xff, ...bytes];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const frame = (...tlvs: number[][]): Uint8Array => Uint8Array.from([1, 0x80, 0xc2, 0, 0, 0x0e, 0x52, 0x54, 0, 1, 2, 3, 0x88, 0xcc, ...tlvs.flat()]);
const usual = (name?: number[]): number[][] => [
  tlv(1, [4, 0x52, 0x54, 0, 1, 2, 3]),
  tlv(2, [5, ...ascii('Gi1/0/7')]),
  tlv(3, [0, 120]),
  ...(name ? [tlv(5, name)] : []),
  tlv(6, ascii('Cisco IOS')),
  tlv(0, []),
];

const CASES: [Uint8Array, string][] = [
  [frame(...usual(ascii('sw-core-01'))), 'LLDP, length 48: sw-core-01'],
  [frame(...usual()), 'LLDP, length 46'],
  [frame(...usual([0x73, 0x77, 0x01, 0xe9, 0x7f, 0x20, 0x41])), 'LLDP, length 46: sw^AM-i^? A'],
  [frame(...usual([0x61, 0, 0x62])), 'LLDP, length 46: a'],
  [frame(tlv(1, [4, 1, 2, 3, 4, 5, 6]), [0x0a, 0x20, 0x41]), 'LLDP, length 46 [|lldp]'],
  [frame(tlv(5, ascii('one')), tlv(5, ascii('two')), tlv(0, [])), 'LLDP, length 46: one: two'],
];

describe('LLDP as tcpdump prints it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pn-lldp-'));
  const file = join(dir, 'lldp.pcap');
  // Frames shorter than Ethernet's minimum went on the wire padded to 60 bytes; the capture kept less.
  writeFileSync(file, encodePcap(1, CASES.map(([data], i) => ({ tsNs: BigInt(1_700_000_000 + i) * 1_000_000_000n, data, origLen: Math.max(data.length, 60) }))));

  it('prints the length and every system name, escaped as tcpdump escapes them', async () => {
    const ours = (await ourLines(file, {})).map((l) => l.text.replace(/^\S+ /, ''));
    expect(ours).toEqual(CASES.map(([, line]) => line));
    const withE = (await ourLines(file, { linkHeader: true }))[0].text;
    expect(withE).toBe('1700000000.000000 52:54:00:01:02:03 > 01:80:c2:00:00:0e, ethertype LLDP (0x88cc), length 62: LLDP, length 48: sw-core-01');
  });

  const why = skipReason(['tcpdump']);
  it.skipIf(why !== undefined)(`matches live tcpdump, with and without -e${why ? ` (${why})` : ''}`, async () => {
    try {
      expect((await ourLines(file, {})).map((l) => l.text)).toEqual(tcpdumpLines(file, ['-nn', '-tt']));
      expect((await ourLines(file, { linkHeader: true })).map((l) => l.text)).toEqual(tcpdumpLines(file, ['-nn', '-tt', '-e']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
