/**
 * Connection tracking as NAT needs it: an entry holds the original tuple and the reply tuple the
 * NAT bindings made; packets of either direction are rewritten from it, and only a connection's
 * first packet walks the nat table (nf_nat_inet_fn consults the rules only for unconfirmed entries).
 */
import { ip4String, type Ip4 } from './addr.js';
import { l4Ports, type Ipv4Packet } from './packet.js';
import type { RuleOrigin } from './netfilter.js';
import { IPPROTO_ICMP } from '../decode/enums.js';

export interface Tuple {
  proto: number;
  src: Ip4;
  sport: number;
  dst: Ip4;
  dport: number;
}

export interface CtEntry {
  orig: Tuple;
  reply: Tuple;
  confirmed: boolean;
  seenReply: boolean;
  /** A hook kind whose nat rules have been consulted (so a binding, maybe a null one, exists). */
  dnatDone: boolean;
  snatDone: boolean;
  dnatRule?: RuleOrigin;
  snatRule?: RuleOrigin;
}

export type CtDir = 'original' | 'reply';

function key(t: Tuple): string {
  return `${t.proto}|${t.src}|${t.sport}|${t.dst}|${t.dport}`;
}

export function tupleOf(p: Ipv4Packet): Tuple {
  const [sport, dport] = l4Ports(p.body);
  return { proto: p.body.proto, src: p.src, sport, dst: p.dst, dport };
}

export function invert(t: Tuple): Tuple {
  return { proto: t.proto, src: t.dst, sport: t.dport, dst: t.src, dport: t.sport };
}

export function tupleText(t: Tuple): string {
  return t.proto === IPPROTO_ICMP ? `${ip4String(t.src)} > ${ip4String(t.dst)} id ${t.sport}` : `${ip4String(t.src)}:${t.sport} > ${ip4String(t.dst)}:${t.dport}`;
}

export class Conntrack {
  private readonly byTuple = new Map<string, { entry: CtEntry; dir: CtDir }>();

  /** The entry a packet belongs to, made (unconfirmed) when there is none. */
  lookup(p: Ipv4Packet): { entry: CtEntry; dir: CtDir; isNew: boolean } {
    const t = tupleOf(p);
    const hit = this.byTuple.get(key(t));
    if (hit !== undefined) return { ...hit, isNew: false };
    const entry: CtEntry = { orig: t, reply: invert(t), confirmed: false, seenReply: false, dnatDone: false, snatDone: false };
    return { entry, dir: 'original', isNew: true };
  }

  /** True when a tuple is already used by another connection (either direction). */
  taken(t: Tuple): boolean {
    return this.byTuple.has(key(t));
  }

  /** __nf_conntrack_confirm: the entry becomes visible to later packets. */
  confirm(e: CtEntry): void {
    if (e.confirmed) return;
    e.confirmed = true;
    this.byTuple.set(key(e.orig), { entry: e, dir: 'original' });
    this.byTuple.set(key(e.reply), { entry: e, dir: 'reply' });
  }

  entries(): CtEntry[] {
    const out = new Set<CtEntry>();
    for (const v of this.byTuple.values()) out.add(v.entry);
    return [...out];
  }
}
