/**
 * What the capture readers hand to every later stage. One Frame per captured packet; `data` is a
 * view into the reader's chunk buffer (no copy). A consumer that keeps a frame beyond the batch it
 * came in may keep the view: a chunk is read into again only when its reader is told that nothing
 * looks at it (CaptureReader.recycle, which mergeCaptures calls only when asked to).
 */

export type CaptureFormat = 'pcap' | 'pcapng';

/** Packet direction as the capture says it: pcapng epb_flags bits 0-1, or a cooked header's packet type. */
export type Direction = 'in' | 'out';

export interface CaptureInterface {
  /** The file this interface was described in (the path as the user gave it). */
  readonly file: string;
  /** 0-based interface id within its file (pcapng IDB order across sections; 0 for pcap). */
  readonly index: number;
  /** if_name, else the file's base name (single interface) or `base#index` (several). */
  readonly name: string;
  readonly description?: string;
  /** LINKTYPE_ value (only the low 16 bits of a pcap header's field). */
  readonly linktype: number;
  /** 0 means "no limit" as in pcapng. */
  readonly snaplen: number;
  /**
   * pcapng only: the IDB's options other than if_name, if_tsresol and if_tsoffset (which the frames'
   * timestamps already account for), in file order, if_description and comments included, so that a
   * writer can describe the interface again as the file did. Numeric options are little-endian.
   */
  readonly options?: readonly PcapngOption[];
}

/** One pcapng option as bytes: its code and its value without padding. */
export interface PcapngOption {
  readonly code: number;
  readonly value: Uint8Array;
}

export interface Frame {
  readonly file: string;
  /** 1-based index in its file, counting every packet block/record, as tcpdump and Wireshark do. */
  readonly number: number;
  readonly iface: CaptureInterface;
  /** Whole seconds since the epoch (may be negative for odd files; exact in a double). */
  readonly tsSec: number;
  /** Nanoseconds within the second, 0..999_999_999 after normalisation. */
  readonly tsNsec: number;
  readonly caplen: number;
  readonly origLen: number;
  readonly direction?: Direction;
  /** Byte offset of the packet's block/record header in the file: for messages that point at it. */
  readonly fileOffset: number;
  readonly comments?: readonly string[];
  readonly data: Uint8Array;
}

/** Nanoseconds since the epoch, exactly. */
export function frameTimeNs(f: Pick<Frame, 'tsSec' | 'tsNsec'>): bigint {
  return BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNsec);
}

/** Negative, zero or positive as a is before, with, or after b. */
export function compareFrameTime(a: Pick<Frame, 'tsSec' | 'tsNsec'>, b: Pick<Frame, 'tsSec' | 'tsNsec'>): number {
  return a.tsSec !== b.tsSec ? a.tsSec - b.tsSec : a.tsNsec - b.tsNsec;
}

/** "1795362815.613945383": the DESIGN.md form of a timestamp. */
export function formatEpochNs(f: Pick<Frame, 'tsSec' | 'tsNsec'>): string {
  return `${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}`;
}
