import type { InterfaceRole, Journey, NatRewrite, Step } from './model.js';
import type { Observation } from './observation.js';
import { addressScope, isLinkScope, isGroupScope, type AddressScope } from './endpoint.js';
import { hostNamesVersion, localInterfaceName } from './hosts.js';

/**
 * Roles from names first (Docker, CNI and common NIC naming), then from behaviour for names that
 * say nothing (a `tcpdump -i any` capture without --iface-map, odd names): the outside of NAT is the
 * uplink, the interface where packets turn from bridged to routed is a bridge, what it bridges with
 * are its ports, and one that carries public addresses and bridges with nothing is an uplink.
 */
const rolesByName = new Map<string, InterfaceRole | undefined>();
/** The hostNamesVersion() the names in rolesByName were read with. */
let namesOfHosts = -1;

/**
 * The role an interface's name says it has, if any. Remembered per name: the hop ordering, the
 * steps and the assembler ask it of every hop, and a capture has few interface names.
 */
export function roleFromName(name: string): InterfaceRole | undefined {
  // Names read differently once other hosts are known (`hostb:eth1`): then start again.
  if (namesOfHosts !== hostNamesVersion()) {
    rolesByName.clear();
    namesOfHosts = hostNamesVersion();
  }
  if (rolesByName.has(name)) return rolesByName.get(name);
  const role = roleOfText(name);
  if (rolesByName.size < 4096) rolesByName.set(name, role);
  return role;
}

function roleOfText(full: string): InterfaceRole | undefined {
  // `hostb:eth1` is what `eth1` is, on hostb.
  const name = localInterfaceName(full);
  const local = name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : name;
  if (name === 'any') return 'any';
  if (local === 'lo') return 'loopback';
  // NS:IFACE names an interface inside a namespace: a container's side.
  if (name.includes(':')) return 'container';
  if (/^(docker\d+|docker_gwbridge|br-[0-9a-f]+|br\d*|cni\d+|cni-podman\d+|virbr\d+|lxcbr\d+|lxdbr\d+|podman\d+|kube-bridge|cbr\d+|weave|bridge\d*)$/.test(local)) return 'bridge';
  if (/^(veth|cali|lxc|vnet)/.test(local)) return 'veth';
  if (/^(eth\d+|en[ospx]\w*|wl\w+|wlan\d+|bond\d+|em\d+|p\d+p\d+|ib\d+)$/.test(local)) return 'uplink';
  return undefined;
}

/** An address a router forwards to one host: private, unique-local or global. */
function isRoutedUnicast(scope: AddressScope): boolean {
  return !isLinkScope(scope) && !isGroupScope(scope);
}

export class RoleInference {
  /** Per interface: 1 when it carried a packet between private addresses, 2 when one with a global end. */
  private readonly carried = new Map<string, number>();
  /** Interfaces each one was seen bridged with (the same frame, same TTL, on both). */
  private readonly bridgedWith = new Map<string, Set<string>>();
  /** Where a journey turns from bridging to routing or back: the bridge, the host's gateway on that link. */
  private readonly pivots = new Set<string>();
  /** The outside of a NAT: where source-NATted packets leave and destination-NATted ones enter. */
  private readonly natOutside = new Set<string>();
  /** Bumped whenever something learnt may change a role, so that callers can cache roles between. */
  version = 0;

  /** Called for every packet: after an interface has carried both kinds, it costs one lookup. */
  observe(o: Observation): void {
    if (o.family === 0) return;
    const mask = this.carried.get(o.iface) ?? 0;
    if (mask === 3) return;
    const src = addressScope(o.src);
    const dst = addressScope(o.dst);
    // Every link carries its own chatter (neighbour discovery, MLD, DHCP, mDNS): it says nothing about
    // where an interface leads, and would make any quiet port look like an uplink.
    if (!isRoutedUnicast(src) || !isRoutedUnicast(dst)) return;
    const kind = src === 'global' || dst === 'global' ? 2 : 1;
    if ((mask & kind) !== 0) return;
    this.carried.set(o.iface, mask | kind);
    this.version++;
  }

  private addOnce(set: Set<string>, name: string): void {
    if (set.has(name)) return;
    set.add(name);
    this.version++;
  }

  /**
   * What the journeys' steps say about each interface. A frame between two ports of a bridge is not
   * seen on the bridge device itself, so "bridges with several interfaces" does not make a bridge;
   * the interface where a packet turns from being bridged to being routed (or back) does. Called
   * for every journey, so the steps are walked without copies unless some are local.
   */
  learnJourney(j: Journey): void {
    const steps = j.steps.some((s) => s.kind === 'local') ? j.steps.filter((s) => s.kind !== 'local') : j.steps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      if (s.kind === 'bridged') {
        this.link(s.from, s.to);
        this.link(s.to, s.from);
      }
      const next = steps[i + 1];
      if (next && next.from === s.to && ((s.kind === 'bridged' && next.kind === 'routed') || (s.kind === 'routed' && next.kind === 'bridged'))) this.addOnce(this.pivots, s.to);
      this.learnNat(s, s.nat);
      this.learnNat(s, s.natAlso);
    }
  }

  private link(a: string, b: string): void {
    let set = this.bridgedWith.get(a);
    if (!set) this.bridgedWith.set(a, (set = new Set()));
    this.addOnce(set, b);
  }

  private learnNat(s: Step, nat: NatRewrite | undefined): void {
    if (nat?.type === 'snat') this.addOnce(this.natOutside, s.to);
    if (nat?.type === 'dnat') this.addOnce(this.natOutside, s.from);
  }

  private isBridge(name: string): boolean {
    const byName = roleFromName(name);
    return byName === 'bridge' || (byName === undefined && this.pivots.has(name) && !this.natOutside.has(name));
  }

  roleOf(name: string, given?: InterfaceRole): { role: InterfaceRole; source: 'name' | 'behaviour' | 'given' } {
    if (given) return { role: given, source: 'given' };
    const byName = roleFromName(name);
    if (byName) return { role: byName, source: 'name' };
    if (this.natOutside.has(name)) return { role: 'uplink', source: 'behaviour' };
    if (this.isBridge(name)) return { role: 'bridge', source: 'behaviour' };
    const peers = this.bridgedWith.get(name);
    // A port of a bridge: bridged with a bridge.
    if (peers && [...peers].some((p) => this.isBridge(p))) return { role: 'veth', source: 'behaviour' };
    if (((this.carried.get(name) ?? 0) & 2) !== 0 && !peers) return { role: 'uplink', source: 'behaviour' };
    return { role: 'unknown', source: 'behaviour' };
  }
}
