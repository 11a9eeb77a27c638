/** The whole emulated machine: namespaces, the clock, chance, the recorder and the drop log. */
import type { CaptureTarget } from '../scenario/types.js';
import { Rng, Scheduler } from './clock.js';
import { Recorder } from './capture.js';
import type { LinkHost, Device } from './link.js';
import { Namespace, type DropEvent } from './namespace.js';
import type { EthFrame } from './packet.js';

export class World {
  readonly sched = new Scheduler();
  readonly rng: Rng;
  readonly recorder: Recorder;
  readonly namespaces = new Map<string, Namespace>();
  readonly drops: DropEvent[] = [];
  readonly link: LinkHost;
  readonly host: Namespace;

  constructor(seed: number, captures: CaptureTarget[], baseNs: bigint) {
    this.rng = new Rng(seed);
    this.recorder = new Recorder(captures, baseNs, () => this.sched.now);
    const rec = this.recorder;
    const sched = this.sched;
    this.link = {
      after: (d: number, run: () => void) => sched.after(d, run),
      transmitted: (dev: Device, f: EthFrame) => rec.transmit(dev, f),
      received: (dev: Device, f: EthFrame) => rec.receive(dev, f),
      promiscuous: (dev: Device) => rec.isPromiscuous(dev),
    };
    this.host = this.addNamespace('host', true);
  }

  addNamespace(name: string, isHost = false): Namespace {
    const ns = new Namespace(this, name, isHost);
    this.namespaces.set(name, ns);
    return ns;
  }

  private pid = 0;

  /** Process ids of the programs a scenario starts: a seeded start, then rising as fork gives them. */
  nextPid(): number {
    if (this.pid === 0) this.pid = this.rng.between(300, 9000);
    this.pid += this.rng.between(20, 60);
    return this.pid & 0xffff;
  }

  drop(e: DropEvent): void {
    this.drops.push(e);
  }
}
