#!/usr/bin/env node
// `npm start`: runs the main job over every bundled sample and writes reports/<sample>/.
// Each sample folder holds scenario.txt and its recorded captures (*.pcapng, *.pcap).
import { readdirSync, mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const samplesDir = join(root, 'samples');
const reportsDir = join(root, 'reports');

if (!existsSync(cli)) {
  console.error('pcap-narrator is not built: run `npm install` (it builds through the prepare script).');
  process.exit(1);
}

const only = process.argv.slice(2);
const samples = readdirSync(samplesDir)
  .filter((name) => statSync(join(samplesDir, name)).isDirectory())
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

let failed = 0;
for (const sample of samples) {
  const dir = join(samplesDir, sample);
  const captures = readdirSync(dir)
    .filter((f) => /\.(pcapng|pcap)$/.test(f))
    .sort()
    .map((f) => join('samples', sample, f));
  if (captures.length === 0) continue;
  const out = join(reportsDir, sample);
  mkdirSync(out, { recursive: true });
  const scenario = join('samples', sample, 'scenario.txt');
  const hasReport = spawnSync(process.execPath, [cli, 'help', 'report'], { cwd: root, encoding: 'utf8' }).status === 0;
  const args = hasReport
    ? ['report', ...captures, '-o', join('reports', sample), ...(existsSync(join(root, scenario)) ? ['--scenario', scenario] : [])]
    : ['read', ...captures];
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (!hasReport) writeFileSync(join(out, 'frames.txt'), run.stdout);
  if (run.status !== 0) {
    failed++;
    console.error(`${sample}: exit ${run.status}: ${run.stderr.trim()}`);
  } else {
    console.log(`${sample}: ${hasReport ? join('reports', sample, 'report.md') : join('reports', sample, 'frames.txt')}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
