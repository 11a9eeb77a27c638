import type { Frame } from './frame.js';
import type { CaptureReader } from './reader.js';

export interface MergeOptions {
  /**
   * How much chunk memory one reader may hold in frames not yet merged while it reads ahead looking
   * for the next frame of a quiet interface (default 32 MiB). Within that window the order is exact;
   * beyond it the quiet interface is assumed to have nothing earlier.
   */
  reorderBytes?: number;
  /**
   * How far each reader's clock runs ahead of the first's, in nanoseconds (by reader index, missing:
   * 0): frames are merged in corrected time, their timestamps left as captured.
   */
  clockOffsetNs?: readonly number[];
  /**
   * The consumer is done with a batch's frames when it asks for the next batch (it copies what it
   * keeps): the chunks those frames came from are handed back to their readers to be read into
   * again, instead of being left to the collector as external memory.
   */
  recycle?: boolean;
}

const DEFAULT_REORDER_BYTES = 32 * 1024 * 1024;
const BATCH = 4096;

/** The frames of one interface of one file, in file order, waiting to be merged. */
interface Queue {
  source: Source;
  frames: Frame[];
  head: number;
}

interface Source {
  order: number;
  /** The clock offset as whole seconds and nanoseconds (0..1e9): subtracted when frames are compared. */
  offsetSec: number;
  offsetNsec: number;
  reader: CaptureReader;
  batches: AsyncGenerator<Frame[]>;
  queues: Queue[];
  /** Queues with no frame waiting: while one exists, the next frame of the file could come first. */
  empty: number;
  /** Chunks referenced by waiting frames, and how many frames reference each. */
  pinned: Map<ArrayBufferLike, number>;
  pinnedBytes: number;
  /** Chunks with no frame waiting any more, handed back once the batch their last frames went out in is done. */
  freed: ArrayBufferLike[] | undefined;
  done: boolean;
  error?: unknown;
}

/**
 * Merges the frames of several captures into one stream in timestamp order. Every interface of every
 * file has its own queue, because a single pcapng is not in time order (dumpcap writes each
 * interface's packets in buffered runs); the queues' heads meet in a heap. A reader is only asked for
 * more when one of its queues runs dry, so memory follows the reorder window, not the file sizes, and a
 * slow consumer slows the reading. Equal times keep file order, then frame number.
 *
 * A reader that fails is merged up to its damage like the others; once every frame that was read has
 * been yielded, the first failure (in reader order) is thrown. The readers are not closed here.
 */
export async function* mergeCaptures(readers: CaptureReader[], options: MergeOptions = {}): AsyncGenerator<Frame[]> {
  const limit = options.reorderBytes ?? DEFAULT_REORDER_BYTES;
  const sources: Source[] = readers.map((reader, order) => ({
    order,
    ...splitOffset(options.clockOffsetNs?.[order] ?? 0),
    reader,
    batches: reader.batches(),
    queues: [],
    empty: 0,
    pinned: new Map(),
    pinnedBytes: 0,
    freed: options.recycle === true ? [] : undefined,
    done: false,
  }));
  const heap = new QueueHeap();
  for (const s of sources) addInterfaces(s);

  try {
    yield* merged(sources, heap, limit);
  } finally {
    // A consumer that stops early leaves the readers' generators suspended; end them.
    for (const s of sources) if (!s.done) await s.batches.return(undefined);
  }
}

async function* merged(sources: Source[], heap: QueueHeap, limit: number): AsyncGenerator<Frame[]> {
  // A file that has described no interface yet (an EPB before any IDB, or an empty section) has no
  // queue to wait on, but must still be read: its damage, or its later interfaces, are in what follows.
  const ready = (s: Source): boolean => s.done || (s.queues.length > 0 && s.empty === 0) || s.pinnedBytes >= limit;
  let out: Frame[] = [];
  for (;;) {
    // Indexed: this runs once a frame, and an iterator here was 78 bytes of garbage a frame.
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i];
      while (!ready(s)) await pull(s, heap);
    }
    const q = heap.peek();
    if (q === undefined) break;
    const s = q.source;
    const frame = q.frames[q.head];
    // Let go of the frame here, or its chunk stays referenced until the queue is compacted.
    q.frames[q.head] = undefined as unknown as Frame;
    q.head++;
    if (q.head === q.frames.length) {
      q.frames = [];
      q.head = 0;
      s.empty++;
      heap.pop();
    } else {
      if (q.head >= 1024 && q.head * 2 >= q.frames.length) {
        q.frames = q.frames.slice(q.head);
        q.head = 0;
      }
      heap.siftDown(0);
    }
    unpin(s, frame);
    out.push(frame);
    if (out.length >= BATCH || (!ready(s) && out.length > 0)) {
      yield out;
      out = [];
      for (const source of sources) recycle(source);
    }
  }
  if (out.length > 0) yield out;
  const failed = sources.find((s) => s.error !== undefined);
  if (failed !== undefined) throw failed.error;
}

function addInterfaces(s: Source): void {
  // Interfaces described so far may still have frames to come that are earlier than any waiting one.
  while (s.queues.length < s.reader.info.interfaces.length) {
    s.queues.push({ source: s, frames: [], head: 0 });
    s.empty++;
  }
}

async function pull(s: Source, heap: QueueHeap): Promise<void> {
  let batch: Frame[];
  try {
    const next = await s.batches.next();
    if (next.done === true) {
      s.done = true;
      return;
    }
    batch = next.value;
  } catch (err) {
    s.done = true;
    s.error = err;
    return;
  }
  addInterfaces(s);
  for (const frame of batch) {
    const index = frame.iface.index;
    while (s.queues.length <= index) {
      s.queues.push({ source: s, frames: [], head: 0 });
      s.empty++;
    }
    const q = s.queues[index];
    if (q.frames.length === q.head) {
      s.empty--;
      q.frames.push(frame);
      heap.push(q);
    } else {
      q.frames.push(frame);
    }
    pin(s, frame);
  }
}

function pin(s: Source, frame: Frame): void {
  const chunk = frame.data.buffer;
  const n = s.pinned.get(chunk);
  if (n === undefined) {
    s.pinned.set(chunk, 1);
    s.pinnedBytes += chunk.byteLength;
  } else {
    s.pinned.set(chunk, n + 1);
  }
}

function unpin(s: Source, frame: Frame): void {
  const chunk = frame.data.buffer;
  const n = s.pinned.get(chunk) ?? 1;
  if (n <= 1) {
    s.pinned.delete(chunk);
    s.pinnedBytes -= chunk.byteLength;
    s.freed?.push(chunk);
  } else {
    s.pinned.set(chunk, n - 1);
  }
}

function recycle(s: Source): void {
  const freed = s.freed;
  if (freed === undefined || freed.length === 0) return;
  // A chunk pinned again since (its reader had not moved past it) still has frames waiting.
  for (const chunk of freed) if (!s.pinned.has(chunk)) s.reader.recycle(chunk);
  freed.length = 0;
}

function splitOffset(ns: number): { offsetSec: number; offsetNsec: number } {
  const offsetSec = Math.floor(ns / 1e9);
  return { offsetSec, offsetNsec: Math.round(ns - offsetSec * 1e9) };
}

function before(a: Queue, b: Queue): boolean {
  const fa = a.frames[a.head];
  const fb = b.frames[b.head];
  // Corrected time: seconds and nanoseconds apart, as a sum would lose nanoseconds past 2^53.
  let secA = fa.tsSec - a.source.offsetSec;
  let nsA = fa.tsNsec - a.source.offsetNsec;
  if (nsA < 0) {
    secA--;
    nsA += 1e9;
  }
  let secB = fb.tsSec - b.source.offsetSec;
  let nsB = fb.tsNsec - b.source.offsetNsec;
  if (nsB < 0) {
    secB--;
    nsB += 1e9;
  }
  if (secA !== secB) return secA < secB;
  if (nsA !== nsB) return nsA < nsB;
  if (a.source.order !== b.source.order) return a.source.order < b.source.order;
  return fa.number < fb.number;
}

/** A binary min-heap of non-empty queues ordered by their head frames. */
class QueueHeap {
  private readonly items: Queue[] = [];

  peek(): Queue | undefined {
    return this.items[0];
  }

  push(q: Queue): void {
    const items = this.items;
    items.push(q);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): void {
    const items = this.items;
    const last = items.pop();
    if (last !== undefined && items.length > 0) {
      items[0] = last;
      this.siftDown(0);
    }
  }

  siftDown(start: number): void {
    const items = this.items;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l], items[m])) m = l;
      if (r < items.length && before(items[r], items[m])) m = r;
      if (m === i) return;
      [items[i], items[m]] = [items[m], items[i]];
      i = m;
    }
  }
}
