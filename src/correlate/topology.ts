/**
 * What the user told us about the host (`--topology FILE`): names for addresses, the host's own
 * addresses and its interfaces' MTUs. Parsed from `ip -j addr`, `ip -j link` (`-d` adds the device
 * kind), `ip -j route`, `iptables-save` and `docker network inspect`.
 */
export interface Topology {
  /** Addresses that belong to the host (its uplink, its bridges). */
  hostAddresses: string[];
  /** Address -> a person's name for it (a container's name, "host"). */
  names: Map<string, string>;
  /** Interface -> its addresses with prefix length (from `ip -j addr`). */
  interfaceAddresses: Map<string, string[]>;
  /** iptables-save lines of the nat table, for diff's explanations. */
  natRules: string[];
  /** Interface -> its MTU (from `ip -j link` or `ip -j addr`). */
  mtus: Map<string, number>;
  /** Interface -> its device kind where `ip -j -d link` tells it (`vxlan`, `geneve`, `veth`, `bridge`). */
  kinds: Map<string, string>;
}

export function emptyTopology(): Topology {
  return { hostAddresses: [], names: new Map(), interfaceAddresses: new Map(), natRules: [], mtus: new Map(), kinds: new Map() };
}

interface IpLinkJson {
  ifname?: string;
  mtu?: number;
  linkinfo?: { info_kind?: string };
}

interface IpAddrJson extends IpLinkJson {
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

interface DockerNetworkJson {
  Name?: string;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
  Containers?: Record<string, { Name?: string; IPv4Address?: string; IPv6Address?: string; MacAddress?: string }>;
  Options?: Record<string, string>;
}

/** Which of the supported outputs a text is, or why it is none of them. */
export function topologyKind(text: string): 'ip-addr' | 'ip-link' | 'ip-route' | 'docker-network' | 'iptables-save' | undefined {
  const t = text.trimStart();
  if (t.startsWith('#') || t.startsWith('*') || /^:?\w+ \w+ \[\d+:\d+\]/m.test(t)) return 'iptables-save';
  if (!t.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const first = value[0] as Record<string, unknown>;
  if ('addr_info' in first) return 'ip-addr';
  // ip -j link: the same interface records without addresses.
  if ('ifname' in first) return 'ip-link';
  if ('IPAM' in first || 'Containers' in first) return 'docker-network';
  if ('dst' in first) return 'ip-route';
  return undefined;
}

/** Adds what one file says to `topo`. Throws an Error with a reason when the text is none of the formats. */
export function addTopology(topo: Topology, text: string, source: string): void {
  const kind = topologyKind(text);
  if (kind === undefined) {
    throw new Error(`${source}: not the output of ip -j addr, ip -j link, ip -j route, iptables-save or docker network inspect`);
  }
  if (kind === 'iptables-save') {
    let table = '';
    for (const line of text.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1).trim();
      else if (table === 'nat' && line.startsWith('-A ')) topo.natRules.push(line.trim());
    }
    return;
  }
  const value = JSON.parse(text) as unknown[];
  if (kind === 'ip-addr' || kind === 'ip-link') {
    for (const item of value as IpLinkJson[]) {
      if (!item.ifname) continue;
      if (typeof item.mtu === 'number' && item.mtu > 0) topo.mtus.set(item.ifname, item.mtu);
      if (typeof item.linkinfo?.info_kind === 'string') topo.kinds.set(item.ifname, item.linkinfo.info_kind);
    }
  }
  if (kind === 'ip-addr') {
    for (const item of value as IpAddrJson[]) {
      const addrs = (item.addr_info ?? []).filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen ?? (a.family === 'inet6' ? 128 : 32)}`);
      if (!item.ifname) continue;
      topo.interfaceAddresses.set(item.ifname, addrs);
      for (const a of item.addr_info ?? []) {
        if (!a.local) continue;
        topo.hostAddresses.push(a.local);
        if (!topo.names.has(a.local)) topo.names.set(a.local, `host (${item.ifname})`);
      }
    }
    return;
  }
  if (kind === 'docker-network') {
    for (const net of value as DockerNetworkJson[]) {
      for (const c of net.IPAM?.Config ?? []) if (c.Gateway) topo.hostAddresses.push(c.Gateway);
      for (const c of Object.values(net.Containers ?? {})) {
        for (const a of [c.IPv4Address, c.IPv6Address]) {
          if (a && c.Name) topo.names.set(a.split('/')[0], c.Name);
        }
      }
    }
  }
  // ip -j route adds nothing the correlator uses yet beyond what ip -j addr gives; accepted so that
  // users can pass the set of files the README suggests.
}
