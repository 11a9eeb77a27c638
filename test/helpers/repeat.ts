import { join } from 'node:path';
import { openCapture, mergeCaptures, writePcapng, type WriterFrame } from '../../src/capture/index.js';
import type { Frame } from '../../src/capture/frame.js';

/**
 * Writes `dir`/repeated.pcapng: the frames of `file` `copies` times, each copy `gapNs` after the
 * one before: the same traffic again, for tests of what a long capture does.
 */
export async function repeatCapture(file: string, dir: string, copies: number, gapNs: bigint): Promise<string> {
  const frames = await framesOf(file);
  const ifaces = [...new Set(frames.map((f) => f.iface))];
  const out: WriterFrame[] = [];
  for (let c = 0; c < copies; c++) {
    for (const f of frames) {
      out.push({ iface: ifaces.indexOf(f.iface), tsNs: BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNsec) + BigInt(c) * gapNs, data: f.data, origLen: f.origLen });
    }
  }
  const repeated = join(dir, 'repeated.pcapng');
  await writePcapng(repeated, ifaces.map((i) => ({ name: i.name, linktype: i.linktype })), out);
  return repeated;
}

/** Every frame of `file`, in time order. */
export async function framesOf(file: string): Promise<Frame[]> {
  const source = await openCapture(file);
  const frames: Frame[] = [];
  try {
    for await (const b of mergeCaptures([source])) frames.push(...b);
  } finally {
    await source.close();
  }
  return frames;
}
