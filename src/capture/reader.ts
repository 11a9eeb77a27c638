import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ChunkSource, DEFAULT_CHUNK_SIZE } from './chunks.js';
import { CaptureError } from './errors.js';
import type { Frame } from './frame.js';
import { type CaptureFileInfo, emptyInfo } from './info.js';
import { PCAP_HEADER_LENGTH, isPcapMagic, openPcap } from './pcap.js';
import { BLOCK_SHB, PcapngParser } from './pcapng.js';
import type { RecordParser } from './record-parser.js';

export interface OpenOptions {
  /** Bytes read from the file at a time (default 2 MiB). A record longer than this grows its chunk. */
  chunkSize?: number;
}

export interface CaptureReader {
  /** The path as given. */
  readonly file: string;
  /** Filled in as the file is read; the interfaces of a pcapng's first section are there after open. */
  readonly info: CaptureFileInfo;
  /** Size of the file when it was opened, in bytes. */
  readonly size: number;
  /** Bytes of the file parsed so far (for a progress bar). */
  readonly bytesRead: number;
  /**
   * The frames in file order, one batch per chunk read. Can be iterated once. Throws a CaptureError
   * after yielding every frame before the damage.
   */
  batches(): AsyncGenerator<Frame[]>;
  /**
   * Says that no one looks at the frames of this chunk (their `data`'s buffer) any more, so that it
   * may be read into again. Optional for the reader to honour; wrong to call while a view is in use.
   */
  recycle(chunk: ArrayBufferLike): void;
  close(): Promise<void>;
}

export async function openCapture(path: string, options: OpenOptions = {}): Promise<CaptureReader> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 64) throw new RangeError(`chunkSize must be an integer of at least 64, not ${chunkSize}`);
  const handle = await open(path, 'r');
  let src: ChunkSource | undefined;
  try {
    const { size } = await handle.stat();
    src = new ChunkSource(handle, chunkSize);
    await src.fill(PCAP_HEADER_LENGTH);
    const base = basename(path, extname(path));
    if (src.available < 4) {
      throw new CaptureError(path, 0, src.available === 0 ? 'empty file' : `file of ${src.available} bytes is too short for any capture header`);
    }
    let parser: RecordParser;
    let info: CaptureFileInfo;
    if (src.view.getUint32(src.pos, true) === BLOCK_SHB) {
      info = emptyInfo(path, 'pcapng');
      const ng = new PcapngParser(info, base);
      ng.headersOnly = true;
      await readHeaders(src, ng, path);
      ng.headersOnly = false;
      parser = ng;
    } else if (isPcapMagic(new DataView(src.buf.buffer, src.buf.byteOffset + src.pos, 4))) {
      if (src.available < PCAP_HEADER_LENGTH) throw new CaptureError(path, 0, `file ends inside the pcap file header (${src.available} of 24 bytes)`);
      info = emptyInfo(path, 'pcap');
      parser = openPcap(src, info, base);
    } else {
      const magic = Array.from(src.buf.subarray(src.pos, src.pos + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new CaptureError(path, 0, `not a pcap or pcapng file (first bytes ${magic})`);
    }
    return new FileCaptureReader(path, info, size, src, parser, () => handle.close());
  } catch (err) {
    await src?.settle();
    await handle.close();
    throw err;
  }
}

/** Runs a headers-only parser up to the first packet block (it returns -1 there) or to the end. */
async function readHeaders(src: ChunkSource, parser: RecordParser, file: string): Promise<void> {
  for (;;) {
    const need = parser.parse(src, []);
    if (need < 0) return;
    if (!(await src.fill(need))) {
      if (src.available === 0 && parser.atBoundary) return;
      throw truncated(file, src, parser, need);
    }
  }
}

function truncated(file: string, src: ChunkSource, parser: RecordParser, need: number): CaptureError {
  return new CaptureError(file, src.offset, `file ends inside ${parser.expecting} (${src.available} of ${need} bytes present)`);
}

class FileCaptureReader implements CaptureReader {
  private started = false;
  private closed = false;

  constructor(
    readonly file: string,
    readonly info: CaptureFileInfo,
    readonly size: number,
    private readonly src: ChunkSource,
    private readonly parser: RecordParser,
    private readonly closeFile: () => Promise<void>,
  ) {}

  get bytesRead(): number {
    return Math.min(this.size, this.src.offset);
  }

  async *batches(): AsyncGenerator<Frame[]> {
    if (this.started) throw new Error(`${this.file}: batches() can be iterated only once`);
    this.started = true;
    const { src, parser } = this;
    for (;;) {
      const out: Frame[] = [];
      let need: number;
      try {
        need = parser.parse(src, out);
      } catch (err) {
        if (out.length > 0) yield out;
        throw err;
      }
      if (out.length > 0) yield out;
      if (!(await src.fill(need))) {
        if (src.available === 0 && parser.atBoundary) return;
        throw truncated(this.file, src, parser, need);
      }
    }
  }

  recycle(chunk: ArrayBufferLike): void {
    this.src.recycle(chunk);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.src.settle();
    await this.closeFile();
  }
}
