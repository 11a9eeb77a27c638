/**
 * A journey's document record (DESIGN.md) as a Hop per observation, and the same record written as
 * JSON straight from the correlator's work (the Journey and its observations): the two side by
 * side, so that the hops' fields and their order cannot drift apart. Writing from the work saves
 * what a million-frame `--json`/`--ndjson` spent on a Hop object and a timestamp string per hop and
 * on JSON.stringify of each record, seconds of CPU and of garbage collection.
 */
import type { Hop, Journey } from './model.js';
import type { Observation } from './observation.js';
import type { JourneyWork } from './journey-work.js';
import { summaryOf } from './summary.js';
import { indent, writeValue, type JsonBytes } from './json-bytes.js';

/** A hop of the document. */
export function hopOf(o: Observation): Hop {
  // One shape for every hop (see Observer.observe); JSON.stringify leaves the undefined ones out.
  return {
    interface: o.iface,
    ts: `${o.tsSec}.${String(o.tsNsec).padStart(9, '0')}`,
    file: o.file,
    frame: o.frame,
    src: o.src,
    dst: o.dst,
    sport: o.sport,
    dport: o.dport,
    icmpId: o.icmpId,
    ttl: o.ttl,
    srcMac: o.srcMac,
    dstMac: o.dstMac,
    direction: o.direction,
  };
}

/** The punctuation of one layout: keys with what goes before them, as hopOf's fields print. */
interface Layout {
  pretty: boolean;
  /** How deep the journey's own braces are (pretty only). */
  depth: number;
  open: string;
  close: string;
  /** Before a journey key: the comma and newline (the first key has its brace instead). */
  keyGap: string;
  colon: string;
  hopsOpen: string;
  hopGap: string;
  hopsClose: string;
  hop: { interface: string; ts: string; file: string; frame: string; src: string; dst: string; sport: string; dport: string; icmpId: string; ttl: string; srcMac: string; dstMac: string; direction: string; close: string };
}

function layout(pretty: boolean, depth: number): Layout {
  const nl = (d: number): string => (pretty ? indent(d) : '');
  const colon = pretty ? ': ' : ':';
  const field = (name: string): string => `,${nl(depth + 3)}"${name}"${colon}`;
  return {
    pretty,
    depth,
    open: `${pretty ? '  '.repeat(depth) : ''}{`,
    close: `${nl(depth)}}`,
    keyGap: nl(depth + 1),
    colon,
    hopsOpen: `[${nl(depth + 2)}`,
    hopGap: `,${nl(depth + 2)}`,
    hopsClose: `${nl(depth + 1)}]`,
    hop: {
      interface: `{${nl(depth + 3)}"interface"${colon}`,
      ts: field('ts'),
      file: field('file'),
      frame: field('frame'),
      src: field('src'),
      dst: field('dst'),
      sport: field('sport'),
      dport: field('dport'),
      icmpId: field('icmpId'),
      ttl: field('ttl'),
      srcMac: field('srcMac'),
      dstMac: field('dstMac'),
      direction: field('direction'),
      close: `${nl(depth + 2)}}`,
    },
  };
}

/** NDJSON: one line, `"type":"journey"` first. */
const LINE = layout(false, 0);
/** A member of the --json document's journeys array (JsonDocumentWriter): its braces two levels deep, indented. */
const MEMBER = layout(true, 2);

/** The journey's record as its NDJSON line: JSON.stringify({ type: 'journey', ...record }) and a newline. */
export function writeJourneyLine(out: JsonBytes, w: JourneyWork): void {
  out.ascii('{"type":"journey"');
  writeFields(out, w, LINE, false);
  out.ascii('}\n');
}

/**
 * The journey's record as a member of the analysis document's journeys array prints: what
 * JSON.stringify(document, null, 2) has between the comma (or bracket) before it and the one after.
 */
export function writeJourneyMember(out: JsonBytes, w: JourneyWork): void {
  out.ascii(MEMBER.open);
  writeFields(out, w, MEMBER, true);
  out.ascii(MEMBER.close);
}

/**
 * The record's fields in the Journey's own order (the literal in Correlator.close), from the work:
 * `hops` from the observations and `summary` from the first, whatever w.journey holds for them
 * (a sink that serialises leaves them unmade); undefined fields left out, as JSON.stringify does.
 */
function writeFields(out: JsonBytes, w: JourneyWork, l: Layout, first: boolean): void {
  const j = w.journey;
  for (const k in j) {
    const key = k as keyof Journey;
    if (key === 'hops') {
      writeKey(out, l, key, first);
      writeHops(out, w.hops, l);
    } else if (key === 'summary') {
      writeKey(out, l, key, first);
      out.string(summaryOf(w.hops[0]));
    } else {
      const v = j[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      writeKey(out, l, key, first);
      writeValue(out, v, l.pretty, l.depth + 1);
    }
    first = false;
  }
}

function writeKey(out: JsonBytes, l: Layout, key: string, first: boolean): void {
  if (!first) out.ascii(',');
  out.ascii(l.keyGap);
  out.string(key);
  out.ascii(l.colon);
}

function writeHops(out: JsonBytes, hops: readonly Observation[], l: Layout): void {
  if (hops.length === 0) {
    out.ascii('[]');
    return;
  }
  out.ascii(l.hopsOpen);
  for (let i = 0; i < hops.length; i++) {
    if (i > 0) out.ascii(l.hopGap);
    writeHop(out, hops[i], l.hop);
  }
  out.ascii(l.hopsClose);
}

/** hopOf(o) serialised, field for field. */
function writeHop(out: JsonBytes, o: Observation, k: Layout['hop']): void {
  out.ascii(k.interface);
  out.string(o.iface);
  out.ascii(k.ts);
  writeTs(out, o.tsSec, o.tsNsec);
  out.ascii(k.file);
  out.string(o.file);
  out.ascii(k.frame);
  out.number(o.frame);
  out.ascii(k.src);
  out.string(o.src);
  out.ascii(k.dst);
  out.string(o.dst);
  if (o.sport !== undefined) {
    out.ascii(k.sport);
    out.number(o.sport);
  }
  if (o.dport !== undefined) {
    out.ascii(k.dport);
    out.number(o.dport);
  }
  if (o.icmpId !== undefined) {
    out.ascii(k.icmpId);
    out.number(o.icmpId);
  }
  if (o.ttl !== undefined) {
    out.ascii(k.ttl);
    out.number(o.ttl);
  }
  if (o.srcMac !== undefined) {
    out.ascii(k.srcMac);
    out.string(o.srcMac);
  }
  if (o.dstMac !== undefined) {
    out.ascii(k.dstMac);
    out.string(o.dstMac);
  }
  if (o.direction !== undefined) {
    out.ascii(k.direction);
    out.string(o.direction);
  }
  out.ascii(k.close);
}

/** hopOf's `ts`, digits written as they are (seconds and nine digits of nanoseconds) when they are plain. */
function writeTs(out: JsonBytes, sec: number, nsec: number): void {
  if ((sec | 0) === sec && sec >= 0 && (nsec | 0) === nsec && nsec >= 0 && nsec < 1e9) {
    out.ascii('"');
    out.digits(sec);
    out.ascii('.');
    out.digits(nsec, 9);
    out.ascii('"');
  } else out.string(`${sec}.${String(nsec).padStart(9, '0')}`);
}
