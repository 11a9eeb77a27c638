/**
 * What the user told us about the host (`--topology FILE`): names for addresses and the host's own
 * addresses. Parsed from `ip -j addr`, `ip -j route`, `iptables-save` and `docker network inspect`.
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
}

export function emptyTopology(): Topology {
  return { hostAddresses: [], names: new Map(), interfaceAddresses: new Map(), natRules: [] };
}
