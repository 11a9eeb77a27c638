import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, encodePcap, frameTimeNs } from '../../src/capture/index.js';
import { CORPUS } from '../helpers/tools.js';
import { readAll } from './read-all.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pcap-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function temp(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

const payload = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
const FRAMES = [
  { tsNs: 1_700_000_000_123_456_789n, data: payload(60, 1) },
  { tsNs: 4_294_967_295_999_999_999n, data: payload(300, 2), origLen: 1514 },
  { tsNs: 0n, data: new Uint8Array(0) },
];

describe('classic pcap', () => {
  it('round-trips microsecond and nanosecond files, cutting to the snaplen', async () => {
    for (const nano of [false, true]) {
      const path = await temp(`veth1${nano ? '-ns' : ''}.pcap`, encodePcap(276, FRAMES, { nano, snaplen: 200 }));
      for (const chunkSize of [undefined, 64]) {
        const { frames, info, error } = await readAll(path, chunkSize);
        expect(error).toBeUndefined();
        expect(info?.interfaces).toEqual([{ file: path, index: 0, name: nano ? 'veth1-ns' : 'veth1', linktype: 276, snaplen: 200 }]);
        expect(info?.anomalies).toEqual([]);
        expect(frames.map((f) => frameTimeNs(f))).toEqual(FRAMES.map((f) => (nano ? f.tsNs : (f.tsNs / 1000n) * 1000n)));
        expect(frames.map((f) => [f.caplen, f.origLen])).toEqual([[60, 60], [200, 1514], [0, 0]]);
        expect([...frames[1].data]).toEqual([...FRAMES[1].data.subarray(0, 200)]);
      }
    }
  });

  it('reads both byte orders and the Kuznetzov variant', async () => {
    const be = await readAll(join(CORPUS, 'arkime/tests/pcap/bigendian.pcap'));
    expect(be.error).toBeUndefined();
    expect(be.frames.map((f) => `${f.tsSec}.${f.tsNsec}`)).toEqual(['1335958313.152630000', '1335958317.529201000']);
    const kuz = await readAll(join(CORPUS, 'pcap-parser/assets/modified-format.pcap'));
    expect(kuz.frames.map((f) => [frameTimeNs(f), f.caplen, f.direction])).toEqual([[1_712_763_541_734_807_000n, 98, undefined]]);
  });

  const good = encodePcap(1, [payload(100, 1), payload(100, 2), payload(100, 3)].map((data, i) => ({ tsNs: BigInt(i), data })));
  const third = 24 + 2 * 116;
  const cases: [string, (b: Uint8Array, v: DataView) => Uint8Array | void, string, number, number][] = [
    ['a caplen beyond the limit', (_, v) => v.setUint32(third + 8, 300_000, true), 'record caplen 300000 is beyond the limit of 262144 bytes', third, 2],
    ['a file cut inside a record', (b) => b.subarray(0, third + 20), 'file ends inside a record of 100 captured bytes (20 of 116 bytes present)', third, 2],
    ['a file cut inside a record header', (b) => b.subarray(0, third + 3), 'file ends inside a record header (3 of 16 bytes present)', third, 2],
    ['a major version other than 2', (_, v) => v.setUint16(4, 1, true), 'unsupported pcap version 1.4', 4, 0],
    ['reserved link-type bits', (_, v) => v.setUint32(20, 0x00300001, true), 'link-type field reserved bits not zero (0x00300001)', 20, 0],
    ['a file that is no capture', () => new TextEncoder().encode('hello, world'), 'not a pcap or pcapng file (first bytes 68 65 6c 6c)', 0, 0],
    ['an empty file', () => new Uint8Array(0), 'empty file', 0, 0],
    ['a file cut inside its header', (b) => b.subarray(0, 10), 'file ends inside the pcap file header (10 of 24 bytes)', 0, 0],
  ];
  for (const [what, damage, reason, offset, before] of cases) {
    it(`stops at ${what}, after the frames before it`, async () => {
      const bytes = good.slice();
      const path = await temp('damaged.pcap', damage(bytes, new DataView(bytes.buffer)) ?? bytes);
      for (const chunkSize of [undefined, 64]) {
        const { frames, error } = await readAll(path, chunkSize);
        expect(error).toBeInstanceOf(CaptureError);
        expect((error as CaptureError).message).toBe(`${path}: byte ${offset}: ${reason}`);
        expect(frames.length).toBe(before);
      }
    });
  }

  it('carries a sub-second field of a second or more into the seconds and notes it', async () => {
    const bytes = encodePcap(1, [{ tsNs: 5_000_000_000n, data: payload(10, 1) }]);
    new DataView(bytes.buffer).setUint32(28, 2_500_000, true);
    const { frames, info } = await readAll(await temp('frac.pcap', bytes));
    expect(frameTimeNs(frames[0])).toBe(7_500_000_000n);
    expect(info?.anomalies).toEqual(['frame 1 at byte 24: sub-second field 2500000 is a second or more (carried into the seconds)']);
  });
});
