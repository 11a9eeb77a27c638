import { readSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Serialised text written to the file once this much has gathered. */
const WRITE_AT = 1 << 20;
const READ_CHUNK = 1 << 20;

/**
 * Members of one of the document's top-level arrays that finish in any order (flows, NAT bindings)
 * and are written in the order of their ids: serialised as they finish into a file nobody else can
 * see (unlinked as soon as it is open, so that no exit, however abrupt, leaves it behind), and read
 * back when the document is written, rather than held in memory to the end.
 */
export class JsonSpill {
  private parts: string[] = [];
  private pending = 0;
  private written = 0;
  /** Indexed members: where each id's text starts in the file, and its length (0: none). */
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private maxId = 0;
  /** Bytes (not characters) of the indexed text waiting to be written, for the offsets. */
  private pendingBytes = 0;
  count = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async create(): Promise<JsonSpill> {
    const dir = await mkdtemp(join(tmpdir(), 'pcap-narrator-'));
    try {
      return new JsonSpill(await open(join(dir, 'members.json'), 'w+'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Adds a member that comes out in the order of `id` (a positive integer, each once). */
  addWithId(id: number, value: unknown): void {
    const text = arrayMembersText([value]);
    if (id >= this.offsets.length) {
      let n = this.offsets.length;
      while (n <= id) n *= 2;
      const offsets = new Float64Array(n);
      offsets.set(this.offsets);
      const lengths = new Uint32Array(n);
      lengths.set(this.lengths);
      this.offsets = offsets;
      this.lengths = lengths;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    this.offsets[id] = this.written + this.pendingBytes;
    this.lengths[id] = bytes;
    if (id > this.maxId) this.maxId = id;
    this.parts.push(text);
    this.pending += text.length;
    this.pendingBytes += bytes;
    this.count++;
  }

  /** Writes what has gathered, when enough has (or `all`). */
  async drain(all = false): Promise<void> {
    if (this.pending === 0 || (!all && this.pending < WRITE_AT)) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    this.pendingBytes = 0;
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.handle.write(buf, off, buf.length - off, this.written);
      off += bytesWritten;
      this.written += bytesWritten;
    }
  }

  /** The serialised members in id order, comma-separated; `patch` may rewrite a member's text. */
  async *text(patch?: (id: number, text: string) => string): AsyncGenerator<Buffer> {
    await this.drain(true);
    // Members finish roughly in id order: one read ahead serves many of them.
    let window = Buffer.alloc(0);
    let windowStart = 0;
    let out: Buffer[] = [];
    let outBytes = 0;
    let first = true;
    for (let id = 1; id <= this.maxId; id++) {
      const length = this.lengths[id];
      if (length === 0) continue;
      const offset = this.offsets[id];
      if (offset < windowStart || offset + length > windowStart + window.length) {
        window = Buffer.allocUnsafe(Math.max(READ_CHUNK, length));
        const n = readSync(this.handle.fd, window, 0, Math.min(window.length, this.written - offset), offset);
        if (n < length) throw new Error(`the scratch file ended at byte ${offset + n} of ${this.written}`);
        window = window.subarray(0, n);
        windowStart = offset;
      }
      let member = window.subarray(offset - windowStart, offset - windowStart + length);
      if (patch) {
        const text = member.toString('utf8');
        const patched = patch(id, text);
        if (patched !== text) member = Buffer.from(patched, 'utf8');
      }
      const piece = first ? member : Buffer.concat([Buffer.from(',\n'), member]);
      first = false;
      out.push(Buffer.from(piece));
      outBytes += piece.length;
      if (outBytes >= READ_CHUNK) {
        yield Buffer.concat(out);
        out = [];
        outBytes = 0;
      }
    }
    if (out.length > 0) yield Buffer.concat(out);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Members of a top-level array as they print inside a document indented by two spaces: a slice
 * wrapped as such a member serialises with the document's own indentation, and only the wrapper's
 * first and last lines are cut off, no line is re-indented.
 */
export function arrayMembersText(values: readonly unknown[]): string {
  const head = '{\n  "m": [\n';
  const tail = '\n  ]\n}';
  const text = JSON.stringify({ m: values }, null, 2);
  return text.slice(head.length, text.length - tail.length);
}

/**
 * An array of a document whose members are written from a spill rather than serialised in place;
 * `patch` rewrites an indexed member on the way (a value learnt after it was spilled).
 */
export class SpilledArray {
  constructor(
    readonly spill: JsonSpill,
    readonly patch?: (id: number, text: string) => string,
  ) {}
}
