import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/index.js';
import { emulateScenario, type EmulatedCapture } from '../../src/emulate/index.js';
import { decodePacket, type Packet } from '../../src/decode/packet.js';

const TUTORIAL_SETUP = `@uplink wlan0 203.0.113.108/24 via 203.0.113.1
@capture vethc1 vethc2 br0 wlan0
ip netns add c1
ip netns add c2
ip link add vethc1 type veth peer name vethc1-peer
ip link add vethc2 type veth peer name vethc2-peer
ip link set vethc1-peer netns c1
ip link set vethc2-peer netns c2
ip netns exec c1 ip addr a 10.0.0.2/24 dev vethc1-peer
ip netns exec c2 ip addr a 10.0.0.3/24 dev vethc2-peer
ip netns exec c1 ip link set dev vethc1-peer up
ip netns exec c2 ip link set dev vethc2-peer up
ip link add name br0 type bridge
ip link set dev vethc1 master br0
ip link set dev vethc2 master br0
ip addr a 10.0.0.1/24 dev br0
ip link set dev br0 up
ip link set dev vethc1 up
ip link set dev vethc2 up
ip netns exec c1 ip r a default via 10.0.0.1 dev vethc1-peer
ip netns exec c2 ip r a default via 10.0.0.1 dev vethc2-peer
`;

function run(lines: string, seed?: number): EmulatedCapture {
  return emulateScenario(parseScenario(TUTORIAL_SETUP + lines, 'test.txt'), { seed });
}

interface Seen {
  iface: string;
  pkt: Packet;
}

function seen(c: EmulatedCapture): Seen[] {
  return c.frames.map((f) => ({ iface: c.interfaces[f.iface].name, pkt: decodePacket(f.data, c.interfaces[f.iface].linktype) }));
}

function on(c: EmulatedCapture, iface: string): Packet[] {
  return seen(c)
    .filter((s) => s.iface === iface)
    .map((s) => s.pkt);
}

function describePkt(p: Packet): string {
  if (p.arp) return `arp ${p.arp.operation} ${p.arp.senderProtocolAddress}>${p.arp.targetProtocolAddress}`;
  if (p.ipv4 && p.icmp) return `icmp ${p.icmp.type} ${p.ipv4.src}>${p.ipv4.dst} ttl ${p.ipv4.ttl}`;
  if (p.ipv4 && p.tcp) return `tcp ${p.ipv4.src}:${p.tcp.srcPort}>${p.ipv4.dst}:${p.tcp.dstPort} ${p.tcp.flags}`;
  if (p.ipv4 && p.udp) return `udp ${p.ipv4.src}:${p.udp.srcPort}>${p.ipv4.dst}:${p.udp.dstPort}`;
  return 'other';
}

describe('bridge', () => {
  it('floods the ARP broadcast to every other port, then forwards unicast only to the learnt port', () => {
    const c = run('ip netns exec c1 ping -c 1 10.0.0.3\n');
    expect(on(c, 'vethc1').map(describePkt)).toEqual([
      'arp 1 10.0.0.2>10.0.0.3',
      'arp 2 10.0.0.3>10.0.0.2',
      'icmp 8 10.0.0.2>10.0.0.3 ttl 64',
      'icmp 0 10.0.0.3>10.0.0.2 ttl 64',
    ]);
    // vethc2 carries the same four (the request was flooded to it).
    expect(on(c, 'vethc2').map(describePkt)).toEqual(on(c, 'vethc1').map(describePkt));
    // br0 is captured, so promiscuous: it sees every frame the bridge handles, bridged or not.
    expect(on(c, 'br0')).toHaveLength(4);
    expect(on(c, 'wlan0')).toHaveLength(0);
  });

  it('caches the neighbour: a second ping sends no ARP', () => {
    const c = run('ip netns exec c1 ping -c 1 10.0.0.3\nip netns exec c1 ping -c 1 10.0.0.3\n');
    expect(on(c, 'vethc1').filter((p) => p.arp !== undefined)).toHaveLength(2);
    expect(on(c, 'vethc1').filter((p) => p.icmp !== undefined)).toHaveLength(4);
  });
});

describe('routing and NAT', () => {
  it('drops at the host while ip_forward is 0, and says why', () => {
    const c = run('ip netns exec c1 ping -c 1 198.51.100.8\n');
    expect(on(c, 'wlan0')).toHaveLength(0);
    expect(on(c, 'br0').map(describePkt)).toContain('icmp 8 10.0.0.2>198.51.100.8 ttl 64');
    expect(c.drops.map((d) => d.reason)).toEqual(['not for this host and net.ipv4.ip_forward is 0 (arrived on br0)']);
  });

  it('forwards with TTL-1 and a private source that the outside cannot answer', () => {
    const c = run('sysctl -w net.ipv4.ip_forward=1\nip netns exec c1 ping -c 1 198.51.100.8\n');
    expect(on(c, 'wlan0').map(describePkt)).toEqual(['arp 1 203.0.113.108>203.0.113.1', 'arp 2 203.0.113.1>203.0.113.108', 'icmp 8 10.0.0.2>198.51.100.8 ttl 63']);
    expect(c.drops.some((d) => d.namespace === 'outside' && d.reason.startsWith('no route to 10.0.0.2'))).toBe(true);
  });

  it('MASQUERADE rewrites the first packet by rule, the reply by conntrack, and records the rule', () => {
    const c = run(
      'sysctl -w net.ipv4.ip_forward=1\niptables -t nat -I POSTROUTING -o wlan0 -j MASQUERADE\nip netns exec c1 ping -c 2 198.51.100.8\n',
    );
    const wlan = on(c, 'wlan0').filter((p) => p.icmp !== undefined);
    expect(wlan.map(describePkt)).toEqual([
      'icmp 8 203.0.113.108>198.51.100.8 ttl 63',
      'icmp 0 198.51.100.8>203.0.113.108 ttl 64',
      'icmp 8 203.0.113.108>198.51.100.8 ttl 63',
      'icmp 0 198.51.100.8>203.0.113.108 ttl 64',
    ]);
    expect(on(c, 'vethc1').filter((p) => p.icmp?.type === 0).map(describePkt)).toEqual(['icmp 0 198.51.100.8>10.0.0.2 ttl 63', 'icmp 0 198.51.100.8>10.0.0.2 ttl 63']);
    const wlanRecords = c.records.filter((r) => r.device === 'wlan0' && r.rewrites.length > 0);
    expect(wlanRecords).toHaveLength(2);
    // Only the first echo walked the nat table; the second was translated by its conntrack entry.
    expect(wlanRecords.map((r) => r.rewrites[0].byConntrack)).toEqual([false, true]);
    for (const r of wlanRecords) {
      expect(r.rewrites[0]).toMatchObject({ type: 'snat', after: expect.stringMatching(/^203\.0\.113\.108 id \d+$/), namespace: 'host' });
      expect(r.rewrites[0].rule).toEqual({ table: 'nat', chain: 'POSTROUTING', rule: '-A POSTROUTING -o wlan0 -j MASQUERADE', line: 23 });
    }
  });

  it('answers a ping to the host uplink address locally: nothing leaves wlan0', () => {
    const c = run('ip netns exec c1 ping -c 1 203.0.113.108\n');
    expect(on(c, 'wlan0')).toHaveLength(0);
    expect(on(c, 'vethc1').map(describePkt)).toContain('icmp 0 203.0.113.108>10.0.0.2 ttl 64');
  });
});

describe('TCP through DNAT', () => {
  it('a published port: handshake, GET, response and FIN teardown, DNAT and its reversal', () => {
    const c = run(
      [
        'ip netns exec c2 serve http 80',
        'sysctl -w net.ipv4.ip_forward=1',
        'iptables -t nat -A PREROUTING -i wlan0 -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.3:80',
        'outside curl -s http://203.0.113.108:8080/',
        '',
      ].join('\n'),
    );
    const wlan = on(c, 'wlan0').filter((p) => p.tcp !== undefined);
    const veth = on(c, 'vethc2').filter((p) => p.tcp !== undefined);
    expect(wlan.length).toBe(veth.length);
    expect(wlan[0].tcp?.syn).toBe(true);
    expect(wlan[0].ipv4?.dst).toBe('203.0.113.108');
    expect(veth[0].ipv4?.dst).toBe('10.0.0.3');
    expect(veth[0].tcp?.dstPort).toBe(80);
    // The replies leave wlan0 translated back to the published address and port.
    for (const p of wlan.filter((x) => x.ipv4?.dst === '203.0.113.1')) {
      expect(p.ipv4?.src).toBe('203.0.113.108');
      expect(p.tcp?.srcPort).toBe(8080);
    }
    const flags = veth.map((p) => p.tcp?.flags ?? 0);
    expect(flags.filter((f) => f & 0x01)).toHaveLength(2);
    const payload = veth.reduce((n, p) => n + (p.tcp?.payloadLength ?? 0), 0);
    expect(payload).toBeGreaterThan(1024);
  });

  it('a filter drop with the nth statistic makes the sender retransmit', () => {
    const c = run(
      [
        'ip netns exec c2 serve http 80',
        'sysctl -w net.ipv4.ip_forward=1',
        'iptables -t nat -A PREROUTING -i wlan0 -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.3:80',
        'iptables -A FORWARD -i br0 -p tcp --sport 80 -m statistic --mode nth --every 4 --packet 2 -j DROP',
        'outside curl -s http://203.0.113.108:8080/big.bin',
        '',
      ].join('\n'),
    );
    const drops = c.drops.filter((d) => d.rule?.chain === 'FORWARD');
    expect(drops.length).toBeGreaterThan(0);
    // Every segment the server sent reached wlan0 in the end: data sequence numbers seen on vethc2 all appear on wlan0.
    const seqs = (ps: Packet[], port: number): Set<number> => new Set(ps.filter((p) => p.tcp !== undefined && p.tcp.srcPort === port && p.tcp.payloadLength > 0).map((p) => p.tcp?.seq ?? 0));
    const sent = seqs(on(c, 'vethc2'), 80);
    // On wlan0 the server's port is the published one again.
    const arrived = seqs(on(c, 'wlan0'), 8080);
    // The 256 KiB leave in GSO packets of up to 45 segments: still dozens of them.
    expect(sent.size).toBeGreaterThan(20);
    for (const s of sent) expect(arrived.has(s)).toBe(true);
    const fromServer = on(c, 'vethc2').filter((p) => p.tcp?.srcPort === 80 && (p.tcp?.payloadLength ?? 0) > 0);
    expect(fromServer.length).toBeGreaterThan(sent.size);
  });
});

describe('determinism', () => {
  it('the same seed gives the same frames; another seed changes them', () => {
    const text = 'sysctl -w net.ipv4.ip_forward=1\niptables -t nat -I POSTROUTING -o wlan0 -j MASQUERADE\nip netns exec c1 curl -s http://198.51.100.80/\n';
    const a = run(text, 7);
    const b = run(text, 7);
    const d = run(text, 8);
    expect(a.frames.length).toBeGreaterThan(10);
    expect(b.frames).toEqual(a.frames);
    expect(d.frames.map((f) => Buffer.from(f.data).toString('hex'))).not.toEqual(a.frames.map((f) => Buffer.from(f.data).toString('hex')));
  });
});
