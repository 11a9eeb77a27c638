import { LineError } from './errors.js';
import { Words } from './words.js';
import { parseAddress, parseCidr, parseInteger, parsePort } from './address.js';
import type { DockerNetworkMode, PublishedPort } from './types.js';
import type { StepBody } from './body.js';

export const DOCKER_USAGE =
  'docker network create [--subnet S] NAME | docker run --name N [--network bridge|host|none|NET|container:N] [--ip A] [-p [IP:]HOST:CONTAINER[/tcp|udp]] [-d] [--rm] IMAGE [COMMAND...] | docker exec N COMMAND...';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// Flags that change nothing in the network and tutorials always write.
const IGNORED_RUN_FLAGS = ['-d', '--detach', '--rm', '-i', '-t', '-it', '-ti', '-dit', '-itd', '--interactive', '--tty'];

function parseName(text: string, what: string): string {
  if (!NAME.test(text)) throw new LineError(`${what} '${text}' is not a Docker name (letters, digits, '_', '.', '-')`);
  return text;
}

/** `--opt VALUE` or `--opt=VALUE`; returns undefined when `word` is not that option. */
function optionValue(word: string, names: string[], w: Words): string | undefined {
  for (const n of names) {
    if (word === n) return w.next(`the value of ${n}`);
    if (n.startsWith('--') && word.startsWith(`${n}=`)) return word.slice(n.length + 1);
  }
  return undefined;
}

export function parseDockerNetworkCreate(argv: string[]): Extract<StepBody, { kind: 'docker-network-create' }> {
  const w = new Words(argv.slice(3), 'docker network create [--subnet S] NAME');
  let subnet: ReturnType<typeof parseCidr> | undefined;
  let name: string | undefined;
  while (!w.done) {
    const word = w.next('NAME');
    const s = optionValue(word, ['--subnet'], w);
    const driver = s === undefined ? optionValue(word, ['-d', '--driver'], w) : undefined;
    if (s !== undefined) subnet = parseCidr(s, 'subnet', false);
    else if (driver !== undefined) {
      if (driver !== 'bridge') throw new LineError(`network driver '${driver}' is not supported (only bridge)`);
    } else if (word.startsWith('-')) throw new LineError(`docker network create option '${word}' is not supported (usage: ${DOCKER_USAGE})`);
    else if (name === undefined) name = parseName(word, 'network name');
    else throw new LineError(`unexpected '${word}' (usage: docker network create [--subnet S] NAME)`);
  }
  if (name === undefined) throw new LineError('docker network create needs a NAME');
  if (['bridge', 'host', 'none'].includes(name)) throw new LineError(`network '${name}' exists already in Docker`);
  if (subnet && subnet.family !== 4) throw new LineError('only IPv4 subnets are supported');
  return { kind: 'docker-network-create', name, subnet };
}

function parsePublish(text: string): PublishedPort {
  const m = /^(?:([0-9.]+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!m) throw new LineError(`-p '${text}' is not [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp]`);
  return {
    hostAddress: m[1] === undefined ? undefined : parseAddress(m[1], 'published address'),
    hostPort: parsePort(m[2], 'host port'),
    containerPort: parsePort(m[3], 'container port'),
    protocol: (m[4] as 'tcp' | 'udp' | undefined) ?? 'tcp',
  };
}

/** `docker run ...` up to the image; the command after the image is parsed by the caller. */
export function parseDockerRun(argv: string[]): Omit<Extract<StepBody, { kind: 'docker-run' }>, 'command'> {
  const w = new Words(argv.slice(2), DOCKER_USAGE);
  let name: string | undefined;
  let network: DockerNetworkMode | undefined;
  let ip: string | undefined;
  const publish: PublishedPort[] = [];
  for (;;) {
    const word = w.next('the IMAGE');
    if (IGNORED_RUN_FLAGS.includes(word)) continue;
    const n = optionValue(word, ['--name'], w);
    if (n !== undefined) {
      if (name !== undefined) throw new LineError('--name is given twice');
      name = parseName(n, 'container name');
      continue;
    }
    const net = optionValue(word, ['--network', '--net'], w);
    if (net !== undefined) {
      if (network !== undefined) throw new LineError('--network is given twice');
      if (net === 'bridge' || net === 'host' || net === 'none') network = { kind: net };
      else if (net.startsWith('container:')) network = { kind: 'container', name: parseName(net.slice(10), 'container') };
      else network = { kind: 'user', name: parseName(net, 'network') };
      continue;
    }
    const p = optionValue(word, ['-p', '--publish'], w);
    if (p !== undefined) {
      publish.push(parsePublish(p));
      continue;
    }
    const a = optionValue(word, ['--ip'], w);
    if (a !== undefined) {
      ip = parseAddress(a, '--ip');
      continue;
    }
    if (word.startsWith('-')) throw new LineError(`docker run option '${word}' is not supported (usage: ${DOCKER_USAGE})`);
    const image = word;
    if (name === undefined) throw new LineError('docker run needs --name N so later lines can name the container');
    const mode = network ?? { kind: 'bridge' };
    if (publish.length > 0 && mode.kind !== 'bridge' && mode.kind !== 'user') throw new LineError(`-p needs a bridge network, not --network ${mode.kind}`);
    if (ip !== undefined && mode.kind !== 'user') throw new LineError('--ip needs a user-defined network');
    return { kind: 'docker-run', name, network: mode, publish, ip, image, commandArgv: w.rest() };
  }
}

/** `docker exec [-i] [-t] N COMMAND...`: the container and the command words. */
export function parseDockerExec(argv: string[]): { container: string; command: string[] } {
  const w = new Words(argv.slice(2), 'docker exec N COMMAND...');
  let word = w.next('the container');
  while (IGNORED_RUN_FLAGS.includes(word)) word = w.next('the container');
  if (word.startsWith('-')) throw new LineError(`docker exec option '${word}' is not supported (usage: docker exec N COMMAND...)`);
  const container = parseName(word, 'container');
  const command = w.rest();
  if (command.length === 0) throw new LineError('docker exec needs a COMMAND');
  return { container, command };
}

/** `sleep N|infinity` only keeps a container alive. */
export function isIdleCommand(argv: string[]): boolean {
  if (argv[0] !== 'sleep' || argv.length !== 2) return false;
  if (argv[1] === 'infinity') return true;
  parseInteger(argv[1], 'sleep seconds', 0, 1_000_000_000);
  return true;
}
