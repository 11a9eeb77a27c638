import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/index.js';
import { CORPUS, corpusCaptures } from '../helpers/tools.js';
import { readAll } from './read-all.js';

/** INDEX.tsv's tshark_message column, which corpusCaptures() does not carry. */
function tsharkMessages(): Map<string, string> {
  const [head, ...rows] = readFileSync(join(CORPUS, 'INDEX.tsv'), 'utf8').trim().split('\n');
  const cols = head.split('\t');
  const path = cols.indexOf('path');
  const message = cols.indexOf('tshark_message');
  return new Map(rows.map((r) => r.split('\t')).map((f) => [join(CORPUS, f[path]), f[message]]));
}

const odd = corpusCaptures().filter((e) => e.tsharkReads !== 'yes' || e.anomalies !== '-');
const messages = odd.length > 0 ? tsharkMessages() : new Map<string, string>();

/**
 * What each odd corpus file must give, by rule:
 * - tshark cannot read it only because it does not know the link type: the file is sound, and this
 *   reader, which hands any link type on, reads it to the end.
 * - tshark cannot read it for any other reason (or only partly), or a pcapng block's trailer disagrees
 *   with its header: a CaptureError naming the file, a byte offset and a reason, after exactly the
 *   frames tshark got before the damage.
 * - tshark reads it but INDEX.tsv lists record anomalies (caplen beyond snaplen or original length, a
 *   sub-second field of a second or more): libpcap and Wireshark keep those records, so does this
 *   reader, noting one anomaly a record for each kind INDEX.tsv counts.
 */
describe('odd and malformed corpus captures', () => {
  it.skipIf(odd.length === 0)('end in a CaptureError after the good frames, or are read with their anomalies noted', async () => {
    const problems: string[] = [];
    const summary: string[] = [];
    for (const e of odd) {
      const name = relative(CORPUS, e.path);
      const unknownLinktype = /network type \d+ unknown or unsupported/.test(messages.get(e.path) ?? '');
      const damaged = (e.tsharkReads !== 'yes' && !unknownLinktype) || e.anomalies.includes('trailer_len_mismatch');
      // Small chunks too: damage found across a chunk boundary must give the same result.
      for (const chunkSize of [undefined, 64]) {
        const r = await readAll(e.path, chunkSize);
        const tag = `${name}${chunkSize === undefined ? '' : ` (chunks of ${chunkSize})`}`;
        if (damaged) {
          const before = Number(/^(\d+)/.exec(e.packets)?.[1] ?? 0);
          if (!(r.error instanceof CaptureError)) {
            problems.push(`${tag}: expected a CaptureError, got ${r.error === undefined ? 'none' : String(r.error)}`);
            continue;
          }
          const err = r.error;
          if (err.file !== e.path || !err.message.startsWith(`${e.path}: byte ${err.offset}: `) || err.reason.length < 10) {
            problems.push(`${tag}: message does not name file, offset and reason: ${err.message}`);
          }
          if (r.frames.length !== before) problems.push(`${tag}: ${r.frames.length} frames before the error, tshark ${before}`);
          if (chunkSize === undefined) summary.push(`${name}: ${r.frames.length} frames, then "${err.reason}" at byte ${err.offset}`);
        } else {
          if (r.error !== undefined) problems.push(`${tag}: unexpected ${String(r.error)}`);
          const anomalies = r.info?.anomalies ?? [];
          const kinds: [string, RegExp][] = [
            ['caplen>snaplen', /beyond the file's snaplen/],
            ['caplen>origlen', /beyond the original length/],
            ['frac>=1s', /sub-second field/],
          ];
          for (const [kind, text] of kinds) {
            const want = Number(new RegExp(`${kind.replace(/[>=]/g, '\\$&')}=(\\d+)`).exec(e.anomalies)?.[1] ?? 0);
            const got = anomalies.filter((a) => text.test(a)).length;
            if (got !== want) problems.push(`${tag}: ${got} "${kind}" anomalies, INDEX.tsv ${want}`);
          }
          if (chunkSize === undefined) summary.push(`${name}: ${r.frames.length} frames read, ${anomalies.length} anomalies noted`);
        }
      }
    }
    console.log(`odd corpus captures:\n  ${summary.join('\n  ')}`);
    expect(problems).toEqual([]);
  });
});
