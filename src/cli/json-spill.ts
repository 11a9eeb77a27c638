import { readSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8Chunk } from './utf8-chunk.js';

/** Serialised text written to the file once this many bytes have gathered. */
const WRITE_AT = 1 << 20;
const READ_CHUNK = 1 << 20;
/** Ids read back at a time: a block's members (about 600 bytes each for flows) are held at once. */
const ID_BLOCK = 8192;
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
    this.pendingBytes += bytes;
    this.count++;
  }

  /** Writes what has gathered, when enough has (or `all`). */
  async drain(all = false): Promise<void> {
    if (this.pendingBytes === 0 || (!all && this.pendingBytes < WRITE_AT)) return;
    const buf = utf8Chunk(this.parts, this.pendingBytes);
    this.parts = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.handle.write(buf, off, buf.length - off, this.written);
      off += bytesWritten;
      this.written += bytesWritten;
    }
  }

  /**
   * The serialised members in id order, `separator` between them (a comma for an array's members);
   * `patch` may rewrite a member's text.
   * Members finish in any order (a flow ends when it goes quiet), so ids are taken a block at a time
   * and read in file order, nearby members in one read: one read per member, or a window that a
   * member far ahead throws away, cost seconds on a million-frame capture.
   */
  async *text(patch?: (id: number, text: string) => string, separator = ',\n'): AsyncGenerator<Buffer> {
    await this.drain(true);
    const comma = Buffer.from(separator);
    let first = true;
    for (let start = 1; start <= this.maxId; start += ID_BLOCK) {
      const end = Math.min(this.maxId, start + ID_BLOCK - 1);
      const ids: number[] = [];
      for (let id = start; id <= end; id++) if (this.lengths[id] > 0) ids.push(id);
      ids.sort((a, b) => this.offsets[a] - this.offsets[b]);
      const texts = new Map<number, Buffer>();
      for (let i = 0; i < ids.length; ) {
        const from = this.offsets[ids[i]];
        let to = from + this.lengths[ids[i]];
        let j = i + 1;
        // Take the next member into the same read while the gap to it is small.
        while (j < ids.length && this.offsets[ids[j]] - to <= READ_GAP && this.offsets[ids[j]] + this.lengths[ids[j]] - from <= READ_CHUNK) {
          to = Math.max(to, this.offsets[ids[j]] + this.lengths[ids[j]]);
          j++;
        }
        const buf = Buffer.allocUnsafe(to - from);
        const n = readSync(this.handle.fd, buf, 0, buf.length, from);
        if (n < buf.length) throw new Error(`the scratch file ended at byte ${from + n} of ${this.written}`);
        for (let k = i; k < j; k++) {
          const at = this.offsets[ids[k]] - from;
          texts.set(ids[k], buf.subarray(at, at + this.lengths[ids[k]]));
        }
        i = j;
      }
      const out: Buffer[] = [];
      for (let id = start; id <= end; id++) {
        let member = texts.get(id);
        if (member === undefined) continue;
        if (patch) {
          const text = member.toString('utf8');
          const patched = patch(id, text);
          if (patched !== text) member = Buffer.from(patched, 'utf8');
        }
        if (!first) out.push(comma);
        first = false;
        out.push(member);
      }
      if (out.length > 0) yield Buffer.concat(out);
    }
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
