/**
 * The commands end with exit 0 or 2 on every hostile input, never a stack trace or a hang, and a
 * failure is one line on stderr naming the file, the byte offset and the reason. Run for real through
 * the built CLI (dist/, which `npm ci` builds): the malformed captures of the corpus, and mutated
 * captures from the fuzz harness's fixed seed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS, REPO, corpusCaptures } from '../helpers/tools.js';
import { mutate } from '../fuzz/mutate.js';
import { Prng } from '../fuzz/prng.js';
import { fileSeeds, syntheticSeeds } from '../fuzz/seeds.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');
const noCli = existsSync(CLI) ? undefined : `skipped: ${relative(REPO, CLI)} is missing (npm run build; npm ci runs it)`;
const dir = mkdtempSync(join(tmpdir(), 'pcap-narrator-robust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Far beyond what any of these small files needs: reaching it means the command hung. */
const HANG_MS = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  timedOut: boolean;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--quiet', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 100_000) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, HANG_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, timedOut });
    });
  });
}

/** What is wrong with how a command ended on `file`, or nothing. */
function endingProblems(verb: string, file: string, r: Run): string[] {
  const name = `${verb} ${relative(REPO, file)}`;
  if (r.timedOut) return [`${name}: still running after ${HANG_MS} ms`];
  if (r.code !== 0 && r.code !== 2) return [`${name}: exit ${r.code ?? r.signal}: ${r.stderr.slice(0, 400)}`];
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (r.code === 0) return lines.length > 0 ? [`${name}: exit 0 with stderr ${JSON.stringify(r.stderr.slice(0, 200))}`] : [];
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (lines.length !== 1 || !new RegExp(`^pcap-narrator: ${escaped}: byte \\d+: \\S.*$`).test(lines[0])) {
    return [`${name}: exit 2 but stderr is not one "file: byte N: reason" line: ${JSON.stringify(r.stderr.slice(0, 400))}`];
  }
  return [];
}

async function allVerbs(file: string, tag: string): Promise<string[]> {
  const out = join(dir, `report-${tag}`);
  const runs = await Promise.all([run(['read', file]), run(['analyze', file]), run(['report', file, '-o', out])]);
  return [...endingProblems('read', file, runs[0]), ...endingProblems('analyze', file, runs[1]), ...endingProblems('report', file, runs[2])];
}

describe('commands on hostile captures', () => {
  const malformed = corpusCaptures().filter((e) => e.anomalies !== '-' || e.tsharkReads !== 'yes');

  // One test a capture: each runs three commands, and none comes near vitest's 60 s worker RPC limit.
  for (const [i, e] of malformed.entries()) {
    it.skipIf(noCli !== undefined)(`read, analyze and report end with exit 0 or 2 on ${relative(CORPUS, e.path)} ${noCli ?? ''}`, { timeout: 120_000 }, async () => {
      expect(await allVerbs(e.path, `corpus-${i}`)).toEqual([]);
    });
  }

  const MUTATED = 16;
  for (let n = 0; n < MUTATED; n++) {
    it.skipIf(noCli !== undefined)(`read, analyze and report end with exit 0 or 2 on mutated capture ${n + 1} of ${MUTATED} ${noCli ?? ''}`, { timeout: 120_000 }, async () => {
      const seeds = [...fileSeeds().seeds, ...syntheticSeeds()];
      const rng = Prng.forCase(0xc11, n);
      const seed = seeds[rng.below(seeds.length)];
      const p = join(dir, `mutated-${n}.${seed.name.endsWith('.pcapng') ? 'pcapng' : 'pcap'}`);
      writeFileSync(p, mutate(seed.bytes, rng).bytes);
      expect(await allVerbs(p, `mutated-${n}`)).toEqual([]);
    });
  }

  it.skipIf(noCli !== undefined)('an empty file, a directory and a missing file are exit 2 with one line', async () => {
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, new Uint8Array(0));
    const r = await run(['read', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pcap-narrator: ${empty}: byte 0: empty file\n`);
    for (const bad of [dir, join(dir, 'missing.pcap')]) {
      const m = await run(['analyze', bad]);
      expect(m.code).toBe(2);
      expect(m.stderr.trim().split('\n')).toHaveLength(1);
      expect(m.stderr).toContain(bad);
    }
  });
});

if (noCli) console.warn(noCli);
