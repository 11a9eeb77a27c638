/**
 * People name machines, not addresses. Names come from what the user told us (`--topology`, the
 * scenario's namespaces) and otherwise the address stands for itself.
 */
import type { Topology } from '../correlate/topology.js';

export class Namer {
  private readonly names = new Map<string, string>();

  constructor(topology?: Topology) {
    for (const [addr, name] of topology?.names ?? []) this.names.set(addr, name);
    for (const a of topology?.hostAddresses ?? []) if (!this.names.has(a)) this.names.set(a, 'host');
  }

  add(addr: string, name: string): void {
    if (!this.names.has(addr)) this.names.set(addr, name);
  }

  /** The bare name, or undefined when nobody named the address. */
  nameOf(addr: string): string | undefined {
    if (addr.startsWith('127.') || addr === '::1') return this.names.get(addr) ?? 'localhost';
    return this.names.get(addr);
  }

  /** "c1 (172.17.0.2)" or "172.17.0.2". */
  label(addr: string): string {
    const n = this.nameOf(addr);
    return n && n !== addr ? `${n} (${addr})` : addr;
  }

  /**
   * As `label`, for an address seen on an interface: a loopback address belongs to the namespace the
   * loopback is in ("c1" for `c1:lo`, the host for `lo`).
   */
  labelAt(addr: string, iface: string): string {
    if ((addr.startsWith('127.') || addr === '::1') && !this.names.has(addr)) {
      const ns = iface.includes(':') ? iface.slice(0, iface.lastIndexOf(':')) : 'host';
      return `${ns} (${addr})`;
    }
    return this.label(addr);
  }

  /** The shortest unambiguous form, for diagram participants: "c1" or the address. */
  short(addr: string): string {
    return this.nameOf(addr) ?? addr;
  }
}
