import type { InterfaceRole } from './model.js';
import type { Observation } from './observation.js';
import { isPrivateAddress } from './endpoint.js';

/**
 * Roles from names first (Docker, CNI and common NIC naming), then from behaviour for names that
 * say nothing: an interface that carries public addresses is an uplink.
 */
export function roleFromName(name: string): InterfaceRole | undefined {
  const local = name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : name;
  if (name === 'any') return 'any';
  if (local === 'lo') return 'loopback';
  // NS:IFACE names an interface inside a namespace: a container's side.
  if (name.includes(':')) return 'container';
  if (/^(docker\d+|br-[0-9a-f]+|br\d*|cni\d+|virbr\d+|lxcbr\d+|lxdbr\d+|podman\d+|kube-bridge|cbr\d+|bridge\d*)$/.test(local)) return 'bridge';
  if (/^(veth|cali|lxc|vnet)/.test(local)) return 'veth';
  if (/^(eth\d+|en[ospx]\w*|wl\w+|wlan\d+|bond\d+|em\d+|p\d+p\d+|ib\d+)$/.test(local)) return 'uplink';
  return undefined;
}

export class RoleInference {
  private readonly publicSeen = new Map<string, number>();
  private readonly privateSeen = new Map<string, number>();

  observe(o: Observation): void {
    if (o.family === 0) return;
    const bothPrivate = (isPrivateAddress(o.src) || o.src.startsWith('127.')) && (isPrivateAddress(o.dst) || o.dst.startsWith('127.'));
    const map = bothPrivate ? this.privateSeen : this.publicSeen;
    map.set(o.iface, (map.get(o.iface) ?? 0) + 1);
  }

  roleOf(name: string, given?: InterfaceRole): { role: InterfaceRole; source: 'name' | 'behaviour' | 'given' } {
    if (given) return { role: given, source: 'given' };
    const byName = roleFromName(name);
    if (byName) return { role: byName, source: 'name' };
    if ((this.publicSeen.get(name) ?? 0) > 0) return { role: 'uplink', source: 'behaviour' };
    return { role: 'unknown', source: 'behaviour' };
  }
}
