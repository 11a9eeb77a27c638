/**
 * The mutator: a seeded sequence of structure-aware edits of a capture file. Every edit is named in
 * `steps`, so a failing case is readable as well as reproducible from its seed.
 */
import { concat } from './frames.js';
import { isPacketUnit, scanLayout, type Layout, type Unit } from './layout.js';
import type { Prng } from './prng.js';

export interface Mutation {
  bytes: Uint8Array;
  steps: string[];
  /**
   * Set when the only edit was a cut at a unit boundary or inside a unit (starting at `unit`): the
   * harness then knows which frames must survive.
   */
  cut?: Cut;
}

export interface Cut {
  at: number;
  unit: number;
  boundary: boolean;
}

type Edit = (b: Uint8Array, layout: Layout, rng: Prng) => { bytes: Uint8Array; step: string; cut?: Cut } | undefined;

/** Lengths that broke readers before: zero, tiny, odd, just past a limit, sign bit, all ones. */
const LENGTHS = [0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 15, 16, 27, 28, 31, 32, 33, 0x3fff, 0xffff, 0x40000, 0x40001, 0x1000000, 0x1000004, 0x7ffffffc, 0x80000000, 0x80000004, 0xfffffffc, 0xffffffff];
const LINKTYPES = [0, 1, 6, 9, 12, 14, 101, 104, 105, 108, 113, 127, 147, 192, 228, 229, 276, 0xffff];
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x11, 0x29, 0x2b, 0x2c, 0x3a, 0x3b, 0x3c, 0x40, 0x45, 0x60, 0x7f, 0x80, 0x81, 0xc0, 0xc1, 0xfe, 0xff];
const HOSTILE_TEXT = ['<script>alert(1)</script>', '`x` **y** [z](javascript:1)', 'a\nb\r\n# h', 'p1->>p2: x', 'end', '%%{init:{}}%%', '\u0000\u2028|||', 'é'.repeat(40), '\ud800', ''];

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function units(layout: Layout, filter: (u: Unit) => boolean = () => true): Unit[] {
  return layout.units.filter(filter);
}

function boundaries(layout: Layout): number[] {
  const out = layout.units.map((u) => u.offset);
  if (layout.units.length > 0) out.push(layout.end);
  return out;
}

const truncateAtBoundary: Edit = (b, layout, rng) => {
  const all = boundaries(layout);
  if (all.length === 0) return undefined;
  const at = rng.pick(all);
  return { bytes: b.slice(0, at), step: `cut at boundary ${at}`, cut: { at, unit: at, boundary: true } };
};

const truncateInsideUnit: Edit = (b, layout, rng) => {
  const us = units(layout, (u) => u.length > 1);
  if (us.length === 0) return undefined;
  const u = rng.pick(us);
  const at = u.offset + 1 + rng.below(u.length - 1);
  return { bytes: b.slice(0, at), step: `cut inside ${u.kind}@${u.offset} at ${at}`, cut: { at, unit: u.offset, boundary: false } };
};

const truncateRandom: Edit = (b, _layout, rng) => {
  const at = rng.below(b.length + 1);
  return { bytes: b.slice(0, at), step: `cut at ${at}` };
};

const bitFlips: Edit = (b, layout, rng) => {
  if (b.length === 0) return undefined;
  const out = b.slice();
  const n = 1 + rng.below(8);
  const where: number[] = [];
  // Half the flips land in the first 32 bytes of a unit, where the headers and lengths are.
  for (let i = 0; i < n; i++) {
    let at = rng.below(out.length);
    if (layout.units.length > 0 && rng.chance(0.5)) {
      const u = rng.pick(layout.units);
      at = Math.min(out.length - 1, u.offset + rng.below(Math.min(32, u.length)));
    }
    out[at] ^= 1 << rng.below(8);
    where.push(at);
  }
  return { bytes: out, step: `flip bits at ${where.join(',')}` };
};

const setLength: Edit = (b, layout, rng) => {
  const fields = layout.units.flatMap((u) => u.lengthFields.map((f) => ({ f, little: u.little, u })));
  const ok = fields.filter((x) => x.f + 4 <= b.length);
  if (ok.length === 0) return undefined;
  const { f, little, u } = rng.pick(ok);
  const out = b.slice();
  const old = view(out).getUint32(f, little);
  const choice = rng.below(4);
  const value = choice === 0 ? (old + (rng.below(9) - 4)) >>> 0 : choice === 1 ? (rng.u32() | 1) >>> 0 : rng.pick(LENGTHS);
  view(out).setUint32(f, value, little);
  return { bytes: out, step: `length field ${f} of ${u.kind}@${u.offset}: ${old} -> ${value}` };
};

const swapMagic: Edit = (b, layout, rng) => {
  const out = b.slice();
  if (layout.format === 'pcap' && out.length >= 4) {
    out.subarray(0, 4).reverse();
    return { bytes: out, step: 'byte-swap the pcap magic' };
  }
  const shbs = units(layout, (u) => u.kind === 'shb');
  if (shbs.length === 0) return undefined;
  const s = rng.pick(shbs);
  out.subarray(s.offset + 8, s.offset + 12).reverse();
  if (rng.chance(0.5)) out.subarray(s.offset + 4, s.offset + 8).reverse();
  return { bytes: out, step: `byte-swap the byte-order magic of shb@${s.offset}` };
};

const duplicateUnit: Edit = (b, layout, rng) => {
  if (layout.units.length === 0) return undefined;
  const u = rng.pick(layout.units);
  const at = rng.pick(boundaries(layout));
  const copy = b.slice(u.offset, u.offset + u.length);
  const times = rng.chance(0.1) ? 2 + rng.below(50) : 1;
  return { bytes: concat(b.subarray(0, at), ...Array.from({ length: times }, () => copy), b.subarray(at)), step: `copy ${u.kind}@${u.offset} ${times}x to ${at}` };
};

const moveUnit: Edit = (b, layout, rng) => {
  if (layout.units.length < 2) return undefined;
  const u = rng.pick(layout.units);
  const rest = concat(b.subarray(0, u.offset), b.subarray(u.offset + u.length));
  const positions = boundaries(layout).map((p) => (p > u.offset ? p - u.length : p)).filter((p) => p <= rest.length);
  const at = rng.pick(positions);
  return { bytes: concat(rest.subarray(0, at), b.subarray(u.offset, u.offset + u.length), rest.subarray(at)), step: `move ${u.kind}@${u.offset} to ${at}` };
};

const deleteUnit: Edit = (b, layout, rng) => {
  if (layout.units.length === 0) return undefined;
  const u = rng.pick(layout.units);
  return { bytes: concat(b.subarray(0, u.offset), b.subarray(u.offset + u.length)), step: `delete ${u.kind}@${u.offset}` };
};

const setLinktype: Edit = (b, layout, rng) => {
  const us = units(layout, (u) => u.linktype !== undefined);
  if (us.length === 0) return undefined;
  const u = rng.pick(us);
  const out = b.slice();
  const { offset, width } = u.linktype!;
  const value = rng.chance(0.8) ? rng.pick(LINKTYPES) : rng.u32();
  if (width === 2) view(out).setUint16(offset, value & 0xffff, u.little);
  else view(out).setUint32(offset, value >>> 0, u.little);
  return { bytes: out, step: `linktype of ${u.kind}@${u.offset} -> ${width === 2 ? value & 0xffff : value >>> 0}` };
};

/** A pcapng block of `type` with the given body, lengths right (or as `length` says). */
export function pcapngBlock(type: number, body: Uint8Array, little: boolean, length?: number): Uint8Array {
  const padded = concat(body, new Uint8Array((4 - (body.length % 4)) % 4));
  const total = 12 + padded.length;
  const out = new Uint8Array(total);
  const v = view(out);
  v.setUint32(0, type, little);
  v.setUint32(4, length ?? total, little);
  out.set(padded, 8);
  v.setUint32(total - 4, length ?? total, little);
  return out;
}

function randomOptions(rng: Prng, little: boolean, codes: number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const n = rng.below(6);
  for (let i = 0; i < n; i++) {
    const code = rng.chance(0.8) ? rng.pick(codes) : rng.below(0x10000);
    let value: Uint8Array;
    if (code === 2 || code === 3 || code === 1) value = new TextEncoder().encode(rng.pick(HOSTILE_TEXT));
    else if (code === 9) value = Uint8Array.of(rng.pick([0, 3, 6, 9, 10, 19, 63, 0x7f, 0x80, 0x88, 0xbf, 0xff]));
    else if (code === 14) {
      value = new Uint8Array(8);
      view(value).setBigInt64(0, rng.pick([0n, -1n, 1n << 62n, -(1n << 63n), (1n << 63n) - 1n, BigInt(rng.u32())]), little);
    } else value = rng.bytes(rng.below(12));
    const declared = rng.chance(0.1) ? rng.pick([0, 1, 0xffff, value.length + 4]) : value.length;
    const head = new Uint8Array(4);
    view(head).setUint16(0, code, little);
    view(head).setUint16(2, declared, little);
    parts.push(head, value, new Uint8Array((4 - (value.length % 4)) % 4));
  }
  if (rng.chance(0.8)) parts.push(new Uint8Array(4));
  return concat(...parts);
}

const idbOptions: Edit = (b, layout, rng) => {
  const idbs = units(layout, (u) => u.kind === 'idb');
  if (idbs.length === 0) return undefined;
  const u = rng.pick(idbs);
  const fixed = b.slice(u.offset + 8, u.offset + 16);
  const block = pcapngBlock(1, concat(fixed, randomOptions(rng, u.little, [0, 1, 2, 3, 9, 14, 4, 5, 6, 8, 11, 12])), u.little);
  return { bytes: concat(b.subarray(0, u.offset), block, b.subarray(u.offset + u.length)), step: `new options for idb@${u.offset}` };
};

const packetOptions: Edit = (b, layout, rng) => {
  const epbs = units(layout, (u) => u.kind === 'epb' && u.data !== undefined);
  if (epbs.length === 0) return undefined;
  const u = rng.pick(epbs);
  const head = b.slice(u.offset + 8, u.options!.start);
  const block = pcapngBlock(6, concat(head, randomOptions(rng, u.little, [0, 1, 2, 3, 4, 5, 6, 7])), u.little);
  return { bytes: concat(b.subarray(0, u.offset), block, b.subarray(u.offset + u.length)), step: `new options for epb@${u.offset}` };
};

const interfaceId: Edit = (b, layout, rng) => {
  const us = units(layout, (u) => u.interfaceId !== undefined);
  if (us.length === 0) return undefined;
  const u = rng.pick(us);
  const out = b.slice();
  const value = rng.pick([0, 1, 2, 3, 255, 0xffff, 0x7fffffff, 0xffffffff]);
  if (u.kind === 'pb') view(out).setUint16(u.interfaceId!, value & 0xffff, u.little);
  else view(out).setUint32(u.interfaceId!, value, u.little);
  return { bytes: out, step: `interface id of ${u.kind}@${u.offset} -> ${value}` };
};

const timestamps: Edit = (b, layout, rng) => {
  const us = units(layout, (u) => u.kind === 'pcap-record' || u.kind === 'epb' || u.kind === 'isb');
  if (us.length === 0) return undefined;
  const u = rng.pick(us);
  const out = b.slice();
  const base = u.kind === 'pcap-record' ? u.offset : u.offset + 12;
  const hi = rng.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, rng.u32()]);
  const lo = rng.pick([0, 999_999, 1_000_000, 999_999_999, 1_000_000_000, 0xffffffff, rng.u32()]);
  view(out).setUint32(base, hi, u.little);
  view(out).setUint32(base + 4, lo, u.little);
  return { bytes: out, step: `timestamp of ${u.kind}@${u.offset} -> ${hi}/${lo}` };
};

/** Bytes inside a packet set to values that steer decoders (lengths, version nibbles, DNS pointers). */
const packetBytes: Edit = (b, layout, rng) => {
  const us = units(layout, (u) => isPacketUnit(u) && u.data !== undefined && u.data.length > 0);
  if (us.length === 0) return undefined;
  const u = rng.pick(us);
  const out = b.slice();
  const n = 1 + rng.below(6);
  const where: string[] = [];
  for (let i = 0; i < n; i++) {
    // Headers are near the start of a frame: aim there more often.
    const span = rng.chance(0.6) ? Math.min(u.data!.length, 80) : u.data!.length;
    const at = u.data!.offset + rng.below(span);
    if (at >= out.length) continue;
    out[at] = rng.chance(0.7) ? rng.pick(INTERESTING_BYTES) : rng.below(256);
    where.push(`${at}=${out[at]}`);
  }
  return { bytes: out, step: `packet bytes of ${u.kind}@${u.offset}: ${where.join(' ')}` };
};

/** A slice of one frame copied over another: a header where a payload was, a payload where a header was. */
const splice: Edit = (b, layout, rng) => {
  const us = units(layout, (u) => isPacketUnit(u) && u.data !== undefined && u.data.length > 4);
  if (us.length < 1) return undefined;
  const from = rng.pick(us).data!;
  const to = rng.pick(us).data!;
  const len = 1 + rng.below(Math.min(from.length, to.length, 64));
  const src = from.offset + rng.below(from.length - len + 1);
  const dst = to.offset + rng.below(to.length - len + 1);
  const out = b.slice();
  out.copyWithin(dst, src, src + len);
  return { bytes: out, step: `copy ${len} packet bytes ${src} -> ${dst}` };
};

/** Blocks a reader must survive: zero or self-referencing lengths, unknown types, custom blocks, NRB/ISB noise. */
const insertBlock: Edit = (b, layout, rng) => {
  if (layout.format !== 'pcapng') return undefined;
  const at = rng.pick(boundaries(layout));
  const little = layout.units.find((u) => u.offset <= at)?.little ?? true;
  let block: Uint8Array;
  let what: string;
  switch (rng.below(6)) {
    case 0:
      block = pcapngBlock(rng.pick([0, 7, 8, 0xbad, 0x40000bad, 0x80000001, rng.u32()]), rng.bytes(rng.below(40)), little);
      what = 'unknown block';
      break;
    case 1: {
      block = pcapngBlock(rng.pick([1, 2, 3, 4, 5, 6]), new Uint8Array(0), little, rng.pick([0, 4, 8, 12]));
      what = 'block with a tiny length';
      break;
    }
    case 2: {
      const body = concat(Uint8Array.of(1, 0, 8, 0, 10, 0, 0, 1), new TextEncoder().encode(`${rng.pick(HOSTILE_TEXT)}\0x\0`));
      block = pcapngBlock(4, concat(body, new Uint8Array(4)), little);
      what = 'name resolution block';
      break;
    }
    case 3:
      block = pcapngBlock(5, concat(new Uint8Array(12), randomOptions(rng, little, [1, 2, 3, 4, 5, 6, 7, 8])), little);
      what = 'statistics block';
      break;
    case 4: {
      const fixed = new Uint8Array(8);
      view(fixed).setUint16(0, rng.pick(LINKTYPES), little);
      view(fixed).setUint32(4, rng.pick([0, 1, 14, 64, 65535, 262144, 0xffffffff]), little);
      block = pcapngBlock(1, concat(fixed, randomOptions(rng, little, [2, 9, 14])), little);
      what = 'interface description';
      break;
    }
    default: {
      const sec = new Uint8Array(16);
      const sv = view(sec);
      sv.setUint32(0, 0x1a2b3c4d, little);
      sv.setUint16(4, rng.pick([1, 1, 1, 0, 2]), little);
      sv.setUint16(6, rng.pick([0, 0, 2, 1]), little);
      sv.setBigInt64(8, -1n, little);
      block = pcapngBlock(0x0a0d0d0a, concat(sec, randomOptions(rng, little, [1, 2, 3, 4])), little);
      what = 'section header';
    }
  }
  return { bytes: concat(b.subarray(0, at), block, b.subarray(at)), step: `insert ${what} (${block.length} bytes) at ${at}` };
};

const insertGarbage: Edit = (b, layout, rng) => {
  const at = rng.chance(0.5) ? rng.pick(boundaries(layout).concat([0])) : rng.below(b.length + 1);
  const junk = rng.chance(0.3) ? new Uint8Array(rng.below(64)) : rng.bytes(1 + rng.below(64));
  return { bytes: concat(b.subarray(0, at), junk, b.subarray(at)), step: `insert ${junk.length} bytes at ${at}` };
};

const EDITS: [Edit, number][] = [
  [truncateAtBoundary, 6],
  [truncateInsideUnit, 6],
  [truncateRandom, 4],
  [bitFlips, 10],
  [setLength, 12],
  [swapMagic, 2],
  [duplicateUnit, 4],
  [moveUnit, 4],
  [deleteUnit, 3],
  [setLinktype, 5],
  [idbOptions, 4],
  [packetOptions, 3],
  [interfaceId, 3],
  [timestamps, 3],
  [packetBytes, 16],
  [splice, 6],
  [insertBlock, 5],
  [insertGarbage, 3],
];
const TOTAL_WEIGHT = EDITS.reduce((n, [, w]) => n + w, 0);

function pickEdit(rng: Prng): Edit {
  let r = rng.below(TOTAL_WEIGHT);
  for (const [e, w] of EDITS) {
    if (r < w) return e;
    r -= w;
  }
  return EDITS[0][0];
}

/** One to `maxEdits` edits of `input`, rescanning between edits so later ones aim at the new layout. */
export function mutate(input: Uint8Array, rng: Prng, maxEdits = 3): Mutation {
  const edits = 1 + rng.below(maxEdits);
  let bytes = input;
  const steps: string[] = [];
  let cut: Mutation['cut'];
  for (let i = 0; i < edits; i++) {
    const layout = scanLayout(bytes);
    let done: ReturnType<Edit>;
    for (let attempt = 0; attempt < 8 && done === undefined; attempt++) done = pickEdit(rng)(bytes, layout, rng);
    if (done === undefined) done = bitFlips(bytes, layout, rng) ?? insertGarbage(bytes, layout, rng);
    if (done === undefined) break;
    bytes = done.bytes;
    steps.push(done.step);
    cut = i === 0 && edits === 1 ? done.cut : undefined;
  }
  return { bytes, steps, cut };
}
