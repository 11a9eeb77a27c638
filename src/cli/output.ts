import type { Writable } from 'node:stream';

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
    this.parts.push(text, '\n');
    this.size += text.length + 1;
    if (this.size >= this.flushAt) await this.flush();
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
