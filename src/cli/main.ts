#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError, EXIT_USAGE } from './exit.js';
import { registerRead } from './read.js';
import { registerLab } from './lab.js';
import { registerAnalyze } from './analyze.js';
import { registerReport } from './report.js';
import { registerEmulate } from './emulate.js';
import { registerDiff } from './diff.js';
import { limitHeapGrowth } from './heap-growth.js';
import { OutputClosed, watchStdout } from './stdout.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('pcap-narrator')
    .description('Explains, hop by hop, what happened to every packet captured on a Linux host running containers')
    .version(version())
    .option('--quiet', 'no progress or notes on stderr')
    .showHelpAfterError()
    .exitOverride();
  registerRead(program);
  registerAnalyze(program);
  registerReport(program, version());
  registerLab(program);
  registerEmulate(program);
  registerDiff(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    // The reader of stdout went away (`| head`): what it read was what it wanted.
    if (err instanceof OutputClosed) return 0;
    if (err instanceof CliError) {
      process.stderr.write(`pcap-narrator: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

limitHeapGrowth();
watchStdout((err) => {
  process.stderr.write(`pcap-narrator: cannot write standard output: ${err.message}\n`);
  process.exit(EXIT_USAGE);
});
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pcap-narrator: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
