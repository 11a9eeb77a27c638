#!/usr/bin/env node
// `npm run bench`: pcap-narrator side by side with tcpdump and tshark on the same generated files,
// one command after another, medians of BENCH_RUNS runs (default 3), with the targets of issue #15.
// BENCH_QUICK=1 uses small files and one run: a smoke test of the harness, not a measurement.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInput } from './generate.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const SIZES = QUICK ? [20_000, 60_000] : [1_000_000, 3_000_000];
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
/** A command still running after this many seconds is stopped and reported as such. */
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT ?? 900);

const log = (s) => process.stderr.write(`${s}\n`);

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function version(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? '?';
}

/**
 * Runs a command once with stdout to /dev/null; wall time from here, peak RSS from GNU time's %M
 * (the child's own maximum resident set, not time's) or, without it, from polling VmHWM.
 */
async function measure(argv) {
  const scratch = mkdtempSync(join(tmpdir(), 'pcap-narrator-bench-'));
  const timeFile = join(scratch, 'time');
  const devnull = openSync('/dev/null', 'w');
  const full = TIME ? [TIME, '-f', '%M', '-o', timeFile, ...argv] : argv;
  const started = process.hrtime.bigint();
  let hwm = 0;
  let stderr = '';
  let timedOut = false;
  const code = await new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops the command and not only GNU time.
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', devnull, 'pipe'], detached: true });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, TIMEOUT_S * 1000);
    child.stderr.on('data', (d) => {
      if (stderr.length < 4000) stderr += d;
    });
    let poll;
    if (!TIME) {
      poll = setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwm = Math.max(hwm, Number(m[1]));
        } catch {
          // The process has ended between two polls.
        }
      }, 20);
    }
    child.on('error', reject);
    child.on('close', (c) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve(c);
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  closeSync(devnull);
  if (TIME && existsSync(timeFile)) hwm = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
  rmSync(scratch, { recursive: true, force: true });
  if (timedOut) return { failed: `stopped after ${TIMEOUT_S} s`, seconds, rssMb: hwm / 1024 };
  if (code !== 0) {
    const why = stderr.trim().split('\n').filter((l) => !l.startsWith('Command exited') && !l.includes('Running as user')).slice(-1)[0] ?? '';
    return { failed: `exit ${code}: ${why.slice(0, 120)}`, seconds, rssMb: hwm / 1024 };
  }
  return { seconds, rssMb: hwm / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Every command of one input, measured once per round and the rounds one after another, each
 * command's median time and largest peak RSS. This machine's speed drifts by a fifth over minutes
 * (a shared host: the same command took 22.8 s in one bench and 27.8 s in the next), and a
 * command's runs taken back to back met one phase of it while tcpdump's or tshark's met another.
 */
async function measureRounds(path, say) {
  const runs = new Map(Object.keys(TOOLS).map((tool) => [tool, []]));
  // One failure (timeout, out of memory) stands for the command: repeating it only costs time.
  const failed = new Map();
  for (let round = 1; round <= RUNS; round++) {
    for (const [tool, argv] of Object.entries(TOOLS)) {
      if (failed.has(tool)) continue;
      say(`${tool} (run ${round} of ${RUNS}) ...`);
      const r = await measure(argv(path));
      rmSync(OUT_DIR, { recursive: true, force: true });
      mkdirSync(OUT_DIR);
      if (r.failed) failed.set(tool, r);
      else runs.get(tool).push(r);
      log(`  ${r.failed ? `failed: ${r.failed}` : `${fmt.s(r.seconds)} s`}, ${fmt.mb(r.rssMb)} MB`);
    }
  }
  return Object.keys(TOOLS).map((tool) => {
    const f = failed.get(tool);
    if (f) return { tool, ...f };
    const rs = runs.get(tool);
    return { tool, seconds: median(rs.map((r) => r.seconds)), rssMb: Math.max(...rs.map((r) => r.rssMb)) };
  });
}

/** Where --json, --ndjson and report write during a run: a scratch folder, emptied after each run. */
const OUT_DIR = mkdtempSync(join(tmpdir(), 'pcap-narrator-bench-out-'));

const TOOLS = {
  'pcap-narrator read': (f) => ['node', CLI, 'read', f],
  'tcpdump -nn -r': (f) => ['tcpdump', '-nn', '-r', f],
  'pcap-narrator analyze': (f) => ['node', CLI, '--quiet', 'analyze', f],
  'pcap-narrator analyze --ndjson': (f) => ['node', CLI, '--quiet', 'analyze', f, '--ndjson', join(OUT_DIR, 'a.ndjson')],
  'pcap-narrator analyze --json': (f) => ['node', CLI, '--quiet', 'analyze', f, '--json', join(OUT_DIR, 'a.json')],
  'tshark -q -z conv,tcp': (f) => ['tshark', '-q', '-z', 'conv,tcp', '-r', f],
  'pcap-narrator report': (f) => ['node', CLI, '--quiet', 'report', f, '-o', join(OUT_DIR, 'report')],
};

/**
 * Runs of the in-process decode measurement: under a second each, and on a shared machine one run
 * varies by a third, so its median takes at least this many whatever BENCH_RUNS says.
 */
const DECODE_RUNS = 5;

async function decodeOnly(file, mode) {
  const rows = [];
  for (let i = 0; i < Math.max(RUNS, DECODE_RUNS); i++) {
    const r = spawnSync('node', [join(ROOT, 'bench', 'decode-only.mjs'), file, mode], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`decode-only ${mode} failed: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  const seconds = median(rows.map((r) => r.seconds));
  return { seconds, rssMb: Math.max(...rows.map((r) => r.maxRssMb)), frames: rows[0].frames };
}

const fmt = {
  s: (x) => x.toFixed(2),
  rate: (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`),
  mb: (x) => (x > 0 ? x.toFixed(0) : '?'),
};

function table(headers, rows) {
  const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(width[i])).join(' | ')} |`;
  return [line(headers), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  if (!existsSync(CLI)) {
    log('dist/cli/main.js is missing: building');
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0 || !existsSync(CLI)) throw new Error('npm run build failed: the benchmark needs the built CLI');
  }
  for (const t of ['tcpdump', 'tshark']) if (!have(t)) throw new Error(`${t} is not installed: the benchmark compares against it`);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${version('tcpdump', ['--version'])}, ${version('tshark', ['--version']).replace(/\s*\(.*$/, '')}`;
  log(`machine: ${machine}`);
  log(`runs per measurement: ${RUNS}${QUICK ? ' (BENCH_QUICK: small files, not a measurement)' : ''}`);

  // Every input first, so generation never overlaps a measurement.
  const inputs = SIZES.map((n) => ({ frames: n, interfaces: 3 })).map((spec) => ({ spec, ...ensureInput(spec, log) }));
  const label = (inp) => `${(inp.frames / 1e6).toString()}M frames, ${inp.interfaces} interfaces`;
  const results = [];
  for (const inp of inputs) {
    for (const r of await measureRounds(inp.path, (what) => log(`${label(inp)}: ${what}`))) results.push({ input: inp, ...r });
  }
  const [small, large] = inputs;
  log(`${label(large)}: live heap of the streamed analysis ...`);
  const liveRun = spawnSync('node', ['--expose-gc', join(ROOT, 'bench', 'live-heap.mjs'), large.path, String(large.frames / 6)], { encoding: 'utf8' });
  if (liveRun.status !== 0) throw new Error(`live-heap failed: ${liveRun.stderr}`);
  const liveHeap = JSON.parse(liveRun.stdout.trim().split('\n').pop());
  const decode = await decodeOnly(small.path, 'decode');

  const find = (inp, tool) => results.find((r) => r.input === inp && r.tool === tool);
  const rows = [];
  for (const inp of inputs) {
    const td = find(inp, 'tcpdump -nn -r');
    for (const r of results.filter((x) => x.input === inp)) {
      const seconds = r.failed ? `failed: ${r.failed} (after ${fmt.s(r.seconds)} s)` : fmt.s(r.seconds);
      const ratio = r.failed || td.failed || r === td ? (r === td ? '1.00' : '-') : (r.seconds / td.seconds).toFixed(2);
      rows.push([label(inp), `${(inp.bytes / 1e6).toFixed(0)} MB`, r.tool, seconds, r.failed ? '-' : fmt.rate(inp.frames / r.seconds), fmt.mb(r.rssMb), ratio]);
    }
  }
  rows.push([label(small), `${(small.bytes / 1e6).toFixed(0)} MB`, 'decode only (openCapture + decodePacket, 1 core)', fmt.s(decode.seconds), fmt.rate(decode.frames / decode.seconds), fmt.mb(decode.rssMb), '']);

  const verdict = (ok) => (ok ? 'met' : 'NOT MET');
  const secs = (r) => (r.failed ? `failed (${r.failed})` : `${fmt.s(r.seconds)} s`);
  // A failed run of ours meets nothing; a failed run of theirs leaves the comparison open.
  const within = (ours, theirs, factor) => (ours.failed ? 'NOT MET' : theirs.failed ? 'unknown' : verdict(ours.seconds <= theirs.seconds * factor));
  const rss = (r, limit) => [r.failed ? `failed (${r.failed}) at ${fmt.mb(r.rssMb)} MB` : `${fmt.mb(r.rssMb)} MB`, verdict(!r.failed && r.rssMb <= limit)];
  const targets = [];
  for (const inp of inputs) {
    const a = find(inp, 'pcap-narrator analyze');
    const nd = find(inp, 'pcap-narrator analyze --ndjson');
    const js = find(inp, 'pcap-narrator analyze --json');
    const td = find(inp, 'tcpdump -nn -r');
    const conv = find(inp, 'tshark -q -z conv,tcp');
    const n = label(inp);
    targets.push(
      [`${n}: analyze <= 1.0x tcpdump -nn -r`, `${secs(a)} vs ${secs(td)}`, within(a, td, 1.0)],
      [`${n}: analyze <= 0.4x tshark -q -z conv,tcp`, `${secs(a)} vs ${secs(conv)} x 0.4`, within(a, conv, 0.4)],
      [`${n}: analyze peak RSS <= 200 MB`, ...rss(a, 200)],
      [`${n}: analyze --ndjson <= 1.5x tcpdump -nn -r`, `${secs(nd)} vs ${secs(td)} x 1.5`, within(nd, td, 1.5)],
      [`${n}: analyze --ndjson peak RSS <= 200 MB`, ...rss(nd, 200)],
      [`${n}: analyze --json peak RSS <= 250 MB`, ...rss(js, 250)],
    );
  }
  const a1 = find(small, 'pcap-narrator analyze');
  const a3 = find(large, 'pcap-narrator analyze');
  const growth = a3.rssMb / a1.rssMb;
  targets.push([`analyze peak RSS of ${label(large)} within 15% of ${label(small)}`, `x${growth.toFixed(2)} (${fmt.mb(a3.rssMb)} vs ${fmt.mb(a1.rssMb)} MB)`, verdict(!a1.failed && !a3.failed && growth <= 1.15)]);
  const rep = find(large, 'pcap-narrator report');
  targets.push([`${label(large)}: report exits 0, peak RSS <= 300 MB`, rep.failed ? `failed (${rep.failed}) at ${fmt.mb(rep.rssMb)} MB` : `exit 0, ${fmt.mb(rep.rssMb)} MB`, verdict(!rep.failed && rep.rssMb <= 300)]);
  targets.push([
    `analyze live heap (after a full collection) flat, ${label(large)}`,
    liveHeap.liveMb.map(([n, m]) => `${n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${Math.round(n / 1e3)}k`}: ${m} MB`).join(', '),
    verdict(liveHeap.liveMb[liveHeap.liveMb.length - 1][1] <= liveHeap.liveMb[0][1] * 1.15),
  ]);

  const out = [];
  out.push(`Machine: ${machine}`);
  out.push(`Medians of ${RUNS} run(s), taken in rounds of every command (decode only: of ${Math.max(RUNS, DECODE_RUNS)}); peak RSS is the largest of the runs. "x tcpdump" is the command's time over tcpdump -nn -r's on the same file.`);
  out.push('');
  out.push(table(['input', 'size', 'command', 'seconds', 'frames/s', 'peak RSS MB', 'x tcpdump'], rows));
  out.push('');
  out.push('Targets (issue #15):');
  out.push(table(['target', 'measured', 'verdict'], targets));
  console.log(out.join('\n'));
}

main().finally(() => rmSync(OUT_DIR, { recursive: true, force: true })).catch((err) => {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
