import { LineError } from './errors.js';
import { parseAddress, parseCidr, parseInteger, parsePortRange } from './address.js';
import type { AddrType, CtState, IptablesCommand, IptablesMatches, IptablesTable, IptablesTarget, NatTo, PortRange } from './types.js';
import type { StepBody } from './body.js';

const BUILTIN: Record<IptablesTable, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};
const ALL_BUILTIN = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
const TARGETS: Record<IptablesTable, readonly string[]> = {
  filter: ['ACCEPT', 'DROP', 'RETURN'],
  nat: ['ACCEPT', 'RETURN', 'MASQUERADE', 'SNAT', 'DNAT', 'REDIRECT'],
};
// The chains where the kernel lets each NAT target run (iptables-extensions(8)).
const TARGET_CHAINS: Record<string, readonly string[]> = {
  MASQUERADE: ['POSTROUTING'],
  SNAT: ['POSTROUTING', 'INPUT'],
  DNAT: ['PREROUTING', 'OUTPUT'],
  REDIRECT: ['PREROUTING', 'OUTPUT'],
};
const CT_STATES: readonly CtState[] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'DNAT', 'SNAT'];
const ADDR_TYPES: readonly AddrType[] = ['LOCAL', 'UNICAST', 'BROADCAST', 'MULTICAST', 'ANYCAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'UNSPEC'];
const MATCH_MODULES = ['tcp', 'udp', 'icmp', 'statistic', 'conntrack', 'addrtype'];
const CHAIN_NAME = /^[A-Za-z0-9_-]{1,28}$/;
// iptables' own `+` wildcard ("veth+") is the one extra character an interface match allows.
const IFACE_MATCH = /^[A-Za-z0-9_.@-]{1,15}\+?$/;

export const IPTABLES_USAGE =
  'iptables [-t nat|filter] -A|-I CHAIN [N] [!] -s/-d ADDR[/LEN] -p tcp|udp|icmp -i/-o IFACE --sport/--dport PORT ' +
  '-m statistic --mode nth --every N --packet P -m conntrack --ctstate S,... -m addrtype --dst-type T ' +
  '-j ACCEPT|DROP|RETURN|MASQUERADE [--to-ports P[-Q]]|SNAT --to-source A[:P]|DNAT --to-destination A[:P]|REDIRECT [--to-ports P]|USERCHAIN; ' +
  'iptables -P INPUT|FORWARD|OUTPUT ACCEPT|DROP; iptables -t nat -N CHAIN';

/**
 * User chains made by `-N` so far, keyed by namespace and table: a jump must go to one of them, which
 * is also how an unsupported target (REJECT, LOG) is told from a chain name.
 */
export type UserChains = Map<string, Set<string>>;

interface Pending {
  table?: IptablesTable;
  op?: 'append' | 'insert' | 'policy' | 'new-chain';
  chain?: string;
  position?: number;
  policy?: string;
  matches: IptablesMatches;
  modules: Set<string>;
  target?: string;
  toPorts?: PortRange;
  toSource?: NatTo;
  toDestination?: NatTo;
  mode?: string;
  every?: number;
  packet?: number;
}

/** `iptables ...`; `placeKey` names the namespace so user chains are tracked per namespace. */
export function parseIptables(argv: string[], chains: UserChains, placeKey: string): StepBody {
  const line = new IptablesLine(argv);
  let negate = false;
  while (line.i < argv.length) {
    const opt = argv[line.i++];
    if (opt === '!') {
      if (negate) throw new LineError("'!' is given twice in a row");
      negate = true;
      continue;
    }
    const neg = negate;
    negate = false;
    if (neg && !NEGATABLE.includes(opt)) throw new LineError(`'!' cannot negate ${opt}`);
    if (!(chainOption(opt, line) || packetMatch(opt, neg, line) || moduleMatch(opt, neg, line) || targetOption(opt, line))) {
      throw new LineError(`iptables option '${opt}' is not supported (usage: ${IPTABLES_USAGE})`);
    }
  }
  if (negate) throw new LineError("'!' at the end of the line negates nothing");
  return finish(line.p, chains, placeKey);
}

const NEGATABLE = ['-s', '--source', '-d', '--destination', '-p', '--protocol', '-i', '--in-interface', '-o', '--out-interface', '--sport', '--source-port', '--dport', '--destination-port', '--ctstate', '--src-type', '--dst-type'];

/** The words of one iptables line, read left to right into what the rule says so far. */
class IptablesLine {
  readonly p: Pending = { matches: {}, modules: new Set() };
  /** The next word; the first, `iptables`, is skipped. */
  i = 1;

  constructor(readonly argv: string[]) {}

  value(opt: string): string {
    const v = this.argv[this.i++];
    if (v === undefined || (v.startsWith('-') && v.length > 1)) throw new LineError(`${opt} needs a value (usage: ${IPTABLES_USAGE})`);
    return v;
  }

  once<K extends keyof IptablesMatches>(key: K, opt: string, v: IptablesMatches[K]): void {
    if (this.p.matches[key] !== undefined) throw new LineError(`${opt} is given twice`);
    this.p.matches[key] = v;
  }

  setOp(op: Pending['op'], opt: string): void {
    if (this.p.op !== undefined) throw new LineError(`${opt}: only one of -A, -I, -P, -N per line`);
    this.p.op = op;
  }

  needModule(mod: string, opt: string): void {
    if (!this.p.modules.has(mod)) throw new LineError(`${opt} needs -m ${mod} before it`);
  }
}

/** The table, and what the line does to which chain: -A, -I, -P, -N. */
function chainOption(opt: string, line: IptablesLine): boolean {
  switch (opt) {
    case '-t':
    case '--table': {
      if (line.p.table !== undefined) throw new LineError('-t is given twice');
      const t = line.value(opt);
      if (t !== 'nat' && t !== 'filter') throw new LineError(`table '${t}' is not supported (supported: nat, filter)`);
      line.p.table = t;
      return true;
    }
    case '-A':
    case '--append':
      line.setOp('append', opt);
      line.p.chain = line.value(opt);
      return true;
    case '-I':
    case '--insert':
      line.setOp('insert', opt);
      line.p.chain = line.value(opt);
      if (line.argv[line.i] !== undefined && /^\d+$/.test(line.argv[line.i])) line.p.position = parseInteger(line.argv[line.i++], 'rule position', 1, 100000);
      return true;
    case '-P':
    case '--policy':
      line.setOp('policy', opt);
      line.p.chain = line.value(opt);
      line.p.policy = line.value(opt);
      return true;
    case '-N':
    case '--new-chain':
      line.setOp('new-chain', opt);
      line.p.chain = line.value(opt);
      return true;
    default:
      return false;
  }
}

/** Matches on the packet's addresses, protocol, interfaces and ports. */
function packetMatch(opt: string, neg: boolean, line: IptablesLine): boolean {
  switch (opt) {
    case '-s':
    case '--source':
      line.once('source', opt, { value: parseCidr(line.value(opt), 'source', true), negated: neg });
      return true;
    case '-d':
    case '--destination':
      line.once('destination', opt, { value: parseCidr(line.value(opt), 'destination', true), negated: neg });
      return true;
    case '-p':
    case '--protocol': {
      const proto = line.value(opt);
      if (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp') throw new LineError(`protocol '${proto}' is not supported (supported: tcp, udp, icmp)`);
      line.once('protocol', opt, { value: proto, negated: neg });
      return true;
    }
    case '-i':
    case '--in-interface':
    case '-o':
    case '--out-interface': {
      const name = line.value(opt);
      if (!IFACE_MATCH.test(name)) throw new LineError(`${opt} '${name}' is not an interface name (a trailing '+' matches a prefix)`);
      line.once(opt === '-i' || opt === '--in-interface' ? 'inIface' : 'outIface', opt, { value: name, negated: neg });
      return true;
    }
    case '--sport':
    case '--source-port':
    case '--dport':
    case '--destination-port': {
      const proto = line.p.matches.protocol;
      if (proto === undefined || proto.negated || proto.value === 'icmp') throw new LineError(`${opt} needs -p tcp or -p udp before it`);
      const range = parsePortRange(line.value(opt), opt);
      line.once(opt === '--sport' || opt === '--source-port' ? 'sourcePort' : 'destinationPort', opt, { value: range, negated: neg });
      return true;
    }
    default:
      return false;
  }
}

/** -m and the options of the match modules it loads. */
function moduleMatch(opt: string, neg: boolean, line: IptablesLine): boolean {
  switch (opt) {
    case '-m':
    case '--match': {
      const mod = line.value(opt);
      if (!MATCH_MODULES.includes(mod)) throw new LineError(`match module '${mod}' is not supported (supported: ${MATCH_MODULES.join(', ')})`);
      if ((mod === 'tcp' || mod === 'udp' || mod === 'icmp') && line.p.matches.protocol?.value !== mod) throw new LineError(`-m ${mod} needs -p ${mod} before it`);
      line.p.modules.add(mod);
      return true;
    }
    case '--mode':
      line.needModule('statistic', opt);
      line.p.mode = line.value(opt);
      if (line.p.mode !== 'nth') throw new LineError(`statistic mode '${line.p.mode}' is not supported: only --mode nth (deterministic loss)`);
      return true;
    case '--every':
      line.needModule('statistic', opt);
      line.p.every = parseInteger(line.value(opt), '--every', 1, 1_000_000);
      return true;
    case '--packet':
      line.needModule('statistic', opt);
      line.p.packet = parseInteger(line.value(opt), '--packet', 0, 1_000_000);
      return true;
    case '--ctstate': {
      line.needModule('conntrack', opt);
      const states = line.value(opt).split(',');
      for (const s of states) {
        if (!CT_STATES.includes(s as CtState)) throw new LineError(`conntrack state '${s}' is not one of ${CT_STATES.join(', ')}`);
      }
      line.once('ctstate', opt, { value: states as CtState[], negated: neg });
      return true;
    }
    case '--src-type':
    case '--dst-type': {
      line.needModule('addrtype', opt);
      const t = line.value(opt);
      if (!ADDR_TYPES.includes(t as AddrType)) throw new LineError(`address type '${t}' is not one of ${ADDR_TYPES.join(', ')}`);
      line.once(opt === '--src-type' ? 'srcType' : 'dstType', opt, { value: t as AddrType, negated: neg });
      return true;
    }
    default:
      return false;
  }
}

/** The target and its NAT arguments. */
function targetOption(opt: string, line: IptablesLine): boolean {
  switch (opt) {
    case '-j':
    case '--jump':
      if (line.p.target !== undefined) throw new LineError('-j is given twice');
      line.p.target = line.value(opt);
      return true;
    case '--to-ports':
      line.p.toPorts = parsePortRange(line.value(opt), opt);
      return true;
    case '--to-source':
      line.p.toSource = parseNatTo(line.value(opt), opt);
      return true;
    case '--to-destination':
      line.p.toDestination = parseNatTo(line.value(opt), opt);
      return true;
    default:
      return false;
  }
}

function finish(p: Pending, chains: UserChains, placeKey: string): StepBody {
  const table = p.table ?? 'filter';
  if (p.op === undefined || p.chain === undefined) throw new LineError(`iptables needs -A, -I, -P or -N (usage: ${IPTABLES_USAGE})`);
  const key = `${placeKey}\u0000${table}`;
  const known = chains.get(key) ?? new Set<string>();
  chains.set(key, known);
  const chain = p.chain;
  const builtin = BUILTIN[table].includes(chain);
  const hasRuleParts = Object.keys(p.matches).length > 0 || p.target !== undefined || p.modules.size > 0;

  if (p.op === 'new-chain') {
    if (!CHAIN_NAME.test(chain)) throw new LineError(`chain name '${chain}' is not valid (1-28 letters, digits, '-' or '_')`);
    if (ALL_BUILTIN.includes(chain)) throw new LineError(`chain ${chain} is built in; -N makes user chains`);
    if (known.has(chain)) throw new LineError(`chain ${chain} already exists in the ${table} table`);
    if (hasRuleParts) throw new LineError('-N takes only a chain name');
    known.add(chain);
    return { kind: 'iptables', table, command: { op: 'new-chain', chain } };
  }
  if (p.op === 'policy') {
    if (table !== 'filter' || !builtin) throw new LineError(`-P is supported for the filter table's INPUT, FORWARD and OUTPUT only, not ${table} ${chain}`);
    if (p.policy !== 'ACCEPT' && p.policy !== 'DROP') throw new LineError(`policy '${p.policy}' is not ACCEPT or DROP`);
    if (hasRuleParts) throw new LineError('-P takes only a chain and a policy');
    const command: IptablesCommand = { op: 'policy', chain: chain as 'INPUT' | 'FORWARD' | 'OUTPUT', policy: p.policy };
    return { kind: 'iptables', table, command };
  }
  if (!builtin && !known.has(chain)) {
    throw new LineError(
      ALL_BUILTIN.includes(chain)
        ? `chain ${chain} does not exist in the ${table} table (it has ${BUILTIN[table].join(', ')})`
        : `chain ${chain} does not exist in the ${table} table: create it first with iptables${table === 'nat' ? ' -t nat' : ''} -N ${chain}`,
    );
  }
  if (p.target === undefined) throw new LineError('a rule needs a target: -j TARGET');
  const m = p.matches;
  if (builtin && m.inIface && (chain === 'OUTPUT' || chain === 'POSTROUTING')) throw new LineError(`-i cannot be used in ${chain} (packets there have no input interface yet)`);
  if (builtin && m.outIface && (chain === 'PREROUTING' || chain === 'INPUT')) throw new LineError(`-o cannot be used in ${chain} (packets there have no output interface yet)`);
  if (p.modules.has('statistic')) {
    if (p.mode === undefined || p.every === undefined) throw new LineError('-m statistic needs --mode nth --every N [--packet P]');
    const packet = p.packet ?? 0;
    if (packet >= p.every) throw new LineError(`--packet ${packet} must be below --every ${p.every}`);
    m.nth = { every: p.every, packet };
  } else if (p.every !== undefined || p.packet !== undefined) {
    throw new LineError('--every and --packet need -m statistic --mode nth');
  }
  if (p.modules.has('conntrack') && !m.ctstate) throw new LineError('-m conntrack needs --ctstate STATES');
  if (p.modules.has('addrtype') && !m.srcType && !m.dstType) throw new LineError('-m addrtype needs --src-type or --dst-type');
  const target = buildTarget(p, table, chain, builtin, known);
  const command: IptablesCommand =
    p.op === 'insert'
      ? { op: 'insert', chain, position: p.position ?? 1, matches: m, target }
      : { op: 'append', chain, matches: m, target };
  return { kind: 'iptables', table, command };
}

function buildTarget(p: Pending, table: IptablesTable, chain: string, builtin: boolean, known: Set<string>): IptablesTarget {
  const name = p.target as string;
  const portsProto = p.matches.protocol !== undefined && !p.matches.protocol.negated && p.matches.protocol.value !== 'icmp';
  const unexpected = (opt: string, present: unknown): void => {
    if (present !== undefined) throw new LineError(`${opt} belongs to ${opt === '--to-ports' ? 'MASQUERADE or REDIRECT' : opt === '--to-source' ? 'SNAT' : 'DNAT'}, not -j ${name}`);
  };
  if (name !== 'MASQUERADE' && name !== 'REDIRECT') unexpected('--to-ports', p.toPorts);
  if (name !== 'SNAT') unexpected('--to-source', p.toSource);
  if (name !== 'DNAT') unexpected('--to-destination', p.toDestination);

  if (!TARGETS[table].includes(name)) {
    if (known.has(name)) return { kind: 'jump', chain: name };
    const other = table === 'filter' ? 'nat' : 'filter';
    if (TARGETS[other].includes(name)) throw new LineError(`target ${name} belongs to the ${other} table${other === 'nat' ? ' (add -t nat)' : ''}`);
    throw new LineError(`target '${name}' is not supported in the ${table} table (supported: ${TARGETS[table].join(', ')}, or a user chain made with -N)`);
  }
  const chainsFor = TARGET_CHAINS[name];
  if (chainsFor && builtin && !chainsFor.includes(chain)) throw new LineError(`${name} is only valid in ${chainsFor.join(' or ')}, not ${chain}`);
  const needProto = (what: string): void => {
    if (!portsProto) throw new LineError(`${what} needs -p tcp or -p udp`);
  };
  switch (name) {
    case 'MASQUERADE':
    case 'REDIRECT':
      if (p.toPorts) needProto('--to-ports');
      return { kind: name, toPorts: p.toPorts };
    case 'SNAT':
      if (!p.toSource) throw new LineError('SNAT needs --to-source ADDR[:PORT]');
      if (p.toSource.ports) needProto('a port in --to-source');
      return { kind: 'SNAT', toSource: p.toSource };
    case 'DNAT':
      if (!p.toDestination) throw new LineError('DNAT needs --to-destination ADDR[:PORT]');
      if (p.toDestination.ports) needProto('a port in --to-destination');
      return { kind: 'DNAT', toDestination: p.toDestination };
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { kind: name };
    default:
      throw new LineError(`target '${name}' is not supported`);
  }
}

/** `ADDR[-ADDR][:PORT[-PORT]]`, address optional (`:53`); IPv4 only, as Docker writes them. */
export function parseNatTo(text: string, opt: string): NatTo {
  const m = /^([0-9.]*)(?:-([0-9.]+))?(?::(\d+(?:-\d+)?))?$/.exec(text);
  if (!m || (m[1] === '' && m[3] === undefined)) throw new LineError(`${opt} '${text}' is not ADDR[-ADDR][:PORT[-PORT]] or :PORT`);
  const to: NatTo = {};
  if (m[1] !== '') to.address = parseAddress(m[1], opt);
  if (m[2] !== undefined) {
    if (to.address === undefined) throw new LineError(`${opt} '${text}': an address range needs its first address`);
    to.addressTo = parseAddress(m[2], opt);
  }
  if (m[3] !== undefined) to.ports = parsePortRange(m[3], opt);
  return to;
}
