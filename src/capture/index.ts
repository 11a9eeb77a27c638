/** The capture stage: streaming pcap/pcapng readers, their time-ordered merge, and the writers. */
export { openCapture, type CaptureReader, type OpenOptions } from './reader.js';
export { mergeCaptures, type MergeOptions } from './merge.js';
export type { CaptureFileInfo, InterfaceStatistics, NameResolutionEntry } from './info.js';
export { CaptureError } from './errors.js';
export {
  type CaptureFormat,
  type CaptureInterface,
  type Direction,
  type Frame,
  compareFrameTime,
  formatEpochNs,
  frameTimeNs,
} from './frame.js';
export { encodePcapng, writePcapng, type WriterFrame, type WriterInterface, type PcapngWriteOptions } from './pcapng-writer.js';
export { encodePcap, type PcapWriterFrame, type PcapWriteOptions } from './pcap-writer.js';
