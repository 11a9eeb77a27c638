import type { ChunkSource } from './chunks.js';
import { CaptureError } from './errors.js';
import type { CaptureInterface, Frame } from './frame.js';
import { type CaptureFileInfo, noteAnomaly } from './info.js';
import type { RecordParser } from './record-parser.js';

/** The magic numbers as a little-endian read of the first four bytes sees them. */
const MAGIC_USEC = 0xa1b2c3d4;
const MAGIC_NSEC = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: 24-byte records with ifindex, protocol and packet type. */
const MAGIC_KUZNETZOV = 0xa1b2cd34;

export const PCAP_HEADER_LENGTH = 24;

/**
 * libpcap refuses a record whose caplen is beyond max_snaplen_for_dlt() (262144 for nearly every link
 * type, sf-pcap.c pcap_next_packet) and so does Wireshark (wtap_max_snaplen_for_encap). A file whose
 * header promises a larger snaplen is believed up to 16 MiB, the bound libpcap keeps on pcapng blocks:
 * never more, so a fuzzed length cannot make us allocate without limit.
 */
const MAXIMUM_SNAPLEN = 262_144;
const MAXIMUM_RECORD = 16 * 1024 * 1024;

export function isPcapMagic(first4: DataView): boolean {
  return pcapVariant(first4.getUint32(0, true)) !== undefined;
}

interface Variant {
  little: boolean;
  nano: boolean;
  recordHeader: number;
}

function pcapVariant(magicLe: number): Variant | undefined {
  const swapped = ((magicLe & 0xff) << 24 | (magicLe & 0xff00) << 8 | (magicLe >>> 8) & 0xff00 | magicLe >>> 24) >>> 0;
  for (const [value, little] of [[magicLe, true], [swapped, false]] as const) {
    if (value === MAGIC_USEC) return { little, nano: false, recordHeader: 16 };
    if (value === MAGIC_NSEC) return { little, nano: true, recordHeader: 16 };
    if (value === MAGIC_KUZNETZOV) return { little, nano: false, recordHeader: 24 };
  }
  return undefined;
}

/**
 * Classic pcap (pcap-savefile(5)). Reads the 24-byte file header at `src.pos` (the caller has made it
 * available) and returns the parser for the records after it.
 */
export function openPcap(src: ChunkSource, info: CaptureFileInfo, ifaceName: string): PcapParser {
  const file = info.file;
  const variant = pcapVariant(src.view.getUint32(src.pos, true));
  if (variant === undefined) throw new CaptureError(file, 0, 'not a pcap file');
  const v = src.view;
  const at = src.pos;
  const little = variant.little;
  const major = v.getUint16(at + 4, little);
  const minor = v.getUint16(at + 6, little);
  // libpcap also refuses 2.x with x other than 4, but Wireshark reads those and so do we: the record
  // layout is the same. Major versions other than 2 are refused by both.
  if (major !== 2) throw new CaptureError(file, 4, `unsupported pcap version ${major}.${minor}`);
  if (minor !== 4) noteAnomaly(info, `byte 4: pcap version ${major}.${minor} (expected 2.4)`);
  const snaplen = v.getUint32(at + 16, little);
  const linkField = v.getUint32(at + 20, little);
  // Bits 16-25 are reserved (pcap-savefile(5)); bits 26-31 carry the FCS length, which readers ignore.
  if ((linkField & 0x03ff0000) !== 0) {
    throw new CaptureError(file, 20, `link-type field reserved bits not zero (0x${linkField.toString(16).padStart(8, '0')})`);
  }
  const iface: CaptureInterface = { file, index: 0, name: ifaceName, linktype: linkField & 0xffff, snaplen };
  info.interfaces.push(iface);
  info.packetsPerInterface.push(0);
  src.pos += PCAP_HEADER_LENGTH;
  return new PcapParser(info, iface, variant);
}

export class PcapParser implements RecordParser {
  expecting = 'a record header';
  atBoundary = true;
  private readonly limit: number;

  constructor(
    private readonly info: CaptureFileInfo,
    private readonly iface: CaptureInterface,
    private readonly variant: Variant,
  ) {
    this.limit = Math.min(MAXIMUM_RECORD, Math.max(iface.snaplen, MAXIMUM_SNAPLEN));
  }

  parse(src: ChunkSource, out: Frame[]): number {
    const { little, nano, recordHeader } = this.variant;
    const info = this.info;
    const fracLimit = nano ? 1_000_000_000 : 1_000_000;
    const fracScale = nano ? 1 : 1000;
    for (;;) {
      const at = src.pos;
      const avail = src.end - at;
      if (avail < recordHeader) {
        this.expecting = 'a record header';
        this.atBoundary = true;
        return recordHeader;
      }
      const v = src.view;
      const caplen = v.getUint32(at + 8, little);
      const offset = src.base + at;
      if (caplen > this.limit) {
        throw new CaptureError(info.file, offset, `record caplen ${caplen} is beyond the limit of ${this.limit} bytes`);
      }
      const total = recordHeader + caplen;
      if (avail < total) {
        this.expecting = `a record of ${caplen} captured bytes`;
        this.atBoundary = false;
        return total;
      }
      const number = info.packets + 1;
      // Seconds are unsigned as Wireshark reads them: a file from after 2038 keeps its dates.
      let tsSec = v.getUint32(at, little);
      let frac = v.getUint32(at + 4, little);
      const origLen = v.getUint32(at + 12, little);
      if (frac >= fracLimit) {
        noteAnomaly(info, `frame ${number} at byte ${offset}: sub-second field ${frac} is a second or more (carried into the seconds)`);
        tsSec += Math.floor(frac / fracLimit);
        frac %= fracLimit;
      }
      if (caplen > this.iface.snaplen && this.iface.snaplen !== 0) {
        noteAnomaly(info, `frame ${number} at byte ${offset}: caplen ${caplen} beyond the file's snaplen ${this.iface.snaplen}`);
      }
      if (caplen > origLen) noteAnomaly(info, `frame ${number} at byte ${offset}: caplen ${caplen} beyond the original length ${origLen}`);
      out.push({
        file: info.file,
        number,
        iface: this.iface,
        tsSec,
        tsNsec: frac * fracScale,
        caplen,
        origLen,
        // The Kuznetzov header has a packet type, but writers leave it zero for outgoing packets too
        // (the corpus file is an outgoing ping marked PACKET_HOST), so it says nothing reliable.
        direction: undefined,
        fileOffset: offset,
        comments: undefined,
        data: src.buf.subarray(at + recordHeader, at + total),
      });
      info.packets = number;
      info.packetsPerInterface[0]++;
      src.pos = at + total;
    }
  }
}
