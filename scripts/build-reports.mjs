#!/usr/bin/env node
// `npm start`: runs the main job over every bundled sample and writes reports/<sample>/.
// Each sample folder holds scenario.txt and its recorded captures (*.pcapng, *.pcap).
import { readdirSync, mkdirSync, statSync, existsSync, readFileSync } from 'node:fs';
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
  const browser = ['/usr/bin/chromium', '/usr/bin/chromium-browser', process.env.PUPPETEER_EXECUTABLE_PATH].find((p) => p && existsSync(p));
  const args = [
    'report',
    ...captures,
    '-o',
    join('reports', sample),
    '--json',
    '-',
    ...(existsSync(join(root, scenario)) ? ['--scenario', scenario] : []),
    // A cooked-v2 (`-i any`) sample names its interface indexes in iface-map.txt, as the host had them.
    ...(existsSync(join(dir, 'iface-map.txt')) ? ['--iface-map', readFileSync(join(dir, 'iface-map.txt'), 'utf8').trim()] : []),
    ...(browser ? ['--render', 'svg'] : []),
  ];
  const run = spawnSync(process.execPath, [cli, '--quiet', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0) {
    failed++;
    console.error(`${sample}: exit ${run.status}: ${run.stderr.trim()}`);
  } else {
    console.log(`${sample}: ${join('reports', sample, 'report.md')}${browser ? ' (diagrams rendered as SVG)' : ' (Mermaid blocks: no Chromium to render them)'}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
