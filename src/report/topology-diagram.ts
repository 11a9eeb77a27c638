/**
 * The topology as the captures reveal it: interfaces grouped by where they live (the host, each
 * container namespace), the links packets were seen to cross between them (bridged, routed), the
 * addresses that spoke behind each interface, the outside beyond the uplink, and NAT marked on the
 * link where it happened.
 */
import type { Analysis, InterfaceRole } from '../correlate/model.js';
import type { FlowchartDiagram, FlowEdge, FlowGroup, FlowNode } from './mermaid.js';
import { addressOf, addressScope } from '../correlate/endpoint.js';
import { isReversal } from '../correlate/nat-table.js';
import type { HopsOf } from './facts.js';
import type { Namer } from './names.js';

const MAX_ADDRESSES = 14;

export function topologyDiagram(analysis: Analysis, hopsOf: HopsOf, names: Namer): FlowchartDiagram | undefined {
  if (analysis.interfaces.length === 0) return undefined;
  const role = new Map(analysis.interfaces.map((i) => [i.name, i.role]));
  const { groups, nodes } = interfaceNodes(analysis);
  const edges = linkEdges(analysis, role);
  const { origin, remote } = speakers(analysis, hopsOf, role, names);
  let shown = 0;
  for (const [addr, iface] of origin) {
    if (shown >= MAX_ADDRESSES || remote.has(addr)) continue;
    const r = role.get(iface);
    if (r === 'uplink' || r === 'bridge') continue;
    // An address behind a host-side veth lives in a container, outside the host's box.
    const group = r === 'veth' ? undefined : nodes.find((n) => n.key === `if:${iface}`)?.group;
    nodes.push({ key: `addr:${addr}`, label: names.label(addr), shape: 'round', group });
    edges.push({ from: `addr:${addr}`, to: `if:${iface}`, dotted: true });
    shown++;
  }
  const uplinks = analysis.interfaces.filter((i) => i.role === 'uplink').map((i) => i.name);
  if (uplinks.length > 0 || remote.size > 0) {
    const list = [...remote].slice(0, 4).map((a) => names.label(a));
    nodes.push({ key: 'outside', label: `outside${list.length > 0 ? `: ${list.join(', ')}${remote.size > 4 ? ` and ${remote.size - 4} more` : ''}` : ''}`, shape: 'cylinder' });
    for (const u of uplinks) edges.push({ from: `if:${u}`, to: 'outside' });
  }
  return { direction: 'LR', groups, nodes, edges };
}

/** Each interface, in the box of the namespace (or the host) it lives in. */
function interfaceNodes(analysis: Analysis): { groups: FlowGroup[]; nodes: FlowNode[] } {
  const groups: FlowGroup[] = [];
  const nodes: FlowNode[] = [];
  const groupOf = (key: string, label: string): string => {
    if (!groups.some((g) => g.key === key)) groups.push({ key, label });
    return key;
  };
  // With captures from several hosts, every interface is HOST:IFACE: one box a host.
  const hosts = new Set(analysis.hosts.length > 1 ? analysis.hosts.map((h) => h.name) : []);
  for (const i of analysis.interfaces) {
    const ns = i.name.includes(':') ? i.name.slice(0, i.name.lastIndexOf(':')) : undefined;
    const group =
      ns !== undefined && hosts.has(ns) ? groupOf(`host:${ns}`, `host ${ns}`) : ns !== undefined ? groupOf(`ns:${ns}`, `namespace ${ns}`) : i.role === 'any' ? undefined : groupOf('host', 'host');
    const shape = i.role === 'bridge' ? 'stadium' : i.role === 'uplink' ? 'round' : 'box';
    nodes.push({ key: `if:${i.name}`, label: `${i.name} (${i.role})`, shape, group });
  }
  return { groups, nodes };
}

/** Links packets crossed, each once, with the NAT seen on it. */
function linkEdges(analysis: Analysis, role: Map<string, InterfaceRole>): FlowEdge[] {
  const links = new Map<string, { from: string; to: string; kinds: Set<string>; nat: Set<string> }>();
  const flowById = new Map(analysis.flows.map((f) => [f.id, f]));
  for (const j of analysis.journeys) {
    for (const s of j.steps) {
      if (s.kind === 'local' || !role.has(s.from) || !role.has(s.to)) continue;
      const [a, b] = s.from < s.to ? [s.from, s.to] : [s.to, s.from];
      const key = `${a}|${b}`;
      let l = links.get(key);
      if (!l) links.set(key, (l = { from: s.from, to: s.to, kinds: new Set(), nat: new Set() }));
      l.kinds.add(s.kind);
      // By address: the ports conntrack picks differ per connection, the rule behind them does not.
      // An answer's rewrite is conntrack undoing the rule, and so is any packet of the server's direction.
      if (s.nat && !j.isReply && !isReversal(s.nat, j.flow === undefined ? undefined : flowById.get(j.flow))) l.nat.add(`${s.nat.type.toUpperCase()} to ${addressOf(s.nat.after)}`);
    }
  }
  const edges: FlowEdge[] = [];
  for (const l of links.values()) {
    const natText = [...l.nat].slice(0, 2).join(', ') + (l.nat.size > 2 ? ` and ${l.nat.size - 2} more` : '');
    edges.push({ from: `if:${l.from}`, to: `if:${l.to}`, label: [[...l.kinds].join('/'), natText].filter(Boolean).join(': ') });
  }
  return edges;
}

/**
 * Who spoke behind which interface: the interface where an address's packets were first seen
 * (`origin`), and the hosts beyond the uplink (`remote`).
 */
function speakers(analysis: Analysis, hopsOf: HopsOf, role: Map<string, InterfaceRole>, names: Namer): { origin: Map<string, string>; remote: Set<string> } {
  const origin = new Map<string, string>();
  const remote = new Set<string>();
  for (const j of analysis.journeys) {
    const o = hopsOf(j)[0];
    if (!o || o.family === 0) continue;
    const r = role.get(o.iface);
    // A sender without an address yet (DHCP, DAD, MLD from ::) is nobody's node.
    const srcScope = addressScope(o.src);
    if (r === 'uplink' && srcScope === 'global') remote.add(o.src);
    else if (srcScope !== 'unspecified' && !origin.has(o.src)) origin.set(o.src, o.iface);
    const last = hopsOf(j).at(-1);
    // Where a packet ended on the uplink it went out to a remote host, unless it was addressed to the
    // host itself, or to a group or the link (neighbour discovery, MLD): those are no remote hosts.
    if (last && role.get(last.iface) === 'uplink' && addressScope(last.dst) === 'global' && names.nameOf(last.dst) !== 'host') remote.add(last.dst);
  }
  return { origin, remote };
}
