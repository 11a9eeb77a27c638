import { readSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8Chunk } from './utf8-chunk.js';

/** Serialised text written to the file once this many bytes have gathered. */
const WRITE_AT = 1 << 20;
const READ_CHUNK = 1 << 20;
/** Ids read back at a time: a block's members (about 600 bytes each for flows) are held at once. */
const ID_BLOCK = 2048;
/** Members this close together in the file are read in one read, the bytes between thrown away. */
const READ_GAP = 4096;

/**
 * Members of one of the document's top-level arrays that finish in any order (flows, NAT bindings)
 * and are written in the order of their ids: serialised as they finish into a file nobody else can
 * see (unlinked as soon as it is open, so that no exit, however abrupt, leaves it behind), and read
 * back when the document is written, rather than held in memory to the end.
 */
export class JsonSpill {
  private parts: string[] = [];
  /** What drain() encodes into, kept from one to the next (see text()). */
  private scratch = Buffer.allocUnsafe(0);
  /** The UTF-8 length of each of `parts`. */
  private partBytes: number[] = [];
  private written = 0;
  /** Indexed members: where each id's text starts in the file, and its length (0: none). */
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private maxId = 0;
  /** Bytes (not characters) of the text waiting to be written: where the next member starts. */
  private pendingBytes = 0;
  count = 0;

  private constructor(private readonly handle: FileHandle) {}

  /** A spill in a scratch folder under `root` (the system's temporary folder), gone before this returns. */
  static async create(root: string = tmpdir()): Promise<JsonSpill> {
    const dir = await mkdtemp(join(root, 'pcap-narrator-'));
    try {
      return new JsonSpill(await open(join(dir, 'members.json'), 'w+'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Adds a member that comes out in the order of `id` (a positive integer, each once). */
  addWithId(id: number, value: unknown): void {
    this.addTextWithId(id, arrayMembersText([value]));
  }

  /** Adds a member already serialised (a line of NDJSON, say), to come out in the order of `id`. */
  addTextWithId(id: number, text: string): void {
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
    this.partBytes.push(bytes);
    this.pendingBytes += bytes;
    this.count++;
  }

  /**
   * Writes what has gathered, when enough has (or `all`), a megabyte at a time through one buffer
   * kept from call to call: the flows that all finish at the end of a capture gather many megabytes
   * at once, and a buffer of their size made for each call was external memory freed only at V8's
   * next full collection.
   */
  async drain(all = false): Promise<void> {
    if (this.pendingBytes === 0 || (!all && this.pendingBytes < WRITE_AT)) return;
    const parts = this.parts;
    const sizes = this.partBytes;
    this.parts = [];
    this.partBytes = [];
    this.pendingBytes = 0;
    for (let i = 0; i < parts.length; ) {
      let bytes = sizes[i];
      let j = i + 1;
      while (j < parts.length && bytes + sizes[j] <= WRITE_AT) bytes += sizes[j++];
      if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafe(Math.max(bytes, WRITE_AT));
      const buf = utf8Chunk(parts.slice(i, j), bytes, this.scratch);
      i = j;
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await this.handle.write(buf, off, buf.length - off, this.written);
        off += bytesWritten;
        this.written += bytesWritten;
      }
    }
  }

  /**
   * The serialised members in id order, `separator` between them (a comma for an array's members);
   * `patch` may rewrite a member's text. Each piece yielded is valid until the next is asked for:
   * the caller writes it out before it goes on (a `for await` whose body awaits the write).
   * Members finish in any order (a flow ends when it goes quiet), so ids are taken a block at a time
   * and read in file order, nearby members in one read: one read per member, or a window that a
   * member far ahead throws away, cost seconds on a million-frame capture.
   * A block's reads and its members in id order go into two buffers kept from block to block: fresh
   * ones for every block were external memory that V8 frees only at a full collection, 40 MB at the
   * end of `analyze --json` of the 1M-frame bench file, the largest part of its peak RSS.
   */
  async *text(patch?: (id: number, text: string) => string, separator = ',\n'): AsyncGenerator<Buffer> {
    await this.drain(true);
    const comma = Buffer.from(separator);
    const where = new Float64Array(ID_BLOCK);
    let read = Buffer.allocUnsafe(0);
    let out = Buffer.allocUnsafe(0);
    let first = true;
    for (let start = 1; start <= this.maxId; start += ID_BLOCK) {
      const end = Math.min(this.maxId, start + ID_BLOCK - 1);
      const ids: number[] = [];
      for (let id = start; id <= end; id++) if (this.lengths[id] > 0) ids.push(id);
      if (ids.length === 0) continue;
      ids.sort((a, b) => this.offsets[a] - this.offsets[b]);
      const runs = this.readRuns(ids);
      let total = 0;
      for (let r = 0; r < runs.length; r += 3) total += runs[r + 1] - runs[r];
      if (read.length < total) read = Buffer.allocUnsafe(Math.max(total, READ_CHUNK));
      let at = 0;
      for (let r = 0; r < runs.length; r += 3) {
        const from = runs[r];
        const n = runs[r + 1] - from;
        const got = readSync(this.handle.fd, read, at, n, from);
        if (got < n) throw new Error(`the scratch file ended at byte ${from + got} of ${this.written}`);
        for (let k = r === 0 ? 0 : runs[r - 1]; k < runs[r + 2]; k++) where[ids[k] - start] = at + this.offsets[ids[k]] - from;
        at += n;
      }
      let size = 0;
      const patched = new Map<number, Buffer>();
      for (const id of ids) {
        let n = this.lengths[id];
        if (patch) {
          const from = where[id - start];
          const text = read.toString('utf8', from, from + n);
          const p = patch(id, text);
          if (p !== text) {
            const b = Buffer.from(p, 'utf8');
            patched.set(id, b);
            n = b.length;
          }
        }
        size += n + comma.length;
      }
      if (out.length < size) out = Buffer.allocUnsafe(Math.max(size, READ_CHUNK));
      let o = 0;
      for (let id = start; id <= end; id++) {
        const n = this.lengths[id];
        if (n === 0) continue;
        if (!first) o += comma.copy(out, o);
        first = false;
        const b = patched.get(id);
        if (b !== undefined) o += b.copy(out, o);
        else o += read.copy(out, o, where[id - start], where[id - start] + n);
      }
      yield out.subarray(0, o);
    }
  }

  /**
   * The reads that fetch `ids` (sorted by where they are in the file): for each, its first and last
   * byte and the index in `ids` after its last member, three numbers a read. A member close after the
   * one before goes into the same read, the bytes between thrown away.
   */
  private readRuns(ids: readonly number[]): number[] {
    const runs: number[] = [];
    for (let i = 0; i < ids.length; ) {
      const from = this.offsets[ids[i]];
      let to = from + this.lengths[ids[i]];
      let j = i + 1;
      while (j < ids.length && this.offsets[ids[j]] - to <= READ_GAP && this.offsets[ids[j]] + this.lengths[ids[j]] - from <= READ_CHUNK) {
        to = Math.max(to, this.offsets[ids[j]] + this.lengths[ids[j]]);
        j++;
      }
      runs.push(from, to, j);
      i = j;
    }
    return runs;
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

/** Serialised members read back in order: a spill, or several one after the other. */
export interface SpilledMembers {
  readonly count: number;
  text(patch?: (id: number, text: string) => string, separator?: string): AsyncGenerator<Buffer>;
}

/**
 * Members that come in parts, each part's members in the order of their ids, one part after the
 * other (the document's findings: each part of them final at its own time).
 */
export class PartedSpill implements SpilledMembers {
  private constructor(private readonly parts: JsonSpill[]) {}

  static async create(parts: number): Promise<PartedSpill> {
    const spills: JsonSpill[] = [];
    try {
      for (let i = 0; i < parts; i++) spills.push(await JsonSpill.create());
    } catch (err) {
      await Promise.all(spills.map((s) => s.close()));
      throw err;
    }
    return new PartedSpill(spills);
  }

  get count(): number {
    return this.parts.reduce((n, p) => n + p.count, 0);
  }

  addTextWithId(part: number, id: number, text: string): void {
    this.parts[part].addTextWithId(id, text);
  }

  async drain(): Promise<void> {
    for (const p of this.parts) await p.drain();
  }

  async *text(patch?: (id: number, text: string) => string, separator = ',\n'): AsyncGenerator<Buffer> {
    let any = false;
    for (const p of this.parts) {
      if (p.count === 0) continue;
      if (any && separator !== '') yield Buffer.from(separator);
      any = true;
      yield* p.text(patch, separator);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.close()));
  }
}

/**
 * An array of a document whose members are written from a spill rather than serialised in place;
 * `patch` rewrites an indexed member on the way (a value learnt after it was spilled).
 */
export class SpilledArray {
  constructor(
    readonly spill: SpilledMembers,
    readonly patch?: (id: number, text: string) => string,
  ) {}
}
