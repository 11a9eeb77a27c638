/**
 * The emulated capture as a classic pcap file, for tools that read nothing else. A pcap has one
 * link type for all its frames and no interface names, so several interfaces go in as `tcpdump -i
 * any -w` would record them: Linux cooked v2, each frame carrying its interface's index, and the
 * names travel beside the file as the `--iface-map` text.
 */
import { encodePcap } from '../capture/pcap-writer.js';
import { cookEthernetFrame, LINKTYPE_LINUX_SLL2 } from '../decode/sll2.js';
import { LINKTYPE_ETHERNET, type EmulatedInterface, type InterfaceIndex } from './capture.js';
import { ARPHRD_ETHER } from '../decode/enums.js';
import type { EmulatedCapture } from './index.js';

export interface EmulatedPcap {
  bytes: Uint8Array;
  linktype: number;
  /**
   * What names the indexes of a cooked file: each interface's, in @capture order, when several
   * share it; the host's devices for `any`; else empty.
   */
  indexes: InterfaceIndex[];
}

/** A pcap record's seconds are an unsigned 32-bit number: 2106-02-07T06:28:15Z is the last. */
const PCAP_SECONDS_LIMIT = 1n << 32n;

/**
 * Nanosecond records (magic 0xa1b23c4d, `tcpdump --time-stamp-precision=nano -w`) although plain
 * `tcpdump -w` writes microseconds: the model's hops are a few microseconds apart (a veth 1.8 us, a
 * bridge 1.2 us), and microseconds would round them, so the pcap's analysis would no longer be the
 * pcapng's (on egress-nat, 577 of 771 step latencies changed, 1200 ns becoming 1000).
 */
export function encodeEmulatedPcap(c: EmulatedCapture): EmulatedPcap {
  checkSeconds(c);
  if (c.interfaces.length <= 1) {
    const linktype = c.interfaces[0]?.linktype ?? LINKTYPE_ETHERNET;
    return { bytes: encodePcap(linktype, c.frames, { nano: true }), linktype, indexes: c.interfaces[0]?.indexes ?? [] };
  }
  const indexes = cookedIndexes(c.interfaces);
  const frames = c.frames.map((f) => {
    const iface = c.interfaces[f.iface];
    if (iface.linktype !== LINKTYPE_ETHERNET) throw new Error(`interface ${iface.name} (link type ${iface.linktype}) cannot share a cooked pcap`);
    const info = { interfaceIndex: indexes[f.iface], arphrdType: iface.device?.arphrdType ?? ARPHRD_ETHER, packetType: f.packetType };
    return { tsNs: f.tsNs, data: cookEthernetFrame(f.data, info) };
  });
  return {
    bytes: encodePcap(LINKTYPE_LINUX_SLL2, frames, { nano: true }),
    linktype: LINKTYPE_LINUX_SLL2,
    indexes: c.interfaces.map((i, n) => ({ index: indexes[n], name: i.name })),
  };
}

/** `4=docker0,5=vethc1`: what `--iface-map` takes to name the interfaces of a cooked file. */
export function ifaceMapText(indexes: InterfaceIndex[]): string {
  return indexes.map((i) => `${i.index}=${i.name}`).join(',');
}

/**
 * A real host gives each device its own index and `tcpdump -i any` records it, so the interfaces
 * keep their devices' indexes when those differ. Devices of different namespaces may share one
 * (every namespace's lo is 1): then each interface is numbered by its place in @capture, from 1.
 */
function cookedIndexes(interfaces: EmulatedInterface[]): number[] {
  const own = interfaces.map((i) => i.device?.ifindex ?? 0);
  const distinct = !own.includes(0) && new Set(own).size === own.length;
  return distinct ? own : interfaces.map((_, n) => n + 1);
}

function checkSeconds(c: EmulatedCapture): void {
  const late = c.frames.find((f) => f.tsNs / 1_000_000_000n >= PCAP_SECONDS_LIMIT);
  if (late === undefined) return;
  const frame = c.frames.indexOf(late) + 1;
  throw new RangeError(
    `frame ${frame} is at ${late.tsNs / 1_000_000_000n} s since 1970, past the last second a classic pcap record holds ` +
      `(${PCAP_SECONDS_LIMIT - 1n}, 2106-02-07T06:28:15Z)`,
  );
}
