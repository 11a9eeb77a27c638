/**
 * A journey's document record (DESIGN.md) as a Hop per observation, and the same record written as
 * JSON straight from the correlator's work (the Journey and its observations): the two side by
 * side, so that the hops' fields and their order cannot drift apart. Writing from the work saves
 * what a million-frame `--json`/`--ndjson` spent on a Hop object and a timestamp string per hop and
 * on JSON.stringify of each record, seconds of CPU and of garbage collection.
 */
import type { Hop, NatRewrite, Step } from './model.js';
import type { Observation } from './observation.js';
import type { JourneyWork } from './journey-work.js';
import { summaryOf } from './summary.js';
import { formatEpochNs } from '../capture/frame.js';
import { encoded, Fragments, indent, type JsonBytes } from './json-bytes.js';

/** A hop of the document. */
export function hopOf(o: Observation): Hop {
  // One shape for every hop (see Observer.observe); JSON.stringify leaves the undefined ones out.
  return {
    interface: o.iface,
    ts: formatEpochNs(o),
    file: o.file,
    frame: o.frame,
    src: o.src,
    dst: o.dst,
    sport: o.sport,
    dport: o.dport,
    icmpId: o.detail?.icmpId,
    ttl: o.ttl,
    srcMac: o.srcMac,
    dstMac: o.dstMac,
    direction: o.direction,
  };
}

/**
 * The record's fields in the order of the Journey literal in blankWork, correlator.ts (one shape for every
 * journey, so the document's key order is this one); the test holds every record's keys to it.
 */
export const JOURNEY_KEYS = ['id', 'kind', 'summary', 'hops', 'steps', 'fate', 'reason', 'isReply', 'answerOf', 'answeredBy', 'flow', 'retransmission', 'answersCopy', 'resetOf'] as const;
/** A Step's fields in the order stepFrom (and the fates' local steps) make them. */
export const STEP_KEYS = ['from', 'to', 'kind', 'latencyNs', 'nat', 'natAlso'] as const;
const HOP_KEYS = ['interface', 'ts', 'file', 'frame', 'src', 'dst', 'sport', 'dport', 'icmpId', 'ttl', 'srcMac', 'dstMac', 'direction'] as const;
const NAT_KEYS = ['type', 'before', 'after'] as const;

/** Each key with what goes before it (a comma or the opening brace, the indentation) and its colon. */
type Keys<K extends string> = Record<K | 'close', string>;

function keys<K extends string>(names: readonly K[], open: string, pretty: boolean, depth: number): Keys<K> {
  const nl = pretty ? indent(depth + 1) : '';
  const colon = pretty ? ': ' : ':';
  const out = { close: `${pretty ? indent(depth) : ''}}` } as Keys<K>;
  names.forEach((name, i) => {
    (out as Record<string, string>)[name] = `${i === 0 ? open : ','}${nl}"${name}"${colon}`;
  });
  return out;
}

/** The same as bytes. */
function bytesOf<K extends string>(k: Keys<K>): Record<K | 'close', Uint8Array> {
  return Object.fromEntries(Object.entries(k).map(([name, text]) => [name, encoded(text as string)])) as unknown as Record<K | 'close', Uint8Array>;
}

/** The punctuation of one layout: the journey's braces `depth` levels deep, its lists and their members below. */
interface Layout {
  journey: Record<(typeof JOURNEY_KEYS)[number] | 'close', Uint8Array>;
  hop: Record<(typeof HOP_KEYS)[number] | 'close', Uint8Array>;
  step: Record<(typeof STEP_KEYS)[number] | 'close', Uint8Array>;
  nat: Record<(typeof NAT_KEYS)[number] | 'close', Uint8Array>;
  /** A hop's fields that repeat from hop to hop, with their keys. */
  hopIface: Fragments;
  hopFile: Fragments;
  hopSrc: Fragments;
  hopDst: Fragments;
  hopMacs: Fragments;
  /** A step's ends, with their keys and the next. */
  stepEnds: Fragments;
  /** A list's opening bracket and first member's indentation, the gap between members, its closing bracket. */
  listOpen: Uint8Array;
  listGap: Uint8Array;
  listClose: Uint8Array;
}

function layout(pretty: boolean, depth: number, journeyOpen: string): Layout {
  const nl = (d: number): string => (pretty ? indent(d) : '');
  const hop = keys(HOP_KEYS, '{', pretty, depth + 2);
  const step = keys(STEP_KEYS, '{', pretty, depth + 2);
  return {
    journey: bytesOf(keys(JOURNEY_KEYS, journeyOpen, pretty, depth)),
    hop: bytesOf(hop),
    step: bytesOf(step),
    nat: bytesOf(keys(NAT_KEYS, '{', pretty, depth + 3)),
    hopIface: new Fragments(hop.interface, hop.ts),
    hopFile: new Fragments(hop.file, hop.frame),
    // Addresses one by one: pairs of them are as many as the conversations, too many to keep.
    hopSrc: new Fragments(hop.src, ''),
    hopDst: new Fragments(hop.dst, ''),
    hopMacs: new Fragments(hop.srcMac, '', hop.dstMac),
    stepEnds: new Fragments(step.from, step.kind, step.to),
    listOpen: encoded(`[${nl(depth + 2)}`),
    listGap: encoded(`,${nl(depth + 2)}`),
    listClose: encoded(`${nl(depth + 1)}]`),
  };
}

/** NDJSON: one line, `"type":"journey"` first. */
const LINE = layout(false, 0, '{"type":"journey",');
/** A member of the --json document's journeys array (JsonDocumentWriter): its braces two levels deep, indented. */
const MEMBER = layout(true, 2, '    {');

/** The journey's record as its NDJSON line: JSON.stringify({ type: 'journey', ...record }) and a newline. */
export function writeJourneyLine(out: JsonBytes, w: JourneyWork): void {
  writeJourney(out, w, LINE);
  out.ascii('\n');
}

/**
 * The journey's record as a member of the analysis document's journeys array prints: what
 * JSON.stringify(document, null, 2) has between the comma (or bracket) before it and the one after.
 */
export function writeJourneyMember(out: JsonBytes, w: JourneyWork): void {
  writeJourney(out, w, MEMBER);
}

/**
 * The record, from the work: `hops` from the observations and `summary` from the first, whatever
 * w.journey holds for them (a sink that serialises leaves them unmade); undefined fields left out,
 * as JSON.stringify does. id, kind, summary, hops, steps and fate are always there.
 */
function writeJourney(out: JsonBytes, w: JourneyWork, l: Layout): void {
  const j = w.journey;
  const k = l.journey;
  out.bytes(k.id);
  out.number(j.id);
  out.bytes(k.kind);
  out.string(j.kind);
  out.bytes(k.summary);
  out.string(summaryOf(w.hops[0]));
  out.bytes(k.hops);
  writeHops(out, w.hops, l);
  out.bytes(k.steps);
  writeSteps(out, j.steps, l);
  out.bytes(k.fate);
  out.string(j.fate);
  stringField(out, k.reason, j.reason);
  booleanField(out, k.isReply, j.isReply);
  numberField(out, k.answerOf, j.answerOf);
  numberField(out, k.answeredBy, j.answeredBy);
  numberField(out, k.flow, j.flow);
  booleanField(out, k.retransmission, j.retransmission);
  booleanField(out, k.answersCopy, j.answersCopy);
  numberField(out, k.resetOf, j.resetOf);
  out.bytes(k.close);
}

/** A field that may be undefined, left out then, as JSON.stringify does. */
function numberField(out: JsonBytes, key: Uint8Array, v: number | undefined): void {
  if (v === undefined) return;
  out.bytes(key);
  out.number(v);
}

function stringField(out: JsonBytes, key: Uint8Array, v: string | undefined): void {
  if (v === undefined) return;
  out.bytes(key);
  out.string(v);
}

function booleanField(out: JsonBytes, key: Uint8Array, v: boolean | undefined): void {
  if (v === undefined) return;
  out.bytes(key);
  out.ascii(v ? 'true' : 'false');
}

function writeHops(out: JsonBytes, hops: readonly Observation[], l: Layout): void {
  if (hops.length === 0) {
    out.ascii('[]');
    return;
  }
  out.bytes(l.listOpen);
  for (let i = 0; i < hops.length; i++) {
    if (i > 0) out.bytes(l.listGap);
    writeHop(out, hops[i], l);
  }
  out.bytes(l.listClose);
}

/** hopOf(o) serialised, field for field. */
function writeHop(out: JsonBytes, o: Observation, l: Layout): void {
  const k = l.hop;
  l.hopIface.write(out, o.iface);
  writeTs(out, o.tsSec, o.tsNsec);
  l.hopFile.write(out, o.file);
  out.number(o.frame);
  l.hopSrc.write(out, o.src);
  l.hopDst.write(out, o.dst);
  numberField(out, k.sport, o.sport);
  numberField(out, k.dport, o.dport);
  numberField(out, k.icmpId, o.detail?.icmpId);
  numberField(out, k.ttl, o.ttl);
  if (o.srcMac !== undefined && o.dstMac !== undefined) l.hopMacs.writePair(out, o.srcMac, o.dstMac);
  else {
    stringField(out, k.srcMac, o.srcMac);
    stringField(out, k.dstMac, o.dstMac);
  }
  stringField(out, k.direction, o.direction);
  out.bytes(k.close);
}

/** The seconds of the last `ts` written, and their bytes with the quote before and the point after. */
let tsSec = -1;
let tsSecBytes: Uint8Array = encoded('"0.');

/** hopOf's `ts`, digits written as they are (seconds and nine digits of nanoseconds) when they are plain. */
function writeTs(out: JsonBytes, sec: number, nsec: number): void {
  if ((sec | 0) === sec && sec >= 0 && (nsec | 0) === nsec && nsec >= 0 && nsec < 1e9) {
    // Hops come in time order: the seconds change once a second of capture.
    if (sec !== tsSec) {
      tsSec = sec;
      tsSecBytes = encoded(`"${sec}.`);
    }
    out.bytes(tsSecBytes);
    out.digits(nsec, 9);
    out.ascii('"');
  } else out.string(formatEpochNs({ tsSec: sec, tsNsec: nsec }));
}

function writeSteps(out: JsonBytes, steps: readonly Step[], l: Layout): void {
  if (steps.length === 0) {
    out.ascii('[]');
    return;
  }
  out.bytes(l.listOpen);
  const k = l.step;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (i > 0) out.bytes(l.listGap);
    l.stepEnds.writePair(out, s.from, s.to);
    out.string(s.kind);
    out.bytes(k.latencyNs);
    out.number(s.latencyNs);
    if (s.nat !== undefined) {
      out.bytes(k.nat);
      writeNat(out, s.nat, l.nat);
    }
    if (s.natAlso !== undefined) {
      out.bytes(k.natAlso);
      writeNat(out, s.natAlso, l.nat);
    }
    out.bytes(k.close);
  }
  out.bytes(l.listClose);
}

function writeNat(out: JsonBytes, n: NatRewrite, k: Layout['nat']): void {
  out.bytes(k.type);
  out.string(n.type);
  out.bytes(k.before);
  out.string(n.before);
  out.bytes(k.after);
  out.string(n.after);
  out.bytes(k.close);
}
