/**
 * A reader that stops reading (`pcap-narrator analyze --json - FILE | head`) ends the command
 * quietly with exit 0, as tcpdump does, instead of an unhandled EPIPE and a stack trace. The pipe
 * is closed before the command writes anything, so that every command meets a closed reader.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/tools.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');
const noCli = existsSync(CLI) ? undefined : `skipped: ${relative(REPO, CLI)} is missing (npm run build; npm ci runs it)`;
const SAMPLE = join(REPO, 'samples', 'egress-nat');

function runClosed(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(noCli !== undefined)('a closed standard output', () => {
  if (noCli) it.skip(noCli, () => {});
  const capture = join(SAMPLE, 'capture.pcapng');
  const commands: string[][] = [
    ['analyze', '--json', '-', capture],
    ['analyze', capture],
    ['read', capture],
    ['read', '--json', capture],
    ['diff', '--json', '-', join(SAMPLE, 'scenario.txt'), capture],
  ];
  for (const args of commands) {
    it(`${args.filter((a) => a !== capture && !a.endsWith('scenario.txt')).join(' ')}: exit 0 and nothing on stderr`, async () => {
      const { code, stderr } = await runClosed(args);
      expect(stderr).toBe('');
      expect(code).toBe(0);
    });
  }
});
