/**
 * The trap frames of the fuzz seeds, each cut at every length and read under every link type the
 * decoders know: decoding and printing (tcpdump line and JSON) never throw. The mutator reaches these
 * only by chance; here every prefix is checked.
 */
import { describe, expect, it } from 'vitest';
import type { CaptureInterface, Frame } from '../../src/capture/index.js';
import { decodePacket } from '../../src/decode/packet.js';
import { packetLayersToJson } from '../../src/decode/json.js';
import { formatFrameLine } from '../../src/decode/tcpdump/line.js';
import { TcpSequenceTracker } from '../../src/decode/tcpdump/transport.js';
import { trapFrames } from './seeds.js';

const LINKTYPES = [1, 113, 276, 101, 0, 108, 12, 14, 228, 229];

describe('trap frames', () => {
  it('decode and print at every prefix length under every link type without throwing', () => {
    const failures: string[] = [];
    let decoded = 0;
    trapFrames().forEach((frame, t) => {
      for (const linktype of LINKTYPES) {
        const iface: CaptureInterface = { file: 'traps', index: 0, name: 'traps', linktype, snaplen: 0 };
        const tcpState = new TcpSequenceTracker();
        for (let len = 0; len <= frame.length; len++) {
          const data = frame.subarray(0, len);
          const f: Frame = { file: 'traps', number: len + 1, iface, tsSec: 1, tsNsec: 0, caplen: len, origLen: frame.length, fileOffset: 0, data };
          try {
            const pkt = decodePacket(data, linktype);
            formatFrameLine(f, pkt, { linkHeader: len % 2 === 0, tcpState });
            JSON.stringify(packetLayersToJson(pkt));
            decoded++;
          } catch (err) {
            if (failures.length < 20) failures.push(`trap ${t} cut to ${len} bytes as link type ${linktype}: ${err instanceof Error ? err.stack : String(err)}`);
          }
        }
      }
    });
    expect(failures).toEqual([]);
    expect(decoded).toBeGreaterThan(10_000);
  });
});
