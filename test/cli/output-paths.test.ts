// Every command that writes checks where before it works: a bad path is one line and exit 1, never a
// stack trace, never a run that ends in an unwritable file, never a hang.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputFile, makeOutputDir } from '../../src/cli/output-paths.js';
import { CliError } from '../../src/cli/exit.js';
import { REPO } from '../helpers/tools.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'pn-outpaths-'));
const aFile = join(scratch, 'plain-file');
writeFileSync(aFile, 'x');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return run(process.execPath, [CLI, '--quiet', ...args], { cwd: REPO, timeout: 60_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code?: number; stderr?: string; killed?: boolean }) => ({ code: e.killed ? -1 : (e.code ?? -1), stderr: e.stderr ?? '' }),
  );
}

describe('output paths', () => {
  it('a file in a missing directory, or a directory given as a file, is refused before any work', async () => {
    await expect(checkOutputFile(join(scratch, 'no', 'such', 'x.json'), '--json')).rejects.toThrow(/--json .*x\.json: cannot be written: no such directory/);
    await expect(checkOutputFile(scratch, '--json')).rejects.toThrow(/is a directory, not a file/);
    await expect(checkOutputFile(join(aFile, 'x.json'), '--json')).rejects.toThrow(/not a directory/);
    await expect(checkOutputFile(join(scratch, 'fine.json'), '--json')).resolves.toBeUndefined();
    await expect(checkOutputFile('-', '--json')).resolves.toBeUndefined();
  });

  it('creates missing directories level by level, and names the part that is a file', async () => {
    await makeOutputDir(join(scratch, 'a', 'b', 'c'), '--output');
    expect(existsSync(join(scratch, 'a', 'b', 'c'))).toBe(true);
    await makeOutputDir(join(scratch, 'a', 'b', 'c'), '--output');
    const err = await makeOutputDir(join(aFile, 'sub'), '--output').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toMatch(/--output .*plain-file\/sub: cannot be created: a part of the path is not a directory/);
  });

  it('under /proc, where Node 20 mkdir({ recursive: true }) never returns, it fails at once', async () => {
    await expect(makeOutputDir('/proc/pcap-narrator-test/x', '--output')).rejects.toBeInstanceOf(CliError);
  });

  describe.skipIf(!existsSync(CLI))('every writing command', () => {
    const capture = join('samples', 'bridge-ping', 'capture.pcapng');
    const scenario = join('samples', 'bridge-ping', 'scenario.txt');
    const missing = join(scratch, 'missing', 'out');
    const cases: [string, string[], RegExp][] = [
      ['analyze --json', ['analyze', capture, '--json', `${missing}.json`], /--json .*: cannot be written: no such directory/],
      ['diff --json', ['diff', scenario, capture, '--json', `${missing}.json`], /--json .*: cannot be written/],
      ['emulate -o', ['emulate', scenario, '-o', scratch], /--output .*: is a directory, not a file/],
      ['lab -o', ['lab', scenario, '-o', `${missing}.pcapng`], /--output .*: cannot be written|root/],
      ['report -o', ['report', capture, '-o', join(aFile, 'r')], /--output .*: cannot be created/],
      ['report -o /proc', ['report', capture, '-o', '/proc/pcap-narrator-test'], /--output \/proc\/pcap-narrator-test: cannot be created/],
      ['report --json', ['report', capture, '-o', join(scratch, 'rep'), '--json', scratch], /--json .*: is a directory/],
    ];
    for (const [name, args, message] of cases) {
      it(`${name}: exit 1, one line`, async () => {
        const r = await cli(args);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      });
    }

    it('report checks --json before it creates the folder', () => {
      expect(readdirSync(scratch)).not.toContain('rep');
    });
  });
});
