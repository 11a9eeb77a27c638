import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { parseScenario } from '../scenario/parse.js';
import { ScenarioError } from '../scenario/errors.js';
import { DEFAULT_SEED, emulateScenario, encodeEmulated } from '../emulate/index.js';
import { CliError, EXIT_BAD_INPUT, EXIT_USAGE } from './exit.js';
import { checkOutputFile } from './output-paths.js';

export interface EmulateCommandOptions {
  seed?: number;
  quiet?: boolean;
}

/** `emulate SCENARIO -o OUT.pcapng`: the frames the scenario should produce, no root or kernel needed. */
export async function runEmulateCommand(file: string, output: string, options: EmulateCommandOptions = {}): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT_BAD_INPUT);
  }
  await checkOutputFile(output, '--output');
  let capture;
  try {
    capture = emulateScenario(parseScenario(text, file), { seed: options.seed });
  } catch (err) {
    if (err instanceof ScenarioError) throw new CliError(err.message, EXIT_BAD_INPUT);
    throw err;
  }
  try {
    await writeFile(output, encodeEmulated(capture));
  } catch (err) {
    throw new CliError(`${output}: ${(err as Error).message}`, EXIT_BAD_INPUT);
  }
  if (!options.quiet) {
    process.stderr.write(`emulate: ${capture.frames.length} frames on ${capture.interfaces.map((i) => i.name).join(', ') || 'no interface (no @capture)'} -> ${output}\n`);
  }
}

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new CliError(`--seed '${text}' is not a whole number from 0 to 4294967295`, EXIT_USAGE);
  return Number(text);
}

export function registerEmulate(program: Command): void {
  program
    .command('emulate')
    .description('write the frames a scenario should produce on each @capture interface, from a model of Linux networking (no root)')
    .argument('<scenario>', 'scenario file (SCENARIOS.md)')
    .requiredOption('-o, --output <file>', 'pcapng to write')
    .option('--seed <n>', `changes MACs, identifiers, ports, sequence numbers and times (default ${DEFAULT_SEED})`)
    .action(async (file: string, opts: { output: string; seed?: string }) => {
      const quiet = Boolean(program.opts<{ quiet?: boolean }>().quiet);
      await runEmulateCommand(file, opts.output, { seed: opts.seed === undefined ? undefined : parseSeed(opts.seed), quiet });
    });
}
