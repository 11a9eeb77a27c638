import { createRequire } from 'node:module';
import { relative } from 'node:path';
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusCaptures } from '../helpers/tools.js';
import { readAll } from './read-all.js';

interface ParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: string): EventEmitter };

/**
 * pcap-parser's records for a file, or its error when it cannot read it (it knows only the two
 * microsecond magics). It ends quietly on a cut-short record, so a short file gives fewer records.
 */
function parserRecords(path: string): Promise<{ packets: ParserPacket[]; error?: Error }> {
  return new Promise((resolve) => {
    const packets: ParserPacket[] = [];
    let error: Error | undefined;
    const parser = pcapParser.parse(path);
    parser.on('packet', (p: ParserPacket) => packets.push(p));
    parser.on('error', (e: Error) => {
      error ??= e;
    });
    parser.on('end', () => resolve({ packets, error }));
  });
}

const pcaps = corpusCaptures().filter((e) => e.format === 'pcap');

describe('classic pcap reader against pcap-parser', () => {
  it.skipIf(pcaps.length === 0)('gives pcap-parser\'s records for every corpus pcap that pcap-parser reads', async () => {
    let compared = 0;
    let frames = 0;
    const prefixOnly: string[] = [];
    const unreadable: string[] = [];
    const problems: string[] = [];
    for (const entry of pcaps) {
      const name = relative(CORPUS, entry.path);
      const theirs = await parserRecords(entry.path);
      if (theirs.error !== undefined) {
        unreadable.push(`${name} (${theirs.error.message})`);
        continue;
      }
      compared++;
      const ours = await readAll(entry.path);
      frames += ours.frames.length;
      if (ours.error !== undefined) prefixOnly.push(`${name} (${String(ours.error)}; ${theirs.packets.length} records for pcap-parser)`);
      // Where the reader stops at damage, what it delivered must be pcap-parser's first records.
      if (ours.error === undefined ? ours.frames.length !== theirs.packets.length : ours.frames.length > theirs.packets.length) {
        problems.push(`${name}: ${ours.frames.length} frames, pcap-parser ${theirs.packets.length}`);
        continue;
      }
      ours.frames.forEach((f, i) => {
        const p = theirs.packets[i];
        const usOurs = BigInt(f.tsSec) * 1_000_000n + BigInt(f.tsNsec / 1000);
        const usTheirs = BigInt(p.header.timestampSeconds) * 1_000_000n + BigInt(p.header.timestampMicroseconds);
        const where = `${name} frame ${f.number}`;
        if (f.tsNsec % 1000 !== 0) problems.push(`${where}: nanoseconds in a microsecond file`);
        if (usOurs !== usTheirs) problems.push(`${where}: time ${usOurs} us, pcap-parser ${usTheirs}`);
        if (f.caplen !== p.header.capturedLength) problems.push(`${where}: caplen ${f.caplen}, pcap-parser ${p.header.capturedLength}`);
        if (f.origLen !== p.header.originalLength) problems.push(`${where}: length ${f.origLen}, pcap-parser ${p.header.originalLength}`);
        if (Buffer.compare(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength), p.data) !== 0) problems.push(`${where}: bytes differ`);
      });
    }
    console.log(
      `pcap-parser comparison: ${compared - new Set(problems.map((p) => p.split(':')[0].replace(/ frame \d+$/, ''))).size}/${compared} readable pcaps match ` +
        `(${frames} frames); ${prefixOnly.length} of them the reader refuses as damaged, compared up to the damage:\n  ` +
        `${prefixOnly.join('\n  ')}\n${unreadable.length} of ${pcaps.length} pcaps pcap-parser cannot read:\n  ${unreadable.join('\n  ')}`,
    );
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(0);
  });
});
