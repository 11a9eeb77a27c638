import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parseScenario } from '../scenario/parse.js';
import { ScenarioError } from '../scenario/errors.js';
import { LabError, runLab } from '../lab/run.js';
import { CliError, EXIT_BAD_INPUT, EXIT_USAGE } from './exit.js';
import { checkOutputFile, isPerHostOutput, makeOutputDir } from './output-paths.js';

/** `lab SCENARIO -o OUT.pcapng`: the scenario run for real in private namespaces (root only). */
export async function runLabCommand(file: string, output: string, quiet: boolean, ipv6 = false): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT_BAD_INPUT);
  }
  let scenario;
  try {
    scenario = parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) throw new CliError(err.message, EXIT_BAD_INPUT);
    throw err;
  }
  const perHost = isPerHostOutput(output);
  if (perHost) await makeOutputDir(output, '--output');
  else await checkOutputFile(output, '--output');
  try {
    await runLab(scenario, { output, perHost, ipv6, log: quiet ? undefined : (line) => process.stderr.write(`${line}\n`) });
  } catch (err) {
    if (err instanceof LabError) {
      // A scenario the lab refuses is bad input; root missing is how it was invoked.
      const code = err.line === undefined && /needs root/.test(err.message) ? EXIT_USAGE : EXIT_BAD_INPUT;
      throw new CliError(err.line === undefined ? err.message : `${file}:${err.line}: ${err.message}`, code);
    }
    throw err;
  }
}

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('run a scenario for real in private network namespaces (root) and record its @capture interfaces')
    .argument('<scenario>', 'scenario file (SCENARIOS.md)')
    .requiredOption('-o, --output <file>', 'pcapng to write; a name ending / is a directory that gets one pcapng per host (DIR/host.pcapng, DIR/hostb.pcapng for @capture hostb:IFACE)')
    .option('--ipv6', "leave IPv6 on in the namespaces: the kernel's link-local chatter is recorded too")
    .action(async (file: string, opts: { output: string; ipv6?: boolean }) => {
      const quiet = Boolean(program.opts<{ quiet?: boolean }>().quiet);
      await runLabCommand(file, opts.output, quiet, opts.ipv6 === true);
    });
}
