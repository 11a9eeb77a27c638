/**
 * `analyze --ndjson`: the analysis document's records one JSON object a line, each with its `type`,
 * written as each becomes final (DESIGN.md), in the shape of Suricata's EVE and Zeek's JSON logs.
 */
import { documentTail, type CorrelationRun } from '../correlate/analyze.js';
import type { CorrelatorSink } from '../correlate/correlator.js';
import type { Flow, Host } from '../correlate/model.js';
import { proxyPartners, tookFindings, type AnalysisOutput } from './analysis-output.js';
import { JsonSpill, PartedSpill } from './json-spill.js';
import { FINDING_PARTS } from '../correlate/findings.js';
import { JsonBytes } from '../correlate/json-bytes.js';
import { writeJourneyLine } from '../correlate/journey-json.js';

/** The document's arrays that are written a record each, and the `type` of their records. */
const RECORD_TYPES: Record<string, string> = {
  captures: 'capture',
  interfaces: 'interface',
  flows: 'flow',
  findings: 'finding',
  nat: 'nat',
};

/** One line of NDJSON: `value`'s JSON with `type` first, without copying the value to add it. */
function ndjsonLine(type: string, value: object): string {
  const text = JSON.stringify(value);
  return text === '{}' ? `{"type":${JSON.stringify(type)}}\n` : `{"type":${JSON.stringify(type)},${text.slice(1)}\n`;
}

export class NdjsonStream implements AnalysisOutput {
  private readonly out = new JsonBytes();
  private journeys = 0;

  private constructor(
    private readonly write: (chunk: string | Buffer) => Promise<void>,
    /** TCP flows, final only at the end: a userland proxy pairs two of them once every flow is known. */
    private readonly tcpFlows: JsonSpill,
    /** Findings, final in any order: written in the document's order at the end. */
    private readonly findings: PartedSpill,
    private readonly flushAt: number,
  ) {}

  /** Starts the stream with a record of each host. */
  static async create(write: (chunk: string | Buffer) => Promise<void>, hosts: readonly Host[], flushAt = 1 << 20): Promise<NdjsonStream> {
    const out = new NdjsonStream(write, await JsonSpill.create(), await PartedSpill.create(FINDING_PARTS), flushAt);
    for (const h of hosts) out.record('host', h);
    return out;
  }

  private record(type: string, value: object): void {
    this.out.text(ndjsonLine(type, value));
  }

  readonly sink: CorrelatorSink = {
    serialisesJourneys: true,
    journey: (w) => {
      this.journeys++;
      writeJourneyLine(this.out, w);
    },
    flow: (f: Flow) => {
      if (f.protocol === 'tcp') this.tcpFlows.addTextWithId(f.id, ndjsonLine('flow', f));
      else this.record('flow', f);
    },
    natBinding: (b) => this.record('nat', b),
    finding: (f, part, key) => this.findings.addTextWithId(part, key, ndjsonLine('finding', f)),
  };

  async drain(all = false): Promise<void> {
    if (this.out.length === 0 || (!all && this.out.length < this.flushAt)) return;
    await this.write(this.out.take());
    await this.tcpFlows.drain();
    await this.findings.drain();
  }

  /**
   * What is final only now: captures and interfaces (their counts and roles), the TCP flows in
   * order of id with their `proxyOf`, the findings, and last a summary record with the document's
   * other fields, whose arrival says the stream is complete.
   */
  async finish(run: CorrelationRun): Promise<void> {
    const partner = proxyPartners(run);
    const patch = (id: number, text: string): string => {
      const other = partner.get(id);
      return other === undefined ? text : text.replace(',"history":', `,"proxyOf":${other},"history":`);
    };
    const summary: Record<string, unknown> = { version: 1 };
    for (const [key, value] of Object.entries(documentTail(run, undefined, undefined))) {
      const type = RECORD_TYPES[key];
      if (type === undefined) summary[key] = value;
      else if (Array.isArray(value)) for (const v of value as object[]) this.record(type, v);
      if (key === 'flows') {
        await this.drain(true);
        // Each spilled line ends in its newline: nothing goes between them.
        for await (const text of this.tcpFlows.text(patch, '')) await this.write(text);
      }
      if (key === 'findings' && tookFindings(run)) {
        await this.drain(true);
        for await (const text of this.findings.text(undefined, '')) await this.write(text);
      }
    }
    const a = run.summary;
    // How many records of each kind came before: a reader can tell a complete stream from a cut one.
    summary.counts = { journeys: this.journeys, flows: a.flows, nat: a.natBindings, findings: a.findingCount };
    this.record('summary', summary);
    await this.drain(true);
  }

  async close(): Promise<void> {
    await Promise.all([this.tcpFlows.close(), this.findings.close()]);
  }
}
