import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaptureError,
  type CaptureReader,
  type Frame,
  compareFrameTime,
  encodePcap,
  encodePcapng,
  mergeCaptures,
  openCapture,
  type WriterFrame,
} from '../../src/capture/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'merge-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function temp(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function collect(gen: AsyncGenerator<Frame[]>): Promise<{ frames: Frame[]; error?: unknown }> {
  const frames: Frame[] = [];
  try {
    for await (const batch of gen) frames.push(...batch);
    return { frames };
  } catch (error) {
    return { frames, error };
  }
}

/** Like dumpcap: each interface's packets written in runs of `run`, so the file is not in time order. */
function inRuns(interfaces: number, perInterface: number, run: number): WriterFrame[] {
  const out: WriterFrame[] = [];
  for (let start = 0; start < perInterface; start += run) {
    for (let iface = 0; iface < interfaces; iface++) {
      for (let k = start; k < Math.min(start + run, perInterface); k++) {
        out.push({ iface, tsNs: 1_700_000_000_000_000_000n + BigInt(k * interfaces + iface) * 1000n, data: Uint8Array.of(iface, k & 0xff, k >> 8) });
      }
    }
  }
  return out;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `if${i}`, linktype: 1 }));

describe('mergeCaptures', () => {
  it('puts the interfaces of a pcapng written in buffered runs back in time order', async () => {
    const path = await temp('runs.pcapng', encodePcapng(names(3), inRuns(3, 300, 50)));
    const reader = await openCapture(path, { chunkSize: 256 });
    const { frames, error } = await collect(mergeCaptures([reader]));
    await reader.close();
    expect(error).toBeUndefined();
    expect(frames.length).toBe(900);
    expect(frames.map((f) => `${f.data[0]}:${f.data[1] | (f.data[2] << 8)}`)).toEqual(
      Array.from({ length: 900 }, (_, i) => `${i % 3}:${Math.floor(i / 3)}`),
    );
  });

  it('breaks ties by file order, then frame number', async () => {
    const same = [0n, 0n, 5n].map((ns) => ({ tsNs: ns, data: new Uint8Array(1) }));
    const a = await openCapture(await temp('a.pcap', encodePcap(1, same, { nano: true })));
    const b = await openCapture(await temp('b.pcap', encodePcap(1, same, { nano: true })));
    const { frames } = await collect(mergeCaptures([a, b]));
    await Promise.all([a.close(), b.close()]);
    expect(frames.map((f) => `${f.iface.name}#${f.number}`)).toEqual(['a#1', 'a#2', 'b#1', 'b#2', 'a#3', 'b#3']);
  });

  it('reads ahead no further than the reorder window while an interface stays quiet', async () => {
    const frames = Array.from({ length: 20_000 }, (_, k) => ({ iface: 0, tsNs: BigInt(k), data: new Uint8Array(60) }));
    const path = await temp('quiet.pcapng', encodePcapng(names(2), frames));
    const reader = await openCapture(path, { chunkSize: 4096 });
    let pulled = 0;
    const counting: CaptureReader = {
      file: reader.file,
      info: reader.info,
      size: reader.size,
      get bytesRead() {
        return reader.bytesRead;
      },
      close: () => reader.close(),
      recycle: (chunk) => reader.recycle(chunk),
      async *batches() {
        for await (const batch of reader.batches()) {
          pulled++;
          yield batch;
        }
      },
    };
    const merged = mergeCaptures([counting], { reorderBytes: 64 * 1024 });
    const first = await merged.next();
    // 64 KiB of 4 KiB chunks, plus the chunk that crossed the line: the whole file is 400 chunks.
    expect(pulled).toBeLessThanOrEqual(17);
    expect(first.done).toBe(false);
    const rest = await collect(merged);
    await reader.close();
    expect((first.value as Frame[]).length + rest.frames.length).toBe(20_000);
    const all = [...(first.value as Frame[]), ...rest.frames];
    expect(all.every((f, i) => i === 0 || compareFrameTime(all[i - 1], f) <= 0)).toBe(true);
  });

  it('delivers every frame read before a file\'s damage, from every file, then throws its error', async () => {
    const good = await temp('good.pcapng', encodePcapng(names(1), inRuns(1, 10, 10)));
    const whole = encodePcapng(names(2), inRuns(2, 10, 5));
    const cut = await temp('cut.pcapng', whole.subarray(0, whole.length - 10));
    const readers = [await openCapture(cut, { chunkSize: 128 }), await openCapture(good)];
    const { frames, error } = await collect(mergeCaptures(readers));
    await Promise.all(readers.map((r) => r.close()));
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).file).toBe(cut);
    expect(frames.filter((f) => f.file === good).length).toBe(10);
    expect(frames.filter((f) => f.file === cut).length).toBe(19);
    expect(frames.every((f, i) => i === 0 || compareFrameTime(frames[i - 1], f) <= 0)).toBe(true);
  });

  it('reads into chunks again once their frames have gone out, without changing a byte of what it yields', async () => {
    // A dumpcap capture (buffered per interface, not in time order) of two hosts, in 64 KiB chunks.
    const files = ['samples/vxlan-overlay/host.pcapng', 'samples/vxlan-overlay/hostb.pcapng'];
    const consume = async (recycle: boolean) => {
      const readers = await Promise.all(files.map((f) => openCapture(f, { chunkSize: 64 * 1024 })));
      const chunks = new Set<ArrayBufferLike>();
      const seen: string[] = [];
      let bytes = 0;
      // The consumer's contract: it reads a batch's frames before it asks for the next batch.
      for await (const batch of mergeCaptures(readers, { recycle })) {
        for (const f of batch) {
          chunks.add(f.data.buffer);
          bytes += f.data.length;
          seen.push(`${f.file}#${f.number}:${Buffer.from(f.data).toString('base64')}`);
        }
      }
      await Promise.all(readers.map((r) => r.close()));
      return { seen, chunks: chunks.size, bytes };
    };
    const kept = await consume(false);
    const recycled = await consume(true);
    expect(recycled.seen).toEqual(kept.seen);
    expect(kept.bytes).toBeGreaterThan(1_000_000);
    // Without recycling every read allocates a chunk; with it a handful are read into again and again.
    expect(kept.chunks).toBeGreaterThan(20);
    expect(recycled.chunks).toBeLessThanOrEqual(12);
  });
});
