// `--host NAME=FILE` and the per-host captures of the overlay sample through the built CLI: the
// hosts of the document and of the NDJSON records, and a --host that names no given file.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { REPO, skipReason } from '../helpers/tools.js';

const run = promisify(execFile);
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const noCli = existsSync(CLI) ? undefined : `skipped: ${relative(REPO, CLI)} is missing (npm run build; npm ci runs it)`;
const A = join('samples', 'vxlan-overlay', 'host.pcapng');
const B = join('samples', 'vxlan-overlay', 'hostb.pcapng');

describe.skipIf(noCli !== undefined)('analyze --host', () => {
  if (noCli) console.warn(noCli);

  it('names the hosts as given, in the document and in the NDJSON host records, and their interfaces HOST:IFACE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-host-cli-'));
    try {
      const json = join(dir, 'a.json');
      const ndjson = join(dir, 'a.ndjson');
      await run(process.execPath, [CLI, '--quiet', 'analyze', A, B, '--host', `node1=${A}`, '--host', `node2=${B}`, '--json', json, '--ndjson', ndjson], { cwd: REPO, maxBuffer: 1 << 26 });
      const doc = JSON.parse(readFileSync(json, 'utf8')) as { hosts: { name: string; files: string[]; clockOffsetNs: string; offsetSamples: number }[]; interfaces: { name: string }[] };
      expect(doc.hosts.map((h) => [h.name, h.files])).toEqual([
        ['node1', [A]],
        ['node2', [B]],
      ]);
      expect(doc.hosts[0].clockOffsetNs).toBe('0');
      expect(doc.hosts[1].offsetSamples).toBeGreaterThan(0);
      expect(doc.interfaces.every((i) => /^node[12]:/.test(i.name))).toBe(true);
      const hostRecords = readFileSync(ndjson, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string })
        .filter((r) => r.type === 'host')
        .map(({ type: _type, ...rest }) => rest);
      expect(hostRecords).toEqual(doc.hosts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a --host that names a file not given, before any work (exit 1)', async () => {
    const err = await run(process.execPath, [CLI, '--quiet', 'analyze', A, '--host', `x=${B}`], { cwd: REPO }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`--host: ${B} is not one of the capture files given`);
  });
});

describe('diff of a scenario against captures from several hosts', () => {
  it('emulates the scenario one capture per host, so that both sides name interfaces HOST:IFACE', async () => {
    const { runDiff } = await import('../../src/cli/diff.js');
    const { result } = await runDiff(join(REPO, 'samples', 'vxlan-overlay', 'scenario.txt'), [join(REPO, A), join(REPO, B)], { quiet: true });
    expect(result.compared).toBeGreaterThan(10);
    // Before, the emulation was one capture whose first host's interfaces had no prefix: every
    // journey of that host was "never seen on vethc1" and "also seen on host:vethc1".
    expect(result.sentences.filter((s) => /never seen on (vethc1|vxlan0|eth1)\b/.test(s))).toEqual([]);
  });

  it('takes --host for the observed captures only: the emulated ones are planned on their own', async () => {
    const { runDiff } = await import('../../src/cli/diff.js');
    const a = join(REPO, A);
    const b = join(REPO, B);
    const { result, observed } = await runDiff(join(REPO, 'samples', 'vxlan-overlay', 'scenario.txt'), [a, b], { quiet: true, host: [`host=${a}`, `hostb=${b}`] });
    expect(observed.analysis.hosts.map((h) => h.name)).toEqual(['host', 'hostb']);
    expect(result.sentences.filter((s) => /never seen on (vethc1|vxlan0|eth1)\b/.test(s))).toEqual([]);
  });

  it('finds nothing unexplained between the sample and its emulation: the same two fragmentation-needed answers', async () => {
    const { runDiff } = await import('../../src/cli/diff.js');
    const { result } = await runDiff(join(REPO, 'samples', 'vxlan-overlay', 'scenario.txt'), [join(REPO, A), join(REPO, B)], { quiet: true });
    // Only the underlay's ARP, which the recording's neighbour cache already held, is a note.
    expect(result.sentences).toEqual([]);
    expect(result.agree).toBe(true);
    expect(result.notes?.every((n) => n.startsWith('expected ARP ') && n.endsWith('(neighbour cache state, not configuration)'))).toBe(true);
  });

  const tshark = skipReason(['tshark']);
  it.skipIf(tshark !== undefined)(`still reports fragmentation-needed answers that a capture lacks${tshark ? ` (${tshark})` : ''}`, async () => {
    const { runDiff } = await import('../../src/cli/diff.js');
    const dir = mkdtempSync(join(tmpdir(), 'pn-hosts-diff-'));
    const b = join(dir, 'hostb.pcapng');
    try {
      const cut = spawnSync('tshark', ['-r', join(REPO, B), '-Y', 'not (icmp.type == 3 && icmp.code == 4)', '-w', b], { encoding: 'utf8' });
      expect(cut.status, cut.stderr).toBe(0);
      const { result } = await runDiff(join(REPO, 'samples', 'vxlan-overlay', 'scenario.txt'), [join(REPO, A), b], { quiet: true });
      expect(result.agree).toBe(false);
      expect(result.sentences).toContain('expected 2 × ICMP destination unreachable 10.10.0.1 > 10.10.0.2 (hostb:vxlan0 -> hostb:vethc2), never observed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
