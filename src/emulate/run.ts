/**
 * Executes a scenario's steps against the model, in order, with the timing of the lab: setup lines
 * take a few milliseconds, a traffic line runs until its program is done, and the captures run on
 * for a second after the last line (the lab's settle time).
 */
import { ScenarioError } from '../scenario/errors.js';
import { isTrafficStep } from '../scenario/commands.js';
import type { ListenerStep, Place, Scenario, Step, TrafficStep } from '../scenario/types.js';
import { ip4, ip4String, parseIp4, type Ip4 } from './addr.js';
import { MS, SEC } from './clock.js';
import { recalcBridgeMac, type Device } from './link.js';
import type { Namespace } from './namespace.js';
import { World } from './world.js';
import { curl, dig, ping, resolveName, serveDns, serveHttp, serveProxy, type Program } from './apps.js';
import { Docker } from './docker.js';
import { makeOutside } from './outside.js';
import { TUNNEL_OVERHEAD } from '../decode/vxlan.js';

/** Time a setup command (ip, sysctl, iptables) takes, and the pause between lines. */
const SETUP_COST = 3 * MS;
const STEP_GAP = 3 * MS;
/** The lab keeps capturing this long after the last line. */
const SETTLE = 1 * SEC;
/** No traffic line runs longer than the lab lets it (curl --max-time 20, the lab's 30 s timeout). */
const TRAFFIC_LIMIT = 30 * SEC;

export interface RunOptions {
  seed: number;
  /** Epoch of the scenario's start, in nanoseconds. */
  startNs: bigint;
}

export class Emulation {
  readonly world: World;
  readonly docker: Docker;
  /** The resolver of the host and of `ip netns add` namespaces (the lab's resolv.conf). */
  readonly resolver: Ip4;
  outside?: Namespace;
  private readonly dnsRecords = new Map<string, Ip4>();

  constructor(
    readonly scenario: Scenario,
    readonly options: RunOptions,
  ) {
    this.world = new World(options.seed, scenario.captures, options.startNs);
    this.resolver = scenario.uplink ? ip4(scenario.uplink.gateway) : 0x7f000001;
    for (const d of scenario.dns) if (parseIp4(d.address) !== undefined) this.dnsRecords.set(d.name.toLowerCase(), ip4(d.address));
    this.docker = new Docker(this);
  }

  epochNs(): bigint {
    return this.options.startNs + BigInt(Math.round(this.world.sched.now));
  }

  fail(step: Step, reason: string): never {
    throw new ScenarioError(this.scenario.file, step.line, reason);
  }

  run(): void {
    const w = this.world;
    w.host.lo.up = true;
    if (this.scenario.uplink) this.outside = makeOutside(this, this.scenario.uplink, this.dnsRecords);
    for (const step of this.scenario.steps) {
      if (isTrafficStep(step)) w.recorder.start();
      this.step(step);
      w.sched.runUntil(() => false, w.sched.now + STEP_GAP);
    }
    w.recorder.start();
    w.sched.runUntil(() => false, w.sched.now + SETTLE);
  }

  namespaceOf(place: Place, step: Step): Namespace {
    switch (place.kind) {
      case 'host':
        return this.world.host;
      case 'outside':
        return this.outside ?? this.fail(step, "'outside' needs an @uplink");
      case 'netns':
        return this.world.namespaces.get(place.name) ?? this.fail(step, `namespace '${place.name}' does not exist`);
      case 'container':
        return this.docker.namespaceOf(place.name) ?? this.fail(step, `container '${place.name}' is not running`);
    }
  }

  resolverFor(place: Place): Ip4 {
    if (place.kind === 'container') return this.docker.resolverOf(place.name) ?? this.resolver;
    if (place.kind === 'outside') return this.resolver;
    return this.resolver;
  }

  private device(ns: Namespace, name: string, step: Step): Device {
    return ns.device(name) ?? this.fail(step, `device '${name}' does not exist in ${ns.name === 'host' ? 'the host' : `namespace ${ns.name}`}`);
  }

  step(step: Step): void {
    const w = this.world;
    switch (step.kind) {
      case 'title':
      case 'uplink':
      case 'dns':
      case 'capture':
        return;
      case 'netns-add':
        w.addNamespace(step.name);
        break;
      case 'veth-add':
        this.vethAdd(step);
        break;
      case 'bridge-add':
        this.namespaceOf(step.place, step).addDevice(step.name, 'bridge', w.rng.mac());
        break;
      case 'tunnel-add':
        this.tunnelAdd(step);
        break;
      case 'link-set':
        this.linkSet(step);
        break;
      case 'addr-add':
      case 'route-add':
        if (!this.addressing(step)) return;
        break;
      case 'sysctl':
        if (!this.sysctl(step)) return;
        break;
      case 'iptables': {
        const ns = this.namespaceOf(step.place, step);
        (step.table === 'nat' ? ns.nat : ns.filter).apply(step.command, { line: step.line });
        break;
      }
      case 'ping':
      case 'curl':
      case 'dig':
      case 'nslookup':
        this.traffic(step, this.namespaceOf(step.place, step), this.resolverFor(step.place));
        return;
      case 'serve-http':
      case 'serve-dns':
      case 'serve-proxy':
        this.listen(step, this.namespaceOf(step.place, step));
        break;
      case 'docker-network-create':
        this.docker.createNetwork(step);
        break;
      case 'docker-run':
        this.docker.run(step);
        return;
    }
    w.sched.runUntil(() => false, w.sched.now + SETUP_COST);
  }

  /** An address or a route; false for IPv6 ones, which change nothing the model emulates. */
  private addressing(step: Extract<Step, { kind: 'addr-add' | 'route-add' }>): boolean {
    if (step.kind === 'addr-add') {
      if (step.address.family !== 4) return false;
      this.device(this.namespaceOf(step.place, step), step.dev, step).addrs.push({ addr: ip4(step.address.address), prefixLen: step.address.prefixLen });
      return true;
    }
    const ns = this.namespaceOf(step.place, step);
    if (step.destination !== 'default' && step.destination.family !== 4) return false;
    this.addRoute(ns, step);
    return true;
  }

  private vethAdd(step: Extract<Step, { kind: 'veth-add' }>): void {
    const ns = this.namespaceOf(step.place, step);
    const peerNs = step.peerNetns !== undefined ? (this.world.namespaces.get(step.peerNetns) ?? this.fail(step, `namespace '${step.peerNetns}' does not exist`)) : ns;
    if (ns.device(step.name)) this.fail(step, `device '${step.name}' exists already`);
    this.addVeth(ns, step.name, peerNs, step.peer);
  }

  /**
   * `ip link add NAME type vxlan|geneve ...`: with an underlay `dev`, its MTU is that device's less
   * the 50 bytes of encapsulation (vxlan_config_apply); without one it keeps Ethernet's 1500, as
   * `ip link show` says on Linux 6.18.
   */
  private tunnelAdd(step: Extract<Step, { kind: 'tunnel-add' }>): void {
    const ns = this.namespaceOf(step.place, step);
    if (ns.device(step.name)) this.fail(step, `device '${step.name}' exists already`);
    const underlay = step.dev !== undefined ? this.device(ns, step.dev, step) : undefined;
    const w = this.world;
    const d = ns.addDevice(step.name, step.type, w.rng.mac());
    d.tunnel = { type: step.type, vni: step.vni, local: step.local !== undefined ? ip4(step.local) : undefined, remote: ip4(step.remote), port: step.dstport, nextId: w.rng.between(0, 0xffff) };
    if (underlay !== undefined) d.mtu = underlay.mtu - TUNNEL_OVERHEAD;
  }

  /** `ip link set DEV [netns NS] [master BR] [address MAC] [mtu N] [up|down]`. */
  private linkSet(step: Extract<Step, { kind: 'link-set' }>): void {
    const ns = this.namespaceOf(step.place, step);
    const d = this.device(ns, step.dev, step);
    if (step.netns !== undefined) {
      const to = this.world.namespaces.get(step.netns) ?? this.fail(step, `namespace '${step.netns}' does not exist`);
      ns.release(d);
      // Moving a device takes it down and drops its addresses (dev_change_net_namespace).
      d.up = false;
      d.addrs.length = 0;
      to.adopt(d);
    }
    if (step.master !== undefined) {
      const br = this.device(ns, step.master, step);
      if (br.kind !== 'bridge') this.fail(step, `'${step.master}' is not a bridge`);
      d.master = br;
      br.ports.push(d);
      recalcBridgeMac(br);
    }
    if (step.mac !== undefined) {
      d.mac = Uint8Array.from(step.mac.split(':').map((x) => parseInt(x, 16)));
      d.macFixed = true;
      if (d.master !== undefined) recalcBridgeMac(d.master);
    }
    if (step.mtu !== undefined) d.mtu = step.mtu;
    if (step.state !== undefined) d.up = step.state === 'up';
  }

  /** `ip route add`: a route through a gateway leaves by the device the gateway is reached on. */
  private addRoute(ns: Namespace, step: Extract<Step, { kind: 'route-add' }>): void {
    const via = step.via !== undefined ? ip4(step.via) : undefined;
    let dev = step.dev !== undefined ? this.device(ns, step.dev, step) : undefined;
    if (dev === undefined && via !== undefined) {
      const r = ns.route(via);
      if (r === undefined || r === 'local') this.fail(step, `gateway ${step.via} is not on a connected network (Nexthop has invalid gateway)`);
      dev = r.dev;
    }
    if (dev === undefined) this.fail(step, 'a route needs via GW or dev NAME');
    const dst = step.destination === 'default' ? { addr: 0, len: 0 } : { addr: ip4(step.destination.address), len: step.destination.prefixLen };
    ns.routes.push({ dst: dst.addr, prefixLen: dst.len, via, dev });
  }

  /** Returns false for a key the model does not emulate. */
  private sysctl(step: Extract<Step, { kind: 'sysctl' }>): boolean {
    const ns = this.namespaceOf(step.place, step);
    if (step.key === 'net.ipv4.ip_forward') ns.ipForward = step.value === 1;
    else if (step.key === 'net.bridge.bridge-nf-call-iptables') ns.bridgeNetfilter = step.value === 1;
    else {
      const m = /^net\.ipv4\.conf\.([^.]+)\.route_localnet$/.exec(step.key);
      if (m === null) return false;
      if (m[1] === 'all') ns.routeLocalnetAll = step.value === 1;
      else if (m[1] !== 'default') this.device(ns, m[1], step).routeLocalnet = step.value === 1;
    }
    return true;
  }

  /**
   * `ip link add A type veth peer name B [netns NS]`: the peer registers first (lower ifindex), in
   * its own namespace's numbering when it is made there.
   */
  addVeth(ns: Namespace, name: string, peerNs: Namespace, peerName: string, peerMac?: Uint8Array): { dev: Device; peer: Device } {
    const w = this.world;
    const peer = peerNs.addDevice(peerName, 'veth', peerMac ?? w.rng.mac());
    const dev = ns.addDevice(name, 'veth', w.rng.mac());
    dev.peer = peer;
    peer.peer = dev;
    return { dev, peer };
  }

  traffic(step: TrafficStep, ns: Namespace, resolver: Ip4): void {
    const w = this.world;
    // A program starts a little after its line does (fork, exec, socket setup).
    w.sched.runUntil(() => false, w.sched.now + 2 * MS);
    const prog = this.startTraffic(step, ns, resolver);
    const limit = w.sched.now + TRAFFIC_LIMIT;
    w.sched.runUntil(() => prog.done, limit);
  }

  private startTraffic(step: TrafficStep, ns: Namespace, resolver: Ip4): Program {
    switch (step.kind) {
      case 'ping': {
        const oif = step.iface !== undefined ? this.device(ns, step.iface, step) : undefined;
        const literal = parseIp4(step.destination);
        if (literal !== undefined) return ping(ns, literal, { count: step.count, oif, waitSeconds: step.waitSeconds }, () => this.epochNs());
        // ping NAME resolves first (getaddrinfo), then pings the first address.
        const prog: Program = { done: false };
        this.lookupThen(ns, resolver, step.destination, (a) => {
          if (a === undefined) prog.done = true;
          else {
            const p = ping(ns, a, { count: step.count, oif, waitSeconds: step.waitSeconds }, () => this.epochNs());
            const poll = (): void => {
              if (p.done) prog.done = true;
              else this.world.sched.after(10 * MS, poll);
            };
            poll();
          }
        });
        return prog;
      }
      case 'curl':
        return curl(ns, resolver, step.host, step.port, step.path);
      case 'dig':
        return dig(ns, step.server !== undefined ? ip4(step.server) : resolver, step.name, step.type, true);
      case 'nslookup':
        return dig(ns, step.server !== undefined ? ip4(step.server) : resolver, step.name, 'A', false);
    }
  }

  private lookupThen(ns: Namespace, resolver: Ip4, name: string, then: (a: Ip4 | undefined) => void): void {
    resolveName(ns, resolver, name, then);
  }

  listen(step: ListenerStep, ns: Namespace): void {
    const addr = step.listen.address !== undefined ? parseIp4(step.listen.address) : undefined;
    switch (step.kind) {
      case 'serve-http':
        // Python's http.server resolves the machine's name (socket.getfqdn) through the resolver
        // before it says it is serving: the lab's captures miss that lookup, but not the neighbour
        // entries it leaves, the gateway's for the server (stale) among them. The query itself is
        // not modelled: it names the lab machine, and nothing later depends on its answer.
        ns.resolveNextHop(this.resolverFor(step.place));
        serveHttp(ns, step.listen.port, addr, () => this.epochNs());
        return;
      case 'serve-dns': {
        const records = new Map(step.records.map((r) => [r.name.toLowerCase(), r.address] as const));
        serveDns(ns, step.listen.port, addr, (name) => {
          const a = records.get(name);
          const v = a === undefined ? undefined : parseIp4(a);
          return v === undefined ? undefined : [v];
        });
        return;
      }
      case 'serve-proxy':
        serveProxy(ns, step.listen.port, addr, ip4(step.target.address), step.target.port);
    }
  }

  describe(a: Ip4): string {
    return ip4String(a);
  }
}
