/**
 * Docker lines expanded the way Docker's bridge driver does it: docker0 (172.17.0.1/16) made on the
 * first docker line, a `br-<id>` bridge per user network from 172.18.0.0/16 on, a veth pair per
 * container (host side `veth` + 7 hex digits, container side eth0 with MAC 02:42 + its IPv4
 * address), MASQUERADE for each subnet, DNAT in the DOCKER chain and docker-proxy for `-p`, and on
 * user networks the embedded DNS at 127.0.0.11 with its nat OUTPUT/POSTROUTING rules.
 */
import type { DockerNetworkCreateStep, DockerRunStep, IptablesCommand, IptablesMatches, IptablesTarget } from '../scenario/types.js';
import { dockerMac, inPrefix, ip4, ip4String, maskOf, type Ip4 } from './addr.js';
import { MS } from './clock.js';
import type { Device } from './link.js';
import type { Namespace } from './namespace.js';
import type { Emulation } from './run.js';
import { DOCKER_PROXY, dnsQuery, serveProxy, udpSend } from './apps.js';
import { DNS_TYPE_A, encodeDnsResponse, parseDnsQuery } from '../decode/dns.js';
import { ruleText } from './netfilter.js';

interface Network {
  name: string;
  bridge: Device;
  subnet: Ip4;
  prefixLen: number;
  gateway: Ip4;
  next: number;
  user: boolean;
}

interface Container {
  name: string;
  ns: Namespace;
  network?: Network;
  ip?: Ip4;
  /** Where its resolv.conf points: 127.0.0.11 on user networks, the host's resolver elsewhere. */
  resolver: Ip4;
}

const EMBEDDED_DNS = 0x7f00000b;
const cidr = (address: string, prefixLen: number): { value: { address: string; prefixLen: number; family: 4 }; negated: boolean } => ({
  value: { address, prefixLen, family: 4 },
  negated: false,
});
const not = <T>(m: { value: T; negated: boolean }): { value: T; negated: boolean } => ({ ...m, negated: true });
const is = <T>(value: T): { value: T; negated: boolean } => ({ value, negated: false });

export class Docker {
  private readonly networks = new Map<string, Network>();
  private readonly containers = new Map<string, Container>();
  private started = false;
  private nextUserSubnet = 18;

  constructor(private readonly em: Emulation) {}

  namespaceOf(name: string): Namespace | undefined {
    return this.containers.get(name)?.ns;
  }

  resolverOf(name: string): Ip4 | undefined {
    return this.containers.get(name)?.resolver;
  }

  private rule(ns: Namespace, table: 'nat' | 'filter', cmd: IptablesCommand, line: number): void {
    const t = table === 'nat' ? ns.nat : ns.filter;
    const rule = cmd.op === 'append' || cmd.op === 'insert' ? ruleText(cmd.chain, cmd.matches, cmd.target) : undefined;
    t.apply(cmd, { line, rule });
  }

  private append(ns: Namespace, table: 'nat' | 'filter', chain: string, matches: IptablesMatches, target: IptablesTarget, line: number): void {
    this.rule(ns, table, { op: 'append', chain, matches, target }, line);
  }

  /** What dockerd sets up when it starts: docker0, forwarding, the DOCKER chains and the default bridge's rules. */
  private start(line: number): void {
    if (this.started) return;
    this.started = true;
    const host = this.em.world.host;
    host.ipForward = true;
    for (const c of ['DOCKER']) this.rule(host, 'nat', { op: 'new-chain', chain: c }, line);
    for (const c of ['DOCKER', 'DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2']) this.rule(host, 'filter', { op: 'new-chain', chain: c }, line);
    this.rule(host, 'filter', { op: 'policy', chain: 'FORWARD', policy: 'DROP' }, line);
    this.append(host, 'nat', 'PREROUTING', { dstType: is('LOCAL') }, { kind: 'jump', chain: 'DOCKER' }, line);
    this.append(host, 'nat', 'OUTPUT', { destination: not(cidr('127.0.0.0', 8)), dstType: is('LOCAL') }, { kind: 'jump', chain: 'DOCKER' }, line);
    this.append(host, 'filter', 'FORWARD', {}, { kind: 'jump', chain: 'DOCKER-USER' }, line);
    this.append(host, 'filter', 'FORWARD', {}, { kind: 'jump', chain: 'DOCKER-ISOLATION-STAGE-1' }, line);
    this.append(host, 'filter', 'DOCKER-USER', {}, { kind: 'RETURN' }, line);
    this.addNetwork('bridge', 'docker0', 0xac110000, 16, false, line);
  }

  private addNetwork(name: string, bridgeName: string, subnet: Ip4, prefixLen: number, user: boolean, line: number): Network {
    const w = this.em.world;
    const host = w.host;
    const mac = w.rng.mac();
    mac[0] = 0x02;
    mac[1] = 0x42;
    const bridge = host.addDevice(bridgeName, 'bridge', mac);
    bridge.macFixed = true;
    const gateway = (subnet + 1) >>> 0;
    bridge.addrs.push({ addr: gateway, prefixLen });
    bridge.up = true;
    const net: Network = { name, bridge, subnet, prefixLen, gateway, next: 2, user };
    this.networks.set(name, net);
    const sub = ip4String(subnet);
    // iptables -t nat -I: Docker inserts its MASQUERADE and isolation rules ahead of what is there.
    this.append(host, 'nat', 'POSTROUTING', { source: cidr(sub, prefixLen), outIface: not(is(bridgeName)) }, { kind: 'MASQUERADE' }, line);
    this.append(host, 'nat', 'DOCKER', { inIface: is(bridgeName) }, { kind: 'RETURN' }, line);
    this.append(host, 'filter', 'FORWARD', { outIface: is(bridgeName), ctstate: is(['RELATED', 'ESTABLISHED']) }, { kind: 'ACCEPT' }, line);
    this.append(host, 'filter', 'FORWARD', { outIface: is(bridgeName) }, { kind: 'jump', chain: 'DOCKER' }, line);
    this.append(host, 'filter', 'FORWARD', { inIface: is(bridgeName), outIface: not(is(bridgeName)) }, { kind: 'ACCEPT' }, line);
    this.append(host, 'filter', 'FORWARD', { inIface: is(bridgeName), outIface: is(bridgeName) }, { kind: 'ACCEPT' }, line);
    return net;
  }

  createNetwork(step: DockerNetworkCreateStep): void {
    this.start(step.line);
    const w = this.em.world;
    let subnet: Ip4;
    let len: number;
    if (step.subnet !== undefined) {
      len = step.subnet.prefixLen;
      subnet = (ip4(step.subnet.address) & maskOf(len)) >>> 0;
    } else {
      subnet = ((172 << 24) | (this.nextUserSubnet++ << 16)) >>> 0;
      len = 16;
    }
    this.addNetwork(step.name, `br-${w.rng.hex(12)}`, subnet, len, true, step.line);
  }

  run(step: DockerRunStep): void {
    this.start(step.line);
    const em = this.em;
    const w = em.world;
    if (this.containers.has(step.name)) em.fail(step, `container name '${step.name}' is in use`);
    const mode = step.network;
    let c: Container;
    if (mode.kind === 'host') {
      c = { name: step.name, ns: w.host, resolver: em.resolver };
    } else if (mode.kind === 'container') {
      const other = this.containers.get(mode.name) ?? em.fail(step, `container '${mode.name}' is not running`);
      c = { ...other, name: step.name };
    } else {
      const ns = w.addNamespace(`container:${step.name}`);
      c = { name: step.name, ns, resolver: em.resolver };
      if (mode.kind !== 'none') {
        const net = mode.kind === 'bridge' ? (this.networks.get('bridge') as Network) : (this.networks.get(mode.name) ?? em.fail(step, `network '${mode.name}' does not exist (docker network create ${mode.name})`));
        this.attach(c, net, step);
      }
    }
    this.containers.set(step.name, c);
    for (const p of step.publish) this.publish(c, p, step);
    if (step.command !== undefined) {
      const cmd = step.command;
      if (cmd.kind === 'serve-http' || cmd.kind === 'serve-dns' || cmd.kind === 'serve-proxy') em.listen(cmd, c.ns);
      else em.traffic(cmd, c.ns, c.resolver);
    }
    w.sched.runUntil(() => false, w.sched.now + 50 * MS);
  }

  private attach(c: Container, net: Network, step: DockerRunStep): void {
    const em = this.em;
    const w = em.world;
    const host = w.host;
    const ip = step.ip !== undefined ? ip4(step.ip) : (net.subnet + net.next++) >>> 0;
    if (!inPrefix(ip, net.subnet, net.prefixLen)) em.fail(step, `--ip ${step.ip} is not in the network's subnet`);
    const hostName = `veth${w.rng.hex(7)}`;
    // libnetwork makes the pair in the host, moves the peer into the container and renames it eth0.
    const { dev, peer } = em.addVeth(host, hostName, host, `tmp${hostName.slice(4)}`, dockerMac(ip));
    host.release(peer);
    c.ns.adopt(peer);
    peer.name = 'eth0';
    peer.addrs.push({ addr: ip, prefixLen: net.prefixLen });
    peer.up = true;
    c.ns.routes.push({ dst: 0, prefixLen: 0, via: net.gateway, dev: peer });
    dev.master = net.bridge;
    net.bridge.ports.push(dev);
    dev.up = true;
    c.network = net;
    c.ip = ip;
    if (net.user) this.embeddedDns(c, net, step.line);
  }

  /** `-p [IP:]HOST:CONTAINER`: DNAT in DOCKER, the hairpin MASQUERADE, the filter ACCEPT and docker-proxy. */
  private publish(c: Container, p: DockerRunStep['publish'][number], step: DockerRunStep): void {
    const em = this.em;
    const host = em.world.host;
    const cip = c.ip;
    const cnet = c.network;
    if (cip === undefined || cnet === undefined) return em.fail(step, '-p needs a container on a bridge network');
    const ip = ip4String(cip);
    const br = cnet.bridge.name;
    const proto = is(p.protocol);
    this.append(host, 'nat', 'POSTROUTING', { source: cidr(ip, 32), destination: cidr(ip, 32), protocol: proto, destinationPort: is({ from: p.containerPort, to: p.containerPort }) }, { kind: 'MASQUERADE' }, step.line);
    const dnatMatch: IptablesMatches = { inIface: not(is(br)), protocol: proto, destinationPort: is({ from: p.hostPort, to: p.hostPort }) };
    if (p.hostAddress !== undefined && p.hostAddress !== '0.0.0.0') dnatMatch.destination = cidr(p.hostAddress, 32);
    this.append(host, 'nat', 'DOCKER', dnatMatch, { kind: 'DNAT', toDestination: { address: ip, ports: { from: p.containerPort, to: p.containerPort } } }, step.line);
    this.append(host, 'filter', 'DOCKER', { destination: cidr(ip, 32), inIface: not(is(br)), outIface: is(br), protocol: proto, destinationPort: is({ from: p.containerPort, to: p.containerPort }) }, { kind: 'ACCEPT' }, step.line);
    // docker-proxy takes what the DNAT rules cannot: connections from the host to its own addresses (127.0.0.1 included).
    if (p.protocol === 'tcp') serveProxy(host, p.hostPort, p.hostAddress !== undefined && p.hostAddress !== '0.0.0.0' ? ip4(p.hostAddress) : undefined, cip, p.containerPort, DOCKER_PROXY);
  }

  /**
   * The embedded DNS server: dockerd listens inside the container on 127.0.0.11 at a random high
   * port; nat OUTPUT DNATs queries for 127.0.0.11:53 to it and POSTROUTING's SNAT rule names the
   * way back. Container names on the network are answered; other names are forwarded, from the
   * container's namespace, to the host's resolver.
   */
  private embeddedDns(c: Container, net: Network, line: number): void {
    const w = this.em.world;
    const ns = c.ns;
    c.resolver = EMBEDDED_DNS;
    const udpPort = w.rng.between(32768, 60999);
    const tcpPort = w.rng.between(32768, 60999);
    const dns = cidr('127.0.0.11', 32);
    for (const chain of ['DOCKER_OUTPUT', 'DOCKER_POSTROUTING']) this.rule(ns, 'nat', { op: 'new-chain', chain }, line);
    this.append(ns, 'nat', 'OUTPUT', { destination: dns }, { kind: 'jump', chain: 'DOCKER_OUTPUT' }, line);
    this.append(ns, 'nat', 'POSTROUTING', { destination: dns }, { kind: 'jump', chain: 'DOCKER_POSTROUTING' }, line);
    this.append(ns, 'nat', 'DOCKER_OUTPUT', { destination: dns, protocol: is('tcp'), destinationPort: is({ from: 53, to: 53 }) }, { kind: 'DNAT', toDestination: { address: '127.0.0.11', ports: { from: tcpPort, to: tcpPort } } }, line);
    this.append(ns, 'nat', 'DOCKER_OUTPUT', { destination: dns, protocol: is('udp'), destinationPort: is({ from: 53, to: 53 }) }, { kind: 'DNAT', toDestination: { address: '127.0.0.11', ports: { from: udpPort, to: udpPort } } }, line);
    this.append(ns, 'nat', 'DOCKER_POSTROUTING', { source: dns, protocol: is('tcp'), sourcePort: is({ from: tcpPort, to: tcpPort }) }, { kind: 'SNAT', toSource: { ports: { from: 53, to: 53 } } }, line);
    this.append(ns, 'nat', 'DOCKER_POSTROUTING', { source: dns, protocol: is('udp'), sourcePort: is({ from: udpPort, to: udpPort }) }, { kind: 'SNAT', toSource: { ports: { from: 53, to: 53 } } }, line);
    ns.udp.set(udpPort, (pkt, b) => {
      const q = parseDnsQuery(b.data);
      if (q === undefined) return;
      const answer = (addrs: Ip4[] | undefined): void => {
        const data = encodeDnsResponse(q, addrs ?? [], 600, addrs !== undefined);
        w.sched.after(50_000, () => udpSend(ns, pkt.dst, udpPort, pkt.src, b.sport, data));
      };
      const local = this.lookupContainer(net, q.name);
      if (local !== undefined) return answer(q.type === DNS_TYPE_A ? [local] : []);
      // Forwarded upstream as a fresh query from the container's own address.
      dnsQuery(ns, this.em.resolver, q.name, q.type, q.ednsSize !== undefined, 1, (r) => answer(r?.addresses), undefined, 0, 2_000_000_000);
    });
  }

  private lookupContainer(net: Network, name: string): Ip4 | undefined {
    const c = this.containers.get(name.replace(/\.$/, ''));
    return c !== undefined && c.network === net ? c.ip : undefined;
  }
}
