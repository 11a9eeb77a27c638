// A browser that is there but will not start (a broken install, a sandbox that forbids it) is told in
// one line, and the report is written as without a browser: Mermaid blocks, exit 0. It used to end in
// an internal error with puppeteer's stack.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/tools.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');
const BROKEN = '/bin/false';
const why = !existsSync(CLI) ? 'skipped: dist/ is not built (npm install builds it)' : !existsSync(BROKEN) ? `skipped: no ${BROKEN} to stand for a browser that fails` : undefined;
const run = promisify(execFile);

describe.skipIf(why !== undefined)('report --render with a browser that will not start', () => {
  if (why) it.skip(why, () => {});
  it('says so, writes the Mermaid blocks and exits 0', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pn-broken-browser-'));
    try {
      const { stderr } = await run(process.execPath, [CLI, 'report', join(REPO, 'samples', 'bridge-ping', 'capture.pcapng'), '-o', out, '--render', 'svg'], {
        env: { ...process.env, PUPPETEER_EXECUTABLE_PATH: BROKEN },
        timeout: 150_000,
      });
      expect(stderr).toMatch(/^pcap-narrator: \/bin\/false did not start \(.+\), so the diagrams stay Mermaid blocks in report\.md$/m);
      expect(stderr).not.toMatch(/internal error/);
      expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('```mermaid');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
