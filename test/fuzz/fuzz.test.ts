/**
 * The fuzz run. Under `npm test` (CI): a fixed seed and a bounded number of cases, the count printed.
 * Under `npm run fuzz` (FUZZ_MODE=long, set by vitest.fuzz.config.ts): FUZZ_CASES cases from FUZZ_SEED
 * or a random seed, failing inputs kept in test/fixtures/fuzz/. Either way, every input kept there is
 * replayed as a regression case.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/tools.js';
import { runCampaign } from './campaign.js';
import { checkCase } from './properties.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fuzz');
const LONG = process.env.FUZZ_MODE === 'long';
const CI_SEED = 0x5eed_0007;
const CI_CASES = 4000;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}="${v}" is not a non-negative integer`);
  return n;
}

const seed = envInt('FUZZ_SEED') ?? (LONG ? Math.floor(Math.random() * 0x1_0000_0000) : CI_SEED);
const cases = envInt('FUZZ_CASES') ?? (LONG ? 20_000 : CI_CASES);

// Under `npm test` the cases run in parts of a few hundred, each its own test with its own seed, so
// that no single test runs for a minute (vitest's worker RPC gives up after 60 s).
const PART_CASES = LONG ? cases : 500;
const parts = Array.from({ length: Math.ceil(cases / PART_CASES) }, (_, i) => ({
  seed: LONG ? seed : (seed + i) >>> 0,
  cases: Math.min(PART_CASES, cases - i * PART_CASES),
}));

describe('fuzz', () => {
  for (const { seed, cases } of parts) it(`${cases} mutated captures from seed ${seed} never crash, hang, over-allocate or inject`, { timeout: Math.max(300_000, cases * 200) }, async () => {
    process.stdout.write(`[fuzz] seed ${seed}, ${cases} cases${LONG ? `, failing inputs kept in ${FIXTURES}` : ''}\n`);
    const result = await runCampaign({
      seed,
      cases,
      saveDir: LONG ? FIXTURES : undefined,
      log: (l) => process.stdout.write(`[fuzz] ${l}\n`),
    });
    process.stdout.write(
      `[fuzz] seed ${seed}: ${result.cases} cases over ${result.seeds} seeds (${result.skippedSeeds.length} larger seeds left out), ` +
        `${result.clean} read to the end, ${result.damaged} ended with a CaptureError, ${result.frames} frames decoded, ` +
        `${result.cutChecks} cuts checked frame by frame, slowest case ${Math.round(result.slowestMs)} ms, ${result.failures.length} failing\n` +
        (result.failures.length > 0 ? `[fuzz] reproduce with FUZZ_SEED=${seed} FUZZ_CASES=${result.failures[result.failures.length - 1].caseNumber + 1} npm run fuzz\n` : ''),
    );
    expect(result.cases).toBe(cases);
    expect(result.failures.slice(0, 10).map((f) => `case ${f.caseNumber} (${f.source}: ${f.steps.join('; ')}): ${f.violations.join(' | ')}`)).toEqual([]);
  });

  const kept = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => /\.(bin|pcap|pcapng)$/.test(f)).sort() : [];
  it.skipIf(kept.length === 0)(`replays the ${kept.length} inputs kept in test/fixtures/fuzz`, async () => {
    const problems: string[] = [];
    for (const f of kept) {
      const p = join(FIXTURES, f);
      const r = await checkCase(p, statSync(p).size);
      problems.push(...r.violations.map((v) => `${f}: ${v}`));
    }
    expect(problems).toEqual([]);
  });
});
