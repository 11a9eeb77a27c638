/**
 * One test per limit of the readers: each hostile file is refused at the right byte with a reason,
 * after every frame before the damage, and nothing it declares is allocated. Files are built here with
 * the writers and edited by hand, so the exact offsets are known.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError, encodePcap, encodePcapng, mergeCaptures, openCapture, type Frame } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { concat, ethernet, icmpEcho, ipv4 } from '../fuzz/frames.js';
import { pcapngBlock } from '../fuzz/mutate.js';
import { scanLayout } from '../fuzz/layout.js';

const dir = mkdtempSync(join(tmpdir(), 'pcap-narrator-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(bytes: Uint8Array, ext = 'pcapng'): string {
  const p = join(dir, `limit-${++counter}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}

const T0 = 1_700_000_000_000_000_000n;
const ping = (seq: number, pad = 0): Uint8Array => ethernet(0x0800, ipv4(1, icmpEcho(8, 1, seq, new Uint8Array(8 + pad))));

/** A one-interface pcapng with `n` pings; `snaplen` on its IDB. */
function pcapng(n: number, snaplen = 0): Uint8Array {
  return encodePcapng([{ name: 'eth0', linktype: 1, snaplen }], Array.from({ length: n }, (_, i) => ({ iface: 0, tsNs: T0 + BigInt(i) * 1000n, data: ping(i) })));
}

interface Outcome {
  frames: Frame[];
  error?: unknown;
}

async function read(path: string): Promise<Outcome> {
  const frames: Frame[] = [];
  let reader;
  try {
    reader = await openCapture(path);
  } catch (error) {
    return { frames, error };
  }
  try {
    for await (const b of reader.batches()) frames.push(...b);
    return { frames };
  } catch (error) {
    return { frames, error };
  } finally {
    await reader.close();
  }
}

function expectRefusal(o: Outcome, path: string, offset: number, reason: RegExp): void {
  expect(o.error).toBeInstanceOf(CaptureError);
  const e = o.error as CaptureError;
  expect({ file: e.file, offset: e.offset }).toEqual({ file: path, offset });
  expect(e.reason).toMatch(reason);
  expect(e.message).toBe(`${path}: byte ${offset}: ${e.reason}`);
}

/** Offsets of the units of a file, by kind, from the fuzz harness's own scanner. */
function offsetsOf(bytes: Uint8Array, kind: string): number[] {
  return scanLayout(bytes)
    .units.filter((u) => u.kind === kind)
    .map((u) => u.offset);
}

function setU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, value, true);
  return out;
}

describe('reader limits', () => {
  it('refuses a pcapng block declared beyond 16 MiB, after the frames before it', async () => {
    const good = pcapng(2);
    const bytes = concat(good, setU32(setU32(pcapngBlock(6, new Uint8Array(20), true), 4, 16 * 1024 * 1024 + 4), 28, 16 * 1024 * 1024 + 4));
    const p = file(bytes);
    const o = await read(p);
    expect(o.frames.map((f) => f.number)).toEqual([1, 2]);
    expectRefusal(o, p, good.length, /length 16777220 is beyond the limit of 16777216 bytes/);
  });

  it('refuses a declared 4 GiB block or record without allocating it', async () => {
    const good = pcapng(1);
    const ng = file(concat(good, setU32(pcapngBlock(6, new Uint8Array(20), true), 4, 0xfffffffc)));
    const pcapGood = encodePcap(1, [{ tsNs: T0, data: ping(1) }]);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(8, 0xffffffff, true);
    const classic = file(concat(pcapGood, huge), 'pcap');
    const before = process.memoryUsage().arrayBuffers;
    const a = await read(ng);
    const b = await read(classic);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(a.frames).toHaveLength(1);
    expectRefusal(a, ng, good.length, /length 4294967292 is beyond the limit/);
    expect(b.frames).toHaveLength(1);
    expectRefusal(b, classic, pcapGood.length, /caplen 4294967295 is beyond the limit/);
    // A chunk or two of a MiB each may be live; 4 GiB (or even the 16 MiB limit) may not.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses an EPB whose caplen is beyond its interface snaplen (pcapng), keeps it with a note (pcap, as libpcap)', async () => {
    const ng = pcapng(3, 40);
    // The writer cuts frames to the snaplen: raise the third frame's caplen past it by rewriting the
    // block with a longer packet and the same interface.
    const epbs = offsetsOf(ng, 'epb');
    const body = new Uint8Array(20 + 44);
    const v = new DataView(body.buffer);
    v.setUint32(12, 44, true);
    v.setUint32(16, 44, true);
    const bytes = concat(ng.subarray(0, epbs[2]), pcapngBlock(6, body, true));
    const p = file(bytes);
    const o = await read(p);
    expect(o.frames).toHaveLength(2);
    expectRefusal(o, p, epbs[2], /caplen 44 is beyond interface 0's snaplen 40/);

    const classic = encodePcap(1, [{ tsNs: T0, data: ping(1) }], { snaplen: 64 });
    const longer = encodePcap(1, [{ tsNs: T0, data: ping(2, 60) }], { snaplen: 262144 }).subarray(24);
    const q = file(concat(classic, longer), 'pcap');
    const r = await read(q);
    expect(r.error).toBeUndefined();
    expect(r.frames.map((f) => f.caplen)).toEqual([50, 110]);
    const reader = await openCapture(q);
    for await (const _ of reader.batches());
    await reader.close();
    expect(reader.info.anomalies.join('\n')).toMatch(/frame 2 at byte \d+: caplen 110 beyond the file's snaplen 64/);
  });

  it('refuses an EPB whose caplen is beyond its own block', async () => {
    const ng = pcapng(2);
    const epbs = offsetsOf(ng, 'epb');
    const bytes = setU32(ng, epbs[1] + 20, 200);
    const p = file(bytes);
    const o = await read(p);
    expect(o.frames).toHaveLength(1);
    expectRefusal(o, p, epbs[1], /caplen 200 is beyond its block \(room for \d+ bytes\)/);
  });

  it('refuses an EPB that names an interface its section does not describe', async () => {
    const ng = pcapng(3);
    const epbs = offsetsOf(ng, 'epb');
    const p = file(setU32(ng, epbs[1] + 8, 5));
    const o = await read(p);
    expect(o.frames).toHaveLength(1);
    expectRefusal(o, p, epbs[1], /names interface 5 but its section describes 1 interface$/);
  });

  it('refuses an EPB before any IDB, in read, in the merge and in analyze', async () => {
    const ng = pcapng(2);
    const [idb] = offsetsOf(ng, 'idb');
    const epbs = offsetsOf(ng, 'epb');
    // Move the IDB after the packets: the first EPB comes before any interface is described.
    const idbBytes = ng.subarray(idb, epbs[0]);
    const bytes = concat(ng.subarray(0, idb), ng.subarray(epbs[0]), idbBytes);
    const p = file(bytes);
    const o = await read(p);
    expect(o.frames).toHaveLength(0);
    expectRefusal(o, p, idb, /Enhanced Packet Block names interface 0 but its section describes 0 interfaces/);

    const merged: Frame[] = [];
    let mergeError: unknown;
    const reader = await openCapture(p);
    try {
      for await (const b of mergeCaptures([reader])) merged.push(...b);
    } catch (err) {
      mergeError = err;
    } finally {
      await reader.close();
    }
    expectRefusal({ frames: merged, error: mergeError }, p, idb, /names interface 0/);

    const again = await openCapture(p);
    const work = await analyzeCaptures([again]);
    await again.close();
    expectRefusal({ frames: [], error: work.damage }, p, idb, /names interface 0/);
  });

  it('refuses a section header of an unknown major version, after the sections before it', async () => {
    const first = pcapng(2);
    const second = pcapng(1);
    const v2 = second.slice();
    new DataView(v2.buffer).setUint16(12, 2, true);
    const p = file(concat(first, v2));
    const o = await read(p);
    expect(o.frames).toHaveLength(2);
    expectRefusal(o, p, first.length, /unsupported pcapng section version 2\.0/);

    const alone = file(v2);
    expectRefusal(await read(alone), alone, 0, /unsupported pcapng section version 2\.0/);
  });

  it('reads a pcap whose header says snaplen 0 as libpcap does: records up to 262144 bytes', async () => {
    // sf-pcap.c pcap_adjust_snapshot(): a snaplen of 0 (or beyond the link type's maximum) becomes
    // max_snaplen_for_dlt(), 262144 for Ethernet; pcap_next_packet() refuses records beyond it.
    // encodePcap cuts frames to its snaplen, so the header's field is zeroed by hand.
    const good = setU32(encodePcap(1, [{ tsNs: T0, data: ping(1) }, { tsNs: T0 + 1n, data: ping(2, 70_000) }]), 16, 0);
    const p = file(good, 'pcap');
    const o = await read(p);
    expect(o.error).toBeUndefined();
    expect(o.frames.map((f) => f.caplen)).toEqual([50, 70_050]);
    expect(o.frames[0].iface.snaplen).toBe(0);

    const record = new Uint8Array(16);
    new DataView(record.buffer).setUint32(8, 262_145, true);
    const q = file(concat(good, record, new Uint8Array(262_145)), 'pcap');
    const r = await read(q);
    expect(r.frames).toHaveLength(2);
    expectRefusal(r, q, good.length, /caplen 262145 is beyond the limit of 262144 bytes/);
  });
});
