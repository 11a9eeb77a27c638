/**
 * What the fates keep about connections for a while (FateJudge, CONNECTION_FACTS_NS), held without
 * an object, a string or a boxed number per connection. Times are nanoseconds since the start of the
 * run, above 2^31 within seconds: kept in a Map or an object each was a 16-byte heap number of its
 * own (Node 20 has no pointer compression), so they live in Float64Arrays here, exact, which is what
 * lets the prune compare them as it always did.
 */

import { stays } from './fp-table.js';

/** Slots of one address: a port (0-65535), an echo identifier (above them), or neither (the last). */
const SLOTS = 0x20001;
/** 512 slots (4 KiB) a page: a capture that uses a few ports of an address holds a few pages. */
const PAGE_BITS = 9;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGES = Math.ceil(SLOTS / PAGE_SIZE);

/**
 * Endpoints of the host that NAT forwards inwards, with when each was last seen: by address, then
 * in a table of every slot that address can have, in pages made when a slot in them is first set.
 * An address NAT uses busily (MASQUERADE's outside address: a slot a connection) fills at most 1 MiB
 * whatever the capture's length, where a Map of its slots held 64 bytes a connection of the last
 * 150 s (2.5 MB at 39,000 of them). A slot holds NaN when not set.
 */
export class NatInward {
  private readonly byAddress = new Map<string, (Float64Array | undefined)[]>();

  set(addr: string, port: number | undefined, icmpId: number | undefined, t: number): void {
    let pages = this.byAddress.get(addr);
    if (pages === undefined) this.byAddress.set(addr, (pages = new Array<Float64Array | undefined>(PAGES).fill(undefined)));
    const slot = endSlot(port, icmpId);
    let page = pages[slot >> PAGE_BITS];
    if (page === undefined) pages[slot >> PAGE_BITS] = page = new Float64Array(PAGE_SIZE).fill(NaN);
    page[slot & (PAGE_SIZE - 1)] = t;
  }

  has(addr: string, port: number | undefined, icmpId: number | undefined): boolean {
    const pages = this.byAddress.get(addr);
    if (pages === undefined) return false;
    const slot = endSlot(port, icmpId);
    const page = pages[slot >> PAGE_BITS];
    return page !== undefined && !Number.isNaN(page[slot & (PAGE_SIZE - 1)]);
  }

  /** Forgets the endpoints last seen before `t`, and the pages and addresses left without any. */
  forgetBefore(t: number): void {
    for (const [addr, pages] of this.byAddress) {
      let pagesLeft = 0;
      for (let p = 0; p < PAGES; p++) {
        const page = pages[p];
        if (page === undefined) continue;
        let left = 0;
        for (let i = 0; i < PAGE_SIZE; i++) {
          if (page[i] < t) page[i] = NaN;
          else if (!Number.isNaN(page[i])) left++;
        }
        if (left === 0) pages[p] = undefined;
        else pagesLeft++;
      }
      if (pagesLeft === 0) this.byAddress.delete(addr);
    }
  }
}

/** A port, an echo identifier (above the ports), or neither: what echoOrEndpoint writes after the address. */
function endSlot(port: number | undefined, icmpId: number | undefined): number {
  return icmpId !== undefined ? 0x10000 + icmpId : port ?? SLOTS - 1;
}

/** The columns of a ClientTuples row; NaN in one means that fact is not known. */
const RESET_AT = 0;
const SYN_LAST = 1;
const UNANSWERED = 2;

/**
 * Facts about TCP connections by the tuple their client sent (`src:sport > dst:dport`): when a RST
 * was last seen, and how many SYNs are unanswered and when the last was sent. A tuple is a pair of
 * numbers, each an address's number and a port: one row of a PairTable, where the text keys this
 * replaces cost a string, a heap number and, for the SYNs, an object a connection.
 */
export class ClientTuples {
  /** Addresses by their number, and the numbers: of the tuples kept at the last forgetBefore, and of the tuples since. */
  private addresses: string[] = [];
  private addressIds = new Map<string, number>();
  private table = new PairTable(3);

  /** A RST of the connection was seen at `t`. */
  reset(src: string, sport: number | undefined, dst: string, dport: number | undefined, t: number): void {
    this.table.set(this.table.add(this.side(src, sport ?? NO_PORT), this.side(dst, dport ?? NO_PORT)), RESET_AT, t);
  }

  wasReset(src: string, sport: number | undefined, dst: string, dport: number | undefined): boolean {
    const row = this.find(src, sport, dst, dport);
    return row >= 0 && !Number.isNaN(this.table.get(row, RESET_AT));
  }

  /**
   * A SYN sent (+1) or answered (-1) at `t`. A tuple whose SYNs were all answered (nearly every
   * connection) loses its SYN facts at once; `t` is the last SYN's time only when one is sent, or
   * when the facts start with an answer.
   */
  countSyn(src: string, sport: number | undefined, dst: string, dport: number | undefined, change: 1 | -1, t: number): void {
    const table = this.table;
    const row = table.add(this.side(src, sport ?? NO_PORT), this.side(dst, dport ?? NO_PORT));
    const n = table.get(row, UNANSWERED);
    if (Number.isNaN(n)) {
      table.set(row, UNANSWERED, change);
      table.set(row, SYN_LAST, t);
    } else if (n + change !== 0) {
      table.set(row, UNANSWERED, n + change);
      if (change > 0) table.set(row, SYN_LAST, t);
    } else if (Number.isNaN(table.get(row, RESET_AT))) {
      table.remove(row);
    } else {
      table.set(row, UNANSWERED, NaN);
      table.set(row, SYN_LAST, NaN);
    }
  }

  /** SYNs of the tuple sent and not answered (0 when none are known). */
  unansweredSyns(src: string, sport: number | undefined, dst: string, dport: number | undefined): number {
    const row = this.find(src, sport, dst, dport);
    const n = row >= 0 ? this.table.get(row, UNANSWERED) : NaN;
    return Number.isNaN(n) ? 0 : n;
  }

  /**
   * Forgets the RSTs and the SYNs last seen before `t`, and the tuples left without either. What is
   * left goes into a table its size, its addresses numbered afresh: the numbers follow the facts
   * kept, not every address that ever sent a SYN.
   */
  forgetBefore(t: number): void {
    const old = this.table;
    const addresses = this.addresses;
    this.table = new PairTable(3, old.size);
    this.addresses = [];
    this.addressIds = new Map();
    old.forEachRow((a, b, row) => {
      // NaN, a fact not known, is never at or after `t`.
      const reset = old.get(row, RESET_AT);
      const lastSyn = old.get(row, SYN_LAST);
      if (!(reset >= t) && !(lastSyn >= t)) return;
      const kept = this.table.add(
        this.side(addresses[Math.floor(a / SIDE_PORTS)], a % SIDE_PORTS),
        this.side(addresses[Math.floor(b / SIDE_PORTS)], b % SIDE_PORTS),
      );
      if (reset >= t) this.table.set(kept, RESET_AT, reset);
      if (lastSyn >= t) {
        this.table.set(kept, UNANSWERED, old.get(row, UNANSWERED));
        this.table.set(kept, SYN_LAST, lastSyn);
      }
    });
  }

  private find(src: string, sport: number | undefined, dst: string, dport: number | undefined): number {
    const a = this.addressIds.get(src);
    const b = this.addressIds.get(dst);
    return a === undefined || b === undefined ? -1 : this.table.find(a * SIDE_PORTS + (sport ?? NO_PORT), b * SIDE_PORTS + (dport ?? NO_PORT));
  }

  /** One side of a tuple as a number (exact below 2^36 addresses), giving its address a number if it has none yet. */
  private side(addr: string, port: number): number {
    let id = this.addressIds.get(addr);
    if (id === undefined) {
      id = this.addresses.push(addr) - 1;
      this.addressIds.set(addr, id);
    }
    return id * SIDE_PORTS + port;
  }
}

/** A port of a tuple's side, or NO_PORT for none, under SIDE_PORTS. */
const NO_PORT = 0x10000;
const SIDE_PORTS = 0x20000;

/** Marks an empty cell in PairTable's first keys: the keys are whole numbers from 0. */
const EMPTY = -1;

/**
 * A hash table from pairs of whole numbers (each from 0 to 2^53) to rows of `width` numbers, on
 * typed arrays: open addressing with linear probing, deletion by backward shift, grown by doubling.
 * A row's index is good until the next `add` or `remove`.
 */
class PairTable {
  private keysA = new Float64Array(0);
  private keysB = new Float64Array(0);
  private values = new Float64Array(0);
  private mask = 0;
  private shift = 32;
  private count = 0;

  /** `rows`: how many the table is made for at first. */
  constructor(
    private readonly width: number,
    rows = 0,
  ) {
    let bits = 4;
    while (1 << bits < rows * 2) bits++;
    this.allocate(bits);
  }

  get size(): number {
    return this.count;
  }

  /** The row of the pair, or -1. */
  find(a: number, b: number): number {
    const keysA = this.keysA;
    for (let i = this.home(a, b); ; i = (i + 1) & this.mask) {
      const k = keysA[i];
      if (k === EMPTY) return -1;
      if (k === a && this.keysB[i] === b) return i;
    }
  }

  /** The row of the pair, added (every value NaN) if it had none. */
  add(a: number, b: number): number {
    const keysA = this.keysA;
    let i = this.home(a, b);
    for (; keysA[i] !== EMPTY; i = (i + 1) & this.mask) {
      if (keysA[i] === a && this.keysB[i] === b) return i;
    }
    // A load of a half keeps probes short with linear probing (about 2.5 cells for a miss).
    if ((this.count + 1) * 2 > keysA.length) {
      this.grow();
      return this.add(a, b);
    }
    keysA[i] = a;
    this.keysB[i] = b;
    this.values.fill(NaN, i * this.width, (i + 1) * this.width);
    this.count++;
    return i;
  }

  get(row: number, column: number): number {
    return this.values[row * this.width + column];
  }

  set(row: number, column: number, value: number): void {
    this.values[row * this.width + column] = value;
  }

  remove(row: number): void {
    const { keysA, keysB, values, mask, width } = this;
    let hole = row;
    // Backward shift: a row after the hole, up to the next empty cell, whose probe from its home
    // crossed the hole moves into it, so that no lookup meets an empty cell before its pair
    // (Knuth, vol. 3, 6.4, Algorithm R).
    for (let i = (hole + 1) & mask; keysA[i] !== EMPTY; i = (i + 1) & mask) {
      if (stays(hole, this.home(keysA[i], keysB[i]), i)) continue;
      keysA[hole] = keysA[i];
      keysB[hole] = keysB[i];
      values.copyWithin(hole * width, i * width, (i + 1) * width);
      hole = i;
    }
    keysA[hole] = EMPTY;
    this.count--;
  }

  /** Visits every row with its pair; `visit` adds and removes none of this table's. */
  forEachRow(visit: (a: number, b: number, row: number) => void): void {
    for (let i = 0; i < this.keysA.length; i++) if (this.keysA[i] !== EMPTY) visit(this.keysA[i], this.keysB[i], i);
  }

  /**
   * The cell a pair's probe starts at: each key's low 32 bits and the rest (the address's number
   * in ClientTuples' sides) mixed, then a multiplicative (Fibonacci) hash whose top bits pick the cell.
   */
  private home(a: number, b: number): number {
    const lowA = a >>> 0;
    const lowB = b >>> 0;
    const high = Math.imul((a - lowA) / 0x1_0000_0000, 0x85ebca6b) ^ Math.imul((b - lowB) / 0x1_0000_0000, 0xc2b2ae35);
    return Math.imul(lowA ^ Math.imul(lowB, 0x27d4eb2f) ^ high, 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const { keysA, keysB, values, width } = this;
    this.allocate(33 - this.shift);
    for (let i = 0; i < keysA.length; i++) if (keysA[i] !== EMPTY) this.copyRow(keysA[i], keysB[i], values, i * width);
  }

  /** Puts a row of an older table's `values` (from `at`) into this one, where it is known to be missing. */
  private copyRow(a: number, b: number, values: Float64Array, at: number): void {
    let i = this.home(a, b);
    while (this.keysA[i] !== EMPTY) i = (i + 1) & this.mask;
    this.keysA[i] = a;
    this.keysB[i] = b;
    this.values.set(values.subarray(at, at + this.width), i * this.width);
    this.count++;
  }

  private allocate(bits: number): void {
    this.keysA = new Float64Array(1 << bits).fill(EMPTY);
    this.keysB = new Float64Array(1 << bits);
    this.values = new Float64Array((1 << bits) * this.width);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.count = 0;
  }
}
