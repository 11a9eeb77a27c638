import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Journey } from '../correlate/model.js';

/** Journeys serialised in one JSON.stringify call. */
const SLICE = 512;
/** Serialised text written to the file once this much has gathered. */
const WRITE_AT = 1 << 20;
const READ_CHUNK = 1 << 20;

/**
 * The journeys of a streamed analysis, serialised as they are finished into a file nobody else can
 * see (unlinked as soon as it is open, so that no exit, however abrupt, leaves it behind), and read
 * back when the document is written: the document puts its journeys before the flows and findings
 * that are only known at the end, and memory is not where a million journeys should wait.
 */
export class JourneySpill {
  private slice: Journey[] = [];
  private parts: string[] = [];
  private pending = 0;
  private written = 0;
  count = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async create(): Promise<JourneySpill> {
    const dir = await mkdtemp(join(tmpdir(), 'pcap-narrator-'));
    try {
      const handle = await open(join(dir, 'journeys.json'), 'w+');
      return new JourneySpill(handle);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  add(j: Journey): void {
    this.slice.push(j);
    this.count++;
    if (this.slice.length >= SLICE) this.serialise();
  }

  /**
   * The members' text exactly as `JSON.stringify` of the whole document with two-space indentation
   * prints them inside its `journeys` array: a slice wrapped as that member serialises with the
   * document's own indentation, and only the wrapper's first and last lines are cut off.
   */
  private serialise(): void {
    if (this.slice.length === 0) return;
    const head = '{\n  "journeys": [\n';
    const tail = '\n  ]\n}';
    const text = JSON.stringify({ journeys: this.slice }, null, 2);
    this.slice = [];
    const body = text.slice(head.length, text.length - tail.length);
    const piece = this.written + this.pending > 0 ? `,\n${body}` : body;
    this.parts.push(piece);
    this.pending += piece.length;
  }

  /** Writes what has gathered, when enough has (or `all`). */
  async drain(all = false): Promise<void> {
    if (all) this.serialise();
    if (this.pending === 0 || (!all && this.pending < WRITE_AT)) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.handle.write(buf, off, buf.length - off, this.written);
      off += bytesWritten;
      this.written += bytesWritten;
    }
  }

  /** The serialised members, in order, from the file. */
  async *text(): AsyncGenerator<Buffer> {
    await this.drain(true);
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (let pos = 0; pos < this.written; ) {
      const { bytesRead } = await this.handle.read(buf, 0, Math.min(READ_CHUNK, this.written - pos), pos);
      if (bytesRead === 0) throw new Error(`the journeys' scratch file ended at byte ${pos} of ${this.written}`);
      pos += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** An array of a document whose members are written from a spill rather than serialised in place. */
export class SpilledArray {
  constructor(readonly spill: JourneySpill) {}
}
