/**
 * Every claim a report makes cites the frame it rests on: `file#frame`, which tcpdump -r and
 * Wireshark's "Go to packet" both understand, and the line `read` prints for it.
 */
import { basename } from 'node:path';
import type { Observation } from '../correlate/observation.js';
import { mdCode } from './escape.js';

export interface Evidence {
  ref: string;
  iface: string;
  line?: string;
}

export class EvidenceList {
  private readonly items: Evidence[] = [];
  private readonly seen = new Set<string>();

  /** Records the frame and returns the inline citation for the sentence that rests on it. */
  cite(o: Observation | undefined): string {
    if (!o) return '';
    const ref = `${basename(o.file)}#${o.frame}`;
    if (!this.seen.has(ref)) {
      this.seen.add(ref);
      this.items.push({ ref, iface: o.iface, line: o.line });
    }
    return mdCode(ref);
  }

  get size(): number {
    return this.items.length;
  }

  /** The cited frames as a Markdown list, in the order the story cites them. */
  markdown(): string[] {
    return this.items.map((e) => `- ${mdCode(e.ref)} on ${mdCode(e.iface)}${e.line ? `: ${mdCode(e.line)}` : ''}`);
  }
}
