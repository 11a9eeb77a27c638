/**
 * The iptables tables the scenarios use (filter and nat), as rules in chains walked the way the
 * kernel's ipt_do_table does: first match wins, a jump pushes, RETURN or the end of a user chain pops,
 * the end of a built-in chain applies its policy.
 */
import type { IptablesCommand, IptablesMatches, IptablesTable, IptablesTarget, AddrType, CtState } from '../scenario/types.js';
import { inPrefix, ip4, isLoopback4, type Ip4 } from './addr.js';
import { l4Ports, type Ipv4Packet } from './packet.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../decode/enums.js';

/** Where a rule came from: what `diff` quotes when it explains a rewrite or a drop. */
export interface RuleOrigin {
  table: IptablesTable;
  chain: string;
  /** The rule in iptables-save form (`-A POSTROUTING -o wlan0 -j MASQUERADE`), or `-P FORWARD DROP`. */
  rule: string;
  /** The scenario line that made it (for Docker's rules, the docker line). */
  line?: number;
}

export interface Rule {
  matches: IptablesMatches;
  target: IptablesTarget;
  origin: RuleOrigin;
  /** Packets this rule's nth statistic has seen. */
  nthSeen: number;
}

interface Chain {
  rules: Rule[];
  policy?: 'ACCEPT' | 'DROP';
  policyLine?: number;
}

/** What a packet looks like to the match code: the packet plus where it is. */
export interface MatchContext {
  pkt: Ipv4Packet;
  inDev?: string;
  outDev?: string;
  ctState: CtState;
  /** addrtype LOCAL: an address of this namespace. */
  isLocal: (a: Ip4) => boolean;
}

export type Verdict =
  | { kind: 'ACCEPT'; rule?: Rule }
  | { kind: 'DROP'; rule?: Rule; policy?: RuleOrigin }
  | { kind: 'NAT'; rule: Rule; target: Extract<IptablesTarget, { kind: 'MASQUERADE' | 'SNAT' | 'DNAT' | 'REDIRECT' }> };

const BUILTIN: Record<IptablesTable, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

export class Table {
  readonly chains = new Map<string, Chain>();

  constructor(readonly name: IptablesTable) {
    for (const c of BUILTIN[name]) this.chains.set(c, { rules: [], policy: 'ACCEPT' });
  }

  chain(name: string): Chain {
    let c = this.chains.get(name);
    if (c === undefined) {
      c = { rules: [] };
      this.chains.set(name, c);
    }
    return c;
  }

  apply(cmd: IptablesCommand, origin: Omit<RuleOrigin, 'table' | 'chain' | 'rule'> & { rule?: string }): void {
    switch (cmd.op) {
      case 'new-chain':
        this.chain(cmd.chain);
        return;
      case 'policy': {
        const c = this.chain(cmd.chain);
        c.policy = cmd.policy;
        c.policyLine = origin.line;
        return;
      }
      case 'append':
      case 'insert': {
        const rule: Rule = {
          matches: cmd.matches,
          target: cmd.target,
          origin: { table: this.name, chain: cmd.chain, rule: origin.rule ?? ruleText(cmd.chain, cmd.matches, cmd.target), line: origin.line },
          nthSeen: 0,
        };
        const c = this.chain(cmd.chain);
        if (cmd.op === 'append') c.rules.push(rule);
        else c.rules.splice(Math.min(cmd.position - 1, c.rules.length), 0, rule);
      }
    }
  }

  get hasRules(): boolean {
    for (const c of this.chains.values()) if (c.rules.length > 0 || c.policy === 'DROP') return true;
    return false;
  }

  /** Walks a built-in chain. Only nat and terminal targets end the walk. */
  run(chainName: string, ctx: MatchContext): Verdict {
    const stack: { chain: Chain; next: number }[] = [];
    const start = this.chains.get(chainName);
    if (start === undefined) return { kind: 'ACCEPT' };
    let frame = { chain: start, next: 0 };
    for (let depth = 0; depth < 10_000; depth++) {
      const rule = frame.chain.rules[frame.next++];
      if (rule === undefined) {
        const up = stack.pop();
        if (up === undefined) break;
        frame = up;
        continue;
      }
      if (!matches(rule, ctx)) continue;
      const t = rule.target;
      switch (t.kind) {
        case 'ACCEPT':
          return { kind: 'ACCEPT', rule };
        case 'DROP':
          return { kind: 'DROP', rule };
        case 'RETURN': {
          const up = stack.pop();
          if (up === undefined) return policyVerdict(this.name, chainName, start);
          frame = up;
          continue;
        }
        case 'jump': {
          const target = this.chains.get(t.chain);
          if (target === undefined) continue;
          stack.push(frame);
          frame = { chain: target, next: 0 };
          continue;
        }
        default:
          return { kind: 'NAT', rule, target: t };
      }
    }
    return policyVerdict(this.name, chainName, start);
  }
}

function policyVerdict(table: IptablesTable, chain: string, c: Chain): Verdict {
  if (c.policy === 'DROP') return { kind: 'DROP', policy: { table, chain, rule: `-P ${chain} DROP`, line: c.policyLine } };
  return { kind: 'ACCEPT' };
}

function ifaceMatches(pattern: string, name: string | undefined): boolean {
  if (name === undefined) return false;
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function neg(result: boolean, negated: boolean): boolean {
  return negated ? !result : result;
}

const PROTO: Record<'tcp' | 'udp' | 'icmp', number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, icmp: IPPROTO_ICMP };

function addrType(a: Ip4, ctx: MatchContext): AddrType {
  if (ctx.isLocal(a) || isLoopback4(a)) return 'LOCAL';
  if (a === 0xffffffff) return 'BROADCAST';
  if (a >>> 28 === 0xe) return 'MULTICAST';
  return 'UNICAST';
}

function matches(rule: Rule, ctx: MatchContext): boolean {
  const m = rule.matches;
  const p = ctx.pkt;
  if (m.source && !neg(inPrefix(p.src, ip4(m.source.value.address), m.source.value.prefixLen), m.source.negated)) return false;
  if (m.destination && !neg(inPrefix(p.dst, ip4(m.destination.value.address), m.destination.value.prefixLen), m.destination.negated)) return false;
  if (m.protocol && !neg(p.body.proto === PROTO[m.protocol.value], m.protocol.negated)) return false;
  if (m.inIface && !neg(ifaceMatches(m.inIface.value, ctx.inDev), m.inIface.negated)) return false;
  if (m.outIface && !neg(ifaceMatches(m.outIface.value, ctx.outDev), m.outIface.negated)) return false;
  if (m.sourcePort || m.destinationPort) {
    if (p.body.proto === IPPROTO_ICMP) return false;
    const [sport, dport] = l4Ports(p.body);
    if (m.sourcePort && !neg(sport >= m.sourcePort.value.from && sport <= m.sourcePort.value.to, m.sourcePort.negated)) return false;
    if (m.destinationPort && !neg(dport >= m.destinationPort.value.from && dport <= m.destinationPort.value.to, m.destinationPort.negated)) return false;
  }
  if (m.ctstate && !neg(m.ctstate.value.includes(ctx.ctState), m.ctstate.negated)) return false;
  if (m.srcType && !neg(addrType(p.src, ctx) === m.srcType.value, m.srcType.negated)) return false;
  if (m.dstType && !neg(addrType(p.dst, ctx) === m.dstType.value, m.dstType.negated)) return false;
  if (m.nth) {
    // xt_statistic counts every packet that reaches the match and fires on packet P of each N
    // (libxt_statistic starts the counter at every-1-packet).
    const k = rule.nthSeen++;
    if (k % m.nth.every !== m.nth.packet) return false;
  }
  return true;
}

/** iptables-save's order of options, enough to quote a rule back to the reader. */
export function ruleText(chain: string, m: IptablesMatches, t: IptablesTarget): string {
  const w: string[] = [`-A ${chain}`];
  const bang = (n: boolean): string => (n ? '! ' : '');
  const cidr = (c: { address: string; prefixLen: number }): string => `${c.address}/${c.prefixLen}`;
  if (m.source) w.push(`${bang(m.source.negated)}-s ${cidr(m.source.value)}`);
  if (m.destination) w.push(`${bang(m.destination.negated)}-d ${cidr(m.destination.value)}`);
  if (m.inIface) w.push(`${bang(m.inIface.negated)}-i ${m.inIface.value}`);
  if (m.outIface) w.push(`${bang(m.outIface.negated)}-o ${m.outIface.value}`);
  if (m.protocol) w.push(`${bang(m.protocol.negated)}-p ${m.protocol.value}`);
  const range = (r: { from: number; to: number }): string => (r.from === r.to ? `${r.from}` : `${r.from}:${r.to}`);
  if (m.sourcePort) w.push(`${bang(m.sourcePort.negated)}--sport ${range(m.sourcePort.value)}`);
  if (m.destinationPort) w.push(`${bang(m.destinationPort.negated)}--dport ${range(m.destinationPort.value)}`);
  if (m.srcType) w.push(`-m addrtype ${bang(m.srcType.negated)}--src-type ${m.srcType.value}`);
  if (m.dstType) w.push(`-m addrtype ${bang(m.dstType.negated)}--dst-type ${m.dstType.value}`);
  if (m.ctstate) w.push(`-m conntrack ${bang(m.ctstate.negated)}--ctstate ${m.ctstate.value.join(',')}`);
  if (m.nth) w.push(`-m statistic --mode nth --every ${m.nth.every} --packet ${m.nth.packet}`);
  const natTo = (n: { address?: string; addressTo?: string; ports?: { from: number; to: number } }): string =>
    `${n.address ?? ''}${n.addressTo ? `-${n.addressTo}` : ''}${n.ports ? `:${n.ports.from}${n.ports.to !== n.ports.from ? `-${n.ports.to}` : ''}` : ''}`;
  switch (t.kind) {
    case 'jump':
      w.push(`-j ${t.chain}`);
      break;
    case 'MASQUERADE':
    case 'REDIRECT':
      w.push(`-j ${t.kind}${t.toPorts ? ` --to-ports ${t.toPorts.from}${t.toPorts.to !== t.toPorts.from ? `-${t.toPorts.to}` : ''}` : ''}`);
      break;
    case 'SNAT':
      w.push(`-j SNAT --to-source ${natTo(t.toSource)}`);
      break;
    case 'DNAT':
      w.push(`-j DNAT --to-destination ${natTo(t.toDestination)}`);
      break;
    default:
      w.push(`-j ${t.kind}`);
  }
  return w.join(' ');
}
