import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { diffAnalyses, type DiffResult, type RuleExplainer } from '../correlate/diff.js';
import type { AnalysisWork } from '../correlate/analyze.js';
import { analyzeScenario } from './expected.js';
import type { NatRewrite } from '../correlate/model.js';
import { emptyTopology, type Topology } from '../correlate/topology.js';
import { analyzeOptionsFrom, runAnalyze, throwDamage, type AnalyzeCliOptions } from './analyze.js';
import { collect } from './options.js';
import { readScenario, scenarioNames } from './scenario-context.js';
import { CliError, EXIT_DIFFERENT } from './exit.js';
import { checkOutputFile } from './output-paths.js';
import { openCapture } from '../capture/index.js';

/** A scenario is text; a capture starts with a pcap or pcapng magic number. */
async function isCapture(file: string): Promise<boolean> {
  try {
    const r = await openCapture(file);
    await r.close();
    return true;
  } catch {
    return false;
  }
}

/** The nat rules of an `iptables-save` given with --topology, matched by target and interface. */
function topologyRules(t: Topology | undefined): RuleExplainer | undefined {
  if (!t || t.natRules.length === 0) return undefined;
  return {
    natRule(type: NatRewrite['type'], iface: string): string | undefined {
      const want = type === 'snat' ? /-j (MASQUERADE|SNAT)/ : /-j DNAT/;
      return t.natRules.find((r) => want.test(r) && (r.includes(`-o ${iface}`) || r.includes(`-i ${iface}`))) ?? t.natRules.find((r) => want.test(r));
    },
  };
}

interface DiffCliOptions extends AnalyzeCliOptions {
  seed?: string;
}

export interface DiffRun {
  result: DiffResult;
  expected: AnalysisWork;
  observed: AnalysisWork;
}

/** Expected (a scenario, emulated here, or captures) against observed captures. */
export async function runDiff(expected: string, observed: string[], opts: DiffCliOptions = {}): Promise<DiffRun> {
  const options = await analyzeOptionsFrom(opts);
  let expectedWork: AnalysisWork;
  let observedWork: AnalysisWork;
  let rules: RuleExplainer | undefined = topologyRules(options.topology);
  if (await isCapture(expected)) {
    // --host names the observed captures; the expected one is planned on its own.
    expectedWork = await runAnalyze([expected], { ...options, hostOfFile: undefined });
    observedWork = await runAnalyze(observed, options);
  } else {
    const scenario = await readScenario(expected);
    const emulatedOptions = { ...options };
    // The scenario's host addresses make local delivery certain on the observed side too.
    const host = [...scenarioNames(scenario)].filter(([, n]) => n === 'host').map(([a]) => a);
    if (host.length > 0 && options.topology === undefined) {
      options.topology = { ...emptyTopology(), hostAddresses: host };
    }
    observedWork = await runAnalyze(observed, options);
    // Captures from several hosts are compared with the emulation written the same way, one per host.
    const perHost = observedWork.analysis.hosts.length > 1;
    const emulated = await analyzeScenario(scenario, emulatedOptions, opts.seed !== undefined ? Number(opts.seed) : undefined, perHost);
    expectedWork = emulated.work;
    rules = emulated.rules;
  }
  throwDamage(observedWork);
  const result = diffAnalyses(expectedWork, observedWork, rules);
  return { result, expected: expectedWork, observed: observedWork };
}

export function formatDiff(r: DiffResult): string {
  const lines = r.agree
    ? [`The observed captures agree with the expected ones: ${r.compared} journeys compared hop by hop, the same interfaces, rewrites and fates.`]
    : [`The observed captures part from the expected ones (${r.compared} journeys compared):`, ...r.sentences.map((s) => `  - ${s}`)];
  for (const n of r.notes ?? []) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('where the observed captures part from the expected ones (a scenario, or expected captures), explained')
    .argument('<expected>', 'a scenario file (emulated first) or an expected capture')
    .argument('<observed...>', 'the observed captures')
    .option('--json <file>', 'write the differences as JSON to FILE, or - for stdout')
    .option('--seed <n>', 'emulator seed when EXPECTED is a scenario')
    .option('--host <name=file>', 'the host an observed FILE was captured on (repeatable); by default, files naming the same interface are hosts of their own', collect)
    .option('--iface-map <map>', 'names for cooked-v2 interface indexes, e.g. 4=docker0,5=vethc1')
    .option('--window <ms>', 'correlation window in milliseconds (default 300)')
    .option('--role <name=role>', 'give an interface its role (repeatable)', collect)
    .option('--topology <file>', 'iptables-save (and other) output naming the rules behind rewrites (repeatable)', collect)
    .action(async (expected: string, observed: string[], opts: DiffCliOptions & { json?: string }) => {
      if (opts.json) await checkOutputFile(opts.json, '--json');
      const { result } = await runDiff(expected, observed, { ...opts, quiet: Boolean(program.opts<{ quiet?: boolean }>().quiet) });
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (opts.json === '-') process.stdout.write(json);
      else {
        if (opts.json) await writeFile(opts.json, json);
        process.stdout.write(`${formatDiff(result)}\n`);
      }
      if (!result.agree) throw new CliError('the captures differ from what was expected', EXIT_DIFFERENT);
    });
}
