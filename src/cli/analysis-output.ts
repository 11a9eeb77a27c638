import type { CorrelationRun } from '../correlate/analyze.js';
import type { CorrelatorSink } from '../correlate/correlator.js';

/**
 * Something `analyze` writes while the analysis runs (the --json document, the --ndjson records):
 * it takes journeys, flows and NAT bindings as they are finished, writes between batches of frames,
 * and writes the rest once the run is over.
 */
export interface AnalysisOutput {
  readonly sink: CorrelatorSink;
  /** Writes what has gathered (between batches of frames). */
  drain(): Promise<void>;
  /** The rest, once every journey is in. */
  finish(run: CorrelationRun): Promise<void>;
  /** Frees what it holds (scratch files), whether or not it finished. */
  close(): Promise<void>;
}

/** Several outputs fed by one analysis: --json and --ndjson in the same run. */
export function teeOutputs(outputs: readonly AnalysisOutput[]): AnalysisOutput {
  if (outputs.length === 1) return outputs[0];
  return {
    sink: {
      // The records are made unless every output serialises them itself.
      serialisesJourneys: outputs.every((o) => o.sink.serialisesJourneys === true),
      // Every output sees the journey: kept if any one of them keeps it.
      journey: (w) => outputs.reduce((kept, o) => o.sink.journey?.(w) === true || kept, false),
      flow: (f) => outputs.forEach((o) => o.sink.flow(f)),
      natBinding: (b) => outputs.forEach((o) => o.sink.natBinding(b)),
      // Findings are taken only if every output takes them (a report's keeper does not): otherwise
      // the summary keeps them all, and the outputs write them from there.
      finding: outputs.every((o) => o.sink.finding) ? (f, part, key) => outputs.forEach((o) => o.sink.finding?.(f, part, key)) : undefined,
    },
    drain: async () => {
      for (const o of outputs) await o.drain();
    },
    finish: async (run) => {
      for (const o of outputs) await o.finish(run);
    },
    close: async () => {
      await Promise.all(outputs.map((o) => o.close()));
    },
  };
}

/**
 * Each userland proxy's flow and the flow it splices with, both ways: known only once every flow is,
 * so an output that wrote a TCP flow early patches its `proxyOf` in at the end.
 */
export function proxyPartners(run: CorrelationRun): Map<number, number> {
  const partner = new Map<number, number>();
  for (const [x, y] of run.summary.proxies) partner.set(x, y).set(y, x);
  return partner;
}

/** The sink took the findings (CorrelatorSink.finding): the summary holds none of them. */
export function tookFindings(run: CorrelationRun): boolean {
  return run.summary.findings.length < run.summary.findingCount;
}
