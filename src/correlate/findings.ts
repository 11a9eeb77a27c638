import type { Finding, Flow, Journey, InterfaceInfo } from './model.js';
import type { Observation } from './observation.js';
import { isPrivateAddress } from './endpoint.js';
import { requestKind } from './answers.js';
import { plural } from './plural.js';

export interface FindingInput {
  journeys: Journey[];
  hopsOf: (j: Journey) => Observation[];
  flows: Flow[];
  roles: Map<string, InterfaceInfo>;
  /** SYNs to the host's own address, sent again and met with neither a SYN-ACK nor a RST. */
  silentlyDropped?: Set<number>;
}

/**
 * The words that tell a silently dropped SYN from the other drops in a `dropped-at-host` message;
 * reports pick their advice by them.
 */
export const SILENT_DROP_WORDS = 'not even the RST a closed port sends';

/** Groups journeys by a key so that one finding speaks for every packet with the same story. */
function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export function findingsOf(input: FindingInput): Finding[] {
  const out: Finding[] = [];
  const { journeys, hopsOf, flows, roles } = input;
  const role = (iface: string): string => roles.get(iface)?.role ?? 'unknown';

  // Journeys by flow, once: every per-flow question below is then a lookup, not a scan.
  const byFlow = new Map<number, Journey[]>();
  for (const j of journeys) {
    if (j.flow === undefined) continue;
    const list = byFlow.get(j.flow);
    if (list) list.push(j);
    else byFlow.set(j.flow, [j]);
  }
  const dropped = journeys.filter((j) => j.fate === 'dropped');
  for (const [, group] of groupBy(dropped, (j) => `${j.kind}|${j.hops[0].src}|${j.hops[0].dst}|${j.hops[j.hops.length - 1].interface}`)) {
    const j = group[0];
    const last = j.hops[j.hops.length - 1];
    const entered = j.hops.map((h) => h.interface).join(' -> ');
    if (input.silentlyDropped?.has(j.id)) {
      out.push({
        code: 'dropped-at-host',
        severity: 'error',
        message:
          `${plural(group.length, 'TCP SYN')} from ${last.src} to the host's own address ${last.dst} (port ${hopsOf(j)[0]?.dport ?? '?'}) entered the host (${entered}): ` +
          `no answer came back, ${SILENT_DROP_WORDS}, so a filter dropped ${group.length === 1 ? 'it' : 'them'} silently, ` +
          `in INPUT, or in FORWARD after the DNAT of a published port (nothing was seen leaving towards a container).`,
        journeys: group.map((g) => g.id),
      });
      continue;
    }
    const uplinks = [...roles.values()].filter((r) => r.role === 'uplink').map((r) => r.name);
    // When other packets of the same conversation crossed the host, forwarding is on: something
    // selective (a filter with a statistic or rate match, a full queue) dropped these ones.
    const flowIds = new Set(group.flatMap((g) => (g.flow !== undefined ? [g.flow] : [])));
    const siblingsGotThrough = [...flowIds].some((id) => (byFlow.get(id) ?? []).some((o) => o.fate !== 'dropped' && o.hops.length > 1));
    const why = siblingsGotThrough
      ? 'other packets of the same connection crossed the host, so forwarding is on: a selective filter rule (iptables FORWARD DROP with a statistic, rate or state match) dropped these'
      : 'ip_forward is probably 0 on the host, or a filter (iptables FORWARD policy DROP) dropped it';
    out.push({
      code: 'dropped-at-host',
      severity: 'error',
      message:
        `${plural(group.length, `${j.kind.toUpperCase()} packet`)} from ${last.src} to ${last.dst} entered the host (${entered}) ` +
        (role(last.interface) === 'uplink'
          ? `and never left towards the container that conntrack's NAT binding hands ${group.length === 1 ? 'it' : 'them'} to: ${why}.`
          : `and never left${uplinks.length > 0 ? ` through ${uplinks.join(', ')}` : ''}, where routing would send ${group.length === 1 ? 'it' : 'them'}: ${why}.`),
      journeys: group.map((g) => g.id),
    });
  }

  const leaks: Journey[] = journeys.filter((j) =>
    j.hops.some((h) => role(h.interface) === 'uplink' && isPrivateAddress(h.src) && !isPrivateAddress(h.dst)),
  );
  for (const [, group] of groupBy(leaks, (j) => {
    const h = j.hops.find((x) => role(x.interface) === 'uplink')!;
    return `${h.src}|${h.interface}`;
  })) {
    const h = group[0].hops.find((x) => role(x.interface) === 'uplink')!;
    out.push({
      code: 'unnatted-private-source',
      severity: 'error',
      message:
        `${plural(group.length, 'packet')} left the uplink ${h.interface} with the private source ${h.src}: no MASQUERADE or SNAT rule ` +
        `translated ${group.length === 1 ? 'it' : 'them'}, so the far side cannot route an answer back (check iptables -t nat -L POSTROUTING).`,
      journeys: group.map((g) => g.id),
    });
  }

  for (const f of flows) {
    if (!f.retransmissions) continue;
    const ids = (byFlow.get(f.id) ?? []).filter((j) => j.retransmission).map((j) => j.id);
    out.push({
      code: 'retransmission',
      severity: 'warning',
      message:
        `${plural(f.retransmissions, 'TCP segment')} of the connection ${f.client} -> ${f.server} ${f.retransmissions === 1 ? 'was' : 'were'} sent again on the same interface: ` +
        `true retransmissions, the first copy was lost or not acknowledged in time.`,
      journeys: ids,
      flows: [f.id],
    });
  }

  const unanswered = journeys.filter((j) => {
    if (j.fate === 'answered' || j.fate === 'dropped') return false;
    const first = hopsOf(j)[0];
    return first !== undefined && requestKind(first) !== undefined;
  });
  for (const [, group] of groupBy(unanswered, (j) => `${j.kind}|${j.flow ?? j.hops[0].dst}`)) {
    const j = group[0];
    const first = hopsOf(j)[0];
    const what =
      requestKind(first) === 'arp'
        ? `ARP request for ${first.dst}`
        : requestKind(first) === 'echo'
          ? 'ICMP echo request'
          : requestKind(first) === 'syn'
            ? 'TCP SYN'
            : 'DNS query';
    const last = j.hops[j.hops.length - 1];
    out.push({
      code: 'no-reply',
      severity: 'warning',
      message: `${plural(group.length, what)} from ${j.hops[0].src} to ${j.hops[0].dst} got no answer in the captures (last seen on ${last.interface}).`,
      journeys: group.map((g) => g.id),
      ...(j.flow !== undefined ? { flows: [j.flow] } : {}),
    });
  }
  return out;
}
