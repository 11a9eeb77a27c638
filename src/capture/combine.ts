import type { CaptureInterface, Frame } from './frame.js';
import { compareFrameTime, frameTimeNs } from './frame.js';
import { writePcapng, type PcapngWriteOptions, type WriterFrame, type WriterInterface } from './pcapng-writer.js';
import { openCapture } from './reader.js';

/** One capture to copy into the combined file, and what its interfaces are called there. */
export interface CombineInput {
  path: string;
  /** The interface's name in the combined file, from its name in this one (default: unchanged). */
  rename?: (name: string) => string;
}

export interface CombinedCapture {
  /** Interface names of the written file, in IDB order. */
  interfaces: string[];
  packets: number;
}

/**
 * Writes several captures (pcap or pcapng) as one pcapng section: every interface of every input in
 * input then file order, renamed, described with the options its IDB had; then every frame with its
 * direction and comments, in nanoseconds, in timestamp order. The order is a stable sort of all frames
 * (equal times keep input order, then file order), not mergeCaptures: that keeps each interface in
 * file order, and dumpcap and tcpdump write what several CPUs timestamped, now and then out of time
 * order on one interface. So whole inputs are held in memory (unlike the readers, whose memory stays
 * flat): this is for recordings, not for captures of any size.
 * A damaged input throws its CaptureError (file, byte offset, reason) and writes nothing.
 */
export async function combineCaptures(inputs: readonly CombineInput[], output: string, options: PcapngWriteOptions = {}): Promise<CombinedCapture> {
  const interfaces: WriterInterface[] = [];
  const frames: { frame: Frame; iface: number; tsNs: bigint }[] = [];
  for (const input of inputs) {
    const reader = await openCapture(input.path);
    try {
      const base = interfaces.length;
      for await (const batch of reader.batches()) for (const frame of batch) frames.push({ frame, iface: base + frame.iface.index, tsNs: frameTimeNs(frame) });
      // Interfaces of later sections are known only once the file has been read.
      for (const i of reader.info.interfaces) interfaces.push(describe(i, input.rename));
    } finally {
      await reader.close();
    }
  }
  frames.sort((a, b) => compareFrameTime(a.frame, b.frame));
  const written = frames.map(({ frame, iface, tsNs }): WriterFrame => ({
    iface,
    tsNs,
    data: frame.data,
    origLen: frame.origLen,
    direction: frame.direction,
    comments: frame.comments,
  }));
  await writePcapng(output, interfaces, written, options);
  return { interfaces: interfaces.map((i) => i.name), packets: written.length };
}

/** The interface as the writer should describe it again: the timestamps are already nanoseconds. */
function describe(i: CaptureInterface, rename: ((name: string) => string) | undefined): WriterInterface {
  // if_description is among the kept options, in its place in the IDB; `description` would move it.
  return { name: rename === undefined ? i.name : rename(i.name), linktype: i.linktype, snaplen: i.snaplen, options: i.options };
}
