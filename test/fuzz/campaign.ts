/**
 * A fuzz run: `cases` mutations of the seeds, each reproducible from (seed, case number), each checked
 * against the properties; failures collected (and, given a folder, saved as regression inputs).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cut, mutate } from './mutate.js';
import { Prng } from './prng.js';
import { CASE_LIMIT_MS, checkCase, readAllChecked, type ReadSummary } from './properties.js';
import { fileSeeds, syntheticSeeds, type Seed } from './seeds.js';
import { Watchdog } from './watchdog.js';

export interface CampaignOptions {
  seed: number;
  cases: number;
  /** Where failing inputs are kept (fuzz mode); CI runs only report them. */
  saveDir?: string;
  log?: (line: string) => void;
}

export interface Failure {
  source: string;
  caseNumber: number;
  steps: string[];
  violations: string[];
  savedAs?: string;
}

export interface CampaignResult {
  cases: number;
  seeds: number;
  skippedSeeds: string[];
  /** Cases that read to the end, and cases that ended with a CaptureError. */
  clean: number;
  damaged: number;
  frames: number;
  cutChecks: number;
  slowestMs: number;
  failures: Failure[];
}

/** Which frames a cut file must still deliver, from what the whole file delivered. */
export function cutProblems(orig: ReadSummary, cut: Cut, got: ReadSummary): string[] {
  if (orig.error && orig.error.offset < cut.unit) {
    if (!got.error || got.error.offset !== orig.error.offset || got.error.reason !== orig.error.reason) {
      return [`cut at ${cut.at}: the whole file fails at byte ${orig.error.offset} (${orig.error.reason}), the cut one ${got.error ? `at byte ${got.error.offset} (${got.error.reason})` : 'does not'}`];
    }
    return [];
  }
  const out: string[] = [];
  const expected = orig.offsets.filter((o) => o < cut.unit);
  if (expected.join() !== got.offsets.join()) {
    out.push(`cut at ${cut.at}: delivered ${got.offsets.length} frames (${got.offsets.slice(-3).join(',')}), the ${expected.length} before byte ${cut.unit} expected (${expected.slice(-3).join(',')})`);
  }
  const mustFail = !cut.boundary || cut.at === 0;
  if (mustFail && !got.error) out.push(`cut at ${cut.at} inside a record, yet reading ended without an error`);
  if (!mustFail && got.error && !(orig.error && orig.error.offset === cut.unit)) out.push(`cut at boundary ${cut.at}, yet reading failed: ${got.error.reason}`);
  if (!cut.boundary && got.error && got.error.offset !== cut.unit) out.push(`cut inside the record at ${cut.unit}, but the error names byte ${got.error.offset} (${got.error.reason})`);
  return out;
}

/** Numbers out, so that one bug seen on many inputs is one failure kind. */
function signature(violation: string): string {
  return violation.replace(/\d+/g, 'N').slice(0, 120);
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const log = options.log ?? (() => undefined);
  const { seeds: files, skipped } = fileSeeds();
  const seeds: Seed[] = [...files, ...syntheticSeeds()];
  const dir = mkdtempSync(join(tmpdir(), 'pcap-narrator-fuzz-'));
  const seedPaths = new Map<Seed, string>();
  seeds.forEach((s, i) => {
    const p = join(dir, `seed-${i}.${s.name.endsWith('.pcapng') ? 'pcapng' : 'pcap'}`);
    writeFileSync(p, s.bytes);
    seedPaths.set(s, p);
  });
  const originals = new Map<Seed, ReadSummary>();
  const noteFile = join(dir, 'current-case.txt');
  const watchdog = new Watchdog(noteFile, CASE_LIMIT_MS * 4, options.saveDir);
  const result: CampaignResult = { cases: 0, seeds: seeds.length, skippedSeeds: skipped, clean: 0, damaged: 0, frames: 0, cutChecks: 0, slowestMs: 0, failures: [] };
  const kinds = new Map<string, number>();
  try {
    for (let n = 0; n < options.cases; n++) {
      const rng = Prng.forCase(options.seed, n);
      const source = seeds[rng.below(seeds.length)];
      const m = mutate(source.bytes, rng);
      const casePath = join(dir, `case.${source.name.endsWith('.pcapng') ? 'pcapng' : 'pcap'}`);
      writeFileSync(casePath, m.bytes);
      const companions = rng.chance(0.1) ? [seedPaths.get(seeds[rng.below(seeds.length)])!] : [];
      const what = `seed ${options.seed} case ${n}: ${source.name}: ${m.steps.join('; ')}${companions.length ? ' (analysed with another seed)' : ''}`;
      writeFileSync(noteFile, `${casePath}\n${what}\n`);
      watchdog.start();
      const r = await checkCase(casePath, m.bytes.length, companions);
      const violations = [...r.violations];
      if (m.cut) {
        let orig = originals.get(source);
        if (!orig) {
          const seen: string[] = [];
          orig = await readAllChecked(seedPaths.get(source)!, source.bytes.length, seen);
          originals.set(source, orig);
        }
        violations.push(...cutProblems(orig, m.cut, r.read));
        result.cutChecks++;
      }
      watchdog.stop();
      result.cases++;
      result.frames += r.read.offsets.length;
      if (r.ms > result.slowestMs && r.ms > 1000) log(`slowest so far: ${Math.round(r.ms)} ms, ${what}`);
      result.slowestMs = Math.max(result.slowestMs, r.ms);
      if (r.read.error) result.damaged++;
      else result.clean++;
      if (violations.length > 0) {
        const failure: Failure = { source: source.name, caseNumber: n, steps: m.steps, violations };
        const kind = signature(violations[0]);
        const seen = kinds.get(kind) ?? 0;
        kinds.set(kind, seen + 1);
        if (options.saveDir && seen < 3) {
          const hash = createHash('sha1').update(m.bytes).digest('hex').slice(0, 12);
          failure.savedAs = join(options.saveDir, `${hash}.bin`);
          writeFileSync(failure.savedAs, m.bytes);
          writeFileSync(join(options.saveDir, `${hash}.txt`), `${what}\n\n${violations.join('\n')}\n`);
        }
        if (seen < 3) log(`FAIL ${what}\n  ${violations.slice(0, 5).join('\n  ')}`);
        result.failures.push(failure);
      }
      if ((n + 1) % 1000 === 0) log(`${n + 1} cases, ${result.failures.length} failing, slowest ${Math.round(result.slowestMs)} ms`);
    }
  } finally {
    await watchdog.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
