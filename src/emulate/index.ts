/**
 * The reference emulator: executes a scenario against a model of Linux container networking and
 * returns the frames each captured interface should carry, with what the model knows about each
 * (the NAT rules that rewrote it) so that `diff` can quote them.
 */
import type { Scenario } from '../scenario/types.js';
import { encodePcapng } from '../capture/pcapng-writer.js';
import { Emulation } from './run.js';
import type { EmulatedFrame, EmulatedInterface, FrameRecord } from './capture.js';
import type { DropEvent } from './namespace.js';

export type { CapturedDevice, EmulatedFrame, EmulatedInterface, FrameRecord, InterfaceIndex } from './capture.js';
export { encodeEmulatedPcap, ifaceMapText, type EmulatedPcap } from './pcap.js';
export { hostOf, splitByHost } from './hosts.js';
export type { DropEvent } from './namespace.js';
export type { Rewrite } from './packet.js';
export type { RuleOrigin } from './netfilter.js';

export interface EmulateOptions {
  /** Changes every random choice (MACs, ids, ports, ISNs); the same seed gives the same bytes. */
  seed?: number;
}

export interface EmulatedCapture {
  scenario: string;
  title?: string;
  seed: number;
  interfaces: EmulatedInterface[];
  /** In capture order (time order across interfaces). */
  frames: EmulatedFrame[];
  /** One per frame, same order: `records[i].frame === i + 1`. */
  records: FrameRecord[];
  /** Packets the model dropped, with the reason and the rule or policy that did it. */
  drops: DropEvent[];
}

export const DEFAULT_SEED = 1;
/** 2025-01-01T00:00:00Z plus one second per seed: timestamps are plausible and reproducible. */
const BASE_EPOCH_S = 1_735_689_600n;

export function emulateScenario(scenario: Scenario, options: EmulateOptions = {}): EmulatedCapture {
  const seed = options.seed ?? DEFAULT_SEED;
  const em = new Emulation(scenario, { seed, startNs: (BASE_EPOCH_S + BigInt(seed >>> 0)) * 1_000_000_000n });
  em.run();
  const w = em.world;
  w.recorder.noteIdleDevices((ns, name) => w.namespaces.get(ns)?.device(name));
  const start = em.options.startNs;
  return {
    scenario: scenario.file,
    title: scenario.title,
    seed,
    interfaces: w.recorder.interfaces,
    frames: w.recorder.frames,
    records: w.recorder.records,
    drops: w.drops.map((d) => ({ ...d, tsNs: Number(start) + d.tsNs })),
  };
}

/**
 * The emulated capture as a pcapng file (nanosecond timestamps, one IDB per captured interface);
 * encodeEmulatedPcap writes classic pcap. `host` names the host of a capture split by splitByHost.
 */
export function encodeEmulated(c: EmulatedCapture, host?: string): Uint8Array {
  const comment = `pcap-narrator emulate ${c.scenario}${c.title ? `: ${c.title}` : ''} (seed ${c.seed})${host === undefined ? '' : `, host ${host}`}`;
  return encodePcapng(
    c.interfaces.map((i) => ({ name: i.name, linktype: i.linktype, description: i.description })),
    c.frames.map((f) => ({ iface: f.iface, tsNs: f.tsNs, data: f.data, direction: f.direction })),
    { comment },
  );
}
