import { existsSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { combineCaptures } from '../capture/index.js';
import type { CaptureTarget, ListenerStep, Place, Scenario, Step, TrafficStep } from '../scenario/types.js';
import { isTrafficStep } from '../scenario/commands.js';
import { ProcessSet } from './processes.js';
import { planAddresses, type AddressPlan } from './safety.js';

/** Bytes of every file `serve http` and the outside serve, except `/` (index.html). */
export const SERVED_FILE_BYTES = 262144;
export const INDEX_FILE_BYTES = 1024;

export interface LabOptions {
  /** The pcapng to write, or with `perHost` the directory that gets one pcapng per host. */
  output: string;
  /**
   * One pcapng per host (`output`/host.pcapng, `output`/hostb.pcapng for `@capture hostb:IFACE`),
   * each interface named as on its host, without the namespace: how captures from real hosts arrive.
   */
  perHost?: boolean;
  /** Progress and each command's outcome, one line at a time. */
  log?: (line: string) => void;
  /** How long captures keep running after the last command, for late replies and retransmissions. */
  settleMs?: number;
  /** Namespace prefix; a fresh `pn<pid><hex>-` when absent. */
  prefix?: string;
  /**
   * Leave IPv6 on in every namespace, as on a Docker host where nothing disables it: the captures
   * then carry the kernel's link-local chatter (DAD, router solicitations, MLD reports) that real
   * uplinks carry. Off by default, so that a scenario's story is not buried in it.
   */
  ipv6?: boolean;
}

export interface LabStepResult {
  line: number;
  text: string;
  exitCode: number;
  output: string;
}

export interface LabResult {
  output: string;
  prefix: string;
  /** Interface names of the written pcapng, in IDB order (with `perHost`, of every file in turn). */
  interfaces: string[];
  packets: number;
  /** With `perHost`: each file written and what it holds, in the order of the hosts' first @capture. */
  hosts?: { host: string; file: string; interfaces: string[]; packets: number }[];
  /** Traffic commands with how they ended (a ping without reply exits 1: that is a result, not a failure). */
  traffic: LabStepResult[];
}

/** A scenario the lab cannot or will not run, or a command that failed; `line` names the scenario line. */
export class LabError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

const SETUP_TIMEOUT_MS = 10_000;
const TRAFFIC_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 10_000;
const NETNS_RUN_DIR = '/run/netns';

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'lab needs root: it creates network namespaces (run it with sudo)';
  return undefined;
}

/** Names of the lab's namespaces that exist now (`ip netns list` reads this directory too). */
export function existingNamespaces(prefix: string): string[] {
  if (!existsSync(NETNS_RUN_DIR)) return [];
  return readdirSyncSafe(NETNS_RUN_DIR).filter((n) => n.startsWith(prefix));
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function describePlace(place: Place): string {
  return place.kind === 'netns' || place.kind === 'container' ? `${place.kind} ${place.name}` : place.kind;
}

/** Runs `scenario` in fresh namespaces and writes the captures of its @capture lines to `options.output`. */
export async function runLab(scenario: Scenario, options: LabOptions): Promise<LabResult> {
  const reason = labUnavailableReason();
  if (reason) throw new LabError(reason);
  if (scenario.usesDocker) {
    const step = scenario.steps.find((s) => s.kind.startsWith('docker') || s.place.kind === 'container') as Step;
    const engine = existsSync('/var/run/docker.sock');
    throw new LabError(
      engine
        ? 'lab does not drive Docker: Docker changes the machine\'s own network namespace (docker0, iptables), which lab never touches; write the scenario with ip/iptables lines (emulate expands docker lines)'
        : 'docker lines need a Docker engine and none runs here (no /var/run/docker.sock); write the scenario with ip/iptables lines, or use emulate, which expands docker lines',
      step.line,
    );
  }
  if (scenario.captures.length === 0) throw new LabError('the scenario has no @capture line: nothing to record');
  const plan = planAddresses(scenario);
  if ('reason' in plan) throw new LabError(plan.reason, plan.line);
  const lab = new Lab(scenario, plan, options);
  const onSignal = (sig: NodeJS.Signals): void => {
    lab.interrupted = sig;
    // Ending the children makes whatever the run awaits return now; the run then stops at its next check.
    void lab.procs.stopAll();
  };
  const onExit = (): void => lab.emergencyCleanup();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    return await lab.run();
  } finally {
    await lab.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}

interface RunningCapture {
  child: ChildProcess;
  file: string;
  /** The host whose interfaces it records: `host`, or the scenario's namespace. */
  host: string;
  /** Kernel interface name → name in the output. */
  rename: (name: string) => string;
}

class Lab {
  readonly prefix: string;
  readonly procs = new ProcessSet();
  interrupted: NodeJS.Signals | undefined;
  private temp = '';
  private readonly made: string[] = [];
  private readonly captures: RunningCapture[] = [];
  private readonly traffic: LabStepResult[] = [];
  private readonly log: (line: string) => void;

  constructor(
    readonly scenario: Scenario,
    readonly plan: AddressPlan,
    readonly options: LabOptions,
  ) {
    this.prefix = options.prefix ?? `pn${process.pid}${randomBytes(2).toString('hex')}-`;
    this.log = options.log ?? (() => {});
  }

  private ns(place: Place): string {
    switch (place.kind) {
      case 'host':
        return `${this.prefix}host`;
      case 'outside':
        return `${this.prefix}outside`;
      case 'netns':
        return `${this.prefix}${place.name}`;
      case 'container':
        throw new LabError(`containers need Docker (${place.name})`);
    }
  }

  private checkInterrupt(): void {
    if (this.interrupted) throw new LabError(`interrupted by ${this.interrupted}; everything the lab made is removed`);
  }

  /** Runs argv inside namespace `ns`: the lab never runs a command in the machine's own namespace. */
  private exec(ns: string, argv: string[], timeoutMs: number) {
    return this.procs.run(['ip', 'netns', 'exec', ns, ...argv], timeoutMs);
  }

  private async must(ns: string, argv: string[], line?: number): Promise<void> {
    this.checkInterrupt();
    const r = await this.exec(ns, argv, SETUP_TIMEOUT_MS);
    if (r.code !== 0) throw new LabError(`${argv.join(' ')} failed in ${ns} (exit ${r.code}): ${r.output.trim()}`, line);
  }

  private async addNamespace(name: string, nameserver: string, line?: number): Promise<void> {
    this.checkInterrupt();
    // /etc/netns/NAME/* is bind-mounted over /etc by `ip netns exec`: each namespace resolves through the
    // lab (a resolver that is absent makes python's http.server hang at start on its reverse lookup).
    const etc = join('/etc/netns', name);
    await mkdir(etc, { recursive: true });
    this.made.push(name);
    await writeFile(join(etc, 'resolv.conf'), `nameserver ${nameserver}\noptions timeout:1 attempts:1\n`);
    await writeFile(join(etc, 'hosts'), '127.0.0.1 localhost\n::1 localhost\n0.0.0.0 any\n');
    const r = await this.procs.run(['ip', 'netns', 'add', name], SETUP_TIMEOUT_MS);
    if (r.code !== 0) throw new LabError(`ip netns add ${name} failed: ${r.output.trim()}`, line);
    // Scenarios speak IPv4; without this every new link sends router solicitations, DAD and MLD
    // reports that bury the story in noise. Set before any link exists so `default` covers them all.
    if (this.options.ipv6) return;
    for (const key of ['net.ipv6.conf.all.disable_ipv6', 'net.ipv6.conf.default.disable_ipv6']) await this.must(name, ['sysctl', '-q', '-w', `${key}=1`], line);
  }

  async run(): Promise<LabResult> {
    const { scenario } = this;
    this.temp = await mkdtemp(join(tmpdir(), `${this.prefix}`));
    const www = join(this.temp, 'www');
    await this.writeServedFiles(www);
    const uplink = scenario.uplink;
    const resolver = uplink ? uplink.gateway : '127.0.0.1';
    const host = this.ns({ kind: 'host' });
    this.log(`lab: namespaces ${this.prefix}*`);
    await this.addNamespace(host, resolver);
    await this.must(host, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
    if (uplink) await this.makeOutside(www);

    const firstTraffic = scenario.steps.findIndex((s) => isTrafficStep(s));
    const lastTraffic = scenario.steps.length - 1 - [...scenario.steps].reverse().findIndex((s) => isTrafficStep(s));
    for (let i = 0; i < scenario.steps.length; i++) {
      const step = scenario.steps[i];
      if (i === firstTraffic) await this.startCaptures();
      await this.runStep(step, resolver, www);
      if (i === lastTraffic) break;
    }
    if (firstTraffic < 0) await this.startCaptures();
    this.checkInterrupt();
    await new Promise((r) => setTimeout(r, this.options.settleMs ?? 1000));
    this.checkInterrupt();
    return this.finishCaptures();
  }

  private async writeServedFiles(www: string): Promise<void> {
    await mkdir(www, { recursive: true });
    await writeFile(join(www, 'index.html'), fill(INDEX_FILE_BYTES, '<!-- pcap-narrator lab index -->\n'));
    for (const step of this.scenario.steps) {
      if (step.kind !== 'curl' || step.path === '/' || step.path.endsWith('/')) continue;
      const rel = step.path.replace(/[?#].*$/, '').replace(/^\/+/, '');
      if (!/^[A-Za-z0-9._\-/]+$/.test(rel) || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) {
        throw new LabError(`URL path ${step.path} is not a plain file path (letters, digits, '.', '-', '_', '/')`, step.line);
      }
      await mkdir(dirname(join(www, rel)), { recursive: true });
      await writeFile(join(www, rel), fill(SERVED_FILE_BYTES, `pcap-narrator lab file ${rel}\n`));
    }
  }

  /** The router at the uplink's gateway: ARP, ICMP, DNS for @dns names and HTTP on port 80 for its addresses. */
  private async makeOutside(www: string): Promise<void> {
    const uplink = this.scenario.uplink!;
    const host = this.ns({ kind: 'host' });
    const outside = this.ns({ kind: 'outside' });
    await this.addNamespace(outside, uplink.gateway);
    await this.must(host, ['ip', 'link', 'add', 'name', uplink.iface, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', outside], uplink.line);
    await this.must(host, ['ip', 'addr', 'add', `${uplink.address.address}/${uplink.address.prefixLen}`, 'dev', uplink.iface], uplink.line);
    await this.must(host, ['ip', 'link', 'set', 'dev', uplink.iface, 'up'], uplink.line);
    await this.must(host, ['ip', 'route', 'add', 'default', 'via', uplink.gateway, 'dev', uplink.iface], uplink.line);
    await this.must(outside, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
    await this.must(outside, ['ip', 'addr', 'add', `${uplink.gateway}/${uplink.address.prefixLen}`, 'dev', 'gw0']);
    await this.must(outside, ['ip', 'link', 'set', 'dev', 'gw0', 'up']);
    for (const a of this.plan.outside) await this.must(outside, ['ip', 'addr', 'add', `${a}/32`, 'dev', 'lo']);
    const records = this.scenario.dns.map((d) => `--host-record=${d.name},${d.address}`);
    await this.procs.start(['ip', 'netns', 'exec', outside, ...dnsmasqArgv({ port: 53 }, records)], /started, version/, READY_TIMEOUT_MS);
    await this.procs.start(['ip', 'netns', 'exec', outside, ...httpArgv({ port: 80 }, www)], /Serving HTTP/, READY_TIMEOUT_MS);
  }

  private async runStep(step: Step, resolver: string, www: string): Promise<void> {
    this.checkInterrupt();
    if (step.kind === 'title' || step.kind === 'uplink' || step.kind === 'dns' || step.kind === 'capture') return;
    if (step.kind === 'netns-add') return this.addNamespace(this.ns({ kind: 'netns', name: step.name }), resolver, step.line);
    const ns = this.ns(step.place);
    if (isTrafficStep(step)) {
      const argv = trafficArgv(step);
      const r = await this.exec(ns, argv, TRAFFIC_TIMEOUT_MS);
      this.traffic.push({ line: step.line, text: step.text, exitCode: r.code, output: r.output });
      this.log(`line ${step.line} (${describePlace(step.place)}): ${argv.join(' ')} -> exit ${r.code}`);
      return;
    }
    if (isListener(step)) {
      const argv = listenerArgv(step, www);
      await this.procs
        .start(['ip', 'netns', 'exec', ns, ...argv.argv], argv.ready, READY_TIMEOUT_MS)
        .catch((err: Error) => Promise.reject(new LabError(err.message, step.line)));
      this.log(`line ${step.line} (${describePlace(step.place)}): ${argv.argv.join(' ')} listening`);
      return;
    }
    const argv = this.setupArgv(step);
    await this.must(ns, argv, step.line);
    this.log(`line ${step.line} (${describePlace(step.place)}): ${argv.join(' ')}`);
  }

  /** The argv of a setup step, with the scenario's namespace names given the run's prefix. */
  private setupArgv(step: Step): string[] {
    const p = (name: string): string => `${this.prefix}${name}`;
    switch (step.kind) {
      // `name` is spelled out: iproute2 reads a bare first word such as `a` as its `address` keyword.
      case 'veth-add':
        return ['ip', 'link', 'add', 'name', step.name, 'type', 'veth', 'peer', 'name', step.peer, ...(step.peerNetns ? ['netns', p(step.peerNetns)] : [])];
      case 'bridge-add':
        return ['ip', 'link', 'add', 'name', step.name, 'type', 'bridge'];
      case 'tunnel-add':
        // dstport is always spelled out: the parser filled in the kernel's default when it was not given.
        return [
          'ip', 'link', 'add', 'name', step.name, 'type', step.type, 'id', String(step.vni),
          ...(step.local ? ['local', step.local] : []), 'remote', step.remote, 'dstport', String(step.dstport), ...(step.dev ? ['dev', step.dev] : []),
        ];
      case 'link-set':
        return [
          'ip', 'link', 'set', 'dev', step.dev,
          ...(step.state ? [step.state] : []), ...(step.netns ? ['netns', p(step.netns)] : []), ...(step.master ? ['master', step.master] : []),
          ...(step.mac ? ['address', step.mac] : []), ...(step.mtu !== undefined ? ['mtu', String(step.mtu)] : []),
        ];
      case 'addr-add':
        return ['ip', 'addr', 'add', `${step.address.address}/${step.address.prefixLen}`, 'dev', step.dev];
      case 'route-add': {
        const dest = step.destination === 'default' ? 'default' : `${step.destination.address}/${step.destination.prefixLen}`;
        return ['ip', 'route', 'add', dest, ...(step.via ? ['via', step.via] : []), ...(step.dev ? ['dev', step.dev] : [])];
      }
      case 'sysctl':
        return ['sysctl', '-w', `${step.key}=${step.value}`];
      case 'iptables':
        // The parser accepted only the words of SCENARIOS.md; iptables reads them as written.
        return ['iptables', '-w', ...step.argv.slice(1)];
      default:
        throw new LabError(`lab cannot run a ${step.kind} line`, step.line);
    }
  }

  private async startCaptures(): Promise<void> {
    this.checkInterrupt();
    const targets = this.scenario.captures;
    if (targets.some((t) => t.kind === 'any')) {
      const file = join(this.temp, 'any.pcap');
      // Linux cooked v2 keeps the interface index and direction of every packet.
      const child = await this.procs.start(
        ['ip', 'netns', 'exec', this.ns({ kind: 'host' }), 'tcpdump', '-i', 'any', '-y', 'LINUX_SLL2', '-n', '-U', '-w', file],
        /listening on/,
        READY_TIMEOUT_MS,
      );
      this.captures.push({ child, file, host: 'host', rename: () => 'any' });
      return;
    }
    const byNs = new Map<string, Extract<CaptureTarget, { kind: 'iface' }>[]>();
    for (const t of targets) {
      if (t.kind !== 'iface') continue;
      const key = t.netns ?? '';
      byNs.set(key, [...(byNs.get(key) ?? []), t]);
    }
    for (const [netns, list] of byNs) {
      const ns = netns === '' ? this.ns({ kind: 'host' }) : this.ns({ kind: 'netns', name: netns });
      const file = join(this.temp, `capture-${netns === '' ? 'host' : netns}.pcapng`);
      const argv = ['dumpcap', '-q', ...list.flatMap((t) => ['-i', t.iface]), '-w', file];
      const child = await this.procs
        .start(['ip', 'netns', 'exec', ns, ...argv], /Capturing on/, READY_TIMEOUT_MS)
        .catch((err: Error) => Promise.reject(new LabError(`capture of ${list.map((t) => (t.netns ? `${t.netns}:${t.iface}` : t.iface)).join(' ')} could not start: ${err.message}`)));
      const host = netns === '' ? 'host' : netns;
      this.captures.push({ child, file, host, rename: (name) => (netns === '' || this.options.perHost ? name : `${netns}:${name}`) });
    }
    // dumpcap says "Capturing on" once its sockets are open; a moment more lets every ring buffer start.
    await new Promise((r) => setTimeout(r, 300));
  }

  private async finishCaptures(): Promise<LabResult> {
    for (const c of this.captures) await this.procs.stop(c.child, 'SIGINT', 5000);
    this.checkInterrupt();
    const title = this.scenario.title ? `: ${this.scenario.title}` : '';
    const comment = `pcap-narrator lab ${this.scenario.file}${title}`;
    const base = { output: this.options.output, prefix: this.prefix, traffic: this.traffic };
    if (this.options.perHost) {
      // Each namespace's dumpcap already wrote one host's interfaces, named as that host names them.
      await mkdir(this.options.output, { recursive: true });
      const hosts = [];
      for (const c of this.captures) {
        const file = join(this.options.output, `${c.host}.pcapng`);
        const written = await combineCaptures([{ path: c.file, rename: c.rename }], file, { comment: `${comment}, host ${c.host}`, application: 'pcap-narrator lab' });
        this.log(`lab: ${written.packets} packets on ${written.interfaces.join(', ')} of ${c.host} -> ${file}`);
        hosts.push({ host: c.host, file, ...written });
      }
      return { ...base, interfaces: hosts.flatMap((h) => h.interfaces), packets: hosts.reduce((n, h) => n + h.packets, 0), hosts };
    }
    // dumpcap names each interface by its kernel name; the scenario names it NS:IFACE.
    const written = await combineCaptures(
      this.captures.map((c) => ({ path: c.file, rename: c.rename })),
      this.options.output,
      { comment, application: 'pcap-narrator lab' },
    );
    this.log(`lab: ${written.packets} packets on ${written.interfaces.join(', ')} -> ${this.options.output}`);
    return { ...base, interfaces: written.interfaces, packets: written.packets };
  }

  /** Ends every process, deletes every namespace, /etc/netns dir and temp file the run made. */
  async cleanup(): Promise<void> {
    await this.procs.stopAll();
    // Deleting a namespace also deletes the veths and bridges inside it.
    for (const name of this.made.reverse()) {
      if (existsSync(join(NETNS_RUN_DIR, name))) await this.procs.run(['ip', 'netns', 'del', name], SETUP_TIMEOUT_MS);
      await rm(join('/etc/netns', name), { recursive: true, force: true });
    }
    this.made.length = 0;
    if (this.temp) await rm(this.temp, { recursive: true, force: true });
  }

  /** On process exit nothing can be awaited: kill the children, delete namespaces synchronously. */
  emergencyCleanup(): void {
    this.procs.killAllNow();
    for (const name of this.made) {
      try {
        spawnSync('ip', ['netns', 'del', name]);
        rmSync(join('/etc/netns', name), { recursive: true, force: true });
      } catch {
        // Exit handlers cannot report; the names carry the run's prefix so they can be found.
      }
    }
    if (this.temp) rmSync(this.temp, { recursive: true, force: true });
  }
}

function isListener(step: Step): step is ListenerStep {
  return step.kind === 'serve-http' || step.kind === 'serve-dns' || step.kind === 'serve-proxy';
}

function fill(size: number, line: string): Buffer {
  const b = Buffer.alloc(size);
  b.fill(line);
  return b;
}

/** The real command of a traffic step, with timeouts so that an unanswered request ends. */
export function trafficArgv(step: TrafficStep): string[] {
  switch (step.kind) {
    case 'ping':
      return ['ping', '-n', '-c', String(step.count), '-i', '0.2', '-W', String(step.waitSeconds ?? 1), ...(step.iface ? ['-I', step.iface] : []), step.destination];
    case 'curl':
      return ['curl', '-s', '-o', '/dev/null', '--max-time', '20', '--noproxy', '*', step.url];
    case 'dig':
      return ['dig', ...(step.server ? [`@${step.server}`] : []), step.name, step.type, '+tries=1', '+time=2', ...(step.short ? ['+short'] : [])];
    case 'nslookup':
      return ['nslookup', '-timeout=2', '-retry=0', step.name, ...(step.server ? [step.server] : [])];
  }
}

function dnsmasqArgv(listen: { address?: string; port: number }, records: string[]): string[] {
  return [
    'dnsmasq',
    '--no-daemon',
    '--conf-file=/dev/null',
    '--no-hosts',
    '--no-resolv',
    '--pid-file=',
    '--log-facility=-',
    `--port=${listen.port}`,
    ...(listen.address ? [`--listen-address=${listen.address}`, '--bind-interfaces'] : []),
    ...records,
  ];
}

function httpArgv(listen: { address?: string; port: number }, www: string): string[] {
  return ['python3', '-u', '-m', 'http.server', String(listen.port), '--bind', listen.address ?? '0.0.0.0', '--directory', www];
}

function listenerArgv(step: ListenerStep, www: string): { argv: string[]; ready: RegExp } {
  switch (step.kind) {
    case 'serve-http':
      return { argv: httpArgv(step.listen, www), ready: /Serving HTTP/ };
    case 'serve-dns':
      return { argv: dnsmasqArgv(step.listen, step.records.map((r) => `--host-record=${r.name},${r.address}`)), ready: /started, version/ };
    case 'serve-proxy': {
      const bind = step.listen.address ? `,bind=${step.listen.address}` : '';
      return { argv: ['socat', '-d', '-d', `TCP-LISTEN:${step.listen.port}${bind},reuseaddr,fork`, `TCP:${step.target.address}:${step.target.port}`], ready: /listening on/ };
    }
  }
}
