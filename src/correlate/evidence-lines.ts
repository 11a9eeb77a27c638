/**
 * Evidence lines (the `read` line a report cites beside `file#frame`) made once it is known which
 * frames are cited. Printing a line for every frame as it is read cost a report of a million
 * frames about a third of its time, and kept a line in memory for every journey waiting for its
 * answer, when a report tells a few thousand. The Observer (evidenceLines 'later') keeps instead
 * what printing later needs: the relative TCP numbers tcpdump's state gave the segment then.
 */
import { openCapture } from '../capture/index.js';
import { CaptureError } from '../capture/errors.js';
import { decodePacket } from '../decode/packet.js';
import { formatFrameLine } from '../decode/tcpdump/line.js';
import { RecordedRelation } from '../decode/tcpdump/transport.js';
import type { Observation } from './observation.js';
import { flatText } from './observe.js';

/** Makes the line of every observation given whose line was left for later, reading its file again. */
export async function fillEvidenceLines(observations: Iterable<Observation>): Promise<void> {
  const byFile = new Map<string, Map<number, Observation[]>>();
  for (const o of observations) {
    if (o.deferredLine === undefined) continue;
    let frames = byFile.get(o.file);
    if (!frames) byFile.set(o.file, (frames = new Map()));
    const same = frames.get(o.frame);
    if (same) same.push(o);
    else frames.set(o.frame, [o]);
  }
  for (const [file, frames] of byFile) await fillFrom(file, frames);
}

async function fillFrom(file: string, frames: Map<number, Observation[]>): Promise<void> {
  let last = 0;
  for (const n of frames.keys()) if (n > last) last = n;
  const reader = await openCapture(file);
  try {
    for await (const batch of reader.batches()) {
      let chunk: ArrayBufferLike | undefined;
      for (const frame of batch) {
        // Each chunk handed back once its frames are looked at, to be read into again (the reader
        // keeps the one it still parses until it moves on): left to the collector, the chunks of a
        // file read again to its end were 30 MB of external memory at the end of a report.
        if (frame.data.buffer !== chunk) {
          if (chunk !== undefined) reader.recycle(chunk);
          chunk = frame.data.buffer;
        }
        const wanted = frames.get(frame.number);
        if (!wanted) continue;
        const pkt = decodePacket(frame.data, frame.iface.linktype);
        for (const o of wanted) {
          if (o.tsSec !== frame.tsSec || o.tsNsec !== frame.tsNsec) {
            throw new CaptureError(file, frame.fileOffset, `frame ${frame.number} is not the frame read before (its time differs): the file changed during the analysis`);
          }
          if (o.deferredLine === undefined) continue;
          o.line = flatText(formatFrameLine(frame, pkt, { tcpState: new RecordedRelation(o.deferredLine === false ? undefined : o.deferredLine) }));
          o.deferredLine = undefined;
        }
      }
      if (chunk !== undefined) reader.recycle(chunk);
      // The frames after the last one cited are not read: a damaged end stays unread too.
      if (batch.length > 0 && batch[batch.length - 1].number >= last) return;
    }
  } finally {
    await reader.close();
  }
}
