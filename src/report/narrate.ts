/**
 * The narrative of a story: plain sentences that say what happened and why, each claim citing the
 * frame it rests on. Everything that came from a packet or a capture (addresses, names, interface
 * names, DNS and HTTP text) is set in code spans by `c()`, which escapes it for Markdown.
 */
import { addressOf } from '../correlate/endpoint.js';
import type { Analysis, Flow, Journey, Step } from '../correlate/model.js';
import { isIgmp, type Observation } from '../correlate/observation.js';
import { durationText, labelOf } from '../correlate/groups.js';
import { mdCode, mdText } from './escape.js';
import { EvidenceList } from './evidence.js';
import { maxOf, minOf } from './arrays.js';
import {
  bytesText,
  clientAddresses,
  fromClient,
  natsOf,
  percentile,
  rateText,
  roundTrips,
  storyJourneysById,
  tcpPhases,
  type ClientSide,
  type HopsOf,
  type TcpPhases,
} from './facts.js';
import type { Namer } from './names.js';
import type { Story } from './stories.js';
import { plural } from '../correlate/plural.js';
import { connStateWords } from './conn-state.js';
import { answerToCopySentence, bypassFindingOf, bypassedSentences, hairpinSentences } from './hairpin.js';

const c = (s: string | number): string => mdCode(String(s));

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export interface NarrativeContext {
  analysis: Analysis;
  hopsOf: HopsOf;
  names: Namer;
  role: (iface: string) => string;
}

export interface Narrative {
  title: string;
  paragraphs: string[];
  evidence: EvidenceList;
}

const STEP_WORDS: Record<Step['kind'], string> = {
  bridged: 'bridged (layer 2: same bytes, same TTL)',
  routed: 'routed (new MAC addresses, TTL one less)',
  local: 'delivered to the host itself',
  encapsulated: 'encapsulated in VXLAN',
  decapsulated: 'decapsulated from VXLAN',
  wire: 'sent over the wire to the other host',
};

function pathText(j: Journey): string {
  return j.hops.map((h) => c(h.interface)).join(' → ');
}

function howItTravelled(j: Journey): string {
  const kinds = [...new Set(j.steps.filter((s) => s.kind !== 'local').map((s) => s.kind))];
  if (j.hops.length === 1) return `seen only on ${c(j.hops[0].interface)}`;
  return `along ${pathText(j)}${kinds.length > 0 ? `, ${list(kinds.map((k) => STEP_WORDS[k]))}` : ''}`;
}

/** `bypassed`: the answers came back past conntrack (nat-bypassed), so nothing translated them back. */
function natSentence(j: Journey, ctx: NarrativeContext, ev: EvidenceList, bypassed = false): string[] {
  const out: string[] = [];
  const hops = ctx.hopsOf(j);
  for (const { step, nat } of natsOf(j)) {
    // The hop the step leads to: by position, since a hairpin packet crosses an interface twice.
    const after = hops[j.steps.indexOf(step) + 1] ?? hops.find((h) => h.iface === step.to);
    const where =
      ctx.role(step.to) === 'uplink'
        ? `leaving through the uplink ${c(step.to)}`
        : step.from === step.to
          ? `as the host routes it back onto ${c(step.to)}`
          : `between ${c(step.from)} and ${c(step.to)}`;
    if (j.isReply) {
      // An answer is not translated by a rule: conntrack reverses the translation its request got.
      const side = nat.type === 'snat' ? 'source' : 'destination';
      out.push(
        `On the way back conntrack reverses the translation between ${c(step.from)} and ${c(step.to)}: the answer's ${side} ${c(nat.before)} becomes ${c(nat.after)} again ${ev.cite(after)}.`,
      );
      continue;
    }
    if (nat.type === 'snat') {
      out.push(
        `Source NAT ${where}: the source ${c(nat.before)} became ${c(nat.after)} ${ev.cite(after)}. ` +
          `This is MASQUERADE or SNAT in the nat POSTROUTING chain: the far side sees the host's address and answers it, ` +
          `and conntrack translates the answers back.`,
      );
    } else {
      out.push(
        `Destination NAT ${where}: the destination ${c(nat.before)} became ${c(nat.after)} ${ev.cite(after)}. ` +
          `A DNAT rule (nat PREROUTING for packets arriving, OUTPUT for the host's own) chose the new destination before routing, ` +
          (bypassed
            ? `and conntrack would rewrite the answers' source back to ${c(nat.before)}, had they come back through the host.`
            : `and conntrack rewrites the answers' source back to ${c(nat.before)}.`),
      );
    }
  }
  return out;
}

function dropSentence(journeys: Journey[], ctx: NarrativeContext, ev: EvidenceList): string | undefined {
  const tooBig = journeys.filter((j) => j.reason === 'mtu');
  const dropped = journeys.filter((j) => j.fate === 'dropped' && j.reason !== 'mtu');
  const mtu = tooBig.length > 0 ? mtuSentence(tooBig, ctx, ev) : '';
  if (dropped.length === 0) return mtu || undefined;
  const j = dropped[0];
  const last = ctx.hopsOf(j).at(-1);
  const finding = ctx.analysis.findings.find((f) => f.code === 'dropped-at-host' && f.journeys?.includes(j.id));
  // The cause follows the message's first ': ' (an IPv6 address has colons, never one with a space).
  const reason = finding ? finding.message.slice(finding.message.indexOf(': ') + 1).trim() : '';
  const why = reason ? ` The likely cause: ${mdText(reason)}` : '';
  // Towards a container only when a NAT binding says where the packets were headed.
  const flow = j.flow === undefined ? undefined : ctx.analysis.flows.find((f) => f.id === j.flow);
  const inbound = last !== undefined && ctx.role(last.iface) === 'uplink' && (flow?.translations.length ?? 0) > 0;
  const addressedToHost = last !== undefined && ctx.role(last.iface) === 'uplink' && !inbound;
  return (
    `${dropped.length === journeys.length && dropped.length > 1 ? `All ${dropped.length}` : plural(dropped.length, 'packet')} ` +
    `entered the host and died there: last seen on ${c(last?.iface ?? '?')} ${ev.cite(last)}, ` +
    `${inbound ? 'never on the way in to the container its NAT binding leads to' : addressedToHost ? 'never seen going any further' : 'never on the interface routing leads to'}.${why}` +
    (mtu ? ` ${mtu}` : '')
  );
}

/** Packets too big for the interface they had to leave by (mtu.ts), and the answer that said so. */
function mtuSentence(tooBig: Journey[], ctx: NarrativeContext, ev: EvidenceList): string {
  const j = tooBig[0];
  const last = ctx.hopsOf(j).at(-1);
  const answer = ctx.analysis.journeys.find((x) => x.answerOf === j.id && x.id !== j.id);
  const finding = ctx.analysis.findings.find((f) => f.code === 'mtu-exceeded' && f.journeys?.includes(j.id));
  // The MTU the answer named; only when the answer is not among the journeys told, the finding's words.
  const mtu = (answer ? ctx.hopsOf(answer)[0]?.detail?.mtu : undefined) ?? (finding ? /whose MTU is (\d+)/.exec(finding.message)?.[1] : undefined);
  // mtu.ts words a finding `info` exactly when the sender's later data got through.
  const next = finding?.severity === 'info'
    ? 'The sender then sent the data again in smaller packets, which got through: path-MTU discovery worked.'
    : finding
      ? "The sender's data did not get through after that: a path-MTU black hole."
      : '';
  return (
    `${tooBig.length === 1 ? 'One packet was' : `${tooBig.length} packets were`} too big for ${c(last?.iface ?? '?')}${mtu ? `, whose MTU is ${mtu}` : ''} ${ev.cite(last)}: ` +
    `${tooBig.length === 1 ? 'it died' : 'they died'} there, and ${answer ? `ICMP fragmentation needed ${ev.cite(ctx.hopsOf(answer)[0])} told the sender${mtu ? ` to send at most ${mtu} bytes` : ''}` : 'no ICMP answer was captured'}. ${next}`.trim()
  );
}

function arpChapter(story: Story, ctx: NarrativeContext, ev: EvidenceList, server?: string): string[] {
  const out: string[] = [];
  const byId = new Map(story.arp.map((j) => [j.id, j]));
  const requests = story.arp.filter((j) => !j.isReply);
  const pairs = new Map<string, Journey[]>();
  for (const r of requests) {
    const o = ctx.hopsOf(r)[0];
    const key = `${o.src}|${o.dst}`;
    pairs.set(key, [...(pairs.get(key) ?? []), r]);
  }
  for (const reqs of pairs.values()) {
    const r = reqs[0];
    const o = ctx.hopsOf(r)[0];
    const asker = ctx.names.labelAt(o.src, o.iface);
    const target = o.dst;
    let why = '';
    if (server !== undefined && target === server) why = ` Both are on the same subnet, so it asks for the peer itself instead of going through a gateway.`;
    else if (server !== undefined && target !== server) why = ` ${c(server)} is not on its subnet, so it asks for its next hop, the gateway ${c(target)}.`;
    const reqIfaces = r.hops.map((h) => h.interface);
    const reply = r.answeredBy !== undefined ? byId.get(r.answeredBy) : undefined;
    const replyIfaces = reply?.hops.map((h) => h.interface) ?? [];
    const extra = reqIfaces.filter((i) => !replyIfaces.includes(i));
    // A router resolving its own next hop part-way through a packet's journey: the host asks, but
    // the story's first packet came from someone else (a host that opens the story asks for itself).
    const opener = story.journeys.find((j) => !j.isReply) ?? story.journeys[0];
    const onTheWay = story.kind !== 'arp' && ctx.names.nameOf(o.src) === 'host' && opener !== undefined && ctx.hopsOf(opener)[0]?.src !== o.src;
    let s =
      `${onTheWay ? 'On the way, ' : ''}${c(asker)} needs the MAC address of ${c(target)} and broadcasts an ARP request${reqs.length > 1 ? ` (${reqs.length} times)` : ''} ${ev.cite(o)}.${why} ` +
      `The request was seen on ${list(reqIfaces.map(c))}`;
    if (reply && extra.length > 0 && reqIfaces.some((i) => ctx.role(i) === 'bridge')) {
      s += `: the bridge floods a broadcast to every port, so ${list(extra.map(c))} ${extra.length === 1 ? 'sees' : 'see'} it too although nobody there is asked.`;
    } else {
      s += '.';
    }
    if (reply) {
      const ro = ctx.hopsOf(reply)[0];
      s +=
        ` ${c(ctx.names.labelAt(ro.src, ro.iface))} answers that it is at ${c(ro.detail?.arpSha ?? ro.srcMac ?? '?')} ${ev.cite(ro)}; the reply is unicast to the asker's MAC ` +
        `and crosses only ${list(replyIfaces.map(c))}${replyIfaces.some((i) => ctx.role(i) === 'bridge') ? ' (the bridge learnt from the request which port that MAC is behind)' : ''}. ` +
        `The asker caches the answer, so the packets that follow go straight to that MAC.`;
    } else {
      s += ` Nobody answered: no host with ${c(target)} is on that link (or it is down), so everything that needed it waits and fails.`;
    }
    out.push(s);
  }
  return out;
}

function dnsChapter(journeys: Journey[], ctx: NarrativeContext, ev: EvidenceList): string[] {
  const out: string[] = [];
  const byId = new Map(journeys.map((j) => [j.id, j]));
  const queries = journeys.filter((j) => !j.isReply && ctx.hopsOf(j)[0]?.detail?.dnsResponse === false);
  for (const q of queries.slice(0, 3)) {
    const o = ctx.hopsOf(q)[0];
    const a = q.answeredBy !== undefined ? byId.get(q.answeredBy) : undefined;
    let s = `${c(ctx.names.labelAt(o.src, o.iface))} asks the resolver ${c(o.dport !== undefined ? `${o.dst}:${o.dport}` : o.dst)} ${c(o.detail?.dnsText ?? 'a question')} ${ev.cite(o)}, ${howItTravelled(q)}.`;
    if (a) {
      const ao = ctx.hopsOf(a)[0];
      const back = ctx.hopsOf(a).find((h) => h.iface === o.iface) ?? ctx.hopsOf(a).at(-1)!;
      s += ` The answer ${c(ao.detail?.dnsText ?? '(no records)')} comes back from ${c(ao.src)} after ${durationText(back.t - o.t)} ${ev.cite(back)}.`;
      if (back.sport !== undefined && o.dport !== undefined && back.sport !== o.dport && back.src === o.dst) {
        s +=
          ` The query went to port ${c(o.dport)} but the answer comes from port ${c(back.sport)}: the resolver was redirected.` +
          ` This is how Docker's embedded DNS works on user-defined networks: the container asks ${c(`${o.dst}:${back.sport}`)}, a nat OUTPUT rule (DOCKER_OUTPUT) sends the query to the resolver's real port ${c(o.dport)} before it reaches ${c(o.iface)},` +
          ` and a nat POSTROUTING rule (DOCKER_POSTROUTING) rewrites the answer's source back to ${c(back.sport)}, so the client believes it spoke to ${c(`${o.dst}:${back.sport}`)}.`;
      }
    } else {
      s += ` No answer was captured.`;
    }
    out.push(s);
    out.push(...natSentence(q, ctx, ev));
    if (a) out.push(...natSentence(a, ctx, ev));
  }
  if (queries.length > 3) out.push(`${queries.length - 3} more queries followed the same way.`);
  return out;
}

function pingChapter(story: Story, ctx: NarrativeContext, ev: EvidenceList): string[] {
  const out: string[] = [];
  const byId = storyJourneysById(story);
  const requests = story.journeys.filter((j) => !j.isReply && (ctx.hopsOf(j)[0]?.detail?.icmpType === 8 || ctx.hopsOf(j)[0]?.detail?.icmpType === 128));
  if (requests.length === 0) return out;
  const first = ctx.hopsOf(requests[0])[0];
  const seqs = requests.map((j) => ctx.hopsOf(j)[0].detail?.icmpSeq ?? 0);
  const answered = requests.filter((j) => j.fate === 'answered').length;
  const flowsNote = story.alike > 0 ? ` in ${story.alike + 1} runs` : '';
  let s =
    `${c(ctx.names.labelAt(first.src, first.iface))} sends ${plural(requests.length, 'ICMP echo request')}${flowsNote} to ${c(ctx.names.labelAt(first.dst, first.iface))} ` +
    `(identifier ${c(first.detail?.icmpId ?? '?')}, sequence ${c(minOf(seqs))}${requests.length > 1 ? `–${c(maxOf(seqs))}` : ''}) ${ev.cite(first)}, ${howItTravelled(requests[0])}.`;
  if (answered === requests.length) s += requests.length === 1 ? ' It was answered.' : requests.length === 2 ? ' Both were answered.' : ` All ${requests.length} were answered.`;
  else if (answered > 0) s += ` ${answered} of ${requests.length} were answered (${Math.round((100 * (requests.length - answered)) / requests.length)}% loss).`;
  else s += requests.length === 1 ? ' It was not answered.' : ' None was answered.';
  // A ping to a group is answered by every member, each from its own address.
  const askedIds = new Set(requests.map((j) => j.id));
  const responders = [...new Set(story.journeys.filter((j) => j.answerOf !== undefined && askedIds.has(j.answerOf)).map((j) => ctx.hopsOf(j)[0]?.src))].filter(
    (a): a is string => a !== undefined && a !== first.dst,
  );
  if (responders.length > 0) {
    s += ` ${c(first.dst)} is a group address: ${responders.length === 1 ? 'one member answered' : `${responders.length} members answered`}, each from its own address (${list(responders.map((a) => c(ctx.names.labelAt(a, first.iface))))}).`;
  }
  const rtts = roundTrips(requests, byId, ctx.hopsOf);
  if (rtts.length > 0) {
    const firstReply = requests[0].answeredBy !== undefined ? byId.get(requests[0].answeredBy) : undefined;
    const back = firstReply ? ctx.hopsOf(firstReply).find((h) => h.iface === first.iface) : undefined;
    s +=
      rtts.length === 1
        ? ` The reply ${ev.cite(back)} came back after ${durationText(rtts[0])}, measured on ${c(first.iface)}.`
        : ` Round trip on ${c(first.iface)}: median ${durationText(percentile(rtts, 50))}, 90th percentile ${durationText(percentile(rtts, 90))}, max ${durationText(rtts[rtts.length - 1])} (first reply ${ev.cite(back)}).`;
  }
  const localEnd = requests[0].steps.find((st) => st.kind === 'local');
  if (localEnd) s += ` The destination is one of the host's own addresses: the host answered it itself on ${c(localEnd.from)}, so the packets never went further.`;
  out.push(s);
  out.push(...natSentence(requests[0], ctx, ev));
  const firstReply = requests.find((j) => j.answeredBy !== undefined);
  if (firstReply) {
    const reply = byId.get(firstReply.answeredBy!);
    if (reply && natsOf(reply).length > 0) {
      out.push(`The replies travel ${howItTravelled(reply)}; conntrack undoes the translation on the way back ${ev.cite(ctx.hopsOf(reply).at(-1))}.`);
    }
  }
  const drop = dropSentence(requests, ctx, ev);
  if (drop) out.push(drop);
  return out;
}

function tcpChapter(story: Story, ctx: NarrativeContext, ev: EvidenceList): string[] {
  const out: string[] = [];
  const clients = clientAddresses(story.flows);
  const main = story.flows.find((f) => f.protocol === 'tcp') ?? story.flows[0];
  const proxied = story.flows.filter((f) => f.protocol === 'tcp' && f.proxyOf !== undefined);
  const connections = story.flows.filter((f) => f.protocol === 'tcp');
  for (const flow of connections.slice(0, proxied.length > 0 ? 2 : 1)) {
    const journeys = story.journeys.filter((j) => j.flow === flow.id);
    const ph = tcpPhases(journeys, clientAddresses([flow]), ctx.hopsOf);
    const syn = ph.syn ? ctx.hopsOf(ph.syn)[0] : undefined;
    // An answer that bypassed the NAT is told with the SYN: it is why the connection fails.
    const bypassed = ph.synAck !== undefined && bypassFindingOf(ctx.analysis, [ph.synAck]) !== undefined;
    const conn: Connection = { flow, journeys, ph, syn, bypassed, clients, intro: flow === main ? '' : 'The second connection: ' };
    out.push(...openingSentences(conn, ctx, ev));
    out.push(...exchangeSentences(conn, ctx, ev));
    const translated = translatedAnswerSentence(conn, ctx, ev);
    if (translated) out.push(translated);
    const data = dataPhaseSentence(conn, ctx);
    if (data) out.push(data);
    const again = sentAgainSentence(conn, ctx, ev);
    if (again) out.push(again);
    const end = endingSentence(conn, ctx, ev);
    if (end) out.push(end);
    const drop = dropSentence(journeys, ctx, ev);
    if (drop) out.push(drop);
  }
  if (proxied.length > 0) {
    out.push(
      `These are two TCP connections, not one: the first ends at the host, where a userland proxy (docker-proxy, or socat standing in for it) ` +
        `accepts it and opens a second connection to the container, copying the bytes across. No packet is rewritten; ` +
        `the container sees the proxy's address as its client.`,
    );
  }
  if (connections.length > 1 && proxied.length === 0 && story.alike > 0) {
    out.push(`${plural(story.alike + 1, 'connection')} like this one went the same way; the numbers above are for the first.`);
  }
  return out;
}

/** One TCP connection of a story, as its chapter's sentences see it. */
interface Connection {
  flow: Flow;
  journeys: Journey[];
  ph: TcpPhases;
  syn: Observation | undefined;
  bypassed: boolean;
  /** The client addresses of the whole story. */
  clients: ClientSide;
  intro: string;
}

/** The SYN and what answered it, or that the handshake was not captured. */
function openingSentences({ flow, journeys, ph, syn, bypassed, intro }: Connection, ctx: NarrativeContext, ev: EvidenceList): string[] {
  const out: string[] = [];
  if (syn && ph.syn) {
    let s = `${intro}${c(ctx.names.labelAt(addressOf(flow.client), syn.iface))} opens a TCP connection to ${c(flow.server)} with a SYN ${ev.cite(syn)}, ${howItTravelled(ph.syn)}.`;
    if (bypassed) {
      // Told after the DNAT, below.
    } else if (ph.synAck) {
      const sa = ctx.hopsOf(ph.synAck);
      const back = sa.find((h) => h.iface === syn.iface) ?? sa.at(-1)!;
      s += ` The SYN-ACK ${ev.cite(back)} arrives ${durationText(back.t - syn.t)} later${ph.handshakeAck ? ', the client ACKs it, and the connection is established' : ''}.`;
    } else {
      s += ph.rsts.length > 0 ? ` The answer is a reset ${ev.cite(ctx.hopsOf(ph.rsts[0])[0])}: nothing listens on that port.` : ' No SYN-ACK was captured: the connection never opened.';
    }
    out.push(s);
    out.push(...natSentence(ph.syn, ctx, ev, bypassed));
    out.push(...hairpinSentences(ph.syn, ctx.hopsOf, ev));
    if (bypassed) out.push(...bypassedSentences(syn, ph.synAck!, ph.synRetries, ph.rsts, ctx.hopsOf, ev));
    const copy = answerToCopySentence(journeys, ctx.hopsOf, ev);
    if (copy) out.push(copy);
  } else if (journeys.length > 0) {
    out.push(`${intro}The capture starts in the middle of a TCP connection between ${c(flow.client)} and ${c(flow.server)}: its handshake was not captured.`);
  }
  return out;
}

/** The request and its answer, or the few bytes a short connection carried. */
function exchangeSentences({ ph }: Connection, ctx: NarrativeContext, ev: EvidenceList): string[] {
  const out: string[] = [];
  if (ph.request) {
    const o = ctx.hopsOf(ph.request)[0];
    let s = `The client sends the request ${c(o.httpText ?? `${o.payloadLen} bytes`)} ${ev.cite(o)}`;
    if (ph.response) {
      const r = ctx.hopsOf(ph.response);
      const back = r.find((h) => h.iface === o.iface) ?? r.at(-1)!;
      s += ` and the server answers ${c(r[0].httpText ?? '')} ${ev.cite(back)} ${durationText(Math.max(0, back.t - o.t))} later`;
    }
    out.push(`${s}.`);
  }
  const dataSegs = dataSegments(ph);
  if (!ph.request && dataSegs > 0 && dataSegs <= 2) {
    const d = ctx.hopsOf([...ph.dataFromClient, ...ph.dataFromServer][0])[0];
    out.push(`It carries ${bytesText(ph.bytesFromClient)} from the client and ${bytesText(ph.bytesFromServer)} from the server ${ev.cite(d)}.`);
  }
  return out;
}

function dataSegments(ph: TcpPhases): number {
  return ph.dataFromServer.length + ph.dataFromClient.length;
}

/** The answers tell of a translation the request was given before any capture point saw it. */
function translatedAnswerSentence({ journeys, ph, clients }: Connection, ctx: NarrativeContext, ev: EvidenceList): string | undefined {
  const translatedAnswer = journeys.find((j) => {
    const h = ctx.hopsOf(j)[0];
    return h !== undefined && !clients.sent(h) && natsOf(j).length > 0;
  });
  if (translatedAnswer && !(ph.syn && natsOf(ph.syn).length > 0)) {
    const { step, nat } = natsOf(translatedAnswer)[0];
    const at = ctx.hopsOf(translatedAnswer).find((h) => h.iface === step.to);
    let t =
      `The answers show a translation the request got before any capture point saw it: between ${c(step.from)} and ${c(step.to)} conntrack turns the answer's ` +
      `${nat.type === 'dnat' ? 'destination' : 'source'} ${c(nat.before)} back into ${c(nat.after)} ${ev.cite(at)}.`;
    if (nat.type === 'dnat' && (addressOf(nat.after).startsWith('127.') || addressOf(nat.after) === '::1')) {
      t +=
        ` So the connection began on the host as ${c(addressOf(nat.after))} talking to a local port: a nat OUTPUT DNAT rule (Docker's DOCKER chain for a published port) ` +
        `sent it to the container, which only works towards a bridge with ${c('route_localnet')} set, and MASQUERADE gave it the bridge's address ${c(addressOf(nat.before))} as its source, ` +
        `because a loopback source may not leave the host's loopback.`;
    }
    return t;
  }
  return undefined;
}

function dataPhaseSentence({ ph }: Connection, ctx: NarrativeContext): string | undefined {
  const dataSegs = dataSegments(ph);
  if (dataSegs > 2 && ph.dataStartNs !== undefined && ph.dataEndNs !== undefined) {
    const span = ph.dataEndNs - ph.dataStartNs;
    const bulk = ph.bytesFromServer >= ph.bytesFromClient ? 'server' : 'client';
    const bytes = Math.max(ph.bytesFromServer, ph.bytesFromClient);
    const sizes = [...ph.dataFromServer, ...ph.dataFromClient].map((j) => ctx.hopsOf(j)[0]?.payloadLen ?? 0);
    const superFrames = sizes.filter((n) => n > 1460).length;
    const largest = maxOf(sizes, 0);
    return (
      `The data phase: ${plural(dataSegs, 'segment')} with data, ${bytesText(ph.bytesFromServer)} from the server and ${bytesText(ph.bytesFromClient)} from the client, ` +
        `over ${durationText(span)} (${rateText(bytes, span)} from the ${bulk}), with ${plural(ph.pureAcks, 'pure ACK')} in between.` +
        (superFrames > 0
          ? ` ${plural(superFrames, 'segment')} ${superFrames === 1 ? 'is' : 'are'} larger than a 1500-byte MTU allows (up to ${bytesText(largest)}): GSO/TSO super-frames, which the kernel passes along veth and bridges whole and splits only where it must, so captures there show them that size.`
          : '')
    );
  }
  return undefined;
}

/** An unanswered SYN sent again, or segments truly retransmitted. */
function sentAgainSentence({ ph, syn, bypassed }: Connection, ctx: NarrativeContext, ev: EvidenceList): string | undefined {
  const synAgain = ph.synRetries.map((j) => ctx.hopsOf(j)[0]);
  if (syn && !ph.synAck && synAgain.length > 0 && synAgain.length === ph.retransmissions.length) {
    // An unanswered SYN is sent again on a backing-off timer until the client gives up.
    const times = [syn, ...synAgain].map((h) => h.t).sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    return (
      `The client sent the SYN ${synAgain.length === 1 ? 'once more' : `${synAgain.length} more times`} ${ev.cite(synAgain[0])}, ` +
        `${gaps.length > 1 ? `waiting from ${durationText(minOf(gaps))} to ${durationText(maxOf(gaps))} between tries` : `after ${durationText(gaps[0])}`}, ` +
        `and nothing came back in ${durationText(times[times.length - 1] - times[0])}.`
    );
  } else if (ph.retransmissions.length > 0 && !(bypassed && ph.synRetries.length === ph.retransmissions.length)) {
    const r = ctx.hopsOf(ph.retransmissions[0])[0];
    return (
      `${plural(ph.retransmissions.length, 'segment')} ${ph.retransmissions.length === 1 ? 'was' : 'were'} sent twice on the same interface ${ev.cite(r)}: true retransmissions, ` +
        `because the first copy was lost on the way (the copies of one segment on a veth and its bridge are hops, not retransmissions, and are not counted).`
    );
  }
  return undefined;
}

function endingSentence({ flow, ph, bypassed, clients }: Connection, ctx: NarrativeContext, ev: EvidenceList): string | undefined {
  if (ph.rsts.length > 0 && ph.synAck && !bypassed) {
    return `The connection is reset ${ev.cite(ctx.hopsOf(ph.rsts[0])[0])}.`;
  } else if (ph.fins.length > 0) {
    const f0 = ctx.hopsOf(ph.fins[0])[0];
    const who = clients.sent(f0) ? 'client' : 'server';
    return (
      `The ${who} closes first with a FIN ${ev.cite(f0)}${ph.fins.length > 1 ? `, the other side answers with its own FIN ${ev.cite(ctx.hopsOf(ph.fins[1])[0])}` : ''}` +
        `${flow.state ? ` (state ${flow.state}: ${connStateWords(flow.state)})` : ''}.`
    );
  }
  return undefined;
}

function udpChapter(story: Story, ctx: NarrativeContext, ev: EvidenceList): string[] {
  const j = story.journeys[0];
  const o = ctx.hopsOf(j)[0];
  const out = [
    `${c(ctx.names.labelAt(o.src, o.iface))} sends ${plural(story.journeys.filter((x) => !x.isReply).length, 'UDP datagram')} to ${c(`${o.dst}:${o.dport ?? ''}`)} ${ev.cite(o)}, ${howItTravelled(j)}.`,
  ];
  out.push(...natSentence(j, ctx, ev));
  const drop = dropSentence(story.journeys, ctx, ev);
  if (drop) out.push(drop);
  return out;
}

function otherChapter(story: Story, ctx: NarrativeContext, ev: EvidenceList): string[] {
  const j = story.journeys[0];
  const o = ctx.hopsOf(j)[0];
  const what = labelOf(o);
  const s = `${plural(story.journeys.length, what)} from ${c(ctx.names.labelAt(o.src, o.iface))} to ${c(o.dst)} ${ev.cite(o)}, ${howItTravelled(j)}.`;
  if (story.kind === 'neighbour') {
    return [`${s} This is the kernel's own housekeeping (IPv6 router solicitation, neighbour discovery, multicast listener reports) when an interface comes up: nobody asked for it, and it does not affect the other stories.`];
  }
  return [s, ...natSentence(j, ctx, ev)];
}

/** How a story ended, for its title: "answered", "dropped in the host", "no reply". */
function outcome(story: Story, ctx: NarrativeContext): string {
  const requests = story.journeys.filter((j) => !j.isReply && j.fate !== 'delivered');
  const asked = story.journeys.filter((j) => !j.isReply);
  if (asked.length === 0) return '';
  const dropped = asked.filter((j) => j.fate === 'dropped' && j.reason !== 'mtu').length;
  const tooBig = asked.filter((j) => j.reason === 'mtu').length;
  const answered = asked.filter((j) => j.fate === 'answered').length;
  const translated = asked.some((j) => j.steps.some((s) => s.nat));
  const leaked = ctx.analysis.findings.some((f) => f.code === 'unnatted-private-source' && f.journeys?.some((id) => asked.some((j) => j.id === id)));
  if (dropped > 0 && dropped === requests.length) return ': dropped in the host';
  if (bypassFindingOf(ctx.analysis, story.journeys)) return ': answered past NAT, untranslated, and reset';
  if (leaked) return ': leaves untranslated, no reply';
  if (dropped > 0) return `: ${dropped} dropped in the host`;
  if (tooBig > 0) return `: ${tooBig} too big for the path`;
  if (answered > 0 && translated) return ': answered through NAT';
  if (answered > 0) return '';
  if (requests.length > 0 && requests.every((j) => j.fate === 'unknown') && story.kind !== 'tcp') return ': no reply';
  return '';
}

export function storyTitle(story: Story, ctx: NarrativeContext): string {
  const base = baseTitle(story, ctx);
  return story.kind === 'neighbour' || story.kind === 'arp' ? base : `${base}${outcome(story, ctx)}`;
}

function baseTitle(story: Story, ctx: NarrativeContext): string {
  const j = story.journeys[0] ?? story.arp[0];
  const o = j ? ctx.hopsOf(j)[0] : undefined;
  if (!o) return 'Traffic';
  const iface = j.hops[0].interface;
  const n = (a: string): string => {
    if ((a.startsWith('127.') || a === '::1') && !ctx.names.nameOf(a)?.match(/^(?!localhost$)/)) {
      return iface.includes(':') ? iface.slice(0, iface.lastIndexOf(':')) : 'the host';
    }
    return ctx.names.short(a);
  };
  switch (story.kind) {
    case 'arp':
      return `${n(o.src)} asks by ARP who has ${o.dst}`;
    case 'ping': {
      const req = story.journeys.find((x) => !x.isReply) ?? j;
      const r = ctx.hopsOf(req)[0];
      return r.src === r.dst ? `${n(r.src)} pings itself over ${r.iface}` : `${n(r.src)} pings ${n(r.dst)}`;
    }
    case 'dns':
      return `${n(o.src)} looks up ${(o.detail?.dnsText ?? '').replace(/^\S+\s+/, '') || 'a name'}`;
    case 'tcp': {
      const f = story.flows.find((x) => x.protocol === 'tcp') ?? story.flows[0];
      const http = story.journeys.map((x) => ctx.hopsOf(x)[0]?.httpText).find((text) => text && !text.startsWith('HTTP/'));
      const base = `${n(addressOf(f.client))} connects to ${f.server}`;
      const proxy = story.flows.some((x) => x.proxyOf !== undefined) ? ' through a userland proxy' : '';
      const dns = story.dns.length > 0 ? ' (after a DNS lookup)' : '';
      return `${base}${proxy}${http ? `: ${http}` : ''}${dns}${story.alike > 0 ? ` (×${story.alike + 1})` : ''}`;
    }
    case 'udp':
      return `${n(o.src)} sends UDP to ${o.dst}:${o.dport ?? ''}`;
    case 'neighbour':
      return isIgmp(o)
        ? `IGMP membership report from ${n(o.src)} to ${o.dst}`
        : `Kernel housekeeping on ${j.hops[0].interface}: ${labelOf(o)}`;
    default:
      return `${labelOf(o)} from ${n(o.src)} to ${n(o.dst)}`;
  }
}

/** What a story's paragraph on a finding is headed ("**No reply.** ..."); other codes go by their code. */
const FINDING_TITLES: ReadonlyMap<string, string> = new Map([
  ['unnatted-private-source', 'No translation'],
  ['no-reply', 'No reply'],
  ['retransmission', 'Retransmissions'],
  ['nat-bypassed', 'NAT bypassed'],
]);

/** The narrative of one story. */
export function narrate(story: Story, ctx: NarrativeContext): Narrative {
  const ev = new EvidenceList();
  const paragraphs: string[] = [];
  const clients = clientAddresses(story.flows);
  const firstMain = story.journeys.find((j) => fromClient(j, clients, ctx.hopsOf)) ?? story.journeys[0];
  const server = firstMain ? ctx.hopsOf(firstMain)[0]?.dst : undefined;
  if (story.arp.length > 0) paragraphs.push(...arpChapter(story, ctx, ev, story.kind === 'arp' ? undefined : server));
  if (story.dns.length > 0) paragraphs.push(...dnsChapter(story.dns, ctx, ev));
  switch (story.kind) {
    case 'ping':
      paragraphs.push(...pingChapter(story, ctx, ev));
      break;
    case 'tcp':
      paragraphs.push(...tcpChapter(story, ctx, ev));
      break;
    case 'dns':
      paragraphs.push(...dnsChapter(story.journeys, ctx, ev));
      break;
    case 'udp':
      paragraphs.push(...udpChapter(story, ctx, ev));
      break;
    case 'arp':
      break;
    default:
      if (story.journeys.length > 0) paragraphs.push(...otherChapter(story, ctx, ev));
  }
  // What the findings say about this story's packets, beyond the drops already told above.
  const ids = new Set([...story.journeys, ...story.arp, ...story.dns].map((j) => j.id));
  for (const f of ctx.analysis.findings) {
    if (f.code === 'dropped-at-host' || !f.journeys?.some((id) => ids.has(id))) continue;
    const what = FINDING_TITLES.get(f.code) ?? f.code;
    paragraphs.push(`**${mdText(what)}.** ${mdText(f.message, 2000)}`);
  }
  return { title: storyTitle(story, ctx), paragraphs, evidence: ev };
}

export function observationOf(j: Journey, hopsOf: HopsOf): Observation | undefined {
  return hopsOf(j)[0];
}
