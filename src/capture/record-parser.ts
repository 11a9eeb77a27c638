import type { ChunkSource } from './chunks.js';
import type { Frame } from './frame.js';

/**
 * The format-specific half of a reader: parses every whole record that `src` holds from `src.pos`,
 * pushing frames onto `out`, and returns how many bytes it needs at `src.pos` to go on. The reader
 * fetches them and calls again; when the file ends first, `expecting` names what was cut short (and a
 * file that ends cleanly ends with nothing available while a record header was expected).
 */
export interface RecordParser {
  parse(src: ChunkSource, out: Frame[]): number;
  readonly expecting: string;
  /** True while `expecting` is the header of the next record, where the file may end cleanly. */
  readonly atBoundary: boolean;
}
