import type { ChunkSource } from './chunks.js';
import { CaptureError } from './errors.js';
import type { CaptureInterface, Direction, Frame, PcapngOption } from './frame.js';
import { type CaptureFileInfo, type InterfaceStatistics, addNameResolution, noteAnomaly } from './info.js';
import type { RecordParser } from './record-parser.js';
import { TimestampConverter } from './timestamps.js';

/** Block types of the pcapng specification (draft-ietf-opsawg-pcapng). */
export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
/** Obsolete Packet Block. */
export const BLOCK_PB = 0x00000002;
export const BLOCK_SPB = 0x00000003;
export const BLOCK_NRB = 0x00000004;
export const BLOCK_ISB = 0x00000005;
export const BLOCK_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** libpcap's MAX_BLOCKSIZE (sf-pcapng.c): longer blocks are treated as damage, not allocated. */
export const MAX_BLOCK = 16 * 1024 * 1024;

const OPT_END = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const EPB_FLAGS = 2;
/**
 * Byte widths of the IDB options that hold one number (if_speed, if_tzone, if_txspeed, if_rxspeed):
 * CaptureInterface.options keeps them little-endian whatever the section's byte order.
 */
export const IDB_NUMBERS: Record<number, number> = { 8: 8, 10: 4, 16: 8, 17: 8 };
const NRB_IPV4 = 1;
const NRB_IPV6 = 2;
const ISB_OPTIONS: Record<number, string> = {
  2: 'isb_starttime',
  3: 'isb_endtime',
  4: 'isb_ifrecv',
  5: 'isb_ifdrop',
  6: 'isb_filteraccept',
  7: 'isb_osdrop',
  8: 'isb_usrdeliv',
};

/** Smallest legal total length of each block type: its fixed fields plus the two lengths. */
const MIN_LENGTH: Record<number, number> = {
  [BLOCK_SHB]: 28,
  [BLOCK_IDB]: 20,
  [BLOCK_PB]: 32,
  [BLOCK_SPB]: 16,
  [BLOCK_NRB]: 12,
  [BLOCK_ISB]: 24,
  [BLOCK_EPB]: 32,
};

const BLOCK_NAMES: Record<number, string> = {
  [BLOCK_SHB]: 'Section Header Block',
  [BLOCK_IDB]: 'Interface Description Block',
  [BLOCK_PB]: 'Packet Block',
  [BLOCK_SPB]: 'Simple Packet Block',
  [BLOCK_NRB]: 'Name Resolution Block',
  [BLOCK_ISB]: 'Interface Statistics Block',
  [BLOCK_EPB]: 'Enhanced Packet Block',
};

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
}

const MAX_STATISTICS = 10_000;

const utf8 = new TextDecoder('utf-8');

interface SectionInterface {
  iface: CaptureInterface;
  ts: TimestampConverter;
}

/**
 * pcapng reader. Sections may change byte order; interface ids restart in every section, while
 * CaptureInterface.index counts every IDB of the file. With `headersOnly` the parser stops (returns
 * -1) in front of the first packet block, so that opening a file can report its first interfaces.
 */
export class PcapngParser implements RecordParser {
  expecting = 'a block header';
  atBoundary = true;
  headersOnly = false;
  private little = true;
  private section: SectionInterface[] = [];
  private statisticsDropped = false;

  constructor(
    private readonly info: CaptureFileInfo,
    private readonly baseName: string,
  ) {}

  parse(src: ChunkSource, out: Frame[]): number {
    const info = this.info;
    for (;;) {
      const at = src.pos;
      const avail = src.end - at;
      const offset = src.base + at;
      if (avail < 12) {
        this.expecting = 'a block header';
        this.atBoundary = true;
        return 12;
      }
      const v = src.view;
      const type = v.getUint32(at, this.little);
      if (type === BLOCK_SHB) this.readByteOrder(v, at, offset);
      else if (this.headersOnly && (type === BLOCK_EPB || type === BLOCK_SPB || type === BLOCK_PB)) return -1;
      const length = this.blockLength(v, at, type, offset);
      if (avail < length) {
        this.expecting = `${/^[AEIOU]/.test(blockName(type)) ? 'an' : 'a'} ${blockName(type)} of ${length} bytes`;
        this.atBoundary = false;
        return length;
      }
      const trailer = v.getUint32(at + length - 4, this.little);
      if (trailer !== length) {
        throw new CaptureError(info.file, offset, `${blockName(type)} length ${length} in its header but ${trailer} in its trailer`);
      }
      this.block(src, at, type, length, out);
      src.pos = at + length;
    }
  }

  /** The byte order of a section is known only from its own byte-order magic. */
  private readByteOrder(v: DataView, at: number, offset: number): void {
    const magic = v.getUint32(at + 8, true);
    if (magic === BYTE_ORDER_MAGIC) this.little = true;
    else if (magic === 0x4d3c2b1a) this.little = false;
    else throw new CaptureError(this.info.file, offset + 8, `Section Header Block byte-order magic 0x${magic.toString(16)} is neither 0x1a2b3c4d nor its swap`);
  }

  /** The block's length from its header, refused when no block of its type can have it. */
  private blockLength(v: DataView, at: number, type: number, offset: number): number {
    const file = this.info.file;
    const length = v.getUint32(at + 4, this.little);
    if (length > MAX_BLOCK) throw new CaptureError(file, offset, `${blockName(type)} length ${length} is beyond the limit of ${MAX_BLOCK} bytes`);
    if (length % 4 !== 0) throw new CaptureError(file, offset, `${blockName(type)} length ${length} is not a multiple of 4`);
    const min = MIN_LENGTH[type] ?? 12;
    if (length < min) throw new CaptureError(file, offset, `${blockName(type)} length ${length} is shorter than its header (${min} bytes)`);
    return length;
  }

  /** One whole block, read by its type; packets go to `out`. */
  private block(src: ChunkSource, at: number, type: number, length: number, out: Frame[]): void {
    switch (type) {
      case BLOCK_SHB:
        this.sectionHeader(src, at, length);
        break;
      case BLOCK_IDB:
        this.interfaceDescription(src, at, length);
        break;
      case BLOCK_EPB:
        out.push(this.enhancedPacket(src, at, length));
        break;
      case BLOCK_SPB:
        out.push(this.simplePacket(src, at, length));
        break;
      case BLOCK_PB:
        out.push(this.obsoletePacket(src, at, length));
        break;
      case BLOCK_NRB:
        this.nameResolution(src, at, length);
        break;
      case BLOCK_ISB:
        this.statistics(src, at, length);
        break;
      default:
        // Custom blocks (0x00000BAD, 0x40000BAD), decryption secrets, journal entries, ...: not ours.
        break;
    }
  }

  private fail(src: ChunkSource, at: number, reason: string): never {
    throw new CaptureError(this.info.file, src.base + at, reason);
  }

  /** Calls `each(code, start, length)` for every option in [start, end). */
  private options(src: ChunkSource, block: number, start: number, end: number, each: (code: number, value: number, length: number) => void): void {
    const v = src.view;
    let p = start;
    while (p + 4 <= end) {
      const code = v.getUint16(p, this.little);
      const len = v.getUint16(p + 2, this.little);
      if (code === OPT_END) return;
      if (p + 4 + len > end) this.fail(src, block, `option ${code} at byte ${src.base + p} of length ${len} runs past the end of its block`);
      each(code, p + 4, len);
      p += 4 + ((len + 3) & ~3);
    }
  }

  private text(src: ChunkSource, start: number, length: number): string {
    return utf8.decode(src.buf.subarray(start, start + length));
  }

  private sectionHeader(src: ChunkSource, at: number, length: number): void {
    const v = src.view;
    const major = v.getUint16(at + 12, this.little);
    const minor = v.getUint16(at + 14, this.little);
    // libpcap reads 1.0 and 1.2 (the latter written by some old tools) and rejects every other version;
    // Wireshark stops on them too. Skipping such a section instead (gopacket does) would hide damage.
    if (major !== 1 || (minor !== 0 && minor !== 2)) this.fail(src, at, `unsupported pcapng section version ${major}.${minor}`);
    this.info.sections++;
    this.section = [];
    this.options(src, at, at + 24, at + length - 4, (code, value, len) => {
      if (code === OPT_COMMENT) this.info.comments.push(this.text(src, value, len));
    });
  }

  private interfaceDescription(src: ChunkSource, at: number, length: number): void {
    const v = src.view;
    const linktype = v.getUint16(at + 8, this.little);
    const snaplen = v.getUint32(at + 12, this.little);
    let name: string | undefined;
    let description: string | undefined;
    let tsresol = 6;
    let tsoffset = 0;
    const kept: PcapngOption[] = [];
    this.options(src, at, at + 16, at + length - 4, (code, value, len) => {
      if (code === IF_NAME) name = this.text(src, value, len);
      else if (code === IF_TSRESOL) {
        if (len >= 1) tsresol = src.buf[value];
      } else if (code === IF_TSOFFSET) {
        if (len >= 8) tsoffset = Number(v.getBigInt64(value, this.little));
      } else {
        if (code === IF_DESCRIPTION) description = this.text(src, value, len);
        else if (code === OPT_COMMENT) this.info.comments.push(this.text(src, value, len));
        // A copy: the interface outlives the chunk it was read from.
        const bytes = src.buf.slice(value, value + len);
        if (!this.little && IDB_NUMBERS[code] === len) bytes.reverse();
        kept.push({ code, value: bytes });
      }
    });
    const index = this.info.interfaces.length;
    const iface: CaptureInterface = {
      file: this.info.file,
      index,
      name: name ?? `${this.baseName}#${index}`,
      description,
      linktype,
      snaplen,
      options: kept,
    };
    this.info.interfaces.push(iface);
    this.info.packetsPerInterface.push(0);
    this.section.push({ iface, ts: new TimestampConverter(tsresol, tsoffset) });
  }

  private interfaceOf(src: ChunkSource, at: number, id: number, name: string): SectionInterface {
    const found = this.section[id];
    if (found === undefined) {
      this.fail(src, at, `${name} names interface ${id} but its section describes ${this.section.length} interface${this.section.length === 1 ? '' : 's'}`);
    }
    return found;
  }

  private packet(
    src: ChunkSource,
    at: number,
    si: SectionInterface,
    sec: number,
    nsec: number,
    dataStart: number,
    caplen: number,
    origLen: number,
    direction: Direction | undefined,
    comments: string[] | undefined,
  ): Frame {
    const info = this.info;
    const number = info.packets + 1;
    const index = si.iface.index;
    info.packets = number;
    info.packetsPerInterface[index]++;
    return {
      file: info.file,
      number,
      iface: si.iface,
      tsSec: sec,
      tsNsec: nsec,
      caplen,
      origLen,
      direction,
      fileOffset: src.base + at,
      comments,
      data: src.buf.subarray(dataStart, dataStart + caplen),
    };
  }

  private checkCaplen(src: ChunkSource, at: number, name: string, si: SectionInterface, caplen: number, room: number): void {
    if (caplen > room) this.fail(src, at, `${name} caplen ${caplen} is beyond its block (room for ${room} bytes)`);
    const snaplen = si.iface.snaplen;
    if (snaplen !== 0 && caplen > snaplen) this.fail(src, at, `${name} caplen ${caplen} is beyond interface ${si.iface.index}'s snaplen ${snaplen}`);
  }

  /** Options after the packet data of an EPB or PB: flags (same layout as epb_flags) and comments. */
  private packetOptions(src: ChunkSource, at: number, start: number, end: number): { direction?: Direction; comments?: string[] } {
    const found: { direction?: Direction; comments?: string[] } = {};
    if (start + 4 > end) return found;
    this.options(src, at, start, end, (code, value, len) => {
      if (code === EPB_FLAGS && len >= 4) {
        const inout = src.view.getUint32(value, this.little) & 3;
        if (inout === 1) found.direction = 'in';
        else if (inout === 2) found.direction = 'out';
      } else if (code === OPT_COMMENT) {
        (found.comments ??= []).push(this.text(src, value, len));
      }
    });
    return found;
  }

  private enhancedPacket(src: ChunkSource, at: number, length: number): Frame {
    const v = src.view;
    const si = this.interfaceOf(src, at, v.getUint32(at + 8, this.little), 'Enhanced Packet Block');
    const caplen = v.getUint32(at + 20, this.little);
    const origLen = v.getUint32(at + 24, this.little);
    this.checkCaplen(src, at, 'Enhanced Packet Block', si, caplen, length - 32);
    si.ts.convert(v.getUint32(at + 12, this.little), v.getUint32(at + 16, this.little));
    const optionsStart = at + 28 + ((caplen + 3) & ~3);
    const { direction, comments } = this.packetOptions(src, at, optionsStart, at + length - 4);
    return this.packet(src, at, si, si.ts.sec, si.ts.nsec, at + 28, caplen, origLen, direction, comments);
  }

  private obsoletePacket(src: ChunkSource, at: number, length: number): Frame {
    const v = src.view;
    const si = this.interfaceOf(src, at, v.getUint16(at + 8, this.little), 'Packet Block');
    const caplen = v.getUint32(at + 20, this.little);
    const origLen = v.getUint32(at + 24, this.little);
    this.checkCaplen(src, at, 'Packet Block', si, caplen, length - 32);
    si.ts.convert(v.getUint32(at + 12, this.little), v.getUint32(at + 16, this.little));
    const optionsStart = at + 28 + ((caplen + 3) & ~3);
    const { direction, comments } = this.packetOptions(src, at, optionsStart, at + length - 4);
    return this.packet(src, at, si, si.ts.sec, si.ts.nsec, at + 28, caplen, origLen, direction, comments);
  }

  private simplePacket(src: ChunkSource, at: number, length: number): Frame {
    const si = this.interfaceOf(src, at, 0, 'Simple Packet Block');
    const origLen = src.view.getUint32(at + 8, this.little);
    // An SPB's captured length is implied: the original length cut to the snaplen and to the block.
    const snaplen = si.iface.snaplen;
    let caplen = Math.min(origLen, length - 16);
    if (snaplen !== 0) caplen = Math.min(caplen, snaplen);
    // It carries no timestamp; Wireshark shows the epoch.
    return this.packet(src, at, si, 0, 0, at + 12, caplen, origLen, undefined, undefined);
  }

  private nameResolution(src: ChunkSource, at: number, length: number): void {
    const v = src.view;
    const end = at + length - 4;
    let p = at + 8;
    while (p + 4 <= end) {
      const type = v.getUint16(p, this.little);
      const len = v.getUint16(p + 2, this.little);
      if (type === OPT_END) {
        p += 4;
        break;
      }
      const value = p + 4;
      if (value + len > end) this.fail(src, at, `name resolution record at byte ${src.base + p} of length ${len} runs past the end of its block`);
      const addrLen = type === NRB_IPV4 ? 4 : type === NRB_IPV6 ? 16 : -1;
      if (addrLen > 0 && len >= addrLen) {
        const bytes = src.buf.subarray(value, value + addrLen);
        const address = addrLen === 4 ? bytes.join('.') : ipv6Text(bytes);
        const names = this.text(src, value + addrLen, len - addrLen).split('\0').filter((n) => n.length > 0);
        addNameResolution(this.info, { address, names }, src.base + at);
      }
      p = value + ((len + 3) & ~3);
    }
    this.options(src, at, p, end, (code, value, len) => {
      if (code === OPT_COMMENT) this.info.comments.push(this.text(src, value, len));
    });
  }

  private statistics(src: ChunkSource, at: number, length: number): void {
    const v = src.view;
    const si = this.interfaceOf(src, at, v.getUint32(at + 8, this.little), 'Interface Statistics Block');
    si.ts.convert(v.getUint32(at + 12, this.little), v.getUint32(at + 16, this.little));
    const stats: InterfaceStatistics = { interface: si.iface.index, time: secNs(si.ts.sec, si.ts.nsec) };
    this.options(src, at, at + 20, at + length - 4, (code, value, len) => {
      const key = ISB_OPTIONS[code];
      if (code === OPT_COMMENT) this.info.comments.push(this.text(src, value, len));
      else if (key !== undefined && len >= 8) {
        if (code === 2 || code === 3) {
          si.ts.convert(v.getUint32(value, this.little), v.getUint32(value + 4, this.little));
          stats[key] = secNs(si.ts.sec, si.ts.nsec);
        } else {
          stats[key] = Number(v.getBigUint64(value, this.little));
        }
      }
    });
    if (this.info.statistics.length < MAX_STATISTICS) this.info.statistics.push(stats);
    else if (!this.statisticsDropped) {
      this.statisticsDropped = true;
      noteAnomaly(this.info, `byte ${src.base + at}: Interface Statistics Blocks beyond ${MAX_STATISTICS} not kept`);
    }
  }
}

function secNs(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return groups.join(':');
}
