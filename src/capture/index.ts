/** The capture stage: streaming pcap/pcapng readers, their time-ordered merge, the writers, and a rewrite of several captures as one. */
export { openCapture, type CaptureReader, type OpenOptions } from './reader.js';
export { mergeCaptures, type MergeOptions } from './merge.js';
export { combineCaptures, type CombineInput, type CombinedCapture } from './combine.js';
export type { CaptureFileInfo, InterfaceStatistics, NameResolutionEntry } from './info.js';
export { CaptureError } from './errors.js';
export {
  type CaptureFormat,
  type CaptureInterface,
  type Direction,
  type Frame,
  type PcapngOption,
  compareFrameTime,
  formatEpochNs,
  frameTimeNs,
} from './frame.js';
export { encodePcapng, writePcapng, type WriterFrame, type WriterInterface, type PcapngWriteOptions } from './pcapng-writer.js';
export { encodePcap, type PcapWriterFrame, type PcapWriteOptions } from './pcap-writer.js';
