/**
 * Time and chance in the model. Time is nanoseconds since the scenario started (a double: exact up to
 * 104 days); every random choice the kernel or a program would make (MACs, ports, ISNs, echo ids)
 * comes from one seeded generator, so a scenario and a seed give the same bytes every time.
 */

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0;
  }

  /** mulberry32: small, fast, and the same on every platform. */
  next32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [from, to]. */
  between(from: number, to: number): number {
    return from + (this.next32() % (to - from + 1));
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next32() & 0xff;
    return out;
  }

  /** A locally administered unicast MAC, as the kernel's eth_random_addr makes. */
  mac(): Uint8Array {
    const m = this.bytes(6);
    m[0] = (m[0] & 0xfe) | 0x02;
    return m;
  }

  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.next32().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}

interface Task {
  at: number;
  seq: number;
  run: () => void;
}

/** A discrete-event queue: tasks run in time order, ties in the order they were scheduled. */
export class Scheduler {
  now = 0;
  private queue: Task[] = [];
  private seq = 0;
  /** A bound on work: a model bug that loops packets forever ends as an error, not a hang. */
  private budget = 2_000_000;

  at(time: number, run: () => void): void {
    const task: Task = { at: Math.max(time, this.now), seq: this.seq++, run };
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q = this.queue[mid];
      if (q.at < task.at || (q.at === task.at && q.seq < task.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, task);
  }

  after(delayNs: number, run: () => void): void {
    this.at(this.now + delayNs, run);
  }

  /** Runs tasks until `done()` says so or the queue is empty or the next task is after `until`. */
  runUntil(done: () => boolean, until = Infinity): void {
    while (!done() && this.queue.length > 0 && this.queue[0].at <= until) {
      const t = this.queue.shift() as Task;
      this.now = t.at;
      if (--this.budget < 0) throw new Error('emulation did not settle: more than 2,000,000 events (a forwarding loop?)');
      t.run();
    }
    if (!done() && until !== Infinity && this.now < until) this.now = until;
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }
}

export const US = 1_000;
export const MS = 1_000_000;
export const SEC = 1_000_000_000;
