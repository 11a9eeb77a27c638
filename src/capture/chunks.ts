import type { FileHandle } from 'node:fs/promises';

export const DEFAULT_CHUNK_SIZE = 1 << 20;

/**
 * A window over a file read in chunks. Parsers look at `buf[pos..end)` and hand out subarray views
 * of it; a chunk is never written again below `end`, so those views stay valid after the window moves
 * on. When a record does not fit in what is left of the chunk, a fresh chunk is allocated and only the
 * unparsed tail is carried over (a partial record: small), so memory is about one chunk plus whatever
 * frames the consumer still holds.
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

  constructor(
    private readonly handle: FileHandle,
    private readonly chunkSize: number = DEFAULT_CHUNK_SIZE,
  ) {
    this.buf = new Uint8Array(0);
    this.view = new DataView(this.buf.buffer);
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
      if (this.pos + need > this.buf.length) this.carryOver(need);
      const { bytesRead } = await this.handle.read(this.buf, this.end, this.buf.length - this.end, this.base + this.end);
      if (bytesRead === 0) this.eof = true;
      this.end += bytesRead;
    }
    return true;
  }

  private carryOver(need: number): void {
    const rest = this.end - this.pos;
    const next = new Uint8Array(Math.max(this.chunkSize, need));
    next.set(this.buf.subarray(this.pos, this.end), 0);
    this.base += this.pos;
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.pos = 0;
    this.end = rest;
  }
}
