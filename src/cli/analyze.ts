import type { Command } from 'commander';
import Table from 'cli-table3';
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { analyzeFrames, documentTail, hostRecords as hostsOf, hostSetup, readerOffsets, streamFrames, type AnalyzeOptions, type AnalysisWork, type CorrelationRun, type HostSetup } from '../correlate/analyze.js';
import { mergeCaptures, type CaptureReader } from '../capture/index.js';
import type { Frame } from '../capture/frame.js';
import { fateText, durationText, MAX_GROUPS } from '../correlate/groups.js';
import { conntrackLines, isReversal } from '../correlate/nat-table.js';
import { FINDING_PARTS } from '../correlate/findings.js';
import { pluralOf } from '../correlate/plural.js';
export { conntrackLines };
import type { Host, InterfaceRole } from '../correlate/model.js';
import { openAll, asCliError, withProgress } from './captures.js';
import { streamWriter, fileWriter, JsonDocumentWriter } from './output.js';
import { arrayMembersText, JsonSpill, PartedSpill, SpilledArray } from './json-spill.js';
import type { CorrelatorSink } from '../correlate/correlator.js';
import { LARGEST_FLOWS } from '../correlate/correlator.js';
import { parseIfaceMap, collect } from './options.js';
import { CliError, EXIT_USAGE } from './exit.js';
import { checkOutputFile } from './output-paths.js';
import { loadTopology } from './topology-files.js';
import { connStateWords } from '../report/conn-state.js';
import { clockText } from '../report/clock.js';
import { proxyPartners, teeOutputs, tookFindings, type AnalysisOutput } from './analysis-output.js';
import { NdjsonStream } from './ndjson.js';
import { writeJourneyMember } from '../correlate/journey-json.js';

const ROLES: InterfaceRole[] = ['container', 'veth', 'bridge', 'uplink', 'loopback', 'any', 'unknown'];

export interface AnalyzeCliOptions {
  json?: string;
  ndjson?: string;
  ifaceMap?: string;
  window?: string;
  communityIdSeed?: string;
  role?: string[];
  topology?: string[];
  /** The global --quiet: no progress bar. */
  quiet?: boolean;
  host?: string[];
}

/** What the analysis needs, plus how the command shows its progress. */
export interface RunAnalyzeOptions extends AnalyzeOptions {
  quiet?: boolean;
  /** `--host NAME=FILE`: the host of each file named, by the path as given. */
  hostOfFile?: Map<string, string>;
}

export async function analyzeOptionsFrom(opts: AnalyzeCliOptions): Promise<RunAnalyzeOptions> {
  const windowMs = opts.window === undefined ? undefined : Number(opts.window);
  if (windowMs !== undefined && !(windowMs > 0 && windowMs <= 60_000)) {
    throw new CliError(`--window: "${opts.window}" is not a number of milliseconds between 0 and 60000`, EXIT_USAGE);
  }
  const seed = opts.communityIdSeed === undefined ? 0 : Number(opts.communityIdSeed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 65535) {
    throw new CliError(`--community-id-seed: "${opts.communityIdSeed}" is not an integer from 0 to 65535`, EXIT_USAGE);
  }
  const roles = new Map<string, InterfaceRole>();
  for (const item of opts.role ?? []) {
    const m = /^([^=]+)=(\w+)$/.exec(item);
    if (!m || !ROLES.includes(m[2] as InterfaceRole)) {
      throw new CliError(`--role: "${item}" is not NAME=ROLE with ROLE one of ${ROLES.join(', ')}`, EXIT_USAGE);
    }
    roles.set(m[1], m[2] as InterfaceRole);
  }
  const hostOfFile = new Map<string, string>();
  for (const item of opts.host ?? []) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(.+)$/.exec(item);
    if (!m) throw new CliError(`--host: "${item}" is not NAME=FILE (a NAME of letters, digits, '.', '_' or '-')`, EXIT_USAGE);
    if (hostOfFile.has(m[2])) throw new CliError(`--host: ${m[2]} is given two hosts`, EXIT_USAGE);
    hostOfFile.set(m[2], m[1]);
  }
  return {
    hostOfFile,
    windowNs: windowMs === undefined ? undefined : Math.round(windowMs * 1e6),
    communityIdSeed: seed,
    ifaceMap: parseIfaceMap(opts.ifaceMap),
    roles,
    topology: opts.topology && opts.topology.length > 0 ? await loadTopology(opts.topology) : undefined,
    quiet: opts.quiet,
  };
}

export async function runAnalyze(files: string[], options: RunAnalyzeOptions): Promise<AnalysisWork> {
  return withCaptures(files, options, (batches, readers, hosts) => analyzeFrames(batches, readers, { ...options, hosts }));
}

/**
 * Opens the captures, tells which host each comes from and how their clocks differ, hands their
 * frames (merged in corrected time order, with the progress bar) to `use`, and closes them; what
 * goes wrong becomes a CLI error.
 */
async function withCaptures<T>(
  files: string[],
  options: RunAnalyzeOptions,
  use: (batches: AsyncIterable<Frame[]>, readers: CaptureReader[], hosts: HostSetup) => Promise<T>,
): Promise<T> {
  for (const file of options.hostOfFile?.keys() ?? []) {
    if (!files.includes(file)) throw new CliError(`--host: ${file} is not one of the capture files given (${files.join(', ')})`, EXIT_USAGE);
  }
  const readers = await openAll(files);
  try {
    const hosts = await hostSetup(readers, options.hostOfFile, options.ifaceMap);
    const merged = mergeCaptures(readers, { clockOffsetNs: readerOffsets(readers, hosts), recycle: true });
    return await use(withProgress(merged, readers, options.quiet), readers, hosts);
  } catch (err) {
    throw asCliError(err);
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

/**
 * The analysis document written while the analysis runs: its journeys as they are finished, in the
 * document itself; its flows, NAT bindings and findings, which are final in any order, through
 * scratch files that put them in the document's order at the end.
 */
export class StreamedDocument implements AnalysisOutput {
  private constructor(
    private readonly out: JsonDocumentWriter,
    private readonly flows: JsonSpill,
    private readonly nat: JsonSpill,
    private readonly findings: PartedSpill,
  ) {}

  static async create(write: (chunk: string | Buffer) => Promise<void>, hosts: Host[]): Promise<StreamedDocument> {
    const doc = new StreamedDocument(new JsonDocumentWriter(write), await JsonSpill.create(), await JsonSpill.create(), await PartedSpill.create(FINDING_PARTS));
    await doc.out.member('version', 1);
    await doc.out.member('hosts', hosts);
    doc.out.openArray('journeys');
    return doc;
  }

  readonly sink: CorrelatorSink = {
    serialisesJourneys: true,
    journey: (w) => writeJourneyMember(this.out.nextMember(), w),
    flow: (f) => this.flows.addWithId(f.id, f),
    natBinding: (b) => this.nat.addWithId(b.flow, b),
    finding: (f, part, key) => this.findings.addTextWithId(part, key, arrayMembersText([f])),
  };

  /** Writes what has gathered (between batches of frames). */
  async drain(): Promise<void> {
    await this.out.flush(false);
    await this.flows.drain();
    await this.nat.drain();
    await this.findings.drain();
  }

  /**
   * The rest of the document, once every journey is in. A userland proxy is known only once every
   * flow is: its `proxyOf` goes into the flow's spilled text where a finished flow has it (before
   * `history`: proxies are TCP).
   */
  async finish(run: CorrelationRun): Promise<void> {
    const proxyOf = proxyPartners(run);
    const patch = (id: number, text: string): string => {
      const other = proxyOf.get(id);
      return other === undefined ? text : text.replace('\n      "history": ', `\n      "proxyOf": ${other},\n      "history": `);
    };
    this.out.closeArray();
    const rest = documentTail(run, new SpilledArray(this.flows, patch), new SpilledArray(this.nat), tookFindings(run) ? new SpilledArray(this.findings) : undefined);
    for (const [key, value] of Object.entries(rest)) await this.out.member(key, value);
    await this.out.end();
  }

  async close(): Promise<void> {
    await Promise.all([this.flows.close(), this.nat.close(), this.findings.close()]);
  }
}

/**
 * The analysis in flat memory, for `analyze`: journeys, flows and NAT bindings go to the output
 * `begin` starts (if any: the document, the NDJSON records, or both) as they are finished; the
 * terminal view needs only what the summary keeps. The output is begun once every capture has
 * opened, so that a bad input writes nothing.
 */
export async function runAnalyzeStream(
  files: string[],
  options: RunAnalyzeOptions,
  begin: (hosts: Host[]) => Promise<AnalysisOutput | undefined> = async () => undefined,
): Promise<CorrelationRun> {
  return withCaptures(files, options, async (batches, readers, hosts) => {
    const out = await begin(hostsOf(hosts));
    // The terminal view needs no journey records (without a `journey` the correlator never makes
    // them), and of the findings what the summary counts.
    const sink: CorrelatorSink = out?.sink ?? { flow: () => {}, natBinding: () => {}, finding: () => {} };
    const run = await streamFrames(batches, readers, { ...options, hosts }, sink, out ? () => out.drain() : undefined);
    await out?.finish(run);
    return run;
  });
}

/** After the analysis of what was readable has been written: exit 2 with the damage's message. */
export function throwDamage(work: { damage?: unknown }): void {
  if (work.damage !== undefined) throw asCliError(work.damage);
}

// The terminal shows as many rows of each table as it keeps flows for.
const MAX_ROWS = LARGEST_FLOWS;

/** The hosts and their clocks, when the captures come from more than one. */
function hostLines(run: CorrelationRun): string[] {
  if (run.hosts.length < 2) return [];
  const t = new Table({ head: ['host', 'files', 'clock against the first host'], style: { head: [], border: [] }, wordWrap: true });
  for (const h of run.hosts) t.push([h.name, h.files.join(', '), h === run.hosts[0] ? '(the first host)' : clockText(h)]);
  return ['', 'Hosts', t.toString()];
}

export function formatAnalysis(run: CorrelationRun): string {
  const { summary: a, captures } = run;
  const out: string[] = [];
  const table = (head: string[]): Table.Table => new Table({ head, style: { head: [], border: [] }, wordWrap: true });

  const caps = table(['capture', 'format', 'packets', 'interfaces', 'time span']);
  for (const c of captures) {
    const span = c.start && c.end ? durationText(Math.round((Number(c.end) - Number(c.start)) * 1e9)) : '';
    caps.push([c.file, c.format, String(c.packets), c.interfaces.map((i) => `${i.name} (${i.packets})`).join(', '), span]);
  }
  out.push(caps.toString(), ...hostLines(run));

  const ifaces = table(['interface', 'role', 'how known', 'packets']);
  for (const i of a.interfaces) ifaces.push([i.name, i.role, i.roleSource ?? '', String(i.packets ?? '')]);
  out.push('', 'Interfaces', ifaces.toString());

  out.push('', 'Journeys');
  // A terminal shows what a person can read: the largest groups and flows, the rest counted (all of
  // them are in --json).
  const groups = a.groups;
  const flowById = a.groupFlows;
  const shown = new Set(groups.length > MAX_ROWS ? [...groups].sort((x, y) => y.count - x.count).slice(0, MAX_ROWS) : groups);
  for (const g of groups.filter((x) => shown.has(x))) {
    const n = g.count;
    const flow = g.flow === undefined ? undefined : flowById.get(g.flow);
    const nat = g.nats
      .map((x) => (isReversal(x, flow) ? `conntrack reverses the NAT: ${x.before} -> ${x.after}` : `${x.type.toUpperCase()} ${x.before} -> ${x.after}`))
      .join('; ');
    const transit = g.medianTransitNs !== undefined ? `, ${n > 1 ? 'median ' : ''}${durationText(g.medianTransitNs)} through the host` : '';
    out.push(`  ${n} ${n === 1 ? g.label : pluralOf(g.label)} ${g.src} -> ${g.dst}: ${g.path.join(' -> ')}${nat ? ` (${nat})` : ''}, ${fateText(g)}${transit}`);
  }

  if (groups.length > shown.size) out.push(`  ... and ${groups.length - shown.size} smaller groups (--json has every journey)`);
  if (a.ungrouped) {
    const kinds = a.ungrouped.labels.map((l) => `${l.count} ${l.count === 1 ? l.label : pluralOf(l.label)}`).join(', ');
    out.push(`  ... and ${a.ungrouped.journeys} journeys of groups first seen after the first ${MAX_GROUPS} groups, counted by kind: ${kinds} (--json has every journey)`);
  }

  if (a.flows > 0) {
    const flows = table(['flow', 'proto', 'client', 'server', 'translations', 'packets', 'bytes', 'state', 'community id']);
    const shownFlows = a.largestFlows;
    for (const f of shownFlows) {
      flows.push([
        String(f.id),
        f.protocol,
        f.client,
        f.server,
        f.translations.map((t) => `${t.type} ${t.before} -> ${t.after} (${t.interface})`).join('\n'),
        String(f.packets),
        String(f.bytes),
        [f.state && `${connStateWords(f.state)} (${f.state})`, f.proxyOf ? `userland proxy: spliced with flow ${f.proxyOf}` : ''].filter(Boolean).join('; '),
        f.communityId,
      ]);
    }
    out.push('', 'Flows', flows.toString());
    if (a.flows > shownFlows.length) out.push(`  ... and ${a.flows - shownFlows.length} smaller flows (--json has them all)`);
  }
  if (a.natBindings > 0) {
    out.push('', 'NAT bindings (as conntrack -L)', ...conntrackLines(a.firstNatBindings).map((l) => `  ${l}`));
    if (a.natBindings > a.firstNatBindings.length) out.push(`  ... and ${a.natBindings - a.firstNatBindings.length} more`);
  }
  out.push('', a.findingCount > 0 ? 'Findings' : 'Findings: none');
  // The summary counts the findings as the terminal shows them (MAX_ROWS, LARGEST_FLOWS): --json has them all.
  const { shown: shownFindings, hidden, left } = a.findingsForPeople;
  for (const f of shownFindings) out.push(`  [${f.severity}] ${f.code}: ${f.message}`);
  if (hidden > 0) {
    out.push(`  ... and ${hidden} more findings (${left.map((l) => `${l.code} ${l.count}`).join(', ')}; --json has them all)`);
  }
  for (const l of a.limitations ?? []) out.push(`  [note] ${l}`);
  return out.join('\n');
}

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('journeys across hops and NAT, flows, NAT bindings and findings')
    .argument('<files...>', 'pcap or pcapng files, of one host or of several')
    .option('--json <file>', 'write the analysis document (DESIGN.md) to FILE, or - for stdout')
    .option('--ndjson <file>', "write the document's records one JSON object a line to FILE, or - for stdout");
  withAnalysisOptions(cmd)
    .action(async (files: string[], opts: AnalyzeCliOptions) => {
      const quiet = Boolean(program.opts<{ quiet?: boolean }>().quiet);
      if (opts.json && opts.ndjson && (opts.json === '-' ? opts.ndjson === '-' : resolve(opts.json) === resolve(opts.ndjson))) {
        throw new CliError(`--json ${opts.json} and --ndjson ${opts.ndjson}: they cannot both be written to the same place`, EXIT_USAGE);
      }
      if (opts.json) await checkOutputFile(opts.json, '--json');
      if (opts.ndjson) await checkOutputFile(opts.ndjson, '--ndjson');
      const options = await analyzeOptionsFrom({ ...opts, quiet });
      // The document and the records are written as the analysis runs, to stdout or to their files,
      // opened once the captures have.
      const opened: FileHandle[] = [];
      const outputs: AnalysisOutput[] = [];
      const writerTo = async (path: string): Promise<(chunk: string | Buffer) => Promise<void>> => {
        if (path === '-') return streamWriter(process.stdout);
        const handle = await open(path, 'w');
        opened.push(handle);
        return fileWriter(handle);
      };
      const begin = async (hosts: Host[]): Promise<AnalysisOutput | undefined> => {
        if (opts.json) outputs.push(await StreamedDocument.create(await writerTo(opts.json), hosts));
        if (opts.ndjson) outputs.push(await NdjsonStream.create(await writerTo(opts.ndjson), hosts));
        return outputs.length > 0 ? teeOutputs(outputs) : undefined;
      };
      try {
        const run = await runAnalyzeStream(files, options, begin);
        if (opts.json !== '-' && opts.ndjson !== '-') process.stdout.write(`${formatAnalysis(run)}\n`);
        throwDamage(run);
      } finally {
        await Promise.all(outputs.map((o) => o.close()));
        await Promise.all(opened.map((f) => f.close()));
      }
    });
}

/** The options of every command that analyses captures (analyze, report). */
export function withAnalysisOptions(cmd: Command): Command {
  return cmd
    .option('--host <name=file>', 'the host FILE was captured on (repeatable); without it, files naming the same interface are hosts of their own, named by file', collect)
    .option('--iface-map <map>', 'names for cooked-v2 interface indexes, e.g. 4=docker0,5=vethc1')
    .option('--window <ms>', 'correlation window in milliseconds (default 300)')
    .option('--community-id-seed <n>', 'Community ID seed (default 0)')
    .option('--role <name=role>', 'give an interface its role (repeatable)', collect)
    .option('--topology <file>', 'ip -j addr / ip -j link / ip -j route / iptables-save / docker network inspect output (repeatable)', collect);
}
