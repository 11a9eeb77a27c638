/**
 * The sentences of a hairpin connection: a container calling a neighbour on its own bridge through
 * the host's published address. With br_netfilter the DNAT happens on the bridge and the host sees
 * each packet more than once; without it the answer is bridged back untranslated (`nat-bypassed`).
 */
import { addressOf, endpoint } from '../correlate/endpoint.js';
import type { Analysis, Finding, Journey } from '../correlate/model.js';
import type { Observation } from '../correlate/observation.js';
import { durationText } from '../correlate/groups.js';
import { plural } from '../correlate/plural.js';
import { mdCode } from './escape.js';
import type { EvidenceList } from './evidence.js';
import type { HopsOf } from './facts.js';

const c = mdCode;

/** The `nat-bypassed` finding that names one of `journeys`, if any. */
export function bypassFindingOf(analysis: Analysis, journeys: readonly Journey[]): Finding | undefined {
  const ids = new Set(journeys.map((j) => j.id));
  return analysis.findings.find((f) => f.code === 'nat-bypassed' && f.journeys?.some((id) => ids.has(id)));
}

/** Hops on an interface the packet had already crossed: the host's own copies of it. */
function repeatedHops(hops: Observation[]): Observation[] {
  const seen = new Set<string>();
  const out: Observation[] = [];
  for (const h of hops) {
    if (seen.has(h.iface)) out.push(h);
    seen.add(h.iface);
  }
  return out;
}

/**
 * How the host handled a hairpin SYN: the DNAT on the bridge (br_netfilter) or on the way back out
 * of the bridge it came from, and the copies the host made of it. Empty for any other packet.
 */
export function hairpinSentences(syn: Journey, hopsOf: HopsOf, ev: EvidenceList): string[] {
  const hops = hopsOf(syn);
  const i = syn.steps.findIndex((s) => s.nat?.type === 'dnat');
  if (i < 0) return [];
  const step = syn.steps[i];
  const nat = step.nat!;
  const copies = repeatedHops(hops);
  if (copies.length === 0) return [];
  const out: string[] = [];
  const bridge = copies[0].iface;
  if (step.kind === 'bridged') {
    out.push(
      `This is hairpin NAT: ${c(addressOf(nat.after))} sits on the same bridge as the client, and the DNAT happens while the frame is bridged ${ev.cite(hops[i + 1])}: ` +
        `with br_netfilter (${c('net.bridge.bridge-nf-call-iptables=1')}) bridged frames pass iptables, so the nat PREROUTING rule rewrites the destination ` +
        `and the bridge hands the frame to the server's port with the server's MAC, at the same TTL. conntrack has the connection, so the answers are translated back on their way across the bridge.`,
    );
  } else {
    out.push(
      `This is hairpin NAT: the host routes the SYN back out of ${c(step.to)}, the bridge it came from, to ${c(addressOf(nat.after))} after the DNAT ${ev.cite(hops[i + 1])}. ` +
        `The server sits on the same bridge as the client, so its answer to the client's own address does not need the host: the bridge forwards it straight back.`,
    );
  }
  const routed = copies.find((h) => h.ttl !== undefined && hops.some((x) => x.ttl === h.ttl! + 1));
  if (step.kind === 'bridged' && routed) {
    const again = copies.filter((h) => h.iface !== bridge && h.ttl === routed.ttl);
    out.push(
      `The captures see it more than once on ${c(bridge)}${again.length > 0 ? ` and on ${c(again[0].iface)}` : ''}: a captured bridge is promiscuous, so it also passes a copy of the frame it forwards up to the host, ` +
        `which routes that copy back onto ${c(bridge)} ${ev.cite(routed)} (TTL one less)${again.length > 0 ? `, and the server gets the packet a second time ${ev.cite(again[0])}` : ''}. ` +
        `These are copies of one packet, one journey: neither drops nor retransmissions. Every packet the client sends is seen so.`,
    );
  }
  return out;
}

/** The server answered the request's second copy: its answer again, not a retransmission. */
export function answerToCopySentence(answers: Journey[], hopsOf: HopsOf, ev: EvidenceList): string | undefined {
  const again = answers.filter((j) => j.answersCopy);
  if (again.length === 0) return undefined;
  return (
    `The server got the request twice, so it answers the second copy too ${ev.cite(hopsOf(again[0])[0])}: ` +
    `${again.length === 1 ? 'an answer' : 'answers'} to a copy, not ${again.length === 1 ? 'a retransmission' : 'retransmissions'} (nothing was lost).`
  );
}

/**
 * The SYN-ACK that came back untranslated and the client's reset, then the SYN sent again: what a
 * `nat-bypassed` finding means for the connection's story.
 */
export function bypassedSentences(syn: Observation, synAck: Journey, synRetries: Journey[], resets: Journey[], hopsOf: HopsOf, ev: EvidenceList): string[] {
  const back = hopsOf(synAck).find((h) => h.iface === syn.iface) ?? hopsOf(synAck).at(-1)!;
  const reset = resets.find((r) => r.resetOf === synAck.id);
  const called = endpoint(syn.dst, syn.dport);
  const out = [
    `The SYN-ACK ${ev.cite(back)} arrives ${durationText(back.t - syn.t)} later, but from ${c(endpoint(back.src, back.sport))}, untranslated: ` +
      `the client called ${c(called)} and has no connection with ${c(addressOf(endpoint(back.src, back.sport)))}, ` +
      `so its kernel answers with a reset${reset ? ` ${ev.cite(hopsOf(reset)[0])}` : ''} and the connection does not open.`,
  ];
  if (synRetries.length > 0) {
    const times = [syn, ...synRetries.map((j) => hopsOf(j)[0])].map((h) => h.t).sort((a, b) => a - b);
    out.push(
      `The client sent the SYN ${plural(synRetries.length, 'more time')} ${ev.cite(hopsOf(synRetries[0])[0])} over ${durationText(times[times.length - 1] - times[0])}: true retransmissions, ` +
        `after timeouts, because the connection it waits for never answered. Each came back the same way and was reset.`,
    );
  }
  return out;
}
