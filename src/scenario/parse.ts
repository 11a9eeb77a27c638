import { ScenarioError, LineError } from './errors.js';
import { splitWords, Words } from './words.js';
import { parseAddress, parseCidr, parseDnsName, parseIfaceName, parseNetnsName, parseIPv4 } from './address.js';
import { parseIp } from './ip.js';
import { parseIptables, type UserChains } from './iptables.js';
import { isTrafficCommand, parseServe, parseSysctl, parseTraffic, SERVE_USAGE, TRAFFIC_USAGE } from './commands.js';
import { DOCKER_USAGE, isIdleCommand, parseDockerExec, parseDockerNetworkCreate, parseDockerRun } from './docker.js';
import type { StepBody } from './body.js';
import type { CaptureStep, CaptureTarget, ListenerStep, Place, Scenario, Step, TrafficStep } from './types.js';

const SUPPORTED =
  'directives @title, @uplink, @dns, @capture; ip netns add|exec, ip link add|set, ip addr add, ip route add, sysctl -w, ' +
  'iptables, ping, curl, dig, nslookup, serve http|dns|proxy, outside COMMAND, docker network create|run|exec (see SCENARIOS.md)';

interface Context {
  netns: Set<string>;
  containers: Set<string>;
  networks: Set<string>;
  chains: UserChains;
}

function placeKey(place: Place): string {
  return place.kind === 'netns' || place.kind === 'container' ? `${place.kind}:${place.name}` : place.kind;
}

/**
 * Parses a scenario (SCENARIOS.md). Throws ScenarioError naming `file:line` for the first line that is
 * not supported or not well formed, and for references to namespaces or containers never made.
 */
export function parseScenario(text: string, file = 'scenario'): Scenario {
  const ctx: Context = { netns: new Set(), containers: new Set(), networks: new Set(), chains: new Map() };
  const steps: Step[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      steps.push(parseLine(line, i + 1, ctx));
    } catch (err) {
      if (err instanceof LineError) throw new ScenarioError(file, i + 1, err.message);
      throw err;
    }
  }
  return assemble(file, steps, ctx);
}

function assemble(file: string, steps: Step[], ctx: Context): Scenario {
  const scenario: Scenario = { file, dns: [], captures: [], steps, namespaces: [...ctx.netns], usesDocker: false };
  const seen = new Set<string>();
  for (const step of steps) {
    const fail = (reason: string): never => {
      throw new ScenarioError(file, step.line, reason);
    };
    switch (step.kind) {
      case 'title':
        if (scenario.title !== undefined) fail('@title is given twice');
        scenario.title = step.title;
        break;
      case 'uplink':
        if (scenario.uplink !== undefined) fail('@uplink is given twice (one uplink per scenario)');
        scenario.uplink = step;
        break;
      case 'dns':
        if (scenario.dns.some((d) => d.name.toLowerCase() === step.name.toLowerCase())) fail(`@dns ${step.name} is given twice`);
        scenario.dns.push(step);
        break;
      case 'capture':
        for (const t of step.targets) {
          if (t.kind === 'iface' && t.netns !== undefined && !ctx.netns.has(t.netns)) fail(`@capture ${t.netns}:${t.iface}: no 'ip netns add ${t.netns}' in the scenario`);
          const key = t.kind === 'any' ? 'any' : `${t.netns ?? ''}:${t.iface}`;
          if (seen.has(key)) continue;
          seen.add(key);
          scenario.captures.push(t);
        }
        break;
      case 'docker-network-create':
      case 'docker-run':
        scenario.usesDocker = true;
        break;
      default:
        if (step.place.kind === 'container') scenario.usesDocker = true;
    }
  }
  for (const step of steps) {
    if (step.place.kind === 'outside' && scenario.uplink === undefined) {
      throw new ScenarioError(file, step.line, "'outside' needs an @uplink: the outside is reached through it");
    }
  }
  if (seen.has('any') && seen.size > 1) {
    const cap = steps.find((s): s is CaptureStep => s.kind === 'capture') as CaptureStep;
    throw new ScenarioError(file, cap.line, '@capture any cannot be mixed with named interfaces (one is a cooked capture of all of them)');
  }
  return scenario;
}

function parseLine(line: string, lineNo: number, ctx: Context): Step {
  const host: Place = { kind: 'host' };
  if (line.startsWith('@')) return { ...parseDirective(line), line: lineNo, text: line, place: host, argv: splitDirective(line) } as Step;
  const argv = splitWords(line);
  const make = (body: StepBody, place: Place, words: string[]): Step => ({ ...body, line: lineNo, text: line, place, argv: words }) as Step;

  if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'exec') {
    const name = parseNetnsName(argv[3] ?? '', 'namespace');
    if (!ctx.netns.has(name)) throw new LineError(`namespace '${name}' is not made by an earlier 'ip netns add ${name}'`);
    const inner = argv.slice(4);
    if (inner.length === 0) throw new LineError('ip netns exec NAME needs a COMMAND');
    const place: Place = { kind: 'netns', name };
    return make(parseCommand(inner, place, ctx), place, inner);
  }
  if (argv[0] === 'outside') {
    const inner = argv.slice(1);
    if (!isTrafficCommand(inner[0])) throw new LineError(`outside runs a traffic command only (${TRAFFIC_USAGE})`);
    const place: Place = { kind: 'outside' };
    return make(parseTraffic(inner), place, inner);
  }
  if (argv[0] === 'docker') return parseDocker(argv, lineNo, line, ctx);
  return make(parseCommand(argv, host, ctx), host, argv);
}

function parseCommand(argv: string[], place: Place, ctx: Context): StepBody {
  const cmd = argv[0];
  if (cmd === 'ip') {
    if (argv[1] === 'netns' && place.kind !== 'host') throw new LineError("'ip netns' runs on the host only (no nested 'ip netns exec')");
    const body = parseIp(argv);
    if (body.kind === 'netns-add') {
      if (ctx.netns.has(body.name)) throw new LineError(`namespace '${body.name}' exists already`);
      ctx.netns.add(body.name);
    }
    const target = body.kind === 'link-set' ? body.netns : body.kind === 'veth-add' ? body.peerNetns : undefined;
    if (target !== undefined && !ctx.netns.has(target)) throw new LineError(`namespace '${target}' is not made by an earlier 'ip netns add ${target}'`);
    return body;
  }
  if (cmd === 'iptables') return parseIptables(argv, ctx.chains, placeKey(place));
  if (cmd === 'sysctl') return parseSysctl(argv);
  if (cmd === 'serve') return parseServe(argv);
  if (isTrafficCommand(cmd)) return parseTraffic(argv);
  if (cmd === 'outside' || cmd === 'docker') throw new LineError(`'${cmd}' is a line of its own, not a command inside a namespace`);
  throw new LineError(`'${cmd}' is not supported (supported: ${SUPPORTED})`);
}

function parseDocker(argv: string[], lineNo: number, line: string, ctx: Context): Step {
  const host: Place = { kind: 'host' };
  const base = { line: lineNo, text: line };
  if (argv[1] === 'network' && argv[2] === 'create') {
    const body = parseDockerNetworkCreate(argv);
    if (ctx.networks.has(body.name)) throw new LineError(`network '${body.name}' exists already`);
    ctx.networks.add(body.name);
    return { ...body, ...base, place: host, argv } as Step;
  }
  if (argv[1] === 'run') {
    const head = parseDockerRun(argv);
    if (ctx.containers.has(head.name)) throw new LineError(`container '${head.name}' exists already`);
    if (head.network.kind === 'user' && !ctx.networks.has(head.network.name)) {
      throw new LineError(`network '${head.network.name}' is not made by an earlier 'docker network create ${head.network.name}'`);
    }
    if (head.network.kind === 'container' && !ctx.containers.has(head.network.name)) {
      throw new LineError(`container '${head.network.name}' is not made by an earlier 'docker run --name ${head.network.name}'`);
    }
    ctx.containers.add(head.name);
    const place: Place = { kind: 'container', name: head.name };
    let command: TrafficStep | ListenerStep | undefined;
    if (head.commandArgv.length > 0 && !isIdleCommand(head.commandArgv)) {
      const words = head.commandArgv;
      if (!isTrafficCommand(words[0]) && words[0] !== 'serve') {
        throw new LineError(`the container's command '${words[0]}' is not supported (supported: sleep N|infinity, ${TRAFFIC_USAGE}, ${SERVE_USAGE})`);
      }
      const body = words[0] === 'serve' ? parseServe(words) : parseTraffic(words);
      command = { ...body, ...base, place, argv: words } as TrafficStep | ListenerStep;
    }
    return { ...head, command, ...base, place: host, argv } as Step;
  }
  if (argv[1] === 'exec') {
    const { container, command } = parseDockerExec(argv);
    if (!ctx.containers.has(container)) throw new LineError(`container '${container}' is not made by an earlier 'docker run --name ${container}'`);
    if (!isTrafficCommand(command[0]) && command[0] !== 'serve') {
      throw new LineError(`docker exec runs a traffic or serve command only (${TRAFFIC_USAGE}, ${SERVE_USAGE})`);
    }
    const place: Place = { kind: 'container', name: container };
    const body = command[0] === 'serve' ? parseServe(command) : parseTraffic(command);
    return { ...body, ...base, place, argv: command } as Step;
  }
  throw new LineError(`'docker ${argv[1] ?? ''}' is not supported (supported: ${DOCKER_USAGE})`);
}

function splitDirective(line: string): string[] {
  return line.split(/\s+/).filter((w) => w.length > 0);
}

function parseDirective(line: string): StepBody {
  const name = line.split(/\s/, 1)[0];
  if (name === '@title') {
    const title = line.slice(name.length).trim();
    if (title === '') throw new LineError('@title needs a text');
    return { kind: 'title', title };
  }
  const words = splitWords(line);
  if (name === '@uplink') {
    const w = new Words(words.slice(1), '@uplink IFACE ADDR/LEN via GW');
    const iface = parseIfaceName(w.next('the interface'), 'uplink interface');
    const address = parseCidr(w.next('ADDR/LEN'), 'uplink address', false);
    if (address.family !== 4) throw new LineError('the uplink address must be IPv4');
    w.expect('via');
    const gateway = parseIPv4(w.next('the gateway'), 'gateway');
    w.end();
    if (!sameSubnet(address.address, gateway, address.prefixLen)) throw new LineError(`gateway ${gateway} is not in ${address.address}/${address.prefixLen}`);
    if (gateway === address.address) throw new LineError('the gateway cannot be the uplink address itself');
    return { kind: 'uplink', iface, address, gateway };
  }
  if (name === '@dns') {
    const w = new Words(words.slice(1), '@dns NAME ADDR');
    const dnsName = parseDnsName(w.next('the name'), 'name');
    const address = parseAddress(w.next('the address'), 'address');
    w.end();
    return { kind: 'dns', name: dnsName, address };
  }
  if (name === '@capture') {
    const items = words.slice(1);
    if (items.length === 0) throw new LineError('@capture needs interfaces: IFACE, NS:IFACE or any');
    const targets: CaptureTarget[] = items.map((item) => {
      if (item === 'any') return { kind: 'any' };
      const colon = item.indexOf(':');
      if (colon < 0) return { kind: 'iface', iface: parseIfaceName(item, 'capture interface') };
      return { kind: 'iface', netns: parseNetnsName(item.slice(0, colon), 'capture namespace'), iface: parseIfaceName(item.slice(colon + 1), 'capture interface') };
    });
    return { kind: 'capture', targets };
  }
  throw new LineError(`directive '${name}' is not supported (supported: @title, @uplink, @dns, @capture)`);
}

function ipv4Number(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function sameSubnet(a: string, b: string, len: number): boolean {
  const size = 2 ** (32 - len);
  return Math.floor(ipv4Number(a) / size) === Math.floor(ipv4Number(b) / size);
}
