import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { frameTimeNs } from '../../src/capture/index.js';
import { CORPUS, corpusCaptures, skipReason } from '../helpers/tools.js';
import { inPool, readAll } from './read-all.js';

const run = promisify(execFile);

/**
 * The rules by which tshark's output is read (each found on the corpus, none naming a file):
 * - A pcapng record without an interface id is a Custom Block (0x00000BAD, 0x40000BAD): wiretap
 *   hands those out as records, but they are no packets (capinfos -c and libpcap skip them), so such
 *   lines are dropped before comparing.
 * - A record with no time (an empty field) is a Simple Packet Block, which has no timestamp; the
 *   reader gives it the epoch.
 * - A pcap record whose sub-second field is a second or more gets, from wiretap's 32-bit arithmetic,
 *   a fraction of ten digits, a negative time or a wrapped value. The reader carries the excess into the
 *   seconds and notes an anomaly for the frame; those frames are compared with the file's raw fields
 *   instead of with tshark, and their count with INDEX.tsv's `frac>=1s`.
 */
function tsharkNs(text: string): bigint | undefined {
  if (text === '') return 0n;
  const m = /^(\d+)\.(\d{9})$/.exec(text);
  return m === null ? undefined : BigInt(m[1]) * 1_000_000_000n + BigInt(m[2]);
}

function rawPcapNs(bytes: Buffer, fileOffset: number): bigint {
  const nano = bytes.readUInt32LE(0) === 0xa1b23c4d || bytes.readUInt32BE(0) === 0xa1b23c4d;
  const little = bytes.readUInt32LE(0) === 0xa1b2c3d4 || bytes.readUInt32LE(0) === 0xa1b23c4d;
  const sec = little ? bytes.readUInt32LE(fileOffset) : bytes.readUInt32BE(fileOffset);
  const frac = little ? bytes.readUInt32LE(fileOffset + 4) : bytes.readUInt32BE(fileOffset + 4);
  return BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n);
}

const entries = corpusCaptures().filter((e) => e.tsharkReads === 'yes');
const missing = skipReason(['tshark']);

// In parts, so that no single test runs for minutes (vitest's worker RPC gives up after 60 s).
const PART = 24;
const parts = Array.from({ length: Math.ceil(entries.length / PART) }, (_, i) => entries.slice(i * PART, (i + 1) * PART));

describe('reader against tshark on the corpus', () => {
  parts.forEach((part, index) => it.skipIf(missing !== undefined)(
    `reads every capture tshark reads with tshark's packet count and timestamps (part ${index + 1} of ${parts.length}, ${part.length} files) ${missing ?? ''}`,
    async () => {
      const outcomes = await inPool(part, 2, async (entry) => {
        const name = relative(CORPUS, entry.path);
        const { stdout } = await run('tshark', ['-n', '--disable-protocol', 'ALL', '-r', entry.path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.interface_id'], {
          maxBuffer: 1 << 28,
        });
        const lines = stdout.length === 0 ? [] : stdout.replace(/\n$/, '').split('\n');
        const rows = lines.map((l) => l.split('\t'));
        const theirs = entry.format === 'pcapng' ? rows.filter((r) => r[1] !== '') : rows;
        const customBlocks = rows.length - theirs.length;
        const ours = await readAll(entry.path);
        const problems: string[] = [];
        if (ours.error !== undefined) problems.push(`reader failed: ${String(ours.error)}`);
        if (ours.frames.length !== theirs.length) problems.push(`${ours.frames.length} frames, tshark ${theirs.length}`);
        if (/^\d+$/.test(entry.packets) && Number(entry.packets) !== ours.frames.length) {
          problems.push(`${ours.frames.length} frames, capinfos ${entry.packets}`);
        }
        const subSecond = new Set((ours.info?.anomalies ?? []).filter((a) => a.includes('sub-second')).map((a) => Number(/^frame (\d+)/.exec(a)?.[1])));
        const expectSubSecond = Number(/frac>=1s=(\d+)/.exec(entry.anomalies)?.[1] ?? 0);
        if (subSecond.size !== expectSubSecond) problems.push(`${subSecond.size} sub-second anomalies, INDEX.tsv ${expectSubSecond}`);
        const raw = subSecond.size > 0 ? await readFile(entry.path) : undefined;
        const n = Math.min(ours.frames.length, theirs.length);
        for (let i = 0; i < n && problems.length < 5; i++) {
          const f = ours.frames[i];
          if (raw !== undefined && subSecond.has(f.number)) {
            if (frameTimeNs(f) !== rawPcapNs(raw, f.fileOffset)) problems.push(`frame ${f.number}: ${frameTimeNs(f)} ns, raw fields ${rawPcapNs(raw, f.fileOffset)}`);
            continue;
          }
          const want = tsharkNs(theirs[i][0]);
          if (frameTimeNs(f) !== want) problems.push(`frame ${f.number}: ${frameTimeNs(f)} ns, tshark ${theirs[i][0]}`);
        }
        return { name, frames: ours.frames.length, invalid: subSecond.size, customBlocks, problems };
      });
      const bad = outcomes.filter((o) => o.problems.length > 0);
      const frames = outcomes.reduce((s, o) => s + o.frames, 0);
      const invalid = outcomes.reduce((s, o) => s + o.invalid, 0);
      const custom = outcomes.reduce((s, o) => s + o.customBlocks, 0);
      console.log(
        `tshark comparison: ${outcomes.length - bad.length}/${outcomes.length} files match (${frames} frames; ` +
          `${invalid} frames with a sub-second field of a second or more checked against their raw fields; ` +
          `${custom} tshark custom-block records dropped)`,
      );
      expect(bad.map((o) => `${o.name}: ${o.problems.join('; ')}`)).toEqual([]);
    },
    600_000,
  ));
});
