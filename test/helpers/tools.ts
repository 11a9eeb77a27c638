import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The public captures of ../shared/corpus, copied into the project with their licences (MANIFEST.md says
 * where each came from) so that a fresh clone in CI has them.
 */
export const CORPUS = join(REPO, 'test', 'corpus');

const found = new Map<string, boolean>();

/** True when `name` runs here. Tests that need it skip with a message naming it otherwise. */
export function haveTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
    found.set(name, ok);
  }
  return ok;
}

export function skipReason(tools: string[]): string | undefined {
  const missing = tools.filter((t) => !haveTool(t));
  return missing.length > 0 ? `skipped: ${missing.join(', ')} not installed (CI installs it through .ci/run)` : undefined;
}

export interface CorpusEntry {
  path: string;
  format: 'pcap' | 'pcapng';
  linktype: string;
  packets: string;
  tsharkReads: 'yes' | 'no' | 'partial';
  anomalies: string;
}

/** The corpus captures listed in INDEX.tsv, or none where ../shared/corpus is absent. */
export function corpusCaptures(): CorpusEntry[] {
  const index = join(CORPUS, 'INDEX.tsv');
  if (!existsSync(index)) return [];
  const [head, ...rows] = readFileSync(index, 'utf8').trim().split('\n');
  const cols = head.split('\t');
  const at = (name: string): number => cols.indexOf(name);
  return rows.map((row) => {
    const f = row.split('\t');
    return {
      path: join(CORPUS, f[at('path')]),
      format: f[at('format')] as 'pcap' | 'pcapng',
      linktype: f[at('linktype')],
      packets: f[at('packets')],
      tsharkReads: f[at('tshark_reads')] as 'yes' | 'no' | 'partial',
      anomalies: f[at('header_record_anomalies')],
    };
  });
}

/** tcpdump's stdout lines for a file (stderr ignored: it holds "reading from file"). */
export function tcpdumpLines(file: string, args: string[], env: Record<string, string> = {}): string[] {
  const run = spawnSync('tcpdump', [...args, '-r', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    timeout: 60_000,
    env: { ...process.env, TZ: 'GMT0', ...env },
  });
  const out = run.stdout ?? '';
  return out.length === 0 ? [] : out.replace(/\n$/, '').split('\n');
}
