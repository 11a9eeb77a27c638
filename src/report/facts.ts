/**
 * Numbers a story's narrative and diagram both need, computed once from its journeys: who is the
 * client, which packets went which way, round trips, the data phase of a transfer.
 */
import { addressOf } from '../correlate/endpoint.js';
import type { Flow, Journey, NatRewrite, Step } from '../correlate/model.js';
import type { Observation } from '../correlate/observation.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../correlate/observation.js';
import type { Story } from './stories.js';

export type HopsOf = (j: Journey) => Observation[];

/**
 * The client's side of a conversation, on every side of the NAT it crossed: by endpoint (address and
 * port) where there are ports, since both ends of a loopback connection share one address.
 */
export class ClientSide {
  private readonly endpoints = new Set<string>();
  private readonly addresses = new Set<string>();

  constructor(flows: Flow[]) {
    for (const f of flows) {
      this.endpoints.add(f.client);
      this.addresses.add(addressOf(f.client));
      for (const t of f.translations) {
        if (t.type === 'snat' && (this.endpoints.has(t.before) || this.addresses.has(t.before))) {
          this.endpoints.add(t.after);
          this.addresses.add(addressOf(t.after));
        }
      }
    }
  }

  /** True when `o` was sent by the client. */
  sent(o: Observation): boolean {
    if (o.sport !== undefined) {
      const ep = o.src.includes(':') ? `[${o.src}]:${o.sport}` : `${o.src}:${o.sport}`;
      return this.endpoints.has(ep);
    }
    return this.addresses.has(o.src);
  }
}

export function clientAddresses(flows: Flow[]): ClientSide {
  return new ClientSide(flows);
}

export function fromClient(j: Journey, clients: ClientSide, hopsOf: HopsOf): boolean {
  const o = hopsOf(j)[0];
  return o !== undefined && clients.sent(o) && !j.isReply;
}

export function natsOf(j: Journey): { step: Step; nat: NatRewrite }[] {
  const out: { step: Step; nat: NatRewrite }[] = [];
  for (const s of j.steps) {
    if (s.nat) out.push({ step: s, nat: s.nat });
    if (s.natAlso) out.push({ step: s, nat: s.natAlso });
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Request-to-answer times measured on the interface closest to the asker (where both were seen). */
export function roundTrips(journeys: Journey[], byId: Map<number, Journey>, hopsOf: HopsOf): number[] {
  const out: number[] = [];
  for (const j of journeys) {
    if (j.answeredBy === undefined) continue;
    const answer = byId.get(j.answeredBy);
    if (!answer) continue;
    const req = hopsOf(j)[0];
    const back = hopsOf(answer).find((h) => h.iface === req.iface) ?? hopsOf(answer).at(-1);
    if (req && back && back.t >= req.t) out.push(back.t - req.t);
  }
  return out.sort((a, b) => a - b);
}

export interface TcpPhases {
  syn?: Journey;
  synAck?: Journey;
  handshakeAck?: Journey;
  request?: Journey;
  response?: Journey;
  /** Segments carrying data, each direction. */
  dataFromClient: Journey[];
  dataFromServer: Journey[];
  bytesFromClient: number;
  bytesFromServer: number;
  pureAcks: number;
  fins: Journey[];
  rsts: Journey[];
  retransmissions: Journey[];
  /** The retransmissions that are the SYN sent again (a connection that never opened). */
  synRetries: Journey[];
  dataStartNs?: number;
  dataEndNs?: number;
}

export function tcpPhases(journeys: Journey[], clients: ClientSide, hopsOf: HopsOf): TcpPhases {
  const p: TcpPhases = { dataFromClient: [], dataFromServer: [], bytesFromClient: 0, bytesFromServer: 0, pureAcks: 0, fins: [], rsts: [], retransmissions: [], synRetries: [] };
  for (const j of journeys) {
    const o = hopsOf(j)[0];
    if (!o || o.kind !== 'tcp') continue;
    const f = o.tcpFlags ?? 0;
    const client = clients.sent(o);
    if (j.retransmission) p.retransmissions.push(j);
    if ((f & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      p.syn ??= j;
      if (j.retransmission) p.synRetries.push(j);
    }
    else if ((f & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) p.synAck ??= j;
    if (f & TCP_RST) p.rsts.push(j);
    if (f & TCP_FIN) p.fins.push(j);
    // A retransmitted segment carries bytes already counted once.
    if (o.payloadLen > 0 && !(f & TCP_SYN) && !j.retransmission) {
      const http = o.httpText;
      if (http && !http.startsWith('HTTP/')) p.request ??= j;
      if (http && http.startsWith('HTTP/')) p.response ??= j;
      if (client) {
        p.dataFromClient.push(j);
        p.bytesFromClient += o.payloadLen;
      } else {
        p.dataFromServer.push(j);
        p.bytesFromServer += o.payloadLen;
      }
      p.dataStartNs ??= o.t;
      p.dataEndNs = o.t;
    } else if (!(f & (TCP_SYN | TCP_FIN | TCP_RST))) {
      if (p.synAck && !p.handshakeAck && client && p.dataFromClient.length === 0) p.handshakeAck = j;
      else p.pureAcks += 1;
    }
  }
  return p;
}

/** "1.2 MB", "300 kB", "512 bytes" (decimal units, as network people count). */
export function bytesText(n: number): string {
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** "94.1 Mbit/s". */
export function rateText(bytes: number, ns: number): string {
  if (ns <= 0) return 'too fast to measure';
  const bits = (bytes * 8 * 1e9) / ns;
  if (bits < 1e6) return `${(bits / 1e3).toFixed(1)} kbit/s`;
  if (bits < 1e9) return `${(bits / 1e6).toFixed(1)} Mbit/s`;
  return `${(bits / 1e9).toFixed(2)} Gbit/s`;
}

export function storyJourneysById(story: Story): Map<number, Journey> {
  return new Map([...story.journeys, ...story.arp, ...story.dns].map((j) => [j.id, j]));
}
