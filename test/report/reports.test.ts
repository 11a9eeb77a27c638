// The committed reports/ are what `npm start` writes from the samples today: regenerated here
// (diagrams rendered to SVG by mermaid-cli in the system's Chromium, so every Mermaid block of every
// report must parse and draw) and compared with the committed report.md, analysis.json and SVGs: a
// fresh clone stays clean after the README's `npm install && npm start`.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { REPO } from '../helpers/tools.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');
const browser = ['/usr/bin/chromium', '/usr/bin/chromium-browser', process.env.PUPPETEER_EXECUTABLE_PATH ?? ''].find((p) => p && existsSync(p));
const samples = readdirSync(join(REPO, 'samples')).filter((s) => existsSync(join(REPO, 'reports', s, 'report.md')));
// Asynchronous on purpose: a rendering run can take over a minute on a loaded two-core machine, and a
// synchronous child would block this worker's event loop past vitest's 60 s RPC timeout.
const run = promisify(execFile);
const why = !existsSync(CLI) ? 'skipped: dist/ is not built (npm install builds it)' : !browser ? 'skipped: no Chromium to render the diagrams (CI installs it through .ci/run)' : undefined;

describe.skipIf(why !== undefined)('committed reports', () => {
  if (why) console.log(why);
  for (const s of samples) {
    it(`${s}: regenerates to the committed report.md, analysis.json and SVGs`, async () => {
      const out = mkdtempSync(join(tmpdir(), `pn-report-${s}-`));
      const captures = readdirSync(join(REPO, 'samples', s)).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => join('samples', s, f));
      const result = await run(
        process.execPath,
        [
          CLI,
          '--quiet',
          'report',
          ...captures,
          '-o',
          out,
          '--json',
          '-',
          '--scenario',
          join('samples', s, 'scenario.txt'),
          '--render',
          'svg',
          ...(existsSync(join(REPO, 'samples', s, 'iface-map.txt')) ? ['--iface-map', readFileSync(join(REPO, 'samples', s, 'iface-map.txt'), 'utf8').trim()] : []),
        ],
        { cwd: REPO, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 30 },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? String(e) }),
      );
      expect(result.code, result.stderr).toBe(0);
      const md = readFileSync(join(out, 'report.md'), 'utf8');
      for (const m of md.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)) expect(existsSync(join(out, m[1])), m[1]).toBe(true);
      expect(md, 'reports/ is stale: run npm start').toBe(readFileSync(join(REPO, 'reports', s, 'report.md'), 'utf8'));
      expect(readFileSync(join(out, 'analysis.json'), 'utf8')).toBe(readFileSync(join(REPO, 'reports', s, 'analysis.json'), 'utf8'));
      const svgs = readdirSync(join(REPO, 'reports', s)).filter((f) => f.endsWith('.svg')).sort();
      expect(readdirSync(out).filter((f) => f.endsWith('.svg')).sort()).toEqual(svgs);
      for (const f of svgs) expect(readFileSync(join(out, f), 'utf8'), `reports/${s}/${f} is stale: run npm start`).toBe(readFileSync(join(REPO, 'reports', s, f), 'utf8'));
    }, 320_000);
  }
});
