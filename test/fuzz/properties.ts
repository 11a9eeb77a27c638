/**
 * What must hold for any input, checked in-process through the library: reading ends normally or with a
 * CaptureError naming file, byte offset and reason, after delivering well-formed frames; decoding never
 * throws; analysis never throws and its damage is that same CaptureError; the report is built and stays
 * well-formed. Each broken promise is returned as a sentence (the harness collects them).
 */
import { CaptureError, openCapture, type CaptureReader, type Frame } from '../../src/capture/index.js';
import { decodePacket } from '../../src/decode/packet.js';
import { packetLayersToJson } from '../../src/decode/json.js';
import { formatFrameLine } from '../../src/decode/tcpdump/line.js';
import { TcpSequenceTracker } from '../../src/decode/tcpdump/transport.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { buildReport, toMarkdown } from '../../src/report/document.js';
import { reportProblems } from './report-checks.js';

/** The link types the decoders know, tried on every frame besides the frame's own. */
const LINKTYPES = [1, 113, 276, 101, 0, 108, 12, 14, 228, 229];

/** A case slower than this is a hang, not a slow machine: the inputs are at most a few MiB. */
export const CASE_LIMIT_MS = 5_000;
/** Chunk memory a reader may hold is bounded by its 16 MiB block limit; far beyond it is a leak. */
const MEMORY_LIMIT = 512 * 1024 * 1024;

export interface ReadSummary {
  /** File offsets of the frames delivered, in order. */
  offsets: number[];
  error?: { offset: number; reason: string; message: string };
}

export interface CaseResult {
  read: ReadSummary;
  violations: string[];
  ms: number;
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}${err.stack ? ` @ ${err.stack.split('\n').slice(1, 4).join(' <')}` : ''}`;
  return String(err);
}

/** Checks that `err` is the CaptureError the contract promises for `path`. */
export function captureErrorProblems(err: unknown, path: string, size: number): string[] {
  if (!(err instanceof CaptureError)) return [`not a CaptureError: ${describe(err)}`];
  const out: string[] = [];
  if (err.file !== path) out.push(`CaptureError names file ${err.file}, not ${path}`);
  if (!Number.isInteger(err.offset) || err.offset < 0 || err.offset > size) out.push(`CaptureError offset ${err.offset} outside the file of ${size} bytes`);
  if (err.reason.trim() === '') out.push('CaptureError without a reason');
  if (/[\r\n]/.test(err.message)) out.push(`CaptureError message spans lines: ${JSON.stringify(err.message)}`);
  if (err.message !== `${path}: byte ${err.offset}: ${err.reason}`) out.push(`CaptureError message ${JSON.stringify(err.message)} does not read "file: byte N: reason"`);
  return out;
}

function frameProblems(f: Frame, expectedNumber: number, size: number, interfaces: number): string[] {
  const out: string[] = [];
  const at = `frame ${f.number} at byte ${f.fileOffset}`;
  if (f.number !== expectedNumber) out.push(`${at}: numbered ${f.number}, expected ${expectedNumber}`);
  if (f.data.length !== f.caplen) out.push(`${at}: ${f.data.length} data bytes for caplen ${f.caplen}`);
  if (!Number.isInteger(f.fileOffset) || f.fileOffset < 0 || f.fileOffset + f.caplen > size) out.push(`${at}: outside the file of ${size} bytes`);
  if (!Number.isInteger(f.tsNsec) || f.tsNsec < 0 || f.tsNsec >= 1e9) out.push(`${at}: nanoseconds ${f.tsNsec}`);
  if (!Number.isFinite(f.tsSec) || !Number.isInteger(f.tsSec)) out.push(`${at}: seconds ${f.tsSec}`);
  if (f.iface.index < 0 || f.iface.index >= interfaces) out.push(`${at}: interface ${f.iface.index} of ${interfaces}`);
  return out;
}

/** Decodes and prints a frame the way `read` and `read --json` do, under its own link type and `other`. */
function decodeProblems(f: Frame, other: number, tcpState: TcpSequenceTracker): string[] {
  const out: string[] = [];
  for (const linktype of [f.iface.linktype, other]) {
    try {
      const pkt = decodePacket(f.data, linktype);
      formatFrameLine(f, pkt, { linkHeader: f.number % 2 === 0, nano: f.number % 3 === 0, tcpState });
      JSON.stringify(packetLayersToJson(pkt));
    } catch (err) {
      out.push(`frame ${f.number} as link type ${linktype}: decoding or printing threw ${describe(err)}`);
    }
  }
  return out;
}

export async function readAllChecked(path: string, size: number, violations: string[]): Promise<ReadSummary> {
  const summary: ReadSummary = { offsets: [] };
  let reader: CaptureReader;
  try {
    reader = await openCapture(path, { chunkSize: 4096 });
  } catch (err) {
    violations.push(...captureErrorProblems(err, path, size).map((p) => `open: ${p}`));
    if (err instanceof CaptureError) summary.error = { offset: err.offset, reason: err.reason, message: err.message };
    return summary;
  }
  const tcpState = new TcpSequenceTracker();
  let n = 0;
  try {
    for await (const batch of reader.batches()) {
      for (const f of batch) {
        n++;
        violations.push(...frameProblems(f, n, size, reader.info.interfaces.length));
        violations.push(...decodeProblems(f, LINKTYPES[n % LINKTYPES.length], tcpState));
        summary.offsets.push(f.fileOffset);
      }
    }
  } catch (err) {
    violations.push(...captureErrorProblems(err, path, size).map((p) => `read: ${p}`));
    if (err instanceof CaptureError) {
      summary.error = { offset: err.offset, reason: err.reason, message: err.message };
      const late = summary.offsets.find((o) => o >= err.offset);
      if (late !== undefined) violations.push(`read: frame at byte ${late} delivered, yet the damage is at byte ${err.offset}`);
    }
  } finally {
    await reader.close();
  }
  if (reader.info.packets !== n) violations.push(`info.packets ${reader.info.packets} but ${n} frames delivered`);
  if (reader.info.anomalies.length > 101) violations.push(`${reader.info.anomalies.length} anomalies kept: unbounded`);
  return summary;
}

/**
 * Reads, analyses and reports `path` (of `size` bytes). `companions` are read and analysed with it,
 * so that merging a damaged file with sound ones is exercised too.
 */
export async function checkCase(path: string, size: number, companions: string[] = []): Promise<CaseResult> {
  const started = performance.now();
  const violations: string[] = [];
  const read = await readAllChecked(path, size, violations);

  {
    let readers: CaptureReader[] = [];
    try {
      for (const p of [path, ...companions]) readers.push(await openCapture(p));
    } catch (err) {
      if (!(err instanceof CaptureError)) violations.push(`analyze open: ${describe(err)}`);
      await Promise.all(readers.map((r) => r.close()));
      readers = [];
    }
    if (readers.length > 0) {
      try {
        const work = await analyzeCaptures(readers, { evidenceLines: true });
        if (work.damage !== undefined) {
          if (!(work.damage instanceof CaptureError)) violations.push(`analyze: damage is not a CaptureError but ${describe(work.damage)}`);
          else if (work.damage.file === path && work.damage.message !== read.error?.message) {
            violations.push(`analyze: damage ${JSON.stringify(work.damage.message)} differs from what read found (${JSON.stringify(read.error?.message)})`);
          }
        } else if (read.error) {
          violations.push(`analyze: no damage reported, but read ended with ${JSON.stringify(read.error.message)}`);
        }
        try {
          JSON.stringify(work.analysis);
        } catch (err) {
          violations.push(`analysis is not JSON: ${describe(err)}`);
        }
        try {
          const md = toMarkdown(buildReport({ analysis: work.analysis, hopsOf: work.hopsOf }));
          violations.push(...reportProblems(md).map((p) => `report: ${p}`));
        } catch (err) {
          violations.push(`report threw ${describe(err)}`);
        }
      } catch (err) {
        violations.push(`analyze threw ${describe(err)}`);
      } finally {
        await Promise.all(readers.map((r) => r.close()));
      }
    }
  }

  const ms = performance.now() - started;
  if (ms > CASE_LIMIT_MS) violations.push(`took ${Math.round(ms)} ms (limit ${CASE_LIMIT_MS} ms): a loop that does not end with the input`);
  const mem = process.memoryUsage().arrayBuffers;
  if (mem > MEMORY_LIMIT) violations.push(`${Math.round(mem / 1048576)} MiB of buffers held after the case`);
  return { read, violations, ms };
}
