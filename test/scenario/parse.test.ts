import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../src/scenario/index.js';
import type { IptablesStep, Step } from '../../src/scenario/index.js';

const TUTORIAL = `@title Two namespaces on br0, then out through wlan0
@uplink wlan0 203.0.113.108/24 via 203.0.113.1
@capture vethc1 br0 wlan0
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
ip netns exec c1 ping -c 1 10.0.0.3
ip netns exec c1 ping -c 1 198.51.100.8
sysctl -w net.ipv4.ip_forward=1
ip netns exec c1 ping -c 1 198.51.100.8
iptables -t nat -I POSTROUTING -o wlan0 -j MASQUERADE
ip netns exec c1 ping -c 1 198.51.100.8
`;

/** The ScenarioError a scenario raises; fails the test when it parses. */
function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, 'x.txt');
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error(`parsed without error:\n${text}`);
}

function lastStep(text: string): Step {
  const s = parseScenario(text, 'x.txt');
  return s.steps[s.steps.length - 1];
}

function rule(line: string, prefix = ''): IptablesStep {
  const step = lastStep(`${prefix}${line}\n`);
  if (step.kind !== 'iptables') throw new Error(step.kind);
  return step;
}

const NS = 'ip netns add c1\n';

describe('parseScenario: the tutorial of SCENARIOS.md', () => {
  const s = parseScenario(TUTORIAL, 'tutorial.txt');

  it('reads the directives', () => {
    expect(s.title).toBe('Two namespaces on br0, then out through wlan0');
    expect(s.uplink).toMatchObject({ iface: 'wlan0', address: { address: '203.0.113.108', prefixLen: 24, family: 4 }, gateway: '203.0.113.1' });
    expect(s.captures).toEqual([
      { kind: 'iface', iface: 'vethc1' },
      { kind: 'iface', iface: 'br0' },
      { kind: 'iface', iface: 'wlan0' },
    ]);
    expect(s.namespaces).toEqual(['c1', 'c2']);
    expect(s.usesDocker).toBe(false);
  });

  it('keeps every line with its number, place and argv', () => {
    expect(s.steps).toHaveLength(28);
    const addr = s.steps.find((x) => x.line === 10);
    expect(addr).toMatchObject({
      kind: 'addr-add',
      place: { kind: 'netns', name: 'c1' },
      argv: ['ip', 'addr', 'a', '10.0.0.2/24', 'dev', 'vethc1-peer'],
      address: { address: '10.0.0.2', prefixLen: 24 },
      dev: 'vethc1-peer',
    });
    expect(s.steps.find((x) => x.line === 6)).toMatchObject({ kind: 'veth-add', name: 'vethc1', peer: 'vethc1-peer', place: { kind: 'host' } });
    expect(s.steps.find((x) => x.line === 8)).toMatchObject({ kind: 'link-set', dev: 'vethc1-peer', netns: 'c1' });
    expect(s.steps.find((x) => x.line === 14)).toMatchObject({ kind: 'bridge-add', name: 'br0' });
    expect(s.steps.find((x) => x.line === 15)).toMatchObject({ kind: 'link-set', dev: 'vethc1', master: 'br0' });
    expect(s.steps.find((x) => x.line === 18)).toMatchObject({ kind: 'link-set', dev: 'br0', state: 'up' });
    expect(s.steps.find((x) => x.line === 21)).toMatchObject({ kind: 'route-add', destination: 'default', via: '10.0.0.1', dev: 'vethc1-peer' });
    expect(s.steps.find((x) => x.line === 23)).toMatchObject({ kind: 'ping', count: 1, destination: '10.0.0.3', place: { kind: 'netns', name: 'c1' } });
    expect(s.steps.find((x) => x.line === 25)).toMatchObject({ kind: 'sysctl', key: 'net.ipv4.ip_forward', value: 1 });
    expect(s.steps.find((x) => x.line === 27)).toMatchObject({
      kind: 'iptables',
      table: 'nat',
      command: { op: 'insert', chain: 'POSTROUTING', position: 1, matches: { outIface: { value: 'wlan0', negated: false } }, target: { kind: 'MASQUERADE' } },
    });
  });

  it('skips blank lines and comments but counts them', () => {
    const t = parseScenario('# a comment\n\n   \nip netns add c1\r\n', 'f');
    expect(t.steps).toEqual([{ kind: 'netns-add', name: 'c1', line: 4, text: 'ip netns add c1', place: { kind: 'host' }, argv: ['ip', 'netns', 'add', 'c1'] }]);
  });
});

describe('parseScenario: iptables rules', () => {
  it('reads every match', () => {
    const r = rule('iptables -t nat -A POSTROUTING ! -s 10.0.0.0/24 -d 198.51.100.8 -p tcp --sport 1000:2000 ! --dport 80 -o wlan0 -j MASQUERADE --to-ports 40000-40100');
    expect(r.command).toEqual({
      op: 'append',
      chain: 'POSTROUTING',
      matches: {
        source: { value: { address: '10.0.0.0', prefixLen: 24, family: 4 }, negated: true },
        destination: { value: { address: '198.51.100.8', prefixLen: 32, family: 4 }, negated: false },
        protocol: { value: 'tcp', negated: false },
        sourcePort: { value: { from: 1000, to: 2000 }, negated: false },
        destinationPort: { value: { from: 80, to: 80 }, negated: true },
        outIface: { value: 'wlan0', negated: false },
      },
      target: { kind: 'MASQUERADE', toPorts: { from: 40000, to: 40100 } },
    });
  });

  it('reads statistic nth, conntrack and addrtype', () => {
    const r = rule('iptables -A FORWARD -i docker0 -p tcp -m tcp -m statistic --mode nth --every 7 --packet 3 -j DROP');
    expect(r.table).toBe('filter');
    expect(r.command).toMatchObject({ matches: { nth: { every: 7, packet: 3 }, inIface: { value: 'docker0' } }, target: { kind: 'DROP' } });
    const c = rule('iptables -I FORWARD 2 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    expect(c.command).toMatchObject({ op: 'insert', position: 2, matches: { ctstate: { value: ['RELATED', 'ESTABLISHED'], negated: false } } });
    const a = rule('iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', 'iptables -t nat -N DOCKER\n');
    expect(a.command).toMatchObject({ matches: { dstType: { value: 'LOCAL', negated: false } }, target: { kind: 'jump', chain: 'DOCKER' } });
    const old = rule('iptables -A FORWARD -m statistic --mode nth --every 4 -j DROP');
    expect(old.command).toMatchObject({ matches: { nth: { every: 4, packet: 0 } } });
  });

  it('reads SNAT, DNAT, REDIRECT, policies and user chains', () => {
    expect(rule('iptables -t nat -A OUTPUT -d 127.0.0.11 -p udp --dport 53 -j DNAT --to-destination 127.0.0.11:40053').command).toMatchObject({
      target: { kind: 'DNAT', toDestination: { address: '127.0.0.11', ports: { from: 40053, to: 40053 } } },
    });
    expect(rule('iptables -t nat -A POSTROUTING -s 127.0.0.11 -p udp --sport 40053 -j SNAT --to-source :53').command).toMatchObject({
      target: { kind: 'SNAT', toSource: { ports: { from: 53, to: 53 } } },
    });
    expect(rule('iptables -t nat -A POSTROUTING -o wlan0 -j SNAT --to-source 203.0.113.108-203.0.113.109').command).toMatchObject({
      target: { kind: 'SNAT', toSource: { address: '203.0.113.108', addressTo: '203.0.113.109' } },
    });
    expect(rule('iptables -t nat -A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 8080').command).toMatchObject({ target: { kind: 'REDIRECT', toPorts: { from: 8080, to: 8080 } } });
    expect(rule('iptables -P FORWARD DROP').command).toEqual({ op: 'policy', chain: 'FORWARD', policy: 'DROP' });
    expect(rule('iptables -t nat -N DOCKER').command).toEqual({ op: 'new-chain', chain: 'DOCKER' });
    expect(rule('iptables -t nat -A DOCKER -i docker0 -j RETURN', 'iptables -t nat -N DOCKER\n').command).toMatchObject({ chain: 'DOCKER', target: { kind: 'RETURN' } });
    expect(rule('iptables -t nat -A OUTPUT -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80', NS).table).toBe('nat');
  });

  it('tracks user chains per namespace', () => {
    const e = errorOf('ip netns add c1\niptables -t nat -N DOCKER\nip netns exec c1 iptables -t nat -A PREROUTING -j DOCKER\n');
    expect(e.line).toBe(3);
    expect(e.reason).toMatch(/target 'DOCKER' is not supported/);
  });
});

describe('parseScenario: traffic, listeners and outside', () => {
  it('reads ping, curl, dig, nslookup', () => {
    expect(lastStep('ping -c 3 -I wlan0 -W 2 198.51.100.8\n')).toMatchObject({ kind: 'ping', count: 3, iface: 'wlan0', waitSeconds: 2, destination: '198.51.100.8' });
    expect(lastStep('curl -s http://www.example.test:8080/big.bin\n')).toMatchObject({ kind: 'curl', host: 'www.example.test', port: 8080, path: '/big.bin', silent: true });
    expect(lastStep('curl http://198.51.100.8\n')).toMatchObject({ kind: 'curl', host: '198.51.100.8', port: 80, path: '/', silent: false });
    expect(lastStep('dig @198.51.100.53 www.example.test AAAA +short\n')).toMatchObject({ kind: 'dig', server: '198.51.100.53', name: 'www.example.test', type: 'AAAA', short: true });
    expect(lastStep('dig db\n')).toMatchObject({ kind: 'dig', server: undefined, type: 'A' });
    expect(lastStep('nslookup db 127.0.0.11\n')).toMatchObject({ kind: 'nslookup', name: 'db', server: '127.0.0.11' });
  });

  it('reads serve http, dns, proxy', () => {
    expect(lastStep('serve http 8080\n')).toMatchObject({ kind: 'serve-http', listen: { port: 8080 } });
    expect(lastStep('serve dns 127.0.0.11:40053 db=172.18.0.3 web=172.18.0.4\n')).toMatchObject({
      kind: 'serve-dns',
      listen: { address: '127.0.0.11', port: 40053 },
      records: [
        { name: 'db', address: '172.18.0.3' },
        { name: 'web', address: '172.18.0.4' },
      ],
    });
    expect(lastStep('serve proxy 127.0.0.1:8080 172.17.0.2:80\n')).toMatchObject({ kind: 'serve-proxy', listen: { address: '127.0.0.1', port: 8080 }, target: { address: '172.17.0.2', port: 80 } });
    expect(lastStep('serve http [::1]:80\n')).toMatchObject({ listen: { address: '::1', port: 80 } });
  });

  it('runs outside commands at the outside place', () => {
    expect(lastStep('@uplink eth0 203.0.113.2/24 via 203.0.113.1\noutside curl -s http://203.0.113.2:8080/\n')).toMatchObject({
      kind: 'curl',
      place: { kind: 'outside' },
      argv: ['curl', '-s', 'http://203.0.113.2:8080/'],
    });
  });

  it('reads capture targets and the sysctls route_localnet and bridge-nf-call-iptables', () => {
    const s = parseScenario('ip netns add c1\n@capture c1:eth0 lo\n@capture lo\n', 'f');
    expect(s.captures).toEqual([
      { kind: 'iface', netns: 'c1', iface: 'eth0' },
      { kind: 'iface', iface: 'lo' },
    ]);
    expect(parseScenario('@capture any\n', 'f').captures).toEqual([{ kind: 'any' }]);
    expect(lastStep('sysctl -w net.ipv4.conf.docker0.route_localnet=1\n')).toMatchObject({ key: 'net.ipv4.conf.docker0.route_localnet', value: 1 });
    expect(lastStep('sysctl -w net.bridge.bridge-nf-call-iptables=0\n')).toMatchObject({ key: 'net.bridge.bridge-nf-call-iptables', value: 0 });
    expect(() => parseScenario('sysctl -w net.bridge.bridge-nf-call-arptables=0\n', 'f')).toThrow(/not supported/);
    expect(lastStep('@dns www.example.test 198.51.100.80\n')).toMatchObject({ kind: 'dns', name: 'www.example.test', address: '198.51.100.80' });
  });

  it('reads vxlan and geneve devices, with the kernel\'s default port when none is given', () => {
    expect(lastStep('ip link add vxlan0 type vxlan id 42 local 192.168.56.1 remote 192.168.56.2 dstport 4789 dev eth1\n')).toMatchObject({
      kind: 'tunnel-add', name: 'vxlan0', type: 'vxlan', vni: 42, local: '192.168.56.1', remote: '192.168.56.2', dstport: 4789, dev: 'eth1',
    });
    expect(lastStep('ip link add vx type vxlan remote 192.0.2.9 id 7\n')).toMatchObject({ kind: 'tunnel-add', vni: 7, dstport: 8472, dev: undefined, local: undefined });
    expect(lastStep('ip link add gn0 type geneve id 5 remote 192.0.2.9\n')).toMatchObject({ kind: 'tunnel-add', type: 'geneve', vni: 5, dstport: 6081 });
    expect(lastStep('ip link add name gn0 type geneve id 5 remote 192.0.2.9 dstport 7000\n')).toMatchObject({ kind: 'tunnel-add', dstport: 7000 });
    expect(lastStep('ip link set dev vxlan0 mtu 1400 up\n')).toMatchObject({ kind: 'link-set', dev: 'vxlan0', mtu: 1400, state: 'up' });
  });

  it('lets a veth peer created in another namespace carry its other end\'s name, and no other', () => {
    expect(lastStep('ip netns add hostb\nip link add eth1 type veth peer name eth1 netns hostb\n')).toMatchObject({ kind: 'veth-add', name: 'eth1', peer: 'eth1', peerNetns: 'hostb' });
    expect(() => parseScenario('ip link add eth1 type veth peer name eth1\n', 'f')).toThrow(/cannot have the name of its other end/);
  });

  it('reads ip forms', () => {
    expect(lastStep('ip link add veth0 type veth peer name eth0 netns c1\n'.replace(/^/, NS))).toMatchObject({ kind: 'veth-add', peerNetns: 'c1' });
    expect(lastStep('ip route add 10.1.0.0/16 dev br0\n')).toMatchObject({ destination: { address: '10.1.0.0', prefixLen: 16 }, dev: 'br0', via: undefined });
    expect(lastStep('ip link set lo down\n')).toMatchObject({ kind: 'link-set', dev: 'lo', state: 'down' });
    expect(lastStep('ip link set dev eth0 address 02:42:AC:11:00:02 up\n')).toMatchObject({ kind: 'link-set', dev: 'eth0', state: 'up', mac: '02:42:ac:11:00:02' });
    expect(lastStep('ip address add fd00::1/64 dev br0\n')).toMatchObject({ address: { family: 6, prefixLen: 64 } });
  });
});

describe('parseScenario: docker lines', () => {
  it('reads network create, run and exec', () => {
    const s = parseScenario(
      'docker network create --subnet 172.18.0.0/16 mynet\n' +
        'docker run -d --rm --name db --network=mynet --ip 172.18.0.3 alpine sleep infinity\n' +
        'docker run -d --name web -p 8080:80 -p 127.0.0.1:5353:53/udp nginx serve http 80\n' +
        'docker run --name side --network container:web alpine\n' +
        'docker exec -it db dig @127.0.0.11 web\n',
      'f',
    );
    expect(s.usesDocker).toBe(true);
    expect(s.steps[0]).toMatchObject({ kind: 'docker-network-create', name: 'mynet', subnet: { address: '172.18.0.0', prefixLen: 16 } });
    expect(s.steps[1]).toMatchObject({ kind: 'docker-run', name: 'db', network: { kind: 'user', name: 'mynet' }, ip: '172.18.0.3', image: 'alpine', commandArgv: ['sleep', 'infinity'], command: undefined });
    expect(s.steps[2]).toMatchObject({
      kind: 'docker-run',
      network: { kind: 'bridge' },
      publish: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostAddress: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
      ],
      command: { kind: 'serve-http', place: { kind: 'container', name: 'web' }, listen: { port: 80 } },
    });
    expect(s.steps[3]).toMatchObject({ network: { kind: 'container', name: 'web' } });
    expect(s.steps[4]).toMatchObject({ kind: 'dig', place: { kind: 'container', name: 'db' }, argv: ['dig', '@127.0.0.11', 'web'] });
  });
});

describe('parseScenario: every error names file:line and what is supported', () => {
  const cases: [string, string, RegExp][] = [
    // general
    ['unknown command', 'rm -rf x\n', /'rm' is not supported \(supported: directives @title/],
    ['shell syntax', 'ping -c 1 1.2.3.4; reboot\n', /';' is shell syntax/],
    ['shell quote', "curl 'http://x/'\n", /shell syntax/],
    ['unknown directive', '@foo bar\n', /directive '@foo' is not supported/],
    // directives
    ['empty title', '@title   \n', /@title needs a text/],
    ['title twice', '@title a\n@title b\n', /@title is given twice/],
    ['uplink missing via', '@uplink eth0 203.0.113.2/24\n', /expected 'via' at the end/],
    ['uplink bare address', '@uplink eth0 203.0.113.2 via 203.0.113.1\n', /needs a prefix length/],
    ['uplink gateway off subnet', '@uplink eth0 203.0.113.2/24 via 198.51.100.1\n', /not in 203.0.113.2\/24/],
    ['uplink gateway itself', '@uplink eth0 203.0.113.2/24 via 203.0.113.2\n', /cannot be the uplink address/],
    ['uplink ipv6', '@uplink eth0 fd00::2/64 via 203.0.113.1\n', /must be IPv4/],
    ['uplink gateway v6', '@uplink eth0 203.0.113.2/24 via fd00::1\n', /is not an IPv4 address/],
    ['uplink extra', '@uplink eth0 203.0.113.2/24 via 203.0.113.1 x\n', /unexpected 'x'/],
    ['uplink twice', '@uplink eth0 203.0.113.2/24 via 203.0.113.1\n@uplink eth1 203.0.113.3/24 via 203.0.113.1\n', /@uplink is given twice/],
    ['uplink bad iface', '@uplink averyveryverylongname 203.0.113.2/24 via 203.0.113.1\n', /is not an interface name/],
    ['dns bad name', '@dns -x 1.2.3.4\n', /is not a DNS name/],
    ['dns bad address', '@dns www.example.test 1.2.3\n', /is not an IPv4 or IPv6 address/],
    ['dns missing address', '@dns www.example.test\n', /missing the address/],
    ['dns twice', '@dns a.test 1.2.3.4\n@dns A.test 1.2.3.5\n', /given twice/],
    ['capture empty', '@capture\n', /@capture needs interfaces/],
    ['capture unknown netns', '@capture c9:eth0\n', /no 'ip netns add c9'/],
    ['capture any mixed', '@capture any br0\n', /cannot be mixed/],
    ['capture bad ns', '@capture :eth0\n', /is not a namespace name/],
    // ip
    ['ip netns del', 'ip netns del c1\n', /'ip netns del' is not supported/],
    ['ip netns add twice', 'ip netns add c1\nip netns add c1\n', /exists already/],
    ['ip netns exec unknown', 'ip netns exec c1 ping -c 1 1.2.3.4\n', /not made by an earlier 'ip netns add c1'/],
    ['ip netns exec empty', `${NS}ip netns exec c1\n`, /needs a COMMAND/],
    ['nested netns', `${NS}ip netns exec c1 ip netns add c2\n`, /runs on the host only/],
    ['ip object', 'ip xfrm state\n', /'ip xfrm' is not supported/],
    ['ip missing object', 'ip\n', /missing an object/],
    ['link type', 'ip link add mv type macvlan\n', /link type 'macvlan' is not supported \(supported: veth, bridge, vxlan, geneve\)/],
    ['vxlan without id', 'ip link add vx type vxlan remote 192.0.2.9\n', /needs id VNI/],
    ['vxlan without remote', 'ip link add vx type vxlan id 42 dstport 4789\n', /needs remote IP: point-to-point/],
    ['vxlan vni too big', 'ip link add vx type vxlan id 16777216 remote 192.0.2.9\n', /VNI 16777216 is out of range 0-16777215/],
    ['vxlan option twice', 'ip link add vx type vxlan id 1 id 2 remote 192.0.2.9\n', /unexpected 'id'/],
    ['vxlan unknown option', 'ip link add vx type vxlan id 1 remote 192.0.2.9 group 239.1.1.1\n', /unexpected 'group'/],
    ['geneve has no dev', 'ip link add gn type geneve id 1 remote 192.0.2.9 dev eth1\n', /unexpected 'dev' in ip link add type geneve/],
    ['vxlan bad remote', 'ip link add vx type vxlan id 1 remote fe80::1\n', /remote address 'fe80::1' is not an IPv4 address/],
    ['link delete', 'ip link del veth0\n', /'ip link del' is not supported/],
    ['veth missing peer', 'ip link add veth0 type veth\n', /expected 'peer' at the end/],
    ['veth same name', 'ip link add veth0 type veth peer name veth0\n', /cannot have the name/],
    ['veth peer netns unknown', 'ip link add veth0 type veth peer name eth0 netns c9\n', /not made by an earlier/],
    ['bridge extra', 'ip link add name br0 type bridge vlan_filtering 1\n', /unexpected 'vlan_filtering'/],
    ['link set nothing', 'ip link set veth0\n', /needs up, down, netns NS, master BRIDGE, address MAC or mtu N/],
    ['link set mtu too small', 'ip link set veth0 mtu 67\n', /MTU 67 is out of range 68-65535/],
    ['link set bad mac', 'ip link set veth0 address 02:42:ac:11:00\n', /is not a MAC address/],
    ['link set multicast mac', 'ip link set veth0 address 01:00:5e:00:00:01\n', /multicast address/],
    ['link set unknown', 'ip link set veth0 txqueuelen 9000\n', /unexpected 'txqueuelen'/],
    ['link set up twice', 'ip link set veth0 up down\n', /unexpected 'down'/],
    ['link set netns unknown', 'ip link set veth0 netns c9\n', /not made by an earlier/],
    ['addr del', 'ip addr del 10.0.0.1/24 dev br0\n', /'ip addr del' is not supported/],
    ['addr no prefix', 'ip addr add 10.0.0.1 dev br0\n', /needs a prefix length/],
    ['addr bad prefix', 'ip addr add 10.0.0.1/33 dev br0\n', /out of range 0-32/],
    ['addr bad address', 'ip addr add 10.0.0.300/24 dev br0\n', /is not an IPv4 or IPv6 address/],
    ['addr no dev', 'ip addr add 10.0.0.1/24 br0\n', /expected 'dev' instead of 'br0'/],
    ['route del', 'ip route del default\n', /'ip route del' is not supported/],
    ['route no via', 'ip route add default\n', /needs via GW or dev NAME/],
    ['route bad via', 'ip route add default via x\n', /gateway 'x' is not/],
    ['route extra', 'ip route add default via 10.0.0.1 metric 5\n', /unexpected 'metric'/],
    ['bad iface name', 'ip link set dev a/b up\n', /is not an interface name/],
    // sysctl
    ['sysctl no -w', 'sysctl net.ipv4.ip_forward=1\n', /expected '-w'/],
    ['sysctl key', 'sysctl -w kernel.panic=1\n', /sysctl 'kernel.panic' is not supported/],
    ['sysctl value', 'sysctl -w net.ipv4.ip_forward=2\n', /takes 0 or 1/],
    ['sysctl no =', 'sysctl -w net.ipv4.ip_forward\n', /is not KEY=VALUE/],
    // iptables
    ['ipt no op', 'iptables -t nat -s 1.2.3.4 -j ACCEPT\n', /needs -A, -I, -P or -N/],
    ['ipt two ops', 'iptables -A INPUT -I INPUT -j ACCEPT\n', /only one of -A, -I, -P, -N/],
    ['ipt table', 'iptables -t mangle -A PREROUTING -j ACCEPT\n', /table 'mangle' is not supported/],
    ['ipt table twice', 'iptables -t nat -t nat -A OUTPUT -j ACCEPT\n', /-t is given twice/],
    ['ipt option', 'iptables -A INPUT --log-prefix x -j ACCEPT\n', /option '--log-prefix' is not supported/],
    ['ipt missing value', 'iptables -A INPUT -s\n', /-s needs a value/],
    ['ipt value is option', 'iptables -A INPUT -s -j ACCEPT\n', /-s needs a value/],
    ['ipt no target', 'iptables -A INPUT -s 1.2.3.4\n', /needs a target/],
    ['ipt target twice', 'iptables -A INPUT -j ACCEPT -j DROP\n', /-j is given twice/],
    ['ipt unknown target', 'iptables -A INPUT -j REJECT\n', /target 'REJECT' is not supported in the filter table/],
    ['ipt nat target in filter', 'iptables -A FORWARD -j MASQUERADE\n', /belongs to the nat table \(add -t nat\)/],
    ['ipt DROP in nat', 'iptables -t nat -A POSTROUTING -j DROP\n', /belongs to the filter table/],
    ['ipt chain unknown', 'iptables -t nat -A DOCKER -j RETURN\n', /create it first with iptables -t nat -N DOCKER/],
    ['ipt chain wrong table', 'iptables -A POSTROUTING -j ACCEPT\n', /does not exist in the filter table/],
    ['ipt masquerade chain', 'iptables -t nat -A PREROUTING -j MASQUERADE\n', /only valid in POSTROUTING/],
    ['ipt dnat chain', 'iptables -t nat -A POSTROUTING -j DNAT --to-destination 1.2.3.4\n', /only valid in PREROUTING or OUTPUT/],
    ['ipt -i in POSTROUTING', 'iptables -t nat -A POSTROUTING -i eth0 -j MASQUERADE\n', /-i cannot be used in POSTROUTING/],
    ['ipt -o in PREROUTING', 'iptables -t nat -A PREROUTING -o eth0 -j ACCEPT\n', /-o cannot be used in PREROUTING/],
    ['ipt dport without proto', 'iptables -A INPUT --dport 80 -j ACCEPT\n', /needs -p tcp or -p udp/],
    ['ipt dport icmp', 'iptables -A INPUT -p icmp --dport 80 -j ACCEPT\n', /needs -p tcp or -p udp/],
    ['ipt bad port', 'iptables -A INPUT -p tcp --dport 70000 -j ACCEPT\n', /out of range 1-65535/],
    ['ipt bad range', 'iptables -A INPUT -p tcp --dport 90:80 -j ACCEPT\n', /ends before it starts/],
    ['ipt bad proto', 'iptables -A INPUT -p sctp -j ACCEPT\n', /protocol 'sctp' is not supported/],
    ['ipt match twice', 'iptables -A INPUT -s 1.2.3.4 -s 1.2.3.5 -j ACCEPT\n', /-s is given twice/],
    ['ipt bad iface', 'iptables -A INPUT -i a+b -j ACCEPT\n', /is not an interface name/],
    ['ipt module', 'iptables -A INPUT -m limit -j ACCEPT\n', /match module 'limit' is not supported/],
    ['ipt -m tcp without -p', 'iptables -A INPUT -m tcp -j ACCEPT\n', /-m tcp needs -p tcp/],
    ['ipt mode without module', 'iptables -A INPUT --mode nth -j DROP\n', /needs -m statistic/],
    ['ipt random mode', 'iptables -A INPUT -m statistic --mode random -j DROP\n', /only --mode nth/],
    ['ipt every without module', 'iptables -A INPUT --every 3 -j DROP\n', /needs -m statistic/],
    ['ipt statistic incomplete', 'iptables -A INPUT -m statistic -j DROP\n', /needs --mode nth --every N/],
    ['ipt packet >= every', 'iptables -A INPUT -m statistic --mode nth --every 3 --packet 3 -j DROP\n', /--packet 3 must be below --every 3/],
    ['ipt every zero', 'iptables -A INPUT -m statistic --mode nth --every 0 -j DROP\n', /out of range/],
    ['ipt ctstate without module', 'iptables -A INPUT --ctstate NEW -j DROP\n', /needs -m conntrack/],
    ['ipt ctstate bad', 'iptables -A INPUT -m conntrack --ctstate BOGUS -j DROP\n', /'BOGUS' is not one of/],
    ['ipt conntrack alone', 'iptables -A INPUT -m conntrack -j DROP\n', /needs --ctstate/],
    ['ipt addrtype bad', 'iptables -t nat -A PREROUTING -m addrtype --dst-type NOWHERE -j ACCEPT\n', /'NOWHERE' is not one of/],
    ['ipt addrtype alone', 'iptables -t nat -A PREROUTING -m addrtype -j ACCEPT\n', /needs --src-type or --dst-type/],
    ['ipt double bang', 'iptables -A INPUT ! ! -s 1.2.3.4 -j DROP\n', /'!' is given twice/],
    ['ipt bang on -j', 'iptables -A INPUT ! -j DROP\n', /'!' cannot negate -j/],
    ['ipt trailing bang', 'iptables -A INPUT -j DROP !\n', /negates nothing/],
    ['ipt to-ports wrong target', 'iptables -t nat -A POSTROUTING -p tcp -j ACCEPT --to-ports 80\n', /--to-ports belongs to MASQUERADE or REDIRECT/],
    ['ipt to-source wrong target', 'iptables -t nat -A POSTROUTING -j MASQUERADE --to-source 1.2.3.4\n', /--to-source belongs to SNAT/],
    ['ipt to-destination wrong target', 'iptables -t nat -A POSTROUTING -j SNAT --to-destination 1.2.3.4\n', /--to-destination belongs to DNAT/],
    ['ipt to-ports without proto', 'iptables -t nat -A POSTROUTING -j MASQUERADE --to-ports 1000-2000\n', /--to-ports needs -p tcp or -p udp/],
    ['ipt snat without to', 'iptables -t nat -A POSTROUTING -j SNAT\n', /SNAT needs --to-source/],
    ['ipt dnat without to', 'iptables -t nat -A PREROUTING -j DNAT\n', /DNAT needs --to-destination/],
    ['ipt dnat port without proto', 'iptables -t nat -A PREROUTING -j DNAT --to-destination 1.2.3.4:80\n', /a port in --to-destination needs -p tcp/],
    ['ipt snat port without proto', 'iptables -t nat -A POSTROUTING -j SNAT --to-source :53\n', /a port in --to-source needs -p tcp/],
    ['ipt natto malformed', 'iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination abc\n', /is not ADDR\[-ADDR\]/],
    ['ipt natto range without first', 'iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination -1.2.3.4\n', /needs a value/],
    ['ipt natto bad address', 'iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3:80\n', /is not an IPv4 or IPv6 address/],
    ['ipt policy nat', 'iptables -t nat -P POSTROUTING DROP\n', /-P is supported for the filter table's/],
    ['ipt policy value', 'iptables -P FORWARD REJECT\n', /policy 'REJECT' is not ACCEPT or DROP/],
    ['ipt policy extra', 'iptables -P FORWARD DROP -s 1.2.3.4\n', /-P takes only a chain and a policy/],
    ['ipt new builtin', 'iptables -N FORWARD\n', /is built in/],
    ['ipt new twice', 'iptables -N X\niptables -N X\n', /already exists/],
    ['ipt new bad name', 'iptables -N a.b\n', /chain name 'a.b' is not valid/],
    ['ipt new extra', 'iptables -N X -j DROP\n', /-N takes only a chain name/],
    ['ipt insert bad position', 'iptables -I INPUT 0 -j DROP\n', /out of range 1-100000/],
    // traffic
    ['ping without -c', 'ping 1.2.3.4\n', /ping needs -c N/],
    ['ping without dest', 'ping -c 1\n', /ping needs a destination/],
    ['ping two dests', 'ping -c 1 1.2.3.4 1.2.3.5\n', /one destination/],
    ['ping option', 'ping -f -c 1 1.2.3.4\n', /ping option '-f' is not supported/],
    ['ping count', 'ping -c 0 1.2.3.4\n', /out of range 1-100/],
    ['ping bad name', 'ping -c 1 -bad-\n', /ping option '-bad-'/],
    ['curl https', 'curl https://x.test/\n', /only plain HTTP/],
    ['curl option', 'curl -o out http://x.test/\n', /curl option '-o' is not supported/],
    ['curl no url', 'curl -s\n', /curl needs a URL/],
    ['curl two urls', 'curl http://a.test/ http://b.test/\n', /one URL/],
    ['curl bad port', 'curl http://a.test:0/\n', /out of range/],
    ['dig option', 'dig +tcp x.test\n', /dig option '\+tcp' is not supported/],
    ['dig no name', 'dig @1.2.3.4\n', /dig needs a name/],
    ['dig type', 'dig x.test MX\n', /unexpected 'MX'/],
    ['dig bad server', 'dig @x x.test\n', /dig server 'x'/],
    ['nslookup no name', 'nslookup\n', /missing the name/],
    ['nslookup extra', 'nslookup a.test 1.2.3.4 x\n', /unexpected 'x'/],
    ['serve unknown', 'serve ftp 21\n', /'serve ftp' is not supported/],
    ['serve bad listen', 'serve http x:y\n', /is not \[ADDR:\]PORT/],
    ['serve dns no records', 'serve dns 53\n', /at least one NAME=ADDR/],
    ['serve dns bad record', 'serve dns 53 db\n', /is not NAME=ADDR/],
    ['serve proxy no address', 'serve proxy 8080 80\n', /needs an address/],
    ['outside without uplink', 'outside ping -c 1 1.2.3.4\n', /'outside' needs an @uplink/],
    ['outside setup', 'outside ip link set lo up\n', /outside runs a traffic command only/],
    ['outside in netns', `${NS}ip netns exec c1 outside ping -c 1 1.2.3.4\n`, /a line of its own/],
    // docker
    ['docker verb', 'docker ps\n', /'docker ps' is not supported/],
    ['docker network no name', 'docker network create\n', /needs a NAME/],
    ['docker network builtin', 'docker network create bridge\n', /exists already in Docker/],
    ['docker network twice', 'docker network create n\ndocker network create n\n', /network 'n' exists already/],
    ['docker network driver', 'docker network create -d overlay n\n', /driver 'overlay' is not supported/],
    ['docker network option', 'docker network create --ipv6 n\n', /option '--ipv6' is not supported/],
    ['docker network v6', 'docker network create --subnet fd00::/64 n\n', /only IPv4 subnets/],
    ['docker network extra', 'docker network create a b\n', /unexpected 'b'/],
    ['docker run no name', 'docker run alpine\n', /needs --name N/],
    ['docker run no image', 'docker run --name a\n', /missing the IMAGE/],
    ['docker run option', 'docker run --privileged --name a alpine\n', /option '--privileged' is not supported/],
    ['docker run name twice', 'docker run --name a --name b alpine\n', /--name is given twice/],
    ['docker run network twice', 'docker run --name a --network host --net none alpine\n', /--network is given twice/],
    ['docker run unknown network', 'docker run --name a --network n alpine\n', /not made by an earlier 'docker network create n'/],
    ['docker run unknown container net', 'docker run --name a --network container:b alpine\n', /not made by an earlier 'docker run --name b'/],
    ['docker run twice', 'docker run --name a alpine\ndocker run --name a alpine\n', /container 'a' exists already/],
    ['docker run bad publish', 'docker run --name a -p 80 nginx\n', /is not \[IP:\]HOSTPORT:CONTAINERPORT/],
    ['docker run publish host', 'docker run --name a --network host -p 80:80 nginx\n', /-p needs a bridge network/],
    ['docker run ip default', 'docker run --name a --ip 172.17.0.9 alpine\n', /--ip needs a user-defined network/],
    ['docker run bad command', 'docker run --name a alpine sh -c x\n', /the container's command 'sh' is not supported/],
    ['docker run bad sleep', 'docker run --name a alpine sleep forever\n', /is not a number/],
    ['docker run bad name', 'docker run --name -x alpine\n', /is not a Docker name/],
    ['docker exec unknown', 'docker exec a ping -c 1 1.2.3.4\n', /not made by an earlier 'docker run --name a'/],
    ['docker exec no command', 'docker run --name a alpine\ndocker exec a\n', /needs a COMMAND/],
    ['docker exec setup', 'docker run --name a alpine\ndocker exec a ip link set lo up\n', /traffic or serve command only/],
    ['docker exec option', 'docker exec --user 1 a ping -c 1 1.2.3.4\n', /docker exec option '--user' is not supported/],
  ];

  it.each(cases)('%s', (_name, text, reason) => {
    const e = errorOf(text);
    expect(e.message).toMatch(/^x\.txt:\d+: /);
    expect(e.message.startsWith(`x.txt:${e.line}: `)).toBe(true);
    expect(e.file).toBe('x.txt');
    expect(e.reason).toMatch(reason);
  });

  it('names the line that failed, not the first one', () => {
    const e = errorOf('ip netns add c1\n\n# ok\nip netns exec c1 ping -c 1 10.0.0.1\nbogus\n');
    expect(e.line).toBe(5);
    expect(e.message).toMatch(/^x\.txt:5: 'bogus' is not supported/);
  });

  it('uses "scenario" when no file is given', () => {
    expect(() => parseScenario('bogus')).toThrow(/^scenario:1: /);
  });
});
