import type { CaptureFormat, CaptureInterface } from './frame.js';

export interface NameResolutionEntry {
  address: string;
  names: string[];
}

/** One pcapng Interface Statistics Block: counters under their option names (isb_ifrecv, ...). */
export interface InterfaceStatistics {
  /** Interface index within the file (CaptureInterface.index). */
  interface: number;
  /** The block's timestamp, "seconds.nanoseconds". */
  time: string;
  [option: string]: number | string;
}

/** What a capture file says about itself, filled in as it is read. */
export interface CaptureFileInfo {
  file: string;
  format: CaptureFormat;
  /** Section Header Blocks seen so far (pcapng); 0 for classic pcap, which has no sections. */
  sections: number;
  /** Every interface described so far, in file order; a pcapng's later IDBs are appended as read. */
  interfaces: CaptureInterface[];
  /** Packets per interface index, counted as they are read. */
  packetsPerInterface: number[];
  /** Packets read so far. */
  packets: number;
  /** Section and block comments (opt_comment of SHB, IDB, NRB, ISB). Packet comments stay on frames. */
  comments: string[];
  nameResolution: NameResolutionEntry[];
  statistics: InterfaceStatistics[];
  /**
   * Oddities that libpcap or Wireshark tolerate and so does this reader (caplen beyond snaplen, a
   * sub-second field of a second or more, an unusual version), one line each, naming the byte offset.
   */
  anomalies: string[];
}

/** Enough to see that a file is odd without letting a fuzzed file grow the list without bound. */
const MAX_LISTED = 100;
const MAX_NAMES = 100_000;

export function noteAnomaly(info: CaptureFileInfo, text: string): void {
  if (info.anomalies.length < MAX_LISTED) info.anomalies.push(text);
  else if (info.anomalies.length === MAX_LISTED) info.anomalies.push('further anomalies not listed');
}

export function addNameResolution(info: CaptureFileInfo, entry: NameResolutionEntry, offset: number): void {
  if (info.nameResolution.length < MAX_NAMES) info.nameResolution.push(entry);
  else if (info.nameResolution.length === MAX_NAMES) noteAnomaly(info, `byte ${offset}: name resolution entries beyond ${MAX_NAMES} not kept`);
}

export function emptyInfo(file: string, format: CaptureFormat): CaptureFileInfo {
  return {
    file,
    format,
    sections: 0,
    interfaces: [],
    packetsPerInterface: [],
    packets: 0,
    comments: [],
    nameResolution: [],
    statistics: [],
    anomalies: [],
  };
}
