import { isIP } from 'node:net';
import type { Scenario, Step } from '../scenario/types.js';

/** The documentation prefixes (RFC 5737) the outside may play; a lab never sends to anything else beyond the host. */
const DOC_PREFIXES: [number, number][] = [
  [ipv4(('192.0.2.0')), 24],
  [ipv4('198.51.100.0'), 24],
  [ipv4('203.0.113.0'), 24],
];

function ipv4(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function inPrefix(address: string, net: string, len: number): boolean {
  const size = 2 ** (32 - len);
  return Math.floor(ipv4(address) / size) === Math.floor(ipv4(net) / size);
}

export function isDocumentation(address: string): boolean {
  return isIP(address) === 4 && DOC_PREFIXES.some(([net, len]) => Math.floor(ipv4(address) / 2 ** (32 - len)) === Math.floor(net / 2 ** (32 - len)));
}

function isLoopback(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

/** Where traffic steps and tunnels send packets: addresses, and names to be resolved. */
function destinations(step: Step): string[] {
  switch (step.kind) {
    case 'ping':
      return [step.destination];
    case 'curl':
      return [step.host];
    case 'dig':
      return step.server === undefined ? [] : [step.server];
    case 'nslookup':
      return step.server === undefined ? [] : [step.server];
    case 'tunnel-add':
      // Every packet the tunnel carries goes to its remote.
      return [step.remote];
    default:
      return [];
  }
}

export interface AddressPlan {
  /** Addresses the scenario gives its own namespaces (ip addr add, @uplink, serve listeners). */
  assigned: Set<string>;
  /** Documentation addresses the outside namespace takes on, so that it answers them. */
  outside: string[];
}

/**
 * Checks that every traffic destination exists in the run's namespaces: an address the scenario
 * assigns, loopback, or a documentation address the outside takes on. Returns the line and reason of
 * the first that does not.
 */
export function planAddresses(scenario: Scenario): AddressPlan | { line: number; reason: string } {
  const assigned = new Set<string>();
  const names = new Map<string, string[]>();
  for (const step of scenario.steps) {
    if (step.kind === 'addr-add') assigned.add(step.address.address);
    if (step.kind === 'uplink') {
      assigned.add(step.address.address);
      assigned.add(step.gateway);
    }
    if (step.kind === 'dns') names.set(step.name.toLowerCase(), [...(names.get(step.name.toLowerCase()) ?? []), step.address]);
    if (step.kind === 'serve-dns') {
      for (const r of step.records) names.set(r.name.toLowerCase(), [...(names.get(r.name.toLowerCase()) ?? []), r.address]);
    }
  }
  const outside = new Set<string>();
  const allow = (address: string): boolean => {
    if (assigned.has(address) || isLoopback(address)) return true;
    if (isDocumentation(address)) {
      outside.add(address);
      return true;
    }
    return false;
  };
  for (const step of scenario.steps) {
    if (step.kind === 'dns' && !allow(step.address)) {
      return { line: step.line, reason: `@dns ${step.name} ${step.address}: the outside answers only documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) or the scenario's own` };
    }
    for (const dest of destinations(step)) {
      if (isIP(dest) === 0) {
        if (dest.toLowerCase() === 'localhost' || names.has(dest.toLowerCase())) continue;
        return { line: step.line, reason: `lab resolves only names of @dns or serve dns lines; '${dest}' is neither` };
      }
      if (!allow(dest)) {
        return {
          line: step.line,
          reason: `${dest} is not an address of this scenario's namespaces nor a documentation address the outside plays (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24): lab sends packets only inside its own namespaces`,
        };
      }
    }
  }
  for (const a of assigned) outside.delete(a);
  return { assigned, outside: [...outside] };
}
