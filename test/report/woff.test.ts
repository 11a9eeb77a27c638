// The font package ships WOFF; Chromium's fontconfig reads only sfnt files, so the renderer rebuilds
// one. Every table of the rebuilt font must match the checksum the WOFF recorded for it.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { woffToSfnt } from '../../src/report/woff.js';

const NAME = '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff';
const WOFF = readFileSync(createRequire(import.meta.url).resolve(NAME));

function tags(sfnt: Buffer): string[] {
  return Array.from({ length: sfnt.readUInt16BE(4) }, (_, i) => sfnt.toString('latin1', 12 + 16 * i, 16 + 16 * i));
}

describe('woffToSfnt', () => {
  it('rebuilds the TrueType font of the pinned package, every table where its directory says', () => {
    const sfnt = woffToSfnt(WOFF, NAME);
    expect(sfnt.readUInt32BE(0)).toBe(0x00010000);
    expect(sfnt.length).toBe(WOFF.readUInt32BE(16)); // totalSfntSize: what the encoder read
    expect(tags(sfnt)).toContain('glyf');
    expect(tags(sfnt)).toEqual([...tags(sfnt)].sort());
  });

  it('refuses a damaged table, naming the file, the offset and the table', () => {
    const broken = Buffer.from(WOFF);
    // The first table's data (uncompressed or not): one bit flipped either fails to inflate or
    // fails the table's checksum.
    const firstTable = broken.readUInt32BE(44 + 4);
    broken[firstTable + 5] ^= 0x10;
    expect(() => woffToSfnt(broken, 'x.woff')).toThrow(/^x\.woff: byte \d+: table .{4} /);
  });

  it('refuses what is not WOFF', () => {
    expect(() => woffToSfnt(Buffer.from('wOF2 is another format entirely, not this one'), 'y.woff2')).toThrow('y.woff2: byte 0: not a WOFF 1.0 file');
  });
});
