import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { arrayMembersText, SpilledArray } from './json-spill.js';
import { OutputClosed } from './stdout.js';
import { JsonBytes } from '../correlate/json-bytes.js';

/**
 * Buffers text and writes it in large pieces, waiting for 'drain' so that a slow reader (a pager,
 * `| head`) holds the producer back instead of the process buffering the whole output in memory.
 */
export class BufferedOutput {
  private parts: string[] = [];
  private size = 0;
  private closed = false;

  constructor(
    private readonly stream: Writable,
    private readonly flushAt = 1 << 16,
  ) {
    // A reader that goes away (`read ... | head`) is not an error of ours: stop writing quietly.
    // Other write errors stop the writing too; for stdout, main's watchStdout reports them.
    stream.on('error', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async line(text: string): Promise<void> {
    if (this.push(text)) await this.flush();
  }

  /**
   * Adds a line without waiting: true when the buffer is full and the caller should await flush().
   * For loops that print a line per frame, where an await per line costs more than the printing.
   */
  push(text: string): boolean {
    this.parts.push(text, '\n');
    this.size += text.length + 1;
    return this.size >= this.flushAt;
  }

  async flush(): Promise<void> {
    if (this.size === 0 || this.closed) {
      this.parts = [];
      this.size = 0;
      return;
    }
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('error', done);
        this.stream.once('close', done);
      });
    }
  }
}

/** Members of a top-level array serialised in one JSON.stringify call. */
export const ARRAY_SLICE = 512;

/**
 * Writes a JSON object exactly as `JSON.stringify(doc, null, 2)` followed by a newline, a member at
 * a time and the members of its arrays a slice at a time, so that a document of millions of journeys
 * never exists as one string (V8 caps a string at about 512 MiB) and can be written while the
 * analysis that makes it runs: an array opened with openArray() takes members as they come.
 */
export class JsonDocumentWriter {
  private readonly out = new JsonBytes();
  private members = 0;
  /** The array being streamed: members waiting to be serialised, and whether any was written. */
  private slice: unknown[] = [];
  private open: { any: boolean } | undefined;

  constructor(
    private readonly write: (chunk: string | Buffer) => Promise<void>,
    private readonly flushAt = 1 << 20,
  ) {}

  private emit(s: string): void {
    this.out.text(s);
  }

  /** Writes what has gathered, when enough has (or `all`). */
  async flush(all = true): Promise<void> {
    if (this.out.length === 0 || (!all && this.out.length < this.flushAt)) return;
    await this.write(this.out.take());
  }

  private key(key: string): void {
    if (this.open) throw new Error(`JSON member "${key}" written while an array is open`);
    this.emit(this.members++ === 0 ? '{\n' : ',\n');
    this.emit(`  ${JSON.stringify(key)}: `);
  }

  /** One member; undefined values, functions and symbols are left out, as JSON.stringify does. */
  async member(key: string, value: unknown): Promise<void> {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
    if (Array.isArray(value)) {
      // The same as an array whose members come one by one, written a slice at a time.
      this.openArray(key);
      for (const v of value) {
        this.push(v);
        if (this.slice.length === 0) await this.flush(false);
      }
      this.closeArray();
      await this.flush(false);
      return;
    }
    this.key(key);
    if (value instanceof SpilledArray) {
      if (value.spill.count === 0) this.emit('[]');
      else {
        this.emit('[\n');
        await this.flush();
        for await (const text of value.spill.text(value.patch)) await this.write(text);
        this.emit('\n  ]');
      }
    } else {
      this.emit((JSON.stringify(value, null, 2) ?? 'null').replaceAll('\n', '\n  '));
    }
    await this.flush(false);
  }

  /** Opens an array member whose values come one by one (push), until closeArray(). */
  openArray(key: string): void {
    this.key(key);
    this.open = { any: false };
  }

  /** Adds a value to the open array; await flush(false) now and then to write what gathered. */
  push(value: unknown): void {
    this.slice.push(value);
    if (this.slice.length >= ARRAY_SLICE) this.serialiseSlice();
  }

  /**
   * Where the open array's next member is to be written by its caller, as it prints there (from
   * its indentation to its closing brace, journey-json.ts): for members that serialise themselves.
   */
  nextMember(): JsonBytes {
    if (!this.open) throw new Error('an array member written while no array is open');
    this.serialiseSlice();
    this.out.ascii(this.open.any ? ',\n' : '[\n');
    this.open.any = true;
    return this.out;
  }

  private serialiseSlice(): void {
    if (this.slice.length === 0 || !this.open) return;
    this.emit(this.open.any ? ',\n' : '[\n');
    this.open.any = true;
    this.emit(arrayMembersText(this.slice));
    this.slice = [];
  }

  closeArray(): void {
    this.serialiseSlice();
    if (!this.open) return;
    this.emit(this.open.any ? '\n  ]' : '[]');
    this.open = undefined;
  }

  /** Closes the object and writes everything. */
  async end(): Promise<void> {
    this.closeArray();
    this.emit(this.members === 0 ? '{}\n' : '\n}\n');
    await this.flush();
  }
}

/** Writes `doc` exactly as `JSON.stringify(doc, null, 2)` followed by a newline, a piece at a time (JsonDocumentWriter). */
export async function writeJsonDocument(doc: object, write: (chunk: string | Buffer) => Promise<void>, flushAt = 1 << 20): Promise<void> {
  const out = new JsonDocumentWriter(write, flushAt);
  for (const [key, value] of Object.entries(doc)) await out.member(key, value);
  await out.end();
}

/** A `write` for writeJsonDocument to an open file: writeFile writes the whole chunk at the handle's position, where one write() may write less. */
export function fileWriter(handle: FileHandle): (chunk: string | Buffer) => Promise<void> {
  return (chunk) => handle.writeFile(chunk);
}

/**
 * A `write` for writeJsonDocument that honours back-pressure on a stream (stdout). Once the reader
 * has gone (EPIPE) every write rejects with OutputClosed, which stops the analysis that feeds it.
 */
export function streamWriter(stream: Writable): (chunk: string | Buffer) => Promise<void> {
  let gone = false;
  return (chunk) =>
    new Promise<void>((resolve, reject) => {
      if (gone || stream.destroyed) {
        gone = true;
        reject(new OutputClosed());
        return;
      }
      stream.write(chunk, (err?: NodeJS.ErrnoException | null) => {
        if (!err) resolve();
        else if (err.code === 'EPIPE' || stream.destroyed) {
          gone = true;
          reject(new OutputClosed());
        } else reject(err);
      });
    });
}
