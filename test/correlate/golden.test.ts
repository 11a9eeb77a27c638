// The analysis of every bundled sample, through the built CLI's streaming `analyze --json`, is the golden
// document kept in test/fixtures/golden (see its README): a redesign of the pipeline must find the same
// journeys, steps, fates, flows, NAT bindings and findings, byte for byte.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { REPO } from '../helpers/tools.js';

const run = promisify(execFile);
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const GOLDEN = join(REPO, 'test', 'fixtures', 'golden');
const noCli = existsSync(CLI) ? undefined : `skipped: ${relative(REPO, CLI)} is missing (npm run build; npm ci runs it)`;
/** A sample's captures: its capture.pcapng, or its captures from several hosts (one pcapng each). */
function capturesOf(sample: string): string[] {
  const dir = join(REPO, 'samples', sample);
  if (existsSync(join(dir, 'capture.pcapng'))) return [join('samples', sample, 'capture.pcapng')];
  return readdirSync(dir).filter((f) => f.endsWith('.pcapng')).sort().map((f) => join('samples', sample, f));
}
const samples = readdirSync(join(REPO, 'samples')).filter((d) => capturesOf(d).length > 0).sort();

describe.skipIf(noCli !== undefined)('golden analysis documents of the samples', () => {
  if (noCli) console.warn(noCli);

  it('has one golden document for every sample, and none for a sample that is gone', () => {
    const golden = readdirSync(GOLDEN).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
    expect(golden).toEqual(samples);
  });

  it.each(samples)('%s: analyze --json reproduces its golden document', async (sample) => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-golden-'));
    try {
      const map = join(REPO, 'samples', sample, 'iface-map.txt');
      const extra = existsSync(map) ? ['--iface-map', readFileSync(map, 'utf8').trim()] : [];
      const out = join(dir, 'a.json');
      await run(process.execPath, [CLI, '--quiet', 'analyze', ...capturesOf(sample), ...extra, '--json', out], { cwd: REPO, maxBuffer: 1 << 26 });
      const ours = readFileSync(out, 'utf8');
      const golden = readFileSync(join(GOLDEN, `${sample}.json`), 'utf8');
      // Parsed first, so that a failure shows which field moved; then byte for byte.
      expect(JSON.parse(ours)).toEqual(JSON.parse(golden));
      expect(ours).toBe(golden);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
