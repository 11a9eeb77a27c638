// Spanning-tree BPDUs in LLC: print-stp.c's words for each kind, and every plain-LLC BPDU of the
// corpus against tcpdump itself, with and without -e.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { formatLlcStp, formatStp } from '../../../src/decode/tcpdump/stp.js';
import { CORPUS, skipReason, tcpdumpLines } from '../../helpers/tools.js';
import { groupPackets, ourLines } from '../../helpers/lines.js';

function bpdu(version: number, type: number, flags: number, length = 36): Uint8Array {
  const b = new Uint8Array(Math.max(length, 36));
  b[2] = version;
  b[3] = type;
  b[4] = flags;
  b.set([0x80, 0x00, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 17);
  b.set([0x80, 0x02], 25);
  return b.subarray(0, length);
}
const stp = (b: Uint8Array, length = b.length): string => formatStp(b, 0, length, b.length);

describe('STP as tcpdump prints it', () => {
  it('config, rapid, topology change and the odd ones', () => {
    expect(stp(bpdu(0, 0, 0), 35)).toBe('STP 802.1d, Config, Flags [none], bridge-id 8000.52:54:00:12:34:56.8002, length 35');
    expect(stp(bpdu(2, 2, 0x3e))).toBe('STP 802.1w, Rapid STP, Flags [Proposal, Learn, Forward], bridge-id 8000.52:54:00:12:34:56.8002, length 36');
    expect(stp(bpdu(0, 0, 0x81), 35)).toBe('STP 802.1d, Config, Flags [Topology change, Topology change ACK], bridge-id 8000.52:54:00:12:34:56.8002, length 35');
    expect(stp(bpdu(0, 0x80, 0, 4))).toBe('STP 802.1d, Topology Change');
    expect(stp(bpdu(0, 0, 0), 30)).toBe('STP 802.1d, Config (invalid)');
    expect(stp(bpdu(2, 2, 0), 35)).toBe('STP 802.1w, Rapid STP (invalid)');
    expect(stp(bpdu(3, 2, 0), 60)).toBe('STP 802.1s, Rapid STP (invalid)');
    expect(stp(bpdu(7, 0, 0))).toBe('STP Unknown STP protocol (0x07)');
    expect(stp(bpdu(0, 5, 0))).toBe('STP 802.1d, Unknown BPDU Type (0x05)');
    expect(stp(Uint8Array.from([0, 1, 0, 0]))).toBe('unknown STP version, length 4');
    expect(stp(bpdu(0, 0, 0, 20), 35)).toBe('STP 802.1d, Config, Flags [none] [|stp]');
  });

  it('takes only LLC with both SAPs 0x42 and a UI control', () => {
    const llc = Uint8Array.from([0x42, 0x42, 0x03, ...bpdu(0, 0x80, 0, 4)]);
    expect(formatLlcStp(llc, 0, llc.length, llc.length, false)).toBe('STP 802.1d, Topology Change');
    expect(formatLlcStp(llc, 0, llc.length, llc.length, true)).toBe('LLC, dsap STP (0x42) Individual, ssap STP (0x42) Command, ctrl 0x03: STP 802.1d, Topology Change');
    expect(formatLlcStp(Uint8Array.from([0xaa, 0xaa, 0x03, 0, 0, 0]), 0, 6, 6, false)).toBeUndefined();
    expect(formatLlcStp(Uint8Array.from([0x42, 0x42, 0x13, 0, 0, 0]), 0, 6, 6, false)).toBeUndefined();
  });

  const why = skipReason(['tcpdump']);
  it.skipIf(why !== undefined)(`reads every plain-LLC BPDU of the corpus as tcpdump does${why ? ` (${why})` : ''}`, async () => {
    let compared = 0;
    for (const name of ['rpvstp-trunk-native-vid5.pcap', 'various_gre.pcap']) {
      const file = join(CORPUS, 'tcpdump', 'tests', name);
      // Some packets take several lines (hex dumps): one entry a packet.
      const start = /^-?\d+\.\d{6} /;
      const withE = groupPackets(tcpdumpLines(file, ['-nn', '-tt', '-e']), start);
      const without = groupPackets(tcpdumpLines(file, ['-nn', '-tt']), start);
      const oursE = await ourLines(file, { linkHeader: true });
      const ours = await ourLines(file, {});
      for (const [i, line] of withE.entries()) {
        if (!/ 802\.3, length \d+: LLC, dsap STP/.test(line)) continue;
        compared++;
        expect(oursE[i].text, `${name}#${i + 1} -e`).toBe(line);
        expect(ours[i].text, `${name}#${i + 1}`).toBe(without[i]);
      }
    }
    expect(compared).toBeGreaterThanOrEqual(10);
  });
});
