import type { Flow, NatBinding, NatRewrite } from './model.js';
import type { JourneyWork } from './journey-work.js';

/**
 * True when a rewrite is conntrack undoing its flow's translation for the other direction (an
 * answer's destination put back after source NAT), not a rule of its own.
 */
export function isReversal(nat: NatRewrite, flow: Pick<Flow, 'translations'> | undefined): boolean {
  return flow !== undefined && flow.translations.some((t) => t.before === nat.after && t.after === nat.before);
}

/**
 * The NAT bindings the captures prove, one per translated flow, in the shape `conntrack -L` prints:
 * the original tuple as the client sent it, and the reply tuple as the server answers it. Journeys
 * are added as they are finished (their flow known); what is kept is one journey's ends per flow,
 * until the flow finishes.
 */
export class NatBindingCollector {
  /** The two tuples of each translated flow, kept as tuples: a flow may wait long for its end. */
  private readonly firstOf = new Map<number, Pick<NatBinding, 'original' | 'reply'>>();

  add({ journey: j, hops }: JourneyWork): void {
    if (j.flow === undefined || j.isReply || this.firstOf.has(j.flow)) return;
    if (!j.steps.some((s) => s.nat)) return;
    const a = hops[0];
    const z = hops[hops.length - 1];
    this.firstOf.set(j.flow, {
      original: { src: a.src, dst: a.dst, sport: a.sport, dport: a.dport, icmpId: a.detail?.icmpId },
      reply: { src: z.dst, dst: z.src, sport: z.dport, dport: z.sport, icmpId: z.detail?.icmpId },
    });
  }

  /** The binding of a finished flow, if it was translated. */
  flowFinished(f: Flow): NatBinding | undefined {
    const ends = this.firstOf.get(f.id);
    if (!ends) return undefined;
    this.firstOf.delete(f.id);
    if (f.translations.length === 0) return undefined;
    return {
      protocol: f.protocol,
      original: ends.original,
      reply: ends.reply,
      types: [...new Set(f.translations.map((t) => t.type))],
      interface: f.translations[0].interface,
      flow: f.id,
    };
  }
}

function tuple(t: NatBinding['original']): string {
  const ports = t.sport !== undefined ? ` sport=${t.sport} dport=${t.dport}` : t.icmpId !== undefined ? ` id=${t.icmpId}` : '';
  return `src=${t.src} dst=${t.dst}${ports}`;
}

/** The NAT bindings as `conntrack -L` prints them. */
export function conntrackLines(bindings: NatBinding[]): string[] {
  const protoNumber: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };
  return bindings.map(
    (b) => `${b.protocol.padEnd(8)} ${String(protoNumber[b.protocol] ?? 0).padEnd(2)} ${tuple(b.original)} ${tuple(b.reply)} [${b.types.join(',').toUpperCase()} on ${b.interface}] flow ${b.flow}`,
  );
}
