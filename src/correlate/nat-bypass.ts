import type { Finding, Flow, NatRewrite } from './model.js';
import { TCP_ACK, TCP_RST, TCP_SYN, type Observation } from './observation.js';
import { addressOf, endpoint } from './endpoint.js';
import { labelOf } from './groups.js';
import { plural } from './plural.js';
import { roleFromName } from './roles.js';
import { FindingPart, type FindingHandler } from './findings.js';
import type { JourneyWork } from './journey-work.js';

const BRIDGE_NF_FIX = 'sysctl -w net.bridge.bridge-nf-call-iptables=1';

/** One end of a tuple as the hops carry it: compared field by field, no text built per journey. */
interface End {
  addr: string;
  port?: number;
}

function isFrom(h: Observation, from: End, to: End): boolean {
  return h.src === from.addr && h.sport === from.port && h.dst === to.addr && h.dport === to.port;
}

/** A flow whose client's packets were destination-NATed: what its answers must come back as. */
interface Translated {
  dnat: NatRewrite;
  /** Where the client's first packet was first seen, still addressed to `dnat.before`. */
  clientIface: string;
  client: string;
  clientEnd: End;
  /** `dnat.after`: where the client's packets really went. */
  serverEnd: End;
  /** Answers that reached `clientIface` untranslated, and the resets the client sent them. */
  bypassed: number[];
  /** The bridge the first bypassed answer crossed. */
  bridge?: string;
  /** What the bypassed answers were ("TCP SYN-ACK"). */
  labels: Set<string>;
  /** The acknowledgement number of each bypassed TCP answer: the client's reset carries it as its sequence number. */
  awaitingReset: Map<number, number>;
  resets: number[];
  /** The client's SYNs of the flow (each answered the same way when it was sent again). */
  syns: number;
}

/**
 * `nat-bypassed`: an answer that reached the client without the reverse translation its connection
 * needed. A hairpin connection (a container calling a neighbour on its own bridge through the
 * host's published address) is DNATed by the host, but without br_netfilter the neighbour's answer
 * to the client's own address is bridged straight back, past conntrack: it arrives from the
 * neighbour's address, which the client never called, and a TCP client resets it. Kept per flow,
 * from the client's first DNATed packet until the flow finishes; only a flow that was DNATed costs
 * an entry.
 */
export class NatBypassCollector {
  private readonly flows = new Map<number, Translated>();

  constructor(private readonly hand: FindingHandler) {}

  /** Call for every journey in order of first sighting, once its flow is known. */
  add(w: JourneyWork): void {
    const j = w.journey;
    if (j.flow === undefined) return;
    let t = this.flows.get(j.flow);
    if (!t && !j.isReply) {
      const i = j.steps.findIndex((s) => s.nat?.type === 'dnat');
      if (i < 0) return;
      const first = w.hops[0];
      const dnat = j.steps[i].nat!;
      t = {
        dnat,
        clientIface: first.iface,
        client: endpoint(first.src, first.sport),
        clientEnd: { addr: first.src, port: first.sport },
        serverEnd: endOf(dnat.after),
        bypassed: [],
        labels: new Set(),
        awaitingReset: new Map(),
        resets: [],
        syns: 0,
      };
      this.flows.set(j.flow, t);
    }
    if (!t) return;
    const first = w.hops[0];
    if (first.kind === 'tcp' && !j.isReply && first.src === t.clientEnd.addr && first.sport === t.clientEnd.port && (first.tcpFlags ?? 0) === TCP_SYN) t.syns++;
    const tr = t;
    const untranslated = w.hops.find((h) => h.iface === tr.clientIface && isFrom(h, tr.serverEnd, tr.clientEnd));
    if (untranslated) {
      if (t.bypassed.length === 0) t.bridge = w.hops.find((h) => roleFromName(h.iface) === 'bridge')?.iface;
      t.bypassed.push(j.id);
      t.labels.add(labelOf(first));
      if (untranslated.kind === 'tcp' && untranslated.ack !== undefined && ((untranslated.tcpFlags ?? 0) & TCP_ACK) !== 0) t.awaitingReset.set(untranslated.ack, j.id);
      return;
    }
    const answered = resetOf(w.hops, t);
    if (answered !== undefined) {
      j.resetOf = answered;
      t.resets.push(j.id);
    }
  }

  /** A flow is finished: its bypassed answers, if any, are one finding, handed on now. */
  flowFinished(f: Flow): void {
    const t = this.flows.get(f.id);
    this.flows.delete(f.id);
    if (!t || t.bypassed.length === 0) return;
    this.hand(findingOf(f, t), FindingPart.natBypassed, f.id);
  }
}

/** The bypassed answer a reset from the client to the untranslated address answers, by its sequence number. */
function resetOf(hops: Observation[], t: Translated): number | undefined {
  for (const h of hops) {
    if (h.iface !== t.clientIface || ((h.tcpFlags ?? 0) & TCP_RST) === 0 || h.seq === undefined) continue;
    if (!isFrom(h, t.clientEnd, t.serverEnd)) continue;
    const answer = t.awaitingReset.get(h.seq);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

/** The address and port of an endpoint text (`ip`, `ip:port`, `[v6]:port`). */
function endOf(ep: string): End {
  const addr = addressOf(ep);
  return addr === ep ? { addr } : { addr, port: Number(ep.slice(ep.lastIndexOf(':') + 1)) };
}

function findingOf(f: Flow, t: Translated): Finding {
  const n = t.bypassed.length;
  const server = t.serverEnd.addr;
  const port = t.serverEnd.port;
  const reset =
    t.resets.length > 0
      ? ` ${addressOf(t.client)} never called ${server}, so it reset ${n === 1 ? 'it' : 'them'} (${plural(t.resets.length, 'TCP RST')} to ${t.dnat.after}) and the connection failed` +
        (t.syns > 1 ? `: its SYN was sent ${plural(t.syns - 1, 'more time')}${n >= t.syns ? ', and each was answered the same way' : ''}.` : '.')
      : ` ${addressOf(t.client)} never called ${server}: it cannot take ${n === 1 ? 'it' : 'them'} as the answer it waits for.`;
  const masquerade = `iptables -t nat -A POSTROUTING -s ${addressOf(t.client)} -d ${server}${f.protocol === 'tcp' || f.protocol === 'udp' ? ` -p ${f.protocol}${port !== undefined ? ` --dport ${port}` : ''}` : ''} -j MASQUERADE`;
  return {
    code: 'nat-bypassed',
    severity: 'error',
    message:
      `${plural(n, t.labels.size === 1 ? [...t.labels][0] : 'answer')} of the connection ${f.client} -> ${f.server} came back untranslated: from ${t.dnat.after} to ${t.client} on ${t.clientIface}, ` +
      `instead of from ${t.dnat.before}. The host DNATed the connection from ${t.dnat.before} to ${t.dnat.after}, but ` +
      `${t.bridge ?? 'the link'} took ${n === 1 ? 'this answer' : 'these answers'} straight back to ${addressOf(t.client)}, past conntrack, which never reversed the translation ` +
      `(hairpin NAT between neighbours on one bridge, with bridged traffic kept out of iptables).` +
      reset +
      ` Fix either: let bridged traffic pass iptables (modprobe br_netfilter; ${BRIDGE_NF_FIX}), ` +
      `or MASQUERADE hairpin traffic so that the answer returns through the host (${masquerade}, or -s the bridge's subnet for every container on it).`,
    journeys: [...t.bypassed, ...t.resets],
    flows: [f.id],
  };
}
