import { open } from 'node:fs/promises';
import type { Direction, PcapngOption } from './frame.js';
import { BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, BYTE_ORDER_MAGIC, IDB_NUMBERS } from './pcapng.js';
import { TimestampConverter } from './timestamps.js';

export interface WriterInterface {
  /** if_name; an empty name writes none (readers then name the interface after the file). */
  name: string;
  linktype: number;
  /** 0 (the default) means no limit. Longer frames are cut to it, keeping their original length. */
  snaplen?: number;
  description?: string;
  /** The raw if_tsresol byte: 9 (nanoseconds, the default), 6, or 0x80 | n for 2^-n seconds. */
  tsresol?: number;
  /** if_tsoffset, whole seconds added to every timestamp of the interface. */
  tsoffset?: number;
  /**
   * More options, written as given after those above (numeric ones little-endian, as a reader's
   * CaptureInterface.options holds them): how a read interface is described again.
   */
  options?: readonly PcapngOption[];
}

export interface WriterFrame {
  /** Index into the interfaces given to the writer. */
  iface: number;
  /** Nanoseconds since the epoch. */
  tsNs: bigint;
  data: Uint8Array;
  /** Defaults to data.length. */
  origLen?: number;
  direction?: Direction;
  comment?: string;
  /** More opt_comment options, after `comment` (a read frame may carry several). */
  comments?: readonly string[];
}

export interface PcapngWriteOptions {
  /** The section's opt_comment. */
  comment?: string;
  /** Write the section big-endian (readers must handle both; this is how tests make one). */
  bigEndian?: boolean;
  /** The section's shb_userappl (default "pcap-narrator"). */
  application?: string;
}

const utf8 = new TextEncoder();
const SHB_USERAPPL = 4;


function textOption(code: number, text: string): PcapngOption {
  return { code, value: utf8.encode(text) };
}

const pad4 = (n: number): number => (n + 3) & ~3;

function optionsLength(options: PcapngOption[]): number {
  if (options.length === 0) return 0;
  return options.reduce((n, o) => n + 4 + pad4(o.value.length), 4);
}

/**
 * One block: type, total length, the fixed body that `fill` writes at offset 8, the packet bytes (if
 * any) padded to 4, the options, and the trailing length.
 */
function block(
  type: number,
  fixed: number,
  little: boolean,
  fill: (v: DataView) => void,
  options: PcapngOption[],
  data?: Uint8Array,
): Uint8Array {
  const dataLen = data === undefined ? 0 : pad4(data.length);
  const length = 12 + fixed + dataLen + optionsLength(options);
  const bytes = new Uint8Array(length);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, type, little);
  v.setUint32(4, length, little);
  fill(v);
  let p = 8 + fixed;
  if (data !== undefined) {
    bytes.set(data, p);
    p += dataLen;
  }
  if (options.length > 0) {
    for (const o of options) {
      v.setUint16(p, o.code, little);
      v.setUint16(p + 2, o.value.length, little);
      bytes.set(o.value, p + 4);
      p += 4 + pad4(o.value.length);
    }
    p += 4; // opt_endofopt: already zero
  }
  v.setUint32(length - 4, length, little);
  return bytes;
}

/** The blocks of one pcapng section, one at a time: a writer can stream a file of any length. */
export function* pcapngBlocks(
  interfaces: WriterInterface[],
  frames: Iterable<WriterFrame>,
  options: PcapngWriteOptions = {},
): Generator<Uint8Array> {
  const little = options.bigEndian !== true;
  const shbOptions: PcapngOption[] = [];
  if (options.comment !== undefined) shbOptions.push(textOption(1, options.comment));
  shbOptions.push(textOption(SHB_USERAPPL, options.application ?? 'pcap-narrator'));
  yield block(BLOCK_SHB, 16, little, (v) => {
    v.setUint32(8, BYTE_ORDER_MAGIC, little);
    v.setUint16(12, 1, little);
    v.setUint16(14, 0, little);
    // Section length unknown (-1): the file is written as a stream.
    v.setBigInt64(16, -1n, little);
  }, shbOptions);
  const clocks: TimestampConverter[] = [];
  for (const i of interfaces) {
    const tsresol = i.tsresol ?? 9;
    clocks.push(new TimestampConverter(tsresol, i.tsoffset ?? 0));
    const opts: PcapngOption[] = i.name === '' ? [] : [textOption(2, i.name)];
    if (i.description !== undefined) opts.push(textOption(3, i.description));
    opts.push({ code: 9, value: Uint8Array.of(tsresol) });
    if (i.tsoffset !== undefined && i.tsoffset !== 0) {
      const off = new Uint8Array(8);
      new DataView(off.buffer).setBigInt64(0, BigInt(i.tsoffset), little);
      opts.push({ code: 14, value: off });
    }
    for (const o of i.options ?? []) {
      opts.push(!little && IDB_NUMBERS[o.code] === o.value.length ? { code: o.code, value: o.value.slice().reverse() } : o);
    }
    yield block(BLOCK_IDB, 8, little, (v) => {
      v.setUint16(8, i.linktype, little);
      v.setUint32(12, i.snaplen ?? 0, little);
    }, opts);
  }
  for (const f of frames) {
    const iface = interfaces[f.iface];
    if (iface === undefined) throw new RangeError(`frame names interface ${f.iface}, but ${interfaces.length} were given`);
    if (f.tsNs < 0n) throw new RangeError(`negative timestamp ${f.tsNs}`);
    const snaplen = iface.snaplen ?? 0;
    const data = snaplen > 0 && f.data.length > snaplen ? f.data.subarray(0, snaplen) : f.data;
    const units = clocks[f.iface].unitsOf(f.tsNs);
    const opts: PcapngOption[] = [];
    if (f.comment !== undefined) opts.push(textOption(1, f.comment));
    for (const c of f.comments ?? []) opts.push(textOption(1, c));
    if (f.direction !== undefined) {
      const flags = new Uint8Array(4);
      new DataView(flags.buffer).setUint32(0, f.direction === 'in' ? 1 : 2, little);
      opts.push({ code: 2, value: flags });
    }
    yield block(BLOCK_EPB, 20, little, (v) => {
      v.setUint32(8, f.iface, little);
      v.setUint32(12, Number(units >> 32n), little);
      v.setUint32(16, Number(units & 0xffffffffn), little);
      v.setUint32(20, data.length, little);
      v.setUint32(24, f.origLen ?? f.data.length, little);
    }, opts, data);
  }
}

/** A whole pcapng file (one section, nanosecond timestamps unless an interface says otherwise). */
export function encodePcapng(interfaces: WriterInterface[], frames: Iterable<WriterFrame>, options: PcapngWriteOptions = {}): Uint8Array {
  const parts = [...pcapngBlocks(interfaces, frames, options)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const WRITE_BATCH = 1 << 20;

/** Writes the file as `encodePcapng` would, streaming: memory stays small whatever the frame count. */
export async function writePcapng(
  path: string,
  interfaces: WriterInterface[],
  frames: Iterable<WriterFrame>,
  options: PcapngWriteOptions = {},
): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let pending: Uint8Array[] = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      if (pending.length > 0) await handle.writev(pending);
      pending = [];
      size = 0;
    };
    for (const b of pcapngBlocks(interfaces, frames, options)) {
      pending.push(b);
      size += b.length;
      if (size >= WRITE_BATCH) await flush();
    }
    await flush();
  } finally {
    await handle.close();
  }
}
