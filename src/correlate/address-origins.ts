/**
 * Where each address lives: the interfaces on which its packets were first seen (their origin), as
 * the fates ask it of a journey's destination. A host on the internet meets new addresses for as
 * long as it is captured, so what is kept of them must not grow with the capture:
 *
 * - The interface sets are shared: every address first seen on `eth0` holds the same set, so an
 *   address costs a map entry, not a set of its own.
 * - An address whose packets came in through an uplink and never from a container is forgotten
 *   once it has been silent for a generation (CONNECTION_FACTS_NS of capture time, one to two of
 *   them): the fates ask its origin only whether it lives behind a veth or only behind a bridge, and
 *   for such an address "not known" gives the same answer as what was known. Addresses on this side
 *   of the uplink (containers, a bridge's ports) are kept for the whole capture: there are as many
 *   as the host's networks hold, not as many as the internet.
 *
 * What can differ from remembering everything: an address forgotten and later first seen on a
 * bridge only (its uplink copy not captured) is taken for one behind the bridge.
 */
import type { RoleView } from './fates.js';

export type Origin = ReadonlySet<string>;

export class AddressOrigins {
  private current = new Map<string, Origin>();
  private previous = new Map<string, Origin>();
  /** Each set of interfaces met, by its sorted names. */
  private readonly shared = new Map<string, Origin>();

  /** The interfaces `addr`'s packets were first seen on, if it was seen and is remembered. */
  of(addr: string): Origin | undefined {
    return this.current.get(addr) ?? this.previous.get(addr);
  }

  /** A packet from `addr` was first seen on `iface`. */
  note(addr: string, iface: string): void {
    let origin = this.current.get(addr);
    if (origin === undefined) {
      origin = this.previous.get(addr);
      if (origin !== undefined) {
        this.previous.delete(addr);
        this.current.set(addr, origin);
      }
    }
    if (origin?.has(iface)) return;
    this.current.set(addr, this.with(origin, iface));
  }

  /**
   * Starts a generation: the addresses not seen during the one before are forgotten when the roles
   * known now say they came through an uplink and never from a container.
   */
  age(roles: RoleView): void {
    for (const [addr, origin] of this.previous) if (!forgettable(origin, roles)) this.current.set(addr, origin);
    this.previous = this.current;
    this.current = new Map();
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private with(origin: Origin | undefined, iface: string): Origin {
    const names = origin ? [...origin, iface].sort() : [iface];
    const key = JSON.stringify(names);
    let set = this.shared.get(key);
    if (set === undefined) this.shared.set(key, (set = new Set(names)));
    return set;
  }
}

function forgettable(origin: Origin, roles: RoleView): boolean {
  let uplink = false;
  for (const i of origin) {
    const r = roles.role(i);
    if (r === 'veth' || r === 'container') return false;
    if (r === 'uplink') uplink = true;
  }
  return uplink;
}
