import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { parseScenario } from '../scenario/parse.js';
import { ScenarioError } from '../scenario/errors.js';
import { join } from 'node:path';
import { DEFAULT_SEED, emulateScenario, encodeEmulated, encodeEmulatedPcap, ifaceMapText, splitByHost, type EmulatedCapture } from '../emulate/index.js';
import { CliError, EXIT_BAD_INPUT, EXIT_USAGE } from './exit.js';
import { checkOutputFile, isPerHostOutput, makeOutputDir } from './output-paths.js';

export interface EmulateCommandOptions {
  seed?: number;
  quiet?: boolean;
}

/**
 * `emulate SCENARIO -o OUT.pcapng`: the frames the scenario should produce, no root or kernel needed.
 * A name ending in .pcap gets classic pcap, one ending in `/` a directory of one pcapng per host,
 * every other name pcapng.
 */
export async function runEmulateCommand(file: string, output: string, options: EmulateCommandOptions = {}): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT_BAD_INPUT);
  }
  const perHost = isPerHostOutput(output);
  if (perHost) await makeOutputDir(output, '--output');
  else await checkOutputFile(output, '--output');
  let capture;
  let scenario;
  try {
    scenario = parseScenario(text, file);
    capture = emulateScenario(scenario, { seed: options.seed });
  } catch (err) {
    if (err instanceof ScenarioError) throw new CliError(err.message, EXIT_BAD_INPUT);
    throw err;
  }
  if (perHost) {
    for (const [host, part] of splitByHost(capture, scenario.captures)) {
      const path = join(output, `${host}.pcapng`);
      await writeOutput(path, encodeEmulated(part, host));
      if (!options.quiet) process.stderr.write(`emulate: ${part.frames.length} frames on ${part.interfaces.map((i) => i.name).join(', ')} of ${host} -> ${path}\n`);
    }
    return;
  }
  const { bytes, note } = isPcapName(output) ? classicPcap(capture, output) : { bytes: encodeEmulated(capture), note: undefined };
  await writeOutput(output, bytes);
  if (!options.quiet) {
    process.stderr.write(`emulate: ${capture.frames.length} frames on ${capture.interfaces.map((i) => i.name).join(', ') || 'no interface (no @capture)'} -> ${output}\n`);
    if (note !== undefined) process.stderr.write(`${note}\n`);
  }
}

async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (err) {
    throw new CliError(`${path}: ${(err as Error).message}`, EXIT_BAD_INPUT);
  }
}

function isPcapName(output: string): boolean {
  return output.toLowerCase().endsWith('.pcap');
}

/** The pcap bytes, and for several interfaces the note that says how to name them when reading it back. */
function classicPcap(capture: EmulatedCapture, output: string): { bytes: Uint8Array; note?: string } {
  let pcap;
  try {
    pcap = encodeEmulatedPcap(capture);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new CliError(`${output}: ${err.message}; write pcapng (a name not ending .pcap) or give a smaller --seed (each adds a second to the start)`, EXIT_USAGE);
  }
  if (pcap.indexes.length === 0) return { bytes: pcap.bytes };
  const what = capture.interfaces.length > 1 ? `${capture.interfaces.length} interfaces` : 'any';
  return { bytes: pcap.bytes, note: `emulate: ${what} as Linux cooked v2; read back with --iface-map ${ifaceMapText(pcap.indexes)}` };
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
    .requiredOption(
      '-o, --output <file>',
      'capture to write: pcapng, or classic pcap (nanosecond) when the name ends .pcap; several interfaces then go in as Linux cooked v2 (tcpdump -i any) and a note on stderr gives the --iface-map that names them; a name ending / is a directory that gets one pcapng per host (DIR/host.pcapng, DIR/hostb.pcapng for @capture hostb:IFACE)',
    )
    .option('--seed <n>', `changes MACs, identifiers, ports, sequence numbers and times (default ${DEFAULT_SEED})`)
    .action(async (file: string, opts: { output: string; seed?: string }) => {
      const quiet = Boolean(program.opts<{ quiet?: boolean }>().quiet);
      await runEmulateCommand(file, opts.output, { seed: opts.seed === undefined ? undefined : parseSeed(opts.seed), quiet });
    });
}
