#!/usr/bin/env node
// `npm run bench`: pcap-narrator side by side with tcpdump and tshark on the same generated files,
// one command after another, medians of BENCH_RUNS runs (default 3), with the targets of issue #8.
// BENCH_QUICK=1 uses small files and one run: a smoke test of the harness, not a measurement.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInput } from './generate.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const M = QUICK ? 20_000 : 1_000_000;
const SIZES = QUICK ? [5_000, 20_000, 100_000] : [250_000, 1_000_000, 5_000_000];
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

async function medianOf(argv) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await measure(argv);
    // One failure (timeout, out of memory) stands for the command: repeating it only costs time.
    if (r.failed) return r;
    runs.push(r);
  }
  return { seconds: median(runs.map((r) => r.seconds)), rssMb: Math.max(...runs.map((r) => r.rssMb)) };
}

const TOOLS = {
  'pcap-narrator read': (f) => ['node', CLI, 'read', f],
  'tcpdump -nn -r': (f) => ['tcpdump', '-nn', '-r', f],
  'tshark -r': (f) => ['tshark', '-r', f],
  'pcap-narrator analyze --json': (f) => ['node', CLI, '--quiet', 'analyze', '--json', '-', f],
  'tshark -q -z conv,tcp -z conv,udp': (f) => ['tshark', '-q', '-z', 'conv,tcp', '-z', 'conv,udp', '-r', f],
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

/**
 * The part of analyze --json no correlation work can save: JSON.stringify of its journeys, timed
 * inside one streamed analysis (bench/serialise-share.mjs), one run.
 */
function serialiseShare(file) {
  const r = spawnSync('node', [join(ROOT, 'bench', 'serialise-share.mjs'), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`serialise-share failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
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
  const inputs = [
    ...SIZES.map((n) => ({ frames: n, interfaces: 3 })),
    { frames: M, interfaces: 1 },
    { frames: M, interfaces: 6 },
    { frames: M, interfaces: 'any' },
  ].map((spec) => ({ spec, ...ensureInput(spec, log) }));

  const label = (inp) => `${(inp.frames / 1e6).toString()}M ${inp.interfaces === 'any' ? '-i any (cooked v2)' : `${inp.interfaces} if`}`;
  const results = [];
  for (const inp of inputs) {
    for (const [tool, argv] of Object.entries(TOOLS)) {
      log(`${label(inp)}: ${tool} ...`);
      const r = await medianOf(argv(inp.path));
      results.push({ input: inp, tool, ...r });
      log(`  ${fmt.s(r.seconds)} s, ${fmt.mb(r.rssMb)} MB`);
    }
  }
  const main3 = inputs.find((i) => i.frames === M && i.interfaces === 3);
  const biggest = inputs.find((i) => i.frames === SIZES[2] && i.interfaces === 3);
  log(`${label(biggest)}: live heap of the streamed analysis ...`);
  const liveRun = spawnSync('node', ['--expose-gc', join(ROOT, 'bench', 'live-heap.mjs'), biggest.path, String(SIZES[2] / 5)], { encoding: 'utf8' });
  if (liveRun.status !== 0) throw new Error(`live-heap failed: ${liveRun.stderr}`);
  const liveHeap = JSON.parse(liveRun.stdout.trim().split('\n').pop());
  const decode = await decodeOnly(main3.path, 'decode');
  const framing = await decodeOnly(main3.path, 'framing');
  log(`${label(main3)}: serialisation of the journeys alone ...`);
  const serialised = serialiseShare(main3.path);

  const find = (inp, tool) => results.find((r) => r.input === inp && r.tool === tool);
  const rows = [];
  for (const inp of inputs) {
    const ours = { read: find(inp, 'pcap-narrator read'), analyze: find(inp, 'pcap-narrator analyze --json') };
    for (const r of results.filter((x) => x.input === inp)) {
      const base = r.tool.includes('analyze') || r.tool.includes('conv') ? ours.analyze : ours.read;
      if (r.failed) {
        rows.push([label(inp), `${(inp.bytes / 1e6).toFixed(0)} MB`, r.tool, `failed: ${r.failed} (after ${fmt.s(r.seconds)} s)`, '-', '-', fmt.mb(r.rssMb), '-']);
        continue;
      }
      rows.push([
        label(inp), `${(inp.bytes / 1e6).toFixed(0)} MB`, r.tool, fmt.s(r.seconds), fmt.rate(inp.frames / r.seconds),
        fmt.mb(inp.bytes / 1e6 / r.seconds), fmt.mb(r.rssMb), r === base ? '1.00' : base.failed ? '-' : (r.seconds / base.seconds).toFixed(2),
      ]);
    }
  }
  for (const [name, d] of [['decode only (openCapture + decodePacket, 1 core)', decode], ['framing only (openCapture batches)', framing]]) {
    rows.push([label(main3), `${(main3.bytes / 1e6).toFixed(0)} MB`, name, fmt.s(d.seconds), fmt.rate(d.frames / d.seconds), fmt.mb(main3.bytes / 1e6 / d.seconds), fmt.mb(d.rssMb), '']);
  }

  const out = [];
  out.push(`Machine: ${machine}`);
  out.push(`Medians of ${RUNS} run(s) (decode and framing only: of ${Math.max(RUNS, DECODE_RUNS)}); peak RSS is the largest of the runs. "x ours" is that tool's time over pcap-narrator's (read rows vs read, conversation rows vs analyze): above 1 means pcap-narrator is faster.`);
  out.push('');
  out.push(table(['input', 'size', 'command', 'seconds', 'frames/s', 'MB/s', 'peak RSS MB', 'x ours'], rows));

  // Targets of issue #8.
  const a1 = find(main3, 'pcap-narrator analyze --json');
  const conv1 = find(main3, 'tshark -q -z conv,tcp -z conv,udp');
  const td1 = find(main3, 'tcpdump -nn -r');
  const rd1 = find(main3, 'pcap-narrator read');
  const big = inputs.find((i) => i.frames === SIZES[2] && i.interfaces === 3);
  const a5 = find(big, 'pcap-narrator analyze --json');
  const decodeRate = decode.frames / decode.seconds;
  const verdict = (ok) => (ok ? 'met' : 'NOT MET');
  const secs = (r) => (r.failed ? `failed (${r.failed})` : `${fmt.s(r.seconds)} s`);
  // A failed run of ours meets nothing; a failed run of theirs leaves the comparison open.
  const faster = (ours, theirs, factor = 1) => (ours.failed ? 'NOT MET' : theirs.failed ? 'unknown' : verdict(ours.seconds <= theirs.seconds * factor));
  const targets = [
    [`analyze ${label(main3)} <= 1/4 of tshark conv`, `${secs(a1)} vs ${secs(conv1)} / 4`, faster(a1, conv1, 0.25)],
    [`analyze ${label(main3)} <= tcpdump -nn -r`, `${secs(a1)} vs ${secs(td1)}`, faster(a1, td1)],
    [`read to /dev/null faster than tcpdump (${label(main3)})`, `${secs(rd1)} vs ${secs(td1)}`, faster(rd1, td1)],
    ['capture + decode >= 1.5M frames/s on one core', `${fmt.rate(decodeRate)} frames/s`, verdict(decodeRate >= 1.5e6)],
    [`analyze peak RSS < 250 MB on ${label(big)}`, a5.failed ? `failed (${a5.failed}) at ${fmt.mb(a5.rssMb)} MB` : `${fmt.mb(a5.rssMb)} MB`, verdict(!a5.failed && a5.rssMb < 250)],
  ];
  const sizes = inputs.filter((i) => i.interfaces === 3).sort((x, y) => x.frames - y.frames);
  const scaling = sizes.map((inp) => {
    const r = find(inp, 'pcap-narrator analyze --json');
    const rr = find(inp, 'pcap-narrator read');
    const per = (x) => (x.failed ? 'failed' : `${((x.seconds / inp.frames) * 1e9).toFixed(0)} ns`);
    return [label(inp), per(r), per(rr), fmt.mb(r.rssMb)];
  });
  const analyzes = sizes.map((inp) => find(inp, 'pcap-narrator analyze --json'));
  const anyFailed = analyzes.some((r) => r.failed);
  const perFrame = analyzes.map((r, i) => r.seconds / sizes[i].frames);
  // Linear within 30%: the largest file costs no more per frame than the middle one.
  const linear = !anyFailed && perFrame[2] <= perFrame[1] * 1.3;
  targets.push([`analyze cost linear in frames (${sizes.map(label).join(', ')})`, anyFailed ? 'a run failed' : `per frame ${perFrame.map((x) => `${(x * 1e9).toFixed(0)} ns`).join(', ')}`, verdict(linear)]);
  const [firstLive, lastLive] = [liveHeap.liveMb[0], liveHeap.liveMb[liveHeap.liveMb.length - 1]];
  targets.push([
    `analyze live heap (after a full collection) flat, ${label(biggest)}`,
    liveHeap.liveMb.map(([n, m]) => `${n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${Math.round(n / 1e3)}k`}: ${m} MB`).join(', '),
    verdict(lastLive[1] < firstLive[1] * 1.5),
  ]);
  const rssGrowth = analyzes[2].rssMb / analyzes[1].rssMb;
  targets.push([`analyze RSS flat in file size (${label(sizes[2])} over ${label(sizes[1])})`, `x${rssGrowth.toFixed(2)}${analyzes[2].failed ? ' (failed run)' : ''}`, verdict(!anyFailed && rssGrowth < 1.5)]);

  out.push('');
  out.push('Scaling (3 interfaces):');
  out.push(table(['input', 'analyze per frame', 'read per frame', 'analyze peak RSS MB'], scaling));
  const ifaces = inputs.filter((i) => i.frames === M).map((inp) => {
    const r = find(inp, 'pcap-narrator analyze --json');
    return [label(inp), r.failed ? `failed: ${r.failed}` : fmt.s(r.seconds), r.failed ? '-' : fmt.rate(inp.frames / r.seconds), fmt.mb(r.rssMb)];
  });
  out.push('');
  out.push('Interfaces (1M frames each):');
  out.push(table(['input', 'analyze seconds', 'frames/s', 'peak RSS MB'], ifaces));
  out.push('');
  out.push('Targets (issue #8):');
  out.push(table(['target', 'measured', 'verdict'], targets));
  out.push('');
  out.push(
    `Of analyze --json on ${label(main3)}, JSON.stringify of its ${serialised.journeys} journeys (${fmt.mb(serialised.serialisedMb)} MB of the document) took ` +
      `${fmt.s(serialised.serialiseSeconds)} s of a ${fmt.s(serialised.seconds)} s streamed analysis (bench/serialise-share.mjs, one run), ` +
      `against ${conv1.failed ? 'a failed tshark conv run' : `${fmt.s(conv1.seconds / 4)} s for a quarter of tshark conv`}.`,
  );
  console.log(out.join('\n'));
}

main().catch((err) => {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
