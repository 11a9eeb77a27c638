/**
 * WOFF 1.0 back to the sfnt (TrueType/OpenType) file it wraps, as W3C's WOFF 1.0 section 5 rebuilds
 * it: each table inflated with zlib where it was compressed, laid out on four-byte boundaries behind
 * a fresh table directory. Chromium reads fonts on disk through fontconfig and FreeType, which take
 * an sfnt but not a WOFF, while the font package ships only WOFF and WOFF2 (WOFF2 would need its
 * glyf/loca transforms undone; WOFF needs only inflate).
 */
import { inflateSync } from 'node:zlib';

const WOFF_SIGNATURE = 0x774f4646; // 'wOFF'
const WOFF_HEADER = 44;
const WOFF_ENTRY = 20;
const SFNT_HEADER = 12;
const SFNT_ENTRY = 16;
const HEAD = 0x68656164; // 'head'
/** OpenType: the whole font sums to this once head.checkSumAdjustment is in. */
const FONT_CHECKSUM = 0xb1b0afba;

interface Table {
  tag: number;
  offset: number;
  compLength: number;
  origLength: number;
  checksum: number;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 4) sum = (sum + b.readUInt32BE(i)) >>> 0;
  return sum;
}

function fail(name: string, offset: number, reason: string): never {
  throw new Error(`${name}: byte ${offset}: ${reason}`);
}

/** The sfnt inside `woff`; throws naming `name`, the offset and the reason when it is not sound. */
export function woffToSfnt(woff: Buffer, name: string): Buffer {
  if (woff.length < WOFF_HEADER || woff.readUInt32BE(0) !== WOFF_SIGNATURE) fail(name, 0, 'not a WOFF 1.0 file');
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  if (WOFF_HEADER + numTables * WOFF_ENTRY > woff.length) fail(name, 12, `${numTables} tables do not fit the file`);
  const tables: Table[] = [];
  for (let i = 0; i < numTables; i++) {
    const at = WOFF_HEADER + i * WOFF_ENTRY;
    const t = { tag: woff.readUInt32BE(at), offset: woff.readUInt32BE(at + 4), compLength: woff.readUInt32BE(at + 8), origLength: woff.readUInt32BE(at + 12), checksum: woff.readUInt32BE(at + 16) };
    if (t.offset + t.compLength > woff.length) fail(name, at, 'table runs past the end of the file');
    tables.push(t);
  }

  const padded = (n: number) => (n + 3) & ~3;
  let size = SFNT_HEADER + numTables * SFNT_ENTRY;
  for (const t of tables) size += padded(t.origLength);
  const sfnt = Buffer.alloc(size);
  let entrySelector = 0;
  while (2 ** (entrySelector + 1) <= numTables) entrySelector++;
  const searchRange = 2 ** entrySelector * SFNT_ENTRY;
  sfnt.writeUInt32BE(flavor, 0);
  sfnt.writeUInt16BE(numTables, 4);
  sfnt.writeUInt16BE(searchRange, 6);
  sfnt.writeUInt16BE(entrySelector, 8);
  sfnt.writeUInt16BE(numTables * SFNT_ENTRY - searchRange, 10);

  // The directory keeps WOFF's order (ascending tags, as the sfnt directory wants); the data keeps
  // the order the tables had in the file.
  let dataAt = SFNT_HEADER + numTables * SFNT_ENTRY;
  for (const t of [...tables].sort((a, b) => a.offset - b.offset)) {
    const stored = woff.subarray(t.offset, t.offset + t.compLength);
    const data = t.compLength < t.origLength ? inflated(stored, t, name) : stored;
    if (data.length !== t.origLength) fail(name, t.offset, `table inflates to ${data.length} bytes, not ${t.origLength}`);
    data.copy(sfnt, dataAt);
    const entry = SFNT_HEADER + tables.indexOf(t) * SFNT_ENTRY;
    sfnt.writeUInt32BE(t.tag, entry);
    sfnt.writeUInt32BE(t.checksum, entry + 4);
    sfnt.writeUInt32BE(dataAt, entry + 8);
    sfnt.writeUInt32BE(t.origLength, entry + 12);
    dataAt += padded(t.origLength);
  }
  verify(sfnt, tables, name);
  return sfnt;
}

function inflated(stored: Buffer, t: Table, name: string): Buffer {
  try {
    return inflateSync(stored);
  } catch (e) {
    return fail(name, t.offset, `table ${tagName(t.tag)} does not inflate (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Every table against its recorded checksum, and the whole font against OpenType's constant. */
function verify(sfnt: Buffer, tables: Table[], name: string): void {
  for (let i = 0; i < tables.length; i++) {
    const entry = SFNT_HEADER + i * SFNT_ENTRY;
    const at = sfnt.readUInt32BE(entry + 8);
    const table = Buffer.from(sfnt.subarray(at, at + ((sfnt.readUInt32BE(entry + 12) + 3) & ~3)));
    if (tables[i].tag === HEAD) table.writeUInt32BE(0, 8); // checkSumAdjustment is left out of head's own sum
    if (checksum(table) !== tables[i].checksum) fail(name, tables[i].offset, `table ${tagName(tables[i].tag)} does not match its checksum`);
  }
  if (tables.some((t) => t.tag === HEAD) && checksum(sfnt) !== FONT_CHECKSUM) fail(name, 0, 'the rebuilt font does not match its checksum adjustment');
}

function tagName(tag: number): string {
  return String.fromCharCode(tag >>> 24, (tag >>> 16) & 0xff, (tag >>> 8) & 0xff, tag & 0xff);
}
