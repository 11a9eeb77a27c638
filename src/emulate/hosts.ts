/**
 * One capture per host, as captures from real hosts arrive: every namespace a `@capture` names is a
 * host of its own (`host` for the scenario's host, `hostb` for `@capture hostb:eth1`), and each
 * interface is named as that host's own tcpdump names it, without the namespace.
 */
import type { CaptureTarget } from '../scenario/types.js';
import type { EmulatedCapture } from './index.js';

/** The host a capture target belongs to and the interface's name there. */
export function hostOf(t: CaptureTarget): { host: string; iface: string } {
  return t.kind === 'any' ? { host: 'host', iface: 'any' } : { host: t.netns ?? 'host', iface: t.iface };
}

/** The emulated capture cut into one per host; `targets` are the scenario's, in the capture's interface order. */
export function splitByHost(c: EmulatedCapture, targets: readonly CaptureTarget[]): Map<string, EmulatedCapture> {
  const out = new Map<string, EmulatedCapture>();
  const place = targets.map(hostOf);
  /** For each interface of `c`: its host's capture and its index there. */
  const moved = c.interfaces.map((iface, i) => {
    const { host, iface: name } = place[i];
    let part = out.get(host);
    if (part === undefined) {
      part = { ...c, interfaces: [], frames: [], records: [], drops: c.drops.filter((d) => d.namespace === host) };
      out.set(host, part);
    }
    part.interfaces.push({ ...iface, name });
    return { part, index: part.interfaces.length - 1 };
  });
  c.frames.forEach((f, i) => {
    const { part, index } = moved[f.iface];
    part.frames.push({ ...f, iface: index });
    part.records.push({ ...c.records[i], frame: part.frames.length });
  });
  return out;
}
