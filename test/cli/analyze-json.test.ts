// `analyze --json` streams (journeys, flows and NAT bindings through scratch files), `report --json`
// keeps every journey for its stories: on every sample, through the built CLI, one document.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { REPO } from '../helpers/tools.js';

const run = promisify(execFile);
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const noCli = existsSync(CLI) ? false : `skipped: ${relative(REPO, CLI)} is missing (npm run build; npm ci runs it)`;
const SAMPLES = join(REPO, 'samples');
const samples = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'capture.pcapng'))) : [];

describe.skipIf(noCli !== false || samples.length === 0)('analyze --json and report --json', () => {
  if (noCli) console.warn(noCli);
  it.each(samples)('%s: the same analysis document', async (sample) => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-json-'));
    try {
      const capture = join(SAMPLES, sample, 'capture.pcapng');
      const map = join(SAMPLES, sample, 'iface-map.txt');
      const extra = existsSync(map) ? ['--iface-map', readFileSync(map, 'utf8').trim()] : [];
      await run(process.execPath, [CLI, '--quiet', 'analyze', capture, ...extra, '--json', join(dir, 'a.json')]);
      await run(process.execPath, [CLI, '--quiet', 'report', capture, ...extra, '-o', join(dir, 'report'), '--json', join(dir, 'r.json')]);
      const a = readFileSync(join(dir, 'a.json'), 'utf8');
      const r = readFileSync(join(dir, 'r.json'), 'utf8');
      expect(JSON.parse(a)).toEqual(JSON.parse(r));
      // Byte for byte, too: both are JSON.stringify(document, null, 2).
      expect(a).toBe(r);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(noCli !== false)('analyze --json of a capture that does not open', () => {
  it('writes no document, to stdout or to the file, and exits 2 naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-json-'));
    try {
      const bad = join(dir, 'bad.pcap');
      writeFileSync(bad, Buffer.from('this is not a capture file at all'));
      for (const target of ['-', join(dir, 'out.json')]) {
        const r = await run(process.execPath, [CLI, '--quiet', 'analyze', bad, '--json', target]).then(
          (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
          (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
        );
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain('bad.pcap');
        expect(r.stdout).toBe('');
        expect(existsSync(join(dir, 'out.json'))).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
