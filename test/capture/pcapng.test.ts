import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, encodePcapng, frameTimeNs, openCapture, type WriterFrame, type WriterInterface } from '../../src/capture/index.js';
import { CORPUS } from '../helpers/tools.js';
import { readAll } from './read-all.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pcapng-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function temp(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const payload = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

const IFACES: WriterInterface[] = [
  { name: 'veth0', linktype: 1, description: 'container side' },
  { name: 'docker0', linktype: 113, snaplen: 96 },
];
const FRAMES: WriterFrame[] = [
  { iface: 0, tsNs: 1_795_362_815_613_945_383n, data: payload(60, 1), direction: 'out', comment: 'first' },
  { iface: 1, tsNs: 1_795_362_815_613_945_384n, data: payload(200, 2), direction: 'in' },
  { iface: 0, tsNs: 1_795_362_815_000_000_001n, data: payload(1, 3), origLen: 1500 },
  { iface: 1, tsNs: 0n, data: new Uint8Array(0) },
];

describe('pcapng writer and reader', () => {
  it('round-trips interfaces, nanosecond times, lengths, directions and comments, in any chunk size', async () => {
    const path = await temp('round.pcapng', encodePcapng(IFACES, FRAMES, { comment: 'a section' }));
    for (const chunkSize of [undefined, 64, 100]) {
      const { frames, info, error } = await readAll(path, chunkSize);
      expect(error).toBeUndefined();
      expect(info?.format).toBe('pcapng');
      expect(info?.sections).toBe(1);
      expect(info?.comments).toEqual(['a section']);
      expect(info?.interfaces.map((i) => [i.index, i.name, i.linktype, i.snaplen, i.description])).toEqual([
        [0, 'veth0', 1, 0, 'container side'],
        [1, 'docker0', 113, 96, undefined],
      ]);
      expect(info?.packetsPerInterface).toEqual([2, 2]);
      expect(frames.map((f) => f.number)).toEqual([1, 2, 3, 4]);
      frames.forEach((f, i) => {
        const w = FRAMES[i];
        const kept = w.data.subarray(0, IFACES[w.iface].snaplen ?? w.data.length);
        expect(frameTimeNs(f)).toBe(w.tsNs);
        expect(f.iface.index).toBe(w.iface);
        expect([...f.data]).toEqual([...kept]);
        expect(f.caplen).toBe(kept.length);
        expect(f.origLen).toBe(w.origLen ?? w.data.length);
        expect(f.direction).toBe(w.direction);
        expect(f.comments).toEqual(w.comment === undefined ? undefined : [w.comment]);
      });
    }
  });

  it('reads several sections, big-endian ones and binary resolutions, with interface ids restarting per section', async () => {
    const first = encodePcapng(
      [{ name: 'eth0', linktype: 1, tsresol: 6, tsoffset: 1_000_000_000 }],
      [{ iface: 0, tsNs: 1_600_000_000_123_456_000n, data: payload(40, 4) }],
      { comment: 'one' },
    );
    const second = encodePcapng(
      [
        { name: 'eth1', linktype: 1, tsresol: 0x88 },
        { name: 'eth2', linktype: 101, tsresol: 0x8a },
      ],
      [
        // 2^-8 s: 3906250 ns a unit, exact in nanoseconds.
        { iface: 0, tsNs: 1_519_128_000_195_312_500n, data: payload(30, 5) },
        // 2^-10 s: 976562.5 ns a unit, so one unit reads back rounded to the nearest nanosecond, up.
        { iface: 1, tsNs: 1_519_128_000_000_976_563n, data: payload(20, 6) },
      ],
      { comment: 'two', bigEndian: true },
    );
    expect(new DataView(second.buffer).getUint32(8, false)).toBe(0x1a2b3c4d);
    const path = await temp('sections.pcapng', concat(first, second));
    const { frames, info, error } = await readAll(path, 64);
    expect(error).toBeUndefined();
    expect(info?.sections).toBe(2);
    expect(info?.comments).toEqual(['one', 'two']);
    expect(info?.interfaces.map((i) => `${i.index}:${i.name}:${i.linktype}`)).toEqual(['0:eth0:1', '1:eth1:1', '2:eth2:101']);
    expect(frames.map((f) => [f.iface.index, `${f.tsSec}.${f.tsNsec}`])).toEqual([
      [0, '1600000000.123456000'],
      [1, '1519128000.195312500'],
      [2, '1519128000.976563'],
    ]);
  });

  it('knows the interfaces of the first section as soon as the file is open', async () => {
    const path = await temp('open.pcapng', encodePcapng(IFACES, FRAMES));
    const reader = await openCapture(path, { chunkSize: 64 });
    try {
      expect(reader.info.interfaces.map((i) => i.name)).toEqual(['veth0', 'docker0']);
      expect(reader.info.packets).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('names an interface without if_name after the file and its index', async () => {
    const path = await temp('unnamed.pcapng', encodePcapng([{ name: '', linktype: 1 }], [{ iface: 0, tsNs: 1n, data: payload(14, 7) }]));
    const { frames } = await readAll(path);
    expect(frames[0].iface.name).toBe('unnamed#0');
  });

  it('keeps name resolution and interface statistics blocks', async () => {
    const nrb = await readAll(join(CORPUS, 'pcapng-test-generator/output_le/basic/test015.pcapng'));
    expect(nrb.info?.nameResolution).toEqual([
      { address: '192.168.1.2', names: ['example.com'] },
      { address: '192.168.3.4', names: ['example.net'] },
      { address: '10.1.2.3', names: ['example.org'] },
    ]);
    expect(nrb.info?.comments).toEqual(['test015', 'test015 IDB', 'test015 NRB']);
    const isb = await readAll(join(CORPUS, 'pcapng-test-generator/output_be/basic/test013.pcapng'));
    const start = (0x0004c397n << 32n) | 0x64ca47aan;
    expect(isb.info?.statistics).toEqual([
      {
        interface: 0,
        time: '0.000000000',
        isb_starttime: `${start / 1_000_000n}.${String((start % 1_000_000n) * 1000n).padStart(9, '0')}`,
        isb_endtime: expect.stringMatching(/^\d+\.\d{9}$/),
        isb_ifdrop: 10,
      },
    ]);
  });
});

/** Offsets of the blocks of a little-endian pcapng. */
function blockOffsets(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += v.getUint32(at + 4, true)) out.push(at);
  return out;
}

describe('pcapng damage', () => {
  const good = encodePcapng([{ name: 'eth0', linktype: 1, snaplen: 1000 }], [0, 1, 2].map((i) => ({ iface: 0, tsNs: BigInt(i) * 1000n, data: payload(100, i) })));
  const blocks = blockOffsets(good);
  const third = blocks[4]; // SHB, IDB, EPB, EPB, EPB
  const idb = blocks[1];

  const cases: [string, (b: Uint8Array, v: DataView) => Uint8Array | void, RegExp, number][] = [
    ['a block longer than 16 MiB', (_, v) => v.setUint32(third + 4, 17 * 1024 * 1024, true), /length 17825792 is beyond the limit of 16777216/, third],
    ['a block length not a multiple of 4', (_, v) => v.setUint32(third + 4, 130, true), /length 130 is not a multiple of 4/, third],
    ['a block shorter than its header', (_, v) => v.setUint32(third + 4, 28, true), /length 28 is shorter than its header \(32 bytes\)/, third],
    ['a trailer that disagrees', (b, v) => v.setUint32(third + v.getUint32(third + 4, true) - 4, 4, true), /in its header but 4 in its trailer/, third],
    ['a caplen beyond its block', (_, v) => v.setUint32(third + 20, 200, true), /caplen 200 is beyond its block \(room for 100 bytes\)/, third],
    ['a caplen beyond the snaplen', (_, v) => v.setUint32(idb + 12, 50, true), /caplen 100 is beyond interface 0's snaplen 50/, blocks[2]],
    ['an unknown interface', (_, v) => v.setUint32(third + 8, 3, true), /names interface 3 but its section describes 1 interface$/, third],
    ['a file cut inside a block', (b) => b.subarray(0, third + 50), /file ends inside an Enhanced Packet Block of 132 bytes \(50 of 132 bytes present\)/, third],
    ['a file cut inside a block header', (b) => b.subarray(0, third + 6), /file ends inside a block header \(6 of 12 bytes present\)/, third],
  ];

  for (const [what, damage, reason, offset] of cases) {
    it(`stops at ${what}, after the frames before it`, async () => {
      const bytes = good.slice();
      const damaged = damage(bytes, new DataView(bytes.buffer)) ?? bytes;
      const path = await temp('damaged.pcapng', damaged);
      for (const chunkSize of [undefined, 64]) {
        const { frames, error } = await readAll(path, chunkSize);
        expect(error).toBeInstanceOf(CaptureError);
        const err = error as CaptureError;
        expect(err.message).toBe(`${path}: byte ${offset}: ${err.reason}`);
        expect(err.reason).toMatch(reason);
        expect(frames.length).toBe(offset === third ? 2 : 0);
      }
    });
  }
});
