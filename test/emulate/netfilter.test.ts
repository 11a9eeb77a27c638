import { describe, expect, it } from 'vitest';
import { Table, type MatchContext } from '../../src/emulate/netfilter.js';
import { ip4 } from '../../src/emulate/addr.js';
import type { Ipv4Packet } from '../../src/emulate/packet.js';
import type { IptablesMatches } from '../../src/scenario/types.js';
import { IPPROTO_TCP } from '../../src/decode/enums.js';

function tcp(src: string, dst: string, dport: number): Ipv4Packet {
  return {
    src: ip4(src),
    dst: ip4(dst),
    ttl: 64,
    id: 1,
    df: true,
    tos: 0,
    body: { proto: IPPROTO_TCP, sport: 40000, dport, seq: 0, ack: 0, flags: 0x10, window: 64, options: new Uint8Array(0), data: new Uint8Array(0) },
  };
}

function ctx(pkt: Ipv4Packet, over: Partial<MatchContext> = {}): MatchContext {
  return { pkt, ctState: 'NEW', isLocal: (a) => a === ip4('203.0.113.108'), ...over };
}

const cidr = (address: string, prefixLen: number) => ({ value: { address, prefixLen, family: 4 as const }, negated: false });

describe('netfilter tables', () => {
  it('walks user chains: jump, RETURN back to the caller, first match wins', () => {
    const nat = new Table('nat');
    nat.apply({ op: 'new-chain', chain: 'DOCKER' }, { line: 1 });
    nat.apply({ op: 'append', chain: 'PREROUTING', matches: { dstType: { value: 'LOCAL', negated: false } }, target: { kind: 'jump', chain: 'DOCKER' } }, { line: 2 });
    nat.apply({ op: 'append', chain: 'DOCKER', matches: { inIface: { value: 'docker0', negated: false } }, target: { kind: 'RETURN' } }, { line: 3 });
    const dnat: IptablesMatches = { protocol: { value: 'tcp', negated: false }, destinationPort: { value: { from: 8080, to: 8080 }, negated: false } };
    nat.apply({ op: 'append', chain: 'DOCKER', matches: dnat, target: { kind: 'DNAT', toDestination: { address: '172.17.0.2', ports: { from: 80, to: 80 } } } }, { line: 4 });

    const fromOutside = nat.run('PREROUTING', ctx(tcp('203.0.113.1', '203.0.113.108', 8080), { inDev: 'eth0' }));
    expect(fromOutside.kind).toBe('NAT');
    if (fromOutside.kind === 'NAT') {
      expect(fromOutside.rule.origin).toEqual({ table: 'nat', chain: 'DOCKER', rule: '-A DOCKER -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80', line: 4 });
    }
    // From the bridge itself the RETURN ends the user chain and the built-in chain's policy applies.
    expect(nat.run('PREROUTING', ctx(tcp('172.17.0.3', '203.0.113.108', 8080), { inDev: 'docker0' })).kind).toBe('ACCEPT');
    // Not a local address: the addrtype match never jumps.
    expect(nat.run('PREROUTING', ctx(tcp('203.0.113.1', '198.51.100.8', 8080), { inDev: 'eth0' })).kind).toBe('ACCEPT');
  });

  it('applies the policy at the end of a built-in chain and names it', () => {
    const filter = new Table('filter');
    filter.apply({ op: 'policy', chain: 'FORWARD', policy: 'DROP' }, { line: 7 });
    filter.apply({ op: 'append', chain: 'FORWARD', matches: { source: cidr('10.0.0.0', 24) }, target: { kind: 'ACCEPT' } }, { line: 8 });
    expect(filter.run('FORWARD', ctx(tcp('10.0.0.2', '198.51.100.8', 80))).kind).toBe('ACCEPT');
    const v = filter.run('FORWARD', ctx(tcp('10.0.1.2', '198.51.100.8', 80)));
    expect(v).toEqual({ kind: 'DROP', policy: { table: 'filter', chain: 'FORWARD', rule: '-P FORWARD DROP', line: 7 } });
  });

  it('negated matches and interface wildcards', () => {
    const nat = new Table('nat');
    nat.apply({ op: 'append', chain: 'POSTROUTING', matches: { source: cidr('172.17.0.0', 16), outIface: { value: 'docker0', negated: true } }, target: { kind: 'MASQUERADE' } }, { line: 1 });
    nat.apply({ op: 'append', chain: 'POSTROUTING', matches: { outIface: { value: 'veth+', negated: false } }, target: { kind: 'SNAT', toSource: { address: '10.9.9.9' } } }, { line: 2 });
    expect(nat.run('POSTROUTING', ctx(tcp('172.17.0.2', '198.51.100.8', 80), { outDev: 'eth0' })).kind).toBe('NAT');
    expect(nat.run('POSTROUTING', ctx(tcp('172.17.0.2', '172.17.0.3', 80), { outDev: 'docker0' })).kind).toBe('ACCEPT');
    const v = nat.run('POSTROUTING', ctx(tcp('10.0.0.2', '10.0.0.3', 80), { outDev: 'vethc2' }));
    expect(v.kind === 'NAT' && v.target.kind).toBe('SNAT');
  });

  it('the nth statistic matches packet P of every N, counting only packets that reach it', () => {
    const filter = new Table('filter');
    const matches: IptablesMatches = { protocol: { value: 'tcp', negated: false }, nth: { every: 8, packet: 3 } };
    filter.apply({ op: 'append', chain: 'FORWARD', matches, target: { kind: 'DROP' } }, { line: 1 });
    const verdicts: string[] = [];
    for (let i = 0; i < 20; i++) verdicts.push(filter.run('FORWARD', ctx(tcp('198.51.100.80', '172.17.0.2', 40000))).kind);
    const dropped = verdicts.flatMap((v, i) => (v === 'DROP' ? [i] : []));
    expect(dropped).toEqual([3, 11, 19]);
  });
});
