import type { FileHandle } from 'node:fs/promises';

export const DEFAULT_CHUNK_SIZE = 2 << 20;

/**
 * Room kept in front of each chunk for the unparsed tail of the previous one (a partial record), so
 * that carrying it over is a small copy into the same buffer rather than a new allocation.
 */
const HEADROOM = 1 << 16;

/** Spare chunks kept for reading into: the ones a merge frees between two reads are few. */
const MAX_SPARE = 4;

interface Prefetch {
  buf: Uint8Array;
  /** File offset of `buf[HEADROOM]`. */
  at: number;
  bytes: number;
  error?: unknown;
}

/**
 * A window over a file read in chunks. Parsers look at `buf[pos..end)` and hand out subarray views
 * of it; a chunk is never written again below `end`, so those views stay valid after the window moves
 * on. The next chunk is always being read while the current one is parsed (the read runs in libuv's
 * thread pool), so parsing seldom waits for the disk. When a record does not fit in what is left of
 * the chunk, only the unparsed tail is carried over into the next one (a partial record: small), so
 * memory is about two chunks plus whatever frames the consumer still holds.
 */
export class ChunkSource {
  buf: Uint8Array;
  view: DataView;
  /** Parse position in `buf`. */
  pos = 0;
  /** End of the valid bytes in `buf`. */
  end = 0;
  /** File offset of `buf[0]`. */
  base = 0;
  eof = false;
  private pending: Promise<Prefetch>;
  /**
   * Chunks whose frames no one looks at any more (recycle()), read into again instead of allocating:
   * a chunk left to the collector is external memory V8 frees only after tens of megabytes of them.
   */
  private readonly spare: Uint8Array[] = [];
  /** The current chunk was handed back while still being parsed: spare once the window moves on. */
  private currentDone = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly chunkSize: number = DEFAULT_CHUNK_SIZE,
  ) {
    this.buf = new Uint8Array(0);
    this.view = new DataView(this.buf.buffer);
    this.pending = this.prefetch(0, chunkSize);
  }

  get available(): number {
    return this.end - this.pos;
  }

  /** File offset of the parse position. */
  get offset(): number {
    return this.base + this.pos;
  }

  /**
   * Makes at least `need` bytes available from `pos`. False when the file ends first (then whatever
   * the file still had is available).
   */
  async fill(need: number): Promise<boolean> {
    while (this.end - this.pos < need) {
      if (this.eof) return false;
      await this.next(need);
    }
    return true;
  }

  /** Waits for any read still in flight, so that the handle can be closed under no one. */
  async settle(): Promise<void> {
    await this.pending;
  }

  /**
   * The frames (views) of this chunk are no longer looked at: its memory may be read into again.
   * Only whole standard chunks are kept; anything else is left to the collector.
   */
  recycle(chunk: ArrayBufferLike): void {
    if (chunk === this.buf.buffer) this.currentDone = true;
    else this.keepSpare(chunk);
  }

  private keepSpare(chunk: ArrayBufferLike): void {
    if (chunk.byteLength !== HEADROOM + this.chunkSize || this.spare.length >= MAX_SPARE) return;
    if (this.spare.some((b) => b.buffer === chunk)) return;
    this.spare.push(new Uint8Array(chunk, 0, chunk.byteLength));
  }

  private prefetch(at: number, size: number): Promise<Prefetch> {
    // Not zero-filled: every byte is read from the file before any parser looks at it.
    const n = HEADROOM + size;
    const buf = (n === HEADROOM + this.chunkSize ? this.spare.pop() : undefined) ?? new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
    return this.handle.read(buf, HEADROOM, size, at).then(
      ({ bytesRead }) => ({ buf, at, bytes: bytesRead }),
      (error: unknown) => ({ buf, at, bytes: 0, error }),
    );
  }

  private async next(need: number): Promise<void> {
    const p = await this.pending;
    if (p.error !== undefined) {
      this.pending = Promise.resolve({ ...p, error: undefined });
      throw p.error;
    }
    if (p.bytes === 0) {
      this.eof = true;
      this.pending = Promise.resolve(p);
      return;
    }
    const rest = this.end - this.pos;
    let next: Uint8Array;
    let start: number;
    if (rest <= HEADROOM) {
      next = p.buf;
      start = HEADROOM - rest;
      next.set(this.buf.subarray(this.pos, this.end), start);
    } else {
      next = new Uint8Array(rest + p.bytes);
      start = 0;
      next.set(this.buf.subarray(this.pos, this.end), 0);
      next.set(p.buf.subarray(HEADROOM, HEADROOM + p.bytes), rest);
      // Nothing was parsed from the chunk just read: it is all copied into `next`.
      this.keepSpare(p.buf.buffer);
    }
    this.base = p.at - rest - start;
    const old = this.buf;
    this.buf = next;
    // Its unparsed tail is copied out above, so a chunk handed back while current is free now.
    if (this.currentDone) {
      this.currentDone = false;
      this.keepSpare(old.buffer);
    }
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.pos = start;
    this.end = start + rest + p.bytes;
    // A record longer than a chunk is read in one go rather than chunk by chunk.
    const stillNeeded = need - (this.end - this.pos);
    this.pending = this.prefetch(p.at + p.bytes, Math.max(this.chunkSize, stillNeeded));
  }
}
