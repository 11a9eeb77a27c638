/**
 * Many conversations summed up the way an engineer scans them: who talks to which service, along
 * which path, through which NAT, and how it went. Fed one flow at a time, so that it covers every
 * flow of a capture of any size.
 */
import { addressOf } from '../correlate/endpoint.js';
import type { Flow, Journey } from '../correlate/model.js';
import { mdCell, mdCode } from './escape.js';

/** Rows of the table a person reads. */
const MAX_GLANCE_ROWS = 30;

/** What a flow's journeys add to its row. */
export interface FlowTraffic {
  dropped: number;
  retransmissions: number;
  /**
   * The interfaces of its request with the most hops (the path its row shows): none when all had
   * one. Names, not the hops: a report keeps this for every conversation still open.
   */
  longest?: string[];
}

/** Counts journey `j` of a flow into its traffic. */
export function noteJourney(t: FlowTraffic, j: Journey): void {
  if (j.fate === 'dropped') t.dropped++;
  if (j.retransmission) t.retransmissions++;
  if (!j.isReply && j.hops.length > (t.longest?.length ?? 1)) t.longest = j.hops.map((h) => h.interface);
}

interface GlanceRow {
  n: number;
  packets: number;
  bytes: number;
  dropped: number;
  retrans: number;
  servers: Set<string>;
  client: string;
  service: string;
  path: string;
  nat: string;
}

export class GlanceTable {
  private readonly rows = new Map<string, GlanceRow>();
  private flows = 0;

  add(f: Flow, t: FlowTraffic): void {
    this.flows++;
    const path = t.longest ? t.longest.join(' -> ') : '';
    const port = f.server.slice(f.server.lastIndexOf(':') + 1);
    const service = f.protocol === 'tcp' || f.protocol === 'udp' ? `${f.protocol}/${port}` : f.protocol;
    const nat = [...new Set(f.translations.map((x) => `${x.type.toUpperCase()} on ${x.interface}`))].join(', ') || 'none';
    const client = addressOf(f.client);
    const key = `${client}|${service}|${path}|${nat}`;
    let r = this.rows.get(key);
    if (!r) this.rows.set(key, (r = { n: 0, packets: 0, bytes: 0, dropped: 0, retrans: 0, servers: new Set(), client, service, path, nat }));
    r.n++;
    r.packets += f.packets;
    r.bytes += f.bytes;
    r.dropped += t.dropped;
    r.retrans += t.retransmissions;
    r.servers.add(addressOf(f.server));
  }

  /** The section, largest groups first. */
  markdown(): string[] {
    const sorted = [...this.rows.values()].sort((x, y) => y.packets - x.packets);
    return [
      '## At a glance',
      '',
      `${this.flows} conversations, grouped by client, service, path and NAT (largest first):`,
      '',
      '| client | service | servers | conversations | path | NAT | packets | bytes | dropped | retransmitted |',
      '|---|---|---:|---:|---|---|---:|---:|---:|---:|',
      ...sorted.slice(0, MAX_GLANCE_ROWS).map(
        (r) =>
          `| ${mdCode(r.client, true)} | ${mdCell(r.service)} | ${r.servers.size} | ${r.n} | ${r.path ? mdCode(r.path, true) : ''} | ${mdCell(r.nat)} | ${r.packets} | ${r.bytes} | ${r.dropped} | ${r.retrans} |`,
      ),
      ...(sorted.length > MAX_GLANCE_ROWS ? ['', `And ${sorted.length - MAX_GLANCE_ROWS} smaller groups.`] : []),
    ];
  }
}

/** The table of every flow of an analysis that holds all of its journeys. */
export function glanceOf(flows: readonly Flow[], journeys: readonly Journey[]): GlanceTable {
  const byFlow = new Map<number, FlowTraffic>();
  for (const j of journeys) {
    if (j.flow === undefined) continue;
    let t = byFlow.get(j.flow);
    if (!t) byFlow.set(j.flow, (t = { dropped: 0, retransmissions: 0 }));
    noteJourney(t, j);
  }
  const table = new GlanceTable();
  for (const f of flows) table.add(f, byFlow.get(f.id) ?? { dropped: 0, retransmissions: 0 });
  return table;
}
