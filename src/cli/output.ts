import type { Writable } from 'node:stream';
import { SpilledArray } from './json-spill.js';

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
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
      else throw err;
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
const ARRAY_SLICE = 512;

/**
 * Writes `doc` exactly as `JSON.stringify(doc, null, 2)` followed by a newline, but a piece at a
 * time: the members of each top-level array are serialised a slice at a time, so a document of millions of
 * journeys never exists as one string (V8 caps a string at about 512 MiB, and the copy doubles the
 * peak memory of a run). A SpilledArray's members were serialised the same way earlier and are
 * copied from their spill.
 */
export async function writeJsonDocument(doc: object, write: (chunk: string | Buffer) => Promise<void>, flushAt = 1 << 20): Promise<void> {
  let parts: string[] = [];
  let size = 0;
  const emit = (s: string): void => {
    parts.push(s);
    size += s.length;
  };
  const flush = async (): Promise<void> => {
    if (size === 0) return;
    const chunk = parts.join('');
    parts = [];
    size = 0;
    await write(chunk);
  };
  const entries = Object.entries(doc).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) {
    await write('{}\n');
    return;
  }
  emit('{\n');
  for (const [i, [key, value]] of entries.entries()) {
    emit(`  ${JSON.stringify(key)}: `);
    if (value instanceof SpilledArray) {
      if (value.spill.count === 0) emit('[]');
      else {
        emit('[\n');
        await flush();
        for await (const text of value.spill.text(value.patch)) await write(text);
        emit('\n  ]');
      }
    } else if (Array.isArray(value) && value.length > 0) {
      emit('[\n');
      // A slice wrapped as the member it is part of serialises with the document's own indentation:
      // only the wrapper's first and last lines are cut off, no line is re-indented.
      const head = `{\n  ${JSON.stringify(key)}: [\n`;
      const tail = '\n  ]\n}';
      for (let j = 0; j < value.length; j += ARRAY_SLICE) {
        const text = JSON.stringify({ [key]: value.slice(j, j + ARRAY_SLICE) }, null, 2);
        emit(text.slice(head.length, text.length - tail.length));
        emit(j + ARRAY_SLICE < value.length ? ',\n' : '\n');
        if (size >= flushAt) await flush();
      }
      emit('  ]');
    } else {
      emit((JSON.stringify(value, null, 2) ?? 'null').replaceAll('\n', '\n  '));
    }
    emit(i < entries.length - 1 ? ',\n' : '\n');
    if (size >= flushAt) await flush();
  }
  emit('}\n');
  await flush();
}

/** A `write` for writeJsonDocument that honours back-pressure on a stream (stdout). */
export function streamWriter(stream: Writable): (chunk: string | Buffer) => Promise<void> {
  return (chunk) =>
    new Promise<void>((resolve, reject) => {
      stream.write(chunk, (err?: NodeJS.ErrnoException | null) => (err && err.code !== 'EPIPE' ? reject(err) : resolve()));
    });
}
