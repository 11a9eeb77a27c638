import type { Observation } from './observation.js';

/** Side numbers stay below this, so that two of them make one exact key below 2^53. */
const SIDE_BITS = 26;
const SIDE_LIMIT = 2 ** SIDE_BITS;
/** The port slot of a side without a port or an echo identifier (ports and identifiers are 16 bits). */
const NO_PORT = 0x10000;

/**
 * Flow keys as numbers: each side of a tuple (address, protocol, and port or ICMP echo identifier)
 * gets a number the first time it is seen, and a tuple's key is its two sides' numbers, the smaller
 * first, so both directions give the same key. One is looked up for every hop of every journey:
 * the text keys this replaces cost three strings a hop and a flattening on every lookup.
 */
export class TupleKeys {
  private readonly sides = new Map<string, Map<number, number>>();
  private count = 0;

  /** How many sides have numbers: the caller starts again (clear) past what it wants to keep. */
  get size(): number {
    return this.count;
  }

  clear(): void {
    this.sides.clear();
    this.count = 0;
  }

  /** The key of `o`'s tuple; `icmpId` stands for both ports of a packet without ports. */
  key(o: Pick<Observation, 'src' | 'dst' | 'sport' | 'dport' | 'proto'>, icmpId: number | undefined): number {
    const a = this.side(o.src, o.proto, o.sport ?? icmpId);
    const b = this.side(o.dst, o.proto, o.dport ?? icmpId);
    return a < b ? a * SIDE_LIMIT + b : b * SIDE_LIMIT + a;
  }

  private side(addr: string, proto: number, port: number | undefined): number {
    let ports = this.sides.get(addr);
    if (ports === undefined) {
      ports = new Map();
      this.sides.set(addr, ports);
    }
    const slot = proto * 2 * NO_PORT + (port ?? NO_PORT);
    let n = ports.get(slot);
    if (n === undefined) {
      if (this.count >= SIDE_LIMIT) throw new RangeError('TupleKeys: more sides than keys can tell apart; clear() first');
      n = this.count++;
      ports.set(slot, n);
    }
    return n;
  }
}
