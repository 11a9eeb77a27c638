// IGMP lines: each message type as print-igmp.c words it, and every IGMP frame of the recorded
// samples against tcpdump itself (every container interface that comes up sends a v3 report).
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatIgmp } from '../../../src/decode/tcpdump/igmp.js';
import { REPO, skipReason, tcpdumpLines } from '../../helpers/tools.js';
import { ourLines } from '../../helpers/lines.js';

const igmp = (...bytes: number[]): string => formatIgmp(Uint8Array.from(bytes), 0, bytes.length, bytes.length);
const G = [239, 1, 2, 3];

describe('IGMP as tcpdump prints it', () => {
  it('queries of the three versions', () => {
    expect(igmp(0x11, 0, 0, 0, 0, 0, 0, 0)).toBe('igmp query v1');
    expect(igmp(0x11, 100, 0, 0, 0, 0, 0, 0)).toBe('igmp query v2');
    expect(igmp(0x11, 10, 0, 0, ...G)).toBe('igmp query v2 [max resp time 10] [gaddr 239.1.2.3]');
    expect(igmp(0x11, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).toBe('igmp query v3');
    expect(igmp(0x11, 50, 0, 0, ...G, 0, 0, 0, 0)).toBe('igmp query v3 [max resp time 5.0s] [gaddr 239.1.2.3]');
    expect(igmp(0x11, 100, 0, 0, ...G, 0, 0, 0, 2, 10, 0, 0, 1, 10, 0, 0, 2)).toBe('igmp query v3 [gaddr 239.1.2.3, 2 source(s)]');
    // Max Resp Code 0x8f: mantissa 15, exponent 0 -> (15|16) << 3 = 248 tenths.
    expect(igmp(0x11, 0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).toBe('igmp query v3 [max resp time 24.8s]');
    // 0xff: (15|16) << 10 = 31744 tenths = 3174 s.
    expect(igmp(0x11, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).toBe('igmp query v3 [max resp time 52m54s]');
    expect(igmp(0x11, 100, 0, 0, 0, 0, 0, 0, 0, 0)).toBe('igmp query v2 [len 10]');
    expect(igmp(0x11, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).toBe('igmp query v3 [invalid len 13]');
  });

  it('reports, leaves and the rest', () => {
    expect(igmp(0x12, 0, 0, 0, ...G)).toBe('igmp v1 report 239.1.2.3');
    expect(igmp(0x16, 0, 0, 0, ...G)).toBe('igmp v2 report 239.1.2.3');
    expect(igmp(0x17, 0, 0, 0, ...G)).toBe('igmp leave 239.1.2.3');
    expect(igmp(0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, ...G)).toBe('igmp v3 report, 1 group record(s)');
    expect(igmp(0x22, 0, 0, 0, 0, 0, 0, 1)).toBe('igmp v3 report [invalid len 8]');
    expect(igmp(0x30, 0, 0, 0)).toBe('igmp-48');
  });

  it('stops at the captured bytes with [|igmp]', () => {
    const b = Uint8Array.from([0x16, 0, 0, 0, 239, 1]);
    expect(formatIgmp(b, 0, 8, b.length)).toBe('igmp v2 report [|igmp]');
    expect(formatIgmp(b, 6, 8, b.length)).toBe(' [|igmp]');
  });

  const why = skipReason(['tcpdump']);
  const samples = existsSync(join(REPO, 'samples')) ? readdirSync(join(REPO, 'samples')) : [];
  it.skipIf(why !== undefined)(`every IGMP frame of the samples reads as tcpdump prints it${why ? ` (${why})` : ''}`, async () => {
    let compared = 0;
    for (const s of samples) {
      const file = join(REPO, 'samples', s, 'capture.pcapng');
      if (!existsSync(file)) continue;
      const theirs = tcpdumpLines(file, ['-nn', '-tt']);
      const ours = await ourLines(file, {});
      expect(ours.length, s).toBe(theirs.length);
      for (const [i, o] of ours.entries()) {
        const t = theirs[i];
        if (!/: igmp/.test(t)) continue;
        compared++;
        // From the timestamp's end: the interface columns differ (ours names every interface; tcpdump
        // prints them only for cooked captures, and from its own machine's table).
        const tail = (l: string): string => `${l.split(' ')[0]} ${l.slice(l.indexOf(' IP ') + 1)}`;
        expect(tail(o.text), `${s}#${i + 1}`).toBe(tail(t));
      }
    }
    expect(compared).toBeGreaterThanOrEqual(10);
  });
});
