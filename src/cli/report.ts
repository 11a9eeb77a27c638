import type { Command } from 'commander';
import type { Host } from '../correlate/model.js';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { buildReport, toMarkdown, type ReportInput } from '../report/document.js';
import { toHtml } from '../report/html.js';
import { Namer } from '../report/names.js';
import { emptyTopology } from '../correlate/topology.js';
import { findBrowser, renderDiagrams, HOW_TO_RENDER, BrowserLaunchError, DiagramRenderError, type ImageFormat } from '../report/render.js';
import { withAnalysisOptions, analyzeOptionsFrom, runAnalyzeStream, StreamedDocument, throwDamage, type AnalyzeCliOptions, type RunAnalyzeOptions } from './analyze.js';
import { teeOutputs, type AnalysisOutput } from './analysis-output.js';
import { fileWriter } from './output.js';
import { ExemplarKeeper, type KeptAnalysis } from '../report/exemplars.js';
import { fillEvidenceLines } from '../correlate/evidence-lines.js';
import type { CorrelationRun } from '../correlate/analyze.js';
import { CliError, EXIT_BAD_INPUT, EXIT_USAGE } from './exit.js';
import { checkOutputFile, makeOutputDir } from './output-paths.js';
import { loadScenarioContext } from './scenario-context.js';

interface ReportCliOptions extends AnalyzeCliOptions {
  output: string;
  render?: string;
  format?: string;
  title?: string;
  scenario?: string;
  quiet?: boolean;
}

function note(text: string, quiet: boolean | undefined): void {
  if (!quiet) process.stderr.write(`${text}\n`);
}

export async function runReport(files: string[], opts: ReportCliOptions, version: string): Promise<void> {
  const render = opts.render as ImageFormat | undefined;
  if (render !== undefined && render !== 'svg' && render !== 'png') throw new CliError(`--render: "${opts.render}" is not svg or png`, EXIT_USAGE);
  const format = opts.format ?? 'md';
  if (format !== 'md' && format !== 'html') throw new CliError(`--format: "${opts.format}" is not md or html`, EXIT_USAGE);

  if (opts.json && opts.json !== '-') await checkOutputFile(opts.json, '--json');
  await makeOutputDir(opts.output, '--output');
  const analyzeOptions = await analyzeOptionsFrom(opts);
  // Lines are printed for the frames the report cites, once it is known which (evidence-lines.ts).
  analyzeOptions.evidenceLines = 'later';
  const scenario = opts.scenario ? await loadScenarioContext(opts.scenario, analyzeOptions) : undefined;
  if (scenario) {
    // The scenario says which addresses are the host's own: local delivery needs no guessing then.
    const topology = analyzeOptions.topology ?? emptyTopology();
    for (const [addr, name] of scenario.names) if (name === 'host' && !topology.hostAddresses.includes(addr)) topology.hostAddresses.push(addr);
    analyzeOptions.topology = topology;
  }
  const names = new Namer(analyzeOptions.topology);
  for (const [addr, name] of scenario?.names ?? []) names.add(addr, name);
  const { run, kept } = await analyzeForReport(files, analyzeOptions, opts.json === '-' ? join(opts.output, 'analysis.json') : opts.json);
  const input: ReportInput = {
    analysis: kept.analysis,
    hopsOf: kept.hopsOf,
    findings: kept.findings,
    names,
    title: opts.title ?? scenario?.title,
    generator: `pcap-narrator ${version}`,
  };
  if (kept.sampled) input.sampled = kept.sampled;
  if (scenario?.compare) {
    input.expectations = kept.sampled
      ? {
          scenario: opts.scenario!,
          agree: false,
          sentences: [],
          notCompared:
            `Not compared with the scenario: the captures hold ${kept.sampled.journeys} packets, and a comparison matches every one of them ` +
            `against the scenario's, which a report of this size does not keep. Compare a shorter stretch of the capture (editcap -r FILE OUT 1-10000) with pcap-narrator diff.`,
        }
      : await scenario.compare({ analysis: kept.analysis, hopsOf: kept.hopsOf });
  }
  const doc = buildReport(input);

  const images = render !== undefined || format === 'html' ? await drawDiagrams(doc.diagrams, opts.output, render ?? 'svg', opts.quiet) : undefined;
  const markdown = toMarkdown(doc, images);
  await writeFile(join(opts.output, 'report.md'), markdown);
  if (format === 'html') await writeFile(join(opts.output, 'report.html'), await toHtml(doc, opts.output, images));
  note(`pcap-narrator: wrote ${join(opts.output, 'report.md')}${images ? ` and ${images.size} ${render ?? 'svg'} diagram${images.size === 1 ? '' : 's'}` : ''}`, opts.quiet);
  throwDamage(run);
}

/**
 * The diagrams drawn as images beside the report, when a browser can draw them; without one (or one
 * that will not start) the report keeps its Mermaid blocks, and the note says how to draw them.
 */
async function drawDiagrams(diagrams: Parameters<typeof renderDiagrams>[0], dir: string, format: ImageFormat, quiet: boolean | undefined): Promise<Map<string, string> | undefined> {
  const browser = findBrowser();
  if (!browser) {
    note(`pcap-narrator: ${HOW_TO_RENDER}`, quiet);
    return undefined;
  }
  try {
    return await renderDiagrams(diagrams, dir, format, browser);
  } catch (err) {
    if (err instanceof DiagramRenderError) throw new CliError(`report: Mermaid could not draw ${err.message}`, EXIT_BAD_INPUT);
    if (!(err instanceof BrowserLaunchError)) throw err;
    note(`pcap-narrator: ${err.message}`, quiet);
    return undefined;
  }
}

/**
 * The analysis in flat memory: the journeys a report tells are kept as they pass (every one of a
 * small capture, exemplars of a large one), and the analysis document, when asked for, is written
 * to `jsonPath` as the analysis runs, as `analyze --json` writes it.
 */
async function analyzeForReport(files: string[], options: RunAnalyzeOptions, jsonPath: string | undefined): Promise<{ run: CorrelationRun; kept: KeptAnalysis }> {
  const keeper = new ExemplarKeeper();
  const keeping: AnalysisOutput = { sink: keeper.sink, drain: async () => {}, finish: async () => {}, close: async () => {} };
  let handle: FileHandle | undefined;
  let doc: StreamedDocument | undefined;
  const begin = async (hosts: Host[]): Promise<AnalysisOutput> => {
    if (jsonPath === undefined) return keeping;
    handle = await open(jsonPath, 'w');
    doc = await StreamedDocument.create(fileWriter(handle), hosts);
    return teeOutputs([keeping, doc]);
  };
  try {
    const run = await runAnalyzeStream(files, options, begin);
    const kept = keeper.result(run);
    await fillEvidenceLines(kept.observations());
    return { run, kept };
  } finally {
    await doc?.close();
    await handle?.close();
  }
}

export function registerReport(program: Command, version: string): void {
  const cmd = program
    .command('report')
    .description('a narrated Markdown report with Mermaid sequence and topology diagrams')
    .argument('<files...>', 'pcap or pcapng files, of one host or of several')
    .requiredOption('-o, --output <dir>', 'the folder for report.md (and images)')
    .option('--render <format>', 'render the diagrams to svg or png beside report.md (needs Chromium)')
    .option('--format <format>', 'md (default) or html (a single page with the SVGs inlined)')
    .option('--json <file>', 'also write the analysis document to FILE (- for DIR/analysis.json)')
    .option('--title <text>', 'the report title')
    .option('--scenario <file>', 'the scenario the captures come from: its title and names, and where reality parts from it');
  withAnalysisOptions(cmd)
    .action(async (files: string[], opts: ReportCliOptions) => {
      const quiet = (program.opts() as { quiet?: boolean }).quiet;
      await runReport(files, { ...opts, quiet }, version);
    });
}
