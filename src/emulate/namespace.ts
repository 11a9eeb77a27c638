/**
 * One network namespace: its devices, addresses, routes, neighbour cache, netfilter tables,
 * conntrack and sockets; the IPv4 receive, forward and output paths with the netfilter hooks where
 * the kernel has them (PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING).
 */
import { BROADCAST_MAC, ZERO_MAC, inPrefix, ip4String, isLoopback4, macEquals, type Ip4, type Mac } from './addr.js';
import { SCOPE_LINK, SCOPE_UNIVERSE, connectedRoutes, localRoute, selectAddress, type LocalRoute, type Route } from './fib.js';
import { Device, bridgeForwardFrame, l3Length, receive, transmit, type DeviceKind } from './link.js';
import { TUNNEL_COST, tunnelFor, tunnelTransmit } from './tunnel.js';
import { Conntrack, invert, tupleOf, type CtEntry, type Tuple } from './conntrack.js';
import { Table, type MatchContext, type RuleOrigin } from './netfilter.js';
import { cloneFrame, type EthFrame, type Ipv4Packet, type Rewrite, type ArpMessage, type TcpBody, type UdpBody } from './packet.js';
import { ARPOP_REPLY, ARPOP_REQUEST } from '../decode/arp.js';
import { IPV4_MIN_HEADER_LENGTH } from '../decode/ipv4.js';
import { TCP_HEADER_LENGTH } from '../decode/tcp.js';
import type { World } from './world.js';
import type { CtState } from '../scenario/types.js';
import { ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN } from '../decode/enums.js';

type NeighState = 'incomplete' | 'reachable' | 'stale' | 'delay' | 'probe' | 'failed';

interface Neighbour {
  dev: Device;
  ip: Ip4;
  mac?: Mac;
  state: NeighState;
  reachableUntil: number;
  queue: Ipv4Packet[];
  probes: number;
  /** Bumped on every state change so stale timers know they are stale. */
  epoch: number;
  /** The cached header (hh_cache), filled by the first packet sent through a resolved entry. */
  hh: boolean;
}

export type UdpHandler = (pkt: Ipv4Packet, body: UdpBody, dev: Device) => void;
export type TcpHandler = (pkt: Ipv4Packet, body: TcpBody, dev: Device) => void;

/** A connected TCP socket: what it does with a segment, and when the path to its peer narrows (tcp_v4_mtu_reduced). */
export interface TcpSocket {
  segment: TcpHandler;
  mtuReduced(): void;
}
export type IcmpHandler = (pkt: Ipv4Packet) => void;

/** Why the model dropped a packet: `diff` and the tests read these. */
export interface DropEvent {
  tsNs: number;
  namespace: string;
  reason: string;
  packet: string;
  rule?: RuleOrigin;
}

/** Kernel costs between a packet's arrival and what the stack does with it, in nanoseconds. */
const COST = {
  forward: 2_200,
  localIn: 3_000,
  icmpEcho: 4_000,
  arpReply: 6_000,
  /** Between the packets an ARP reply releases from a neighbour's queue. */
  queued: 7_000,
};

// Neighbour timers (net.ipv4.neigh.default.*): delay_first_probe_time 5 s, retrans_time 1 s, 3 probes.
const DELAY_FIRST_PROBE = 5_000_000_000;
const RETRANS = 1_000_000_000;
const PROBES = 3;

export class Namespace {
  readonly devices: Device[] = [];
  readonly routes: Route[] = [];
  readonly nat = new Table('nat');
  readonly filter = new Table('filter');
  readonly conntrack = new Conntrack();
  ipForward = false;
  /**
   * br_netfilter: bridged IPv4 walks iptables (net.bridge.bridge-nf-call-iptables, 1 in every
   * namespace once the module is loaded, as on every Docker host and on the lab machine: its
   * localhost-publish capture shows docker0 receiving replies already translated).
   */
  bridgeNetfilter = true;
  routeLocalnetAll = false;
  /** The outside world answers for addresses beyond it (AnyIP), not only its own. */
  extraLocal?: (a: Ip4) => boolean;
  readonly udp = new Map<number, UdpHandler>();
  /** Connected TCP sockets, by tcpKey. */
  readonly tcp = new Map<string, TcpSocket>();
  readonly tcpListeners = new Map<number, TcpHandler>();
  readonly icmp = new Map<number, IcmpHandler>();
  /** Path MTUs learnt from fragmentation-needed, by destination (the route exceptions of `ip route get`). */
  private readonly pmtu = new Map<Ip4, number>();
  private readonly neighbours = new Map<string, Neighbour>();
  private nextIfindex = 1;
  readonly lo: Device;
  private readonly reachableTime: number;

  constructor(
    readonly world: World,
    readonly name: string,
    readonly isHost = false,
  ) {
    this.lo = this.addDevice('lo', 'loopback', ZERO_MAC);
    this.lo.up = true;
    this.lo.addrs.push({ addr: 0x7f000001, prefixLen: 8 });
    // base_reachable_time is 30 s; each neighbour table draws its reachable time from [15 s, 45 s).
    this.reachableTime = world.rng.between(15_000, 44_999) * 1_000_000;
  }

  addDevice(name: string, kind: DeviceKind, mac: Mac): Device {
    const d = new Device(this, name, kind, mac, this.nextIfindex++);
    this.devices.push(d);
    return d;
  }

  /** dev_change_net_namespace keeps the ifindex unless the new namespace has it taken. */
  adopt(d: Device): void {
    d.ns = this;
    if (this.devices.some((x) => x.ifindex === d.ifindex)) d.ifindex = this.nextIfindex++;
    else this.nextIfindex = Math.max(this.nextIfindex, d.ifindex + 1);
    this.devices.push(d);
  }

  release(d: Device): void {
    const i = this.devices.indexOf(d);
    if (i >= 0) this.devices.splice(i, 1);
    for (let r = this.routes.length - 1; r >= 0; r--) if (this.routes[r].dev === d) this.routes.splice(r, 1);
  }

  reserveIfindex(n: number): void {
    this.nextIfindex = Math.max(this.nextIfindex, n);
  }

  device(name: string): Device | undefined {
    return this.devices.find((d) => d.name === name);
  }

  /** inet_addr_type's RTN_LOCAL: table local holds a route for `a`. */
  isLocal(a: Ip4): boolean {
    return this.localRoute(a) !== undefined;
  }

  // Routing ---------------------------------------------------------------------------------------

  private localRoute(dst: Ip4): LocalRoute | undefined {
    // The outside answers for addresses beyond it as the lab's outside does: each is a /32 on its lo.
    if (this.extraLocal?.(dst) === true) return { prefixLen: 32, src: dst };
    return localRoute(this.devices, dst);
  }

  /**
   * fib_lookup. Without ip rules, tables local and main share one trie, so the longest prefix wins
   * across both and the local route wins a tie: a main route to 10.7.0.9/32 beats lo's local
   * 10.7.0.0/24 (`ip route get` on 6.18).
   */
  route(dst: Ip4, oif?: Device): Route | 'local' | undefined {
    const local = oif === undefined || oif.kind === 'loopback' ? this.localRoute(dst) : undefined;
    let best: Route | undefined;
    for (const r of [...connectedRoutes(this.devices), ...this.routes]) {
      if (!r.dev.up || (oif !== undefined && r.dev !== oif)) continue;
      if (!inPrefix(dst, r.dst, r.prefixLen)) continue;
      if (best === undefined || r.prefixLen > best.prefixLen) best = r;
    }
    if (local !== undefined && (best === undefined || local.prefixLen >= best.prefixLen)) return 'local';
    return best;
  }

  /**
   * The source a locally made packet takes (fib_result_prefsrc): the route's preferred source, else
   * inet_select_addr on its device for its gateway (a route without one: the device's first address).
   */
  sourceFor(r: Route | 'local', dst: Ip4): Ip4 {
    if (r === 'local') return this.localRoute(dst)?.src ?? dst;
    if (r.src !== undefined) return r.src;
    return this.selectAddress(r.dev, r.via ?? 0, r.via !== undefined ? SCOPE_UNIVERSE : SCOPE_LINK);
  }

  private selectAddress(dev: Device, dst: Ip4, scope: number): Ip4 {
    return selectAddress(this.devices, dev, dst, scope, dev.routeLocalnet || this.routeLocalnetAll);
  }

  private localnetOk(dev: Device): boolean {
    return dev.kind === 'loopback' || dev.routeLocalnet || this.routeLocalnetAll;
  }

  // Netfilter hooks --------------------------------------------------------------------------------

  private natInUse(): boolean {
    return this.nat.hasRules || this.filter.hasRules;
  }

  private ctState(e: CtEntry, dir: 'original' | 'reply'): CtState {
    if (dir === 'reply' || e.seenReply) return 'ESTABLISHED';
    return e.confirmed ? 'ESTABLISHED' : 'NEW';
  }

  private ctx(pkt: Ipv4Packet, ct: { entry: CtEntry; dir: 'original' | 'reply' } | undefined, inDev?: Device, outDev?: Device): MatchContext {
    return {
      pkt,
      inDev: inDev?.name,
      outDev: outDev?.name,
      ctState: ct === undefined ? 'UNTRACKED' : this.ctState(ct.entry, ct.dir),
      isLocal: (a) => this.isLocal(a),
    };
  }

  /** Destination NAT at PREROUTING or OUTPUT: the nat chain for a new connection, conntrack's binding for the rest. */
  private dstManip(pkt: Ipv4Packet, ct: { entry: CtEntry; dir: 'original' | 'reply' }, chain: 'PREROUTING' | 'OUTPUT', inDev?: Device): boolean {
    const e = ct.entry;
    let byRule = false;
    if (ct.dir === 'original' && !e.confirmed && !e.dnatDone) {
      e.dnatDone = true;
      const v = this.nat.run(chain, this.ctx(pkt, ct, inDev));
      if (v.kind === 'DROP') return false;
      if (v.kind === 'NAT' && (v.target.kind === 'DNAT' || v.target.kind === 'REDIRECT')) {
        const t = v.target;
        let addr = e.orig.dst;
        let port = e.orig.dport;
        if (t.kind === 'DNAT') {
          if (t.toDestination.address !== undefined) addr = ipOf(t.toDestination.address);
          if (t.toDestination.ports !== undefined) port = t.toDestination.ports.from;
        } else {
          // REDIRECT: to the incoming device's primary address, or 127.0.0.1 for local output.
          addr = chain === 'OUTPUT' ? 0x7f000001 : (inDev?.addrs[0]?.addr ?? e.orig.dst);
          if (t.toPorts !== undefined) port = t.toPorts.from;
        }
        if (e.orig.proto === IPPROTO_ICMP) port = e.orig.dport;
        e.reply = { ...e.reply, src: addr, sport: port };
        e.dnatRule = v.rule.origin;
        byRule = true;
      }
    }
    const want = ct.dir === 'original' ? { a: e.reply.src, p: e.reply.sport } : { a: e.orig.src, p: e.orig.sport };
    this.rewrite(pkt, 'dnat', want.a, want.p, e.dnatRule ?? e.snatRule, byRule);
    return true;
  }

  /** Source NAT at POSTROUTING (or INPUT for local delivery: only the conntrack binding there). */
  private srcManip(pkt: Ipv4Packet, ct: { entry: CtEntry; dir: 'original' | 'reply' }, outDev: Device | undefined, runChain: boolean): boolean {
    const e = ct.entry;
    let byRule = false;
    if (runChain && ct.dir === 'original' && !e.confirmed && !e.snatDone) {
      e.snatDone = true;
      const v = this.nat.run('POSTROUTING', this.ctx(pkt, ct, undefined, outDev));
      if (v.kind === 'DROP') return false;
      if (v.kind === 'NAT' && (v.target.kind === 'MASQUERADE' || v.target.kind === 'SNAT')) {
        const t = v.target;
        let addr: Ip4;
        let range: { from: number; to: number } | undefined;
        if (t.kind === 'MASQUERADE') {
          // nf_nat_masquerade_ipv4: the out device's address for the next hop, whatever the route prefers.
          const r = this.route(pkt.dst);
          const hop = r !== undefined && r !== 'local' ? (r.via ?? pkt.dst) : pkt.dst;
          addr = outDev !== undefined ? this.selectAddress(outDev, hop, SCOPE_UNIVERSE) : pkt.src;
          range = t.toPorts;
        } else {
          addr = t.toSource.address !== undefined ? ipOf(t.toSource.address) : e.orig.src;
          range = t.toSource.ports;
        }
        const port = this.uniquePort(e, addr, range);
        // conntrack keys ICMP echo by its id on both sides.
        e.reply = { ...e.reply, dst: addr, dport: port, sport: e.orig.proto === IPPROTO_ICMP ? port : e.reply.sport };
        e.snatRule = v.rule.origin;
        byRule = true;
      }
    }
    const want = ct.dir === 'original' ? { a: e.reply.dst, p: e.reply.dport } : { a: e.orig.dst, p: e.orig.dport };
    this.rewrite(pkt, 'snat', want.a, want.p, e.snatRule ?? e.dnatRule, byRule);
    return true;
  }

  /**
   * nf_nat_l4proto_unique_tuple: keep the port (or echo id) when it is in range and unused;
   * otherwise try the range from a random offset.
   */
  private uniquePort(e: CtEntry, addr: Ip4, range: { from: number; to: number } | undefined): number {
    const base = e.orig.sport;
    const icmp = e.orig.proto === IPPROTO_ICMP;
    const candidate = (port: number): Tuple => ({ proto: e.orig.proto, src: e.reply.src, sport: icmp ? port : e.reply.sport, dst: addr, dport: port });
    const inRange = range === undefined || (base >= range.from && base <= range.to);
    if (inRange && !this.conntrack.taken(candidate(base))) return base;
    const lo = range?.from ?? (icmp ? 0 : 1024);
    const hi = range?.to ?? 65535;
    const size = hi - lo + 1;
    const off = this.world.rng.between(0, size - 1);
    for (let i = 0; i < size; i++) {
      const p = lo + ((off + i) % size);
      if (!this.conntrack.taken(candidate(p))) return p;
    }
    return base;
  }

  private rewrite(pkt: Ipv4Packet, type: 'snat' | 'dnat', addr: Ip4, port: number, rule: RuleOrigin | undefined, byRule: boolean): void {
    const b = pkt.body;
    const curAddr = type === 'snat' ? pkt.src : pkt.dst;
    const curPort = b.proto === IPPROTO_ICMP ? b.id : type === 'snat' ? b.sport : b.dport;
    if (curAddr === addr && curPort === port) return;
    const before = endpointText(curAddr, curPort, b.proto);
    if (type === 'snat') pkt.src = addr;
    else pkt.dst = addr;
    if (b.proto === IPPROTO_ICMP) b.id = port;
    else if (type === 'snat') b.sport = port;
    else b.dport = port;
    const rw: Rewrite = { type, before, after: endpointText(addr, port, b.proto), namespace: this.name, rule, byConntrack: !byRule };
    pkt.trail = [...(pkt.trail ?? []), rw];
  }

  private drop(pkt: Ipv4Packet, reason: string, rule?: RuleOrigin, ct?: { entry: CtEntry }): void {
    this.world.drop({ tsNs: this.world.sched.now, namespace: this.name, reason, packet: packetText(pkt), rule });
    void ct;
  }

  // Receive ---------------------------------------------------------------------------------------

  /** A frame for this host (its MAC, broadcast, or loopback) on `dev`. */
  linkReceive(dev: Device, f: EthFrame): void {
    if (f.payload.kind === 'arp') this.arpReceive(dev, f.payload.arp);
    else this.ipReceive(dev, f.payload.ip);
  }

  private ipReceive(dev: Device, pkt: Ipv4Packet): void {
    if ((isLoopback4(pkt.src) || isLoopback4(pkt.dst)) && !this.localnetOk(dev)) {
      this.drop(pkt, `martian ${isLoopback4(pkt.dst) ? 'destination' : 'source'} on ${dev.name} (route_localnet is 0)`);
      return;
    }
    let ct: { entry: CtEntry; dir: 'original' | 'reply' } | undefined;
    const carried = pkt.ct !== undefined && pkt.ct.namespace === this.name ? pkt.ct : undefined;
    pkt.ct = undefined;
    if (carried !== undefined) {
      ct = carried;
      if (!carried.prerouted && !this.dstManip(pkt, ct, 'PREROUTING', dev)) return this.drop(pkt, 'dropped in nat PREROUTING');
    } else if (this.natInUse()) {
      ct = this.conntrack.lookup(pkt);
      if (ct.dir === 'reply') ct.entry.seenReply = true;
      if (!this.dstManip(pkt, ct, 'PREROUTING', dev)) return this.drop(pkt, 'dropped in nat PREROUTING');
    }
    const r = this.route(pkt.dst);
    if (r === 'local') {
      const v = this.filter.run('INPUT', this.ctx(pkt, ct, dev));
      if (v.kind === 'DROP') return this.drop(pkt, `filter INPUT ${v.rule ? 'rule' : 'policy'} dropped it`, v.rule?.origin ?? v.policy);
      if (ct !== undefined) {
        this.srcManip(pkt, ct, undefined, false);
        this.conntrack.confirm(ct.entry);
      }
      this.world.sched.after(COST.localIn, () => this.deliverLocal(dev, pkt));
      return;
    }
    if (!this.ipForward) return this.drop(pkt, `not for this host and net.ipv4.ip_forward is 0 (arrived on ${dev.name})`);
    if (r === undefined) return this.drop(pkt, `no route to ${ip4String(pkt.dst)}`);
    if (pkt.ttl <= 1) return this.drop(pkt, 'TTL expired in transit');
    if ((isLoopback4(pkt.src) || isLoopback4(pkt.dst)) && !this.localnetOk(r.dev)) return this.drop(pkt, 'loopback address would leave a non-loopback device');
    const v = this.filter.run('FORWARD', this.ctx(pkt, ct, dev, r.dev));
    if (v.kind === 'DROP') return this.drop(pkt, `filter FORWARD ${v.rule ? 'rule' : 'policy'} dropped it`, v.rule?.origin ?? v.policy);
    pkt.ttl -= 1;
    if (ct !== undefined) {
      if (!this.srcManip(pkt, ct, r.dev, true)) return this.drop(pkt, 'dropped in nat POSTROUTING');
      this.conntrack.confirm(ct.entry);
    }
    this.world.sched.after(COST.forward, () => this.neighOutput(r.dev, r.via ?? pkt.dst, pkt));
  }

  /** br_nf_pre_routing: conntrack and nat PREROUTING for an IPv4 frame entering a bridge port. */
  bridgePrerouting(br: Device, pkt: Ipv4Packet): boolean {
    if (!this.bridgeNetfilter || !this.natInUse()) return true;
    const ct = this.conntrack.lookup(pkt);
    if (ct.dir === 'reply') ct.entry.seenReply = true;
    if (!this.dstManip(pkt, ct, 'PREROUTING', br)) {
      this.drop(pkt, 'dropped in nat PREROUTING (bridged)');
      return false;
    }
    pkt.ct = { namespace: this.name, entry: ct.entry, dir: ct.dir, prerouted: true };
    return true;
  }

  /**
   * br_nf_pre_routing_finish: a frame for the bridge's own address that PREROUTING sent to an address
   * the bridge itself reaches is bridged there, not routed (bridged_dnat). With a confirmed neighbour
   * and its cached header, only the destination MAC changes; otherwise the frame leaves through the
   * neighbour's output on the bridge device (a capture there sees it with the bridge's address) and
   * br_dev_xmit bridges it on with its own source MAC. False when the new address is elsewhere.
   */
  bridgedDnat(br: Device, ingress: Device, f: EthFrame): boolean {
    if (f.payload.kind !== 'ipv4') return false;
    const pkt = f.payload.ip;
    const r = this.route(pkt.dst);
    if (r === undefined || r === 'local' || r.dev !== br) return false;
    const hop = r.via ?? pkt.dst;
    const n = this.neighbour(br, hop);
    if (n !== undefined && n.state === 'reachable' && this.world.sched.now < n.reachableUntil && n.hh) {
      bridgeForwardFrame(this.world.link, br, ingress, { ...f, dst: n.mac as Mac }, true);
      return true;
    }
    pkt.bridgedDnat = { srcMac: f.src, ingress };
    this.neighOutput(br, hop, pkt);
    return true;
  }

  /** br_nf_forward and br_nf_post_routing: filter FORWARD and nat POSTROUTING for a bridged frame. */
  bridgeForward(br: Device, pkt: Ipv4Packet): boolean {
    const carried = pkt.ct !== undefined && pkt.ct.namespace === this.name ? pkt.ct : undefined;
    pkt.ct = undefined;
    if (!this.bridgeNetfilter || carried === undefined) return true;
    const v = this.filter.run('FORWARD', this.ctx(pkt, carried, br, br));
    if (v.kind === 'DROP') {
      this.drop(pkt, `filter FORWARD ${v.rule ? 'rule' : 'policy'} dropped a bridged packet`, v.rule?.origin ?? v.policy);
      return false;
    }
    if (!this.srcManip(pkt, carried, br, true)) {
      this.drop(pkt, 'dropped in nat POSTROUTING (bridged)');
      return false;
    }
    this.conntrack.confirm(carried.entry);
    return true;
  }

  private deliverLocal(dev: Device, pkt: Ipv4Packet): void {
    const b = pkt.body;
    if (b.proto === IPPROTO_ICMP) {
      if (b.type === ICMP_ECHO) {
        // icmp_echo: the kernel answers from the address asked, with a fresh IP id and no DF.
        const reply: Ipv4Packet = {
          src: pkt.dst,
          dst: pkt.src,
          ttl: 64,
          id: this.world.rng.between(0, 0xffff),
          df: false,
          tos: pkt.tos,
          body: { proto: IPPROTO_ICMP, type: ICMP_ECHO_REPLY, code: 0, id: b.id, seq: b.seq, data: b.data },
        };
        this.world.sched.after(COST.icmpEcho, () => this.output(reply));
      } else if (b.type === ICMP_ECHO_REPLY) {
        this.icmp.get(b.id)?.(pkt);
      } else if (b.type === ICMP_UNREACH && b.code === ICMP_UNREACH_NEEDFRAG && b.quoted !== undefined) {
        this.learnPathMtu(b.quoted, b.seq);
      }
      return;
    }
    if (b.proto === IPPROTO_UDP) {
      const tunnel = b.encapsulated !== undefined ? tunnelFor(this.devices, b.dport, b.encapsulated) : undefined;
      if (tunnel !== undefined) {
        const inner = cloneFrame(b.encapsulated!.frame);
        this.world.sched.after(TUNNEL_COST, () => receive(this.world.link, tunnel, inner));
        return;
      }
      const h = this.udp.get(b.dport);
      if (h !== undefined) h(pkt, b, dev);
      else this.drop(pkt, `no UDP socket on port ${b.dport}`);
      return;
    }
    const key = tcpKey(pkt.dst, b.dport, pkt.src, b.sport);
    const conn = this.tcp.get(key);
    if (conn !== undefined) return conn.segment(pkt, b, dev);
    const l = this.tcpListeners.get(b.dport);
    if (l !== undefined) return l(pkt, b, dev);
    this.drop(pkt, `no TCP socket on port ${b.dport}`);
    if (!(b.flags & TCP_FLAG_RST)) this.world.sched.after(COST.localIn, () => this.output(tcpReset(pkt, b)));
  }

  // Output ----------------------------------------------------------------------------------------

  /**
   * ip_local_out for a locally made packet (src 0 means "choose"). Returns false when there is no
   * route (the program would see ENETUNREACH) or a hook dropped it.
   */
  output(pkt: Ipv4Packet, oif?: Device): boolean {
    let r = this.route(pkt.dst, oif);
    if (r === undefined) {
      this.drop(pkt, `no route to ${ip4String(pkt.dst)} (the sender gets ENETUNREACH)`);
      return false;
    }
    if (pkt.src === 0) pkt.src = this.sourceFor(r, pkt.dst);
    let ct: { entry: CtEntry; dir: 'original' | 'reply' } | undefined;
    if (this.natInUse()) {
      ct = this.conntrack.lookup(pkt);
      if (ct.dir === 'reply') ct.entry.seenReply = true;
      const dst = pkt.dst;
      if (!this.dstManip(pkt, ct, 'OUTPUT')) {
        this.drop(pkt, 'dropped in nat OUTPUT');
        return false;
      }
      // ip_route_me_harder: a rewritten destination is routed again.
      if (pkt.dst !== dst) r = this.route(pkt.dst);
      if (r === undefined) {
        this.drop(pkt, `no route to ${ip4String(pkt.dst)} after DNAT`);
        return false;
      }
    }
    const outDev = r === 'local' ? this.lo : r.dev;
    if (isLoopback4(pkt.src) && r !== 'local' && !this.localnetOk(outDev)) {
      this.drop(pkt, `source ${ip4String(pkt.src)} cannot leave ${outDev.name} (route_localnet is 0)`);
      return false;
    }
    const v = this.filter.run('OUTPUT', this.ctx(pkt, ct, undefined, outDev));
    if (v.kind === 'DROP') {
      this.drop(pkt, `filter OUTPUT ${v.rule ? 'rule' : 'policy'} dropped it`, v.rule?.origin ?? v.policy);
      return false;
    }
    if (ct !== undefined) {
      if (!this.srcManip(pkt, ct, outDev, true)) {
        this.drop(pkt, 'dropped in nat POSTROUTING');
        return false;
      }
      this.conntrack.confirm(ct.entry);
    }
    if (r === 'local') {
      if (ct !== undefined) pkt.ct = { namespace: this.name, entry: ct.entry, dir: ct.dir, prerouted: false };
      transmit(this.world.link, this.lo, { dst: ZERO_MAC, src: ZERO_MAC, payload: { kind: 'ipv4', ip: pkt } });
      return true;
    }
    this.neighOutput(r.dev, r.via ?? pkt.dst, pkt);
    return true;
  }

  /**
   * ip_rt_update_pmtu, then tcp_v4_err: a smaller MTU towards the quoted packet's destination is
   * kept, and the TCP socket that sent the packet shrinks its segments.
   */
  private learnPathMtu(quoted: Ipv4Packet, mtu: number): void {
    if (mtu === 0 || mtu >= this.pathMtu(quoted.dst)) return;
    this.pmtu.set(quoted.dst, mtu);
    const q = quoted.body;
    if (q.proto === IPPROTO_TCP) this.tcp.get(tcpKey(quoted.src, q.sport, quoted.dst, q.dport))?.mtuReduced();
  }

  /** The MTU of the path to `dst`: its route's device's, or less where fragmentation-needed said so. */
  pathMtu(dst: Ip4): number {
    const r = this.route(dst);
    const dev = r === undefined || r === 'local' ? this.lo.mtu : r.dev.mtu;
    return Math.min(dev, this.pmtu.get(dst) ?? dev);
  }

  /** A tunnel device sends: see tunnel.ts. */
  tunnelTransmit(dev: Device, f: EthFrame): void {
    const t = dev.tunnel!;
    const r = this.route(t.remote);
    const pathMtu = r === undefined || r === 'local' ? undefined : r.dev.mtu;
    tunnelTransmit(this.world.link, dev, f, pathMtu, (outer) => this.output(outer), (reason) => this.dropFrame(f, reason));
  }

  /** A frame larger than the MTU of the device it must leave by. */
  dropTooBig(dev: Device, f: EthFrame): void {
    this.dropFrame(f, `a ${l3Length(f)}-byte packet is larger than ${dev.name}'s MTU of ${dev.mtu}`);
  }

  private dropFrame(f: EthFrame, reason: string): void {
    if (f.payload.kind === 'ipv4') this.drop(f.payload.ip, reason);
  }

  /** The MSS a connection to `dst` advertises: the route's MTU less 40 bytes of headers. */
  mssFor(dst: Ip4): number {
    const r = this.route(dst);
    // Loopback shows 65495, one less than its MTU allows: tcp_mss_clamp keeps the MSS below 64 KiB.
    if (r === undefined || r === 'local' || r.dev.kind === 'loopback') return 65495;
    return r.dev.mtu - IPV4_MIN_HEADER_LENGTH - TCP_HEADER_LENGTH;
  }

  // Neighbours ------------------------------------------------------------------------------------

  private neighbour(dev: Device, ip: Ip4): Neighbour | undefined {
    return this.neighbours.get(`${dev.ifindex}/${ip}`);
  }

  private makeNeighbour(dev: Device, ip: Ip4, state: NeighState, mac?: Mac): Neighbour {
    const n: Neighbour = { dev, ip, mac, state, reachableUntil: 0, queue: [], probes: 0, epoch: 0, hh: false };
    this.neighbours.set(`${dev.ifindex}/${ip}`, n);
    return n;
  }

  private neighOutput(dev: Device, hop: Ip4, pkt: Ipv4Packet): void {
    if (dev.kind === 'loopback') {
      transmit(this.world.link, dev, { dst: ZERO_MAC, src: ZERO_MAC, payload: { kind: 'ipv4', ip: pkt } });
      return;
    }
    const now = this.world.sched.now;
    let n = this.neighbour(dev, hop);
    if (n === undefined || n.state === 'failed') {
      n = this.makeNeighbour(dev, hop, 'incomplete');
      n.queue.push(pkt);
      this.solicit(n, pkt.src);
      return;
    }
    if (n.state === 'incomplete') {
      // unres_qlen: a few packets wait for the answer; the oldest are dropped beyond that.
      n.queue.push(pkt);
      if (n.queue.length > 3) n.queue.shift();
      return;
    }
    if (n.state === 'reachable' && now >= n.reachableUntil) n.state = 'stale';
    if (n.state === 'stale') {
      // neigh_event_send on a stale entry: send now, probe the address if nothing confirms it within 5 s.
      n.state = 'delay';
      const epoch = ++n.epoch;
      const entry = n;
      this.world.sched.after(DELAY_FIRST_PROBE, () => {
        if (entry.epoch !== epoch || entry.state !== 'delay') return;
        entry.state = 'probe';
        entry.probes = 0;
        this.solicit(entry, 0);
      });
    }
    n.hh = true;
    this.sendFrame(dev, n.mac as Mac, { kind: 'ipv4', ip: pkt });
  }

  /** An ARP request: broadcast while resolving, unicast to the cached MAC while probing. */
  private solicit(n: Neighbour, hint: Ip4): void {
    const dev = n.dev;
    // arp_solicit (arp_announce 0): the packet's own source when it is ours, else the device's address.
    const spa = hint !== 0 && this.isLocal(hint) && !isLoopback4(hint) ? hint : this.selectAddress(dev, n.ip, SCOPE_LINK);
    const unicast = n.state === 'probe' && n.mac !== undefined;
    const arp: ArpMessage = { op: ARPOP_REQUEST, sha: dev.mac, spa, tha: unicast ? (n.mac as Mac) : ZERO_MAC, tpa: n.ip };
    this.sendFrame(dev, unicast ? (n.mac as Mac) : BROADCAST_MAC, { kind: 'arp', arp });
    n.probes++;
    const epoch = ++n.epoch;
    const state = n.state;
    this.world.sched.after(RETRANS, () => {
      if (n.epoch !== epoch || n.state !== state) return;
      if (n.probes >= PROBES) {
        n.state = 'failed';
        for (const p of n.queue) this.drop(p, `no ARP reply for ${ip4String(n.ip)} on ${dev.name}`);
        n.queue = [];
        return;
      }
      this.solicit(n, spa);
    });
  }

  private sendFrame(dev: Device, dst: Mac, payload: EthFrame['payload']): void {
    transmit(this.world.link, dev, { dst, src: dev.mac, payload });
  }

  /** dst_confirm: a transport saw progress, so the neighbour it used is known reachable. */
  confirmNeighbour(dst: Ip4): void {
    const r = this.route(dst);
    if (r === undefined || r === 'local') return;
    const n = this.neighbour(r.dev, r.via ?? dst);
    if (n === undefined || n.mac === undefined) return;
    n.state = 'reachable';
    n.epoch++;
    n.reachableUntil = this.world.sched.now + this.reachableTime;
  }

  private arpReceive(dev: Device, arp: ArpMessage): void {
    const now = this.world.sched.now;
    if (arp.op === ARPOP_REQUEST) {
      const forUs = this.isLocal(arp.tpa) && !isLoopback4(arp.tpa) && arp.spa !== 0;
      const known = this.neighbour(dev, arp.spa);
      if (forUs) {
        // neigh_event_ns: the asker is cached as stale (a reachable entry with the same MAC stays so).
        if (known === undefined) this.makeNeighbour(dev, arp.spa, 'stale', arp.sha);
        else if (known.mac === undefined || !macEquals(known.mac, arp.sha) || known.state === 'failed' || known.state === 'incomplete') {
          known.mac = arp.sha;
          if (known.state === 'incomplete' || known.state === 'failed') {
            known.state = 'stale';
            this.flush(known);
          } else known.state = 'stale';
        }
        const reply: ArpMessage = { op: ARPOP_REPLY, sha: dev.mac, spa: arp.tpa, tha: arp.sha, tpa: arp.spa };
        this.world.sched.after(COST.arpReply, () => this.sendFrame(dev, arp.sha, { kind: 'arp', arp: reply }));
      } else if (known !== undefined && known.mac !== undefined && !macEquals(known.mac, arp.sha)) {
        known.mac = arp.sha;
      }
      return;
    }
    if (arp.op === ARPOP_REPLY) {
      const n = this.neighbour(dev, arp.spa);
      if (n === undefined) return;
      n.mac = arp.sha;
      n.state = 'reachable';
      n.epoch++;
      n.reachableUntil = now + this.reachableTime;
      this.flush(n);
    }
  }

  private flush(n: Neighbour): void {
    const q = n.queue;
    n.queue = [];
    if (q.length > 0) n.hh = true;
    // The first waiting packet leaves at once, the others one after another (the hairpin recording
    // shows two SYN-ACKs queued on one ARP reply leaving 7 µs apart).
    q.forEach((p, i) => {
      const send = (): void => this.sendFrame(n.dev, n.mac as Mac, { kind: 'ipv4', ip: p });
      if (i === 0) send();
      else this.world.sched.after(i * COST.queued, send);
    });
  }

  /**
   * Resolves the next hop towards `dst` as the first packet there would, without the packet: what a
   * lookup that happened before the captures started leaves behind in both neighbour caches.
   */
  resolveNextHop(dst: Ip4): void {
    const r = this.route(dst);
    if (r === undefined || r === 'local' || r.dev.kind === 'loopback') return;
    const hop = r.via ?? dst;
    if (this.neighbour(r.dev, hop) !== undefined) return;
    this.solicit(this.makeNeighbour(r.dev, hop, 'incomplete'), 0);
  }

  // Sockets ---------------------------------------------------------------------------------------

  /** An ephemeral port (ip_local_port_range 32768-60999) not in use by this namespace. */
  ephemeralPort(inUse: (p: number) => boolean): number {
    for (;;) {
      const p = this.world.rng.between(32768, 60999);
      if (!inUse(p)) return p;
    }
  }

  /** The namespace as the scenario names it in records: `host`, a netns, `container:NAME`, `outside`. */
  get label(): string {
    return this.name;
  }
}

/**
 * tcp_v4_send_reset: the answer to a segment no socket wants. It takes its sequence number from the
 * segment's ACK (so the sender accepts it), or acknowledges the segment when it had no ACK; no
 * options, window 0, IP id 0 with DF.
 */
function tcpReset(pkt: Ipv4Packet, b: TcpBody): Ipv4Packet {
  const hasAck = (b.flags & TCP_FLAG_ACK) !== 0;
  const len = b.data.length + (b.flags & TCP_FLAG_SYN ? 1 : 0) + (b.flags & TCP_FLAG_FIN ? 1 : 0);
  const body: TcpBody = {
    proto: IPPROTO_TCP,
    sport: b.dport,
    dport: b.sport,
    seq: hasAck ? b.ack : 0,
    ack: hasAck ? 0 : (b.seq + len) >>> 0,
    flags: hasAck ? TCP_FLAG_RST : TCP_FLAG_RST | TCP_FLAG_ACK,
    window: 0,
    options: new Uint8Array(0),
    data: new Uint8Array(0),
  };
  return { src: pkt.dst, dst: pkt.src, ttl: 64, id: 0, df: true, tos: 0, body };
}

export function tcpKey(localAddr: Ip4, localPort: number, remoteAddr: Ip4, remotePort: number): string {
  return `${localAddr}:${localPort}>${remoteAddr}:${remotePort}`;
}

function ipOf(text: string): Ip4 {
  const p = text.split('.').map(Number);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function endpointText(a: Ip4, port: number, proto: number): string {
  return proto === IPPROTO_ICMP ? `${ip4String(a)} id ${port}` : `${ip4String(a)}:${port}`;
}

export function packetText(p: Ipv4Packet): string {
  const b = p.body;
  if (b.proto === IPPROTO_ICMP) return `ICMP ${ip4String(p.src)} > ${ip4String(p.dst)} type ${b.type} id ${b.id} seq ${b.seq}`;
  const name = b.proto === IPPROTO_TCP ? 'TCP' : 'UDP';
  return `${name} ${ip4String(p.src)}:${b.sport} > ${ip4String(p.dst)}:${b.dport}`;
}

export { invert, tupleOf };
