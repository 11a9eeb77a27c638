import { isIP } from 'node:net';
import { LineError } from './errors.js';
import { Words } from './words.js';
import { parseAddress, parseDnsName, parseHostPort, parseIfaceName, parseInteger, parseListen, parsePort } from './address.js';
import type { StepBody } from './body.js';
import type { Step, TrafficStep } from './types.js';

export const TRAFFIC_USAGE = 'ping -c N [-I IF] [-W S] DEST | curl [-s] http://HOST[:PORT]/PATH | dig [@SERVER] NAME [A|AAAA] [+short] | nslookup NAME [SERVER]';
export const SERVE_USAGE = 'serve http [ADDR:]PORT | serve dns [ADDR:]PORT NAME=ADDR... | serve proxy [ADDR:]PORT TARGET:PORT';

/** A destination is an address or a name the place's resolver knows. */
function parseHost(text: string, what: string): string {
  return isIP(text) !== 0 ? text : parseDnsName(text, what);
}

export function isTrafficCommand(word: string | undefined): boolean {
  return word === 'ping' || word === 'curl' || word === 'dig' || word === 'nslookup';
}

/** A step that sends traffic: its kind is the command's word. */
export function isTrafficStep(step: Step): step is TrafficStep {
  return isTrafficCommand(step.kind);
}

export function parseTraffic(argv: string[]): StepBody {
  switch (argv[0]) {
    case 'ping':
      return parsePing(argv);
    case 'curl':
      return parseCurl(argv);
    case 'dig':
      return parseDig(argv);
    case 'nslookup': {
      const w = new Words(argv.slice(1), 'nslookup NAME [SERVER]');
      const name = parseDnsName(w.next('the name'), 'name');
      const server = w.done ? undefined : parseAddress(w.next('the server'), 'server');
      w.end();
      return { kind: 'nslookup', name, server };
    }
    default:
      throw new LineError(`'${argv[0]}' is not a traffic command (supported: ${TRAFFIC_USAGE})`);
  }
}

function parsePing(argv: string[]): StepBody {
  const usage = 'ping -c N [-I IF] [-W S] DEST';
  const w = new Words(argv.slice(1), usage);
  let count: number | undefined;
  let iface: string | undefined;
  let waitSeconds: number | undefined;
  let destination: string | undefined;
  while (!w.done) {
    const word = w.next('DEST');
    if (word === '-c' && count === undefined) count = parseInteger(w.next('the count'), 'ping count', 1, 100);
    else if (word === '-I' && iface === undefined) iface = parseIfaceName(w.next('the interface'), 'ping interface');
    else if (word === '-W' && waitSeconds === undefined) waitSeconds = parseInteger(w.next('the wait'), 'ping wait', 1, 60);
    else if (word.startsWith('-')) throw new LineError(`ping option '${word}' is not supported (usage: ${usage})`);
    else if (destination === undefined) destination = parseHost(word, 'ping destination');
    else throw new LineError(`ping takes one destination; '${word}' is extra`);
  }
  // Without -c ping never ends, and a scenario must.
  if (count === undefined) throw new LineError(`ping needs -c N (usage: ${usage})`);
  if (destination === undefined) throw new LineError(`ping needs a destination (usage: ${usage})`);
  return { kind: 'ping', count, iface, waitSeconds, destination };
}

function parseCurl(argv: string[]): StepBody {
  const usage = 'curl [-s] http://HOST[:PORT]/PATH';
  let silent = false;
  let url: string | undefined;
  for (const word of argv.slice(1)) {
    if (word === '-s' || word === '--silent' || word === '-sS') silent = true;
    else if (word.startsWith('-')) throw new LineError(`curl option '${word}' is not supported (usage: ${usage})`);
    else if (url === undefined) url = word;
    else throw new LineError(`curl takes one URL; '${word}' is extra`);
  }
  if (url === undefined) throw new LineError(`curl needs a URL (usage: ${usage})`);
  const m = /^http:\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?(\/[^\s#]*)?$/.exec(url);
  if (!m) throw new LineError(`URL '${url}' is not http://HOST[:PORT][/PATH] (only plain HTTP is supported)`);
  const host = m[1].startsWith('[') ? parseAddress(m[1].slice(1, -1), 'URL host') : parseHost(m[1], 'URL host');
  const port = m[2] === undefined ? 80 : parsePort(m[2], 'URL port');
  return { kind: 'curl', url, host, port, path: m[3] ?? '/', silent };
}

function parseDig(argv: string[]): StepBody {
  const usage = 'dig [@SERVER] NAME [A|AAAA] [+short]';
  let server: string | undefined;
  let name: string | undefined;
  let type: 'A' | 'AAAA' | undefined;
  let short = false;
  for (const word of argv.slice(1)) {
    if (word.startsWith('@') && server === undefined) server = parseAddress(word.slice(1), 'dig server');
    else if (word === '+short') short = true;
    else if ((word === 'A' || word === 'AAAA') && type === undefined && name !== undefined) type = word;
    else if (word.startsWith('+') || word.startsWith('-')) throw new LineError(`dig option '${word}' is not supported (usage: ${usage})`);
    else if (name === undefined) name = parseDnsName(word, 'dig name');
    else throw new LineError(`unexpected '${word}' (usage: ${usage}; record types A and AAAA)`);
  }
  if (name === undefined) throw new LineError(`dig needs a name (usage: ${usage})`);
  return { kind: 'dig', server, name, type: type ?? 'A', short };
}

export function parseServe(argv: string[]): StepBody {
  const w = new Words(argv.slice(1), SERVE_USAGE);
  const what = w.next('http, dns or proxy');
  if (what === 'http') {
    const listen = parseListen(w.next('[ADDR:]PORT'), 'listen address');
    w.end();
    return { kind: 'serve-http', listen };
  }
  if (what === 'dns') {
    const listen = parseListen(w.next('[ADDR:]PORT'), 'listen address');
    const records = w.rest().map((r) => {
      const eq = r.indexOf('=');
      if (eq < 0) throw new LineError(`DNS record '${r}' is not NAME=ADDR`);
      return { name: parseDnsName(r.slice(0, eq), 'DNS record name'), address: parseAddress(r.slice(eq + 1), 'DNS record address') };
    });
    if (records.length === 0) throw new LineError(`serve dns needs at least one NAME=ADDR (usage: ${SERVE_USAGE})`);
    return { kind: 'serve-dns', listen, records };
  }
  if (what === 'proxy') {
    const listen = parseListen(w.next('[ADDR:]PORT'), 'listen address');
    const target = parseHostPort(w.next('TARGET:PORT'), 'proxy target');
    w.end();
    return { kind: 'serve-proxy', listen, target };
  }
  throw new LineError(`'serve ${what}' is not supported (supported: ${SERVE_USAGE})`);
}

const SYSCTL_KEY = /^(?:net\.ipv4\.(?:ip_forward|conf\.[A-Za-z0-9_.@-]{1,15}\.route_localnet)|net\.bridge\.bridge-nf-call-iptables)$/;

export function parseSysctl(argv: string[]): StepBody {
  const usage = 'sysctl -w net.ipv4.ip_forward=0|1 | sysctl -w net.ipv4.conf.IFACE.route_localnet=0|1 | sysctl -w net.bridge.bridge-nf-call-iptables=0|1';
  const w = new Words(argv.slice(1), usage);
  w.expect('-w');
  const setting = w.next('KEY=VALUE');
  w.end();
  const eq = setting.indexOf('=');
  if (eq < 0) throw new LineError(`'${setting}' is not KEY=VALUE (usage: ${usage})`);
  const key = setting.slice(0, eq);
  const value = setting.slice(eq + 1);
  if (!SYSCTL_KEY.test(key)) throw new LineError(`sysctl '${key}' is not supported (usage: ${usage})`);
  if (value !== '0' && value !== '1') throw new LineError(`sysctl ${key} takes 0 or 1, not '${value}'`);
  return { kind: 'sysctl', key, value: value === '1' ? 1 : 0 };
}
