/**
 * The recorder: every frame a captured interface sends or receives, as the bytes a capture there
 * holds, with what the model knows about it (NAT rewrites so far) for `diff`.
 */
import type { CaptureTarget } from '../scenario/types.js';
import { macEquals, isGroupMac, BROADCAST_MAC } from './addr.js';
import type { EthFrame, Rewrite } from './packet.js';
import { encodeEthernetFrame } from './wire.js';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK } from '../decode/enums.js';
import { PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST, PACKET_OUTGOING } from '../decode/sll.js';
import { cookEthernetFrame, LINKTYPE_LINUX_SLL2 } from '../decode/sll2.js';
import type { Device } from './link.js';

export const LINKTYPE_ETHERNET = 1;

export interface EmulatedInterface {
  /** As the scenario names it: `vethc1`, `c1:eth0`, or `any`. */
  name: string;
  linktype: number;
  description?: string;
  /** A named interface's device as the scenario made it: what a cooked (`-i any`) capture records of it. */
  device?: CapturedDevice;
  /** For `any`: the host's devices its frames carry the indexes of, in index order. */
  indexes?: InterfaceIndex[];
}

/** An interface index and the device it names: one item of `--iface-map`. */
export interface InterfaceIndex {
  index: number;
  name: string;
}

export interface CapturedDevice {
  /** Its index in its namespace (where it first carried a frame, or where the scenario left it). */
  ifindex: number;
  /** ARPHRD_ETHER, or ARPHRD_LOOPBACK for lo. */
  arphrdType: number;
}

export interface EmulatedFrame {
  /** Index into the interfaces. */
  iface: number;
  tsNs: bigint;
  data: Uint8Array;
  direction: 'in' | 'out';
  /** How the receiving device classed it (PACKET_HOST .. PACKET_OTHERHOST), or PACKET_OUTGOING. */
  packetType: number;
  comment?: string;
}

/** What the model knows about one written frame, keyed by its 1-based number in the output. */
export interface FrameRecord {
  frame: number;
  /** Where the frame was seen: the scenario's namespace (`host`, `c1`, `container:web`, `outside`) and device. */
  namespace: string;
  device: string;
  direction: 'in' | 'out';
  /** The NAT rewrites the packet had had when it was seen here, oldest first. */
  rewrites: Rewrite[];
}

interface Point {
  iface: number;
  promiscuous: boolean;
}

interface NamedPoint extends Point {
  namespace: string;
  device: string;
}

export class Recorder {
  readonly interfaces: EmulatedInterface[] = [];
  readonly frames: EmulatedFrame[] = [];
  readonly records: FrameRecord[] = [];
  private readonly named = new Map<string, NamedPoint>();
  private any: Point | undefined;
  /** The lab starts its captures at the scenario's first traffic line; what came before is unseen. */
  private started = false;

  constructor(
    targets: CaptureTarget[],
    private readonly baseNs: bigint,
    private readonly now: () => number,
  ) {
    for (const t of targets) {
      if (t.kind === 'any') {
        this.any = { iface: this.interfaces.length, promiscuous: false };
        this.interfaces.push({ name: 'any', linktype: LINKTYPE_LINUX_SLL2, description: 'tcpdump -i any on the host (Linux cooked v2)', indexes: [] });
      } else {
        const name = t.netns === undefined ? t.iface : `${t.netns}:${t.iface}`;
        const namespace = t.netns ?? 'host';
        this.named.set(`${namespace}\u0000${t.iface}`, { iface: this.interfaces.length, promiscuous: true, namespace, device: t.iface });
        this.interfaces.push({ name, linktype: LINKTYPE_ETHERNET });
      }
    }
  }

  private point(dev: Device): Point | undefined {
    return this.named.get(`${dev.ns.name}\u0000${dev.name}`);
  }

  start(): void {
    this.started = true;
  }

  /** Whether a capture puts this device in promiscuous mode (tcpdump -i NAME does; -i any does not). */
  isPromiscuous(dev: Device): boolean {
    return this.started && (this.point(dev)?.promiscuous ?? false);
  }

  /** libpcap drops the outgoing copy on loopback (pcap-linux.c: "we'll see it again as incoming"). */
  transmit(dev: Device, f: EthFrame): void {
    if (dev.kind !== 'loopback') this.record(dev, f, 'out');
  }

  receive(dev: Device, f: EthFrame): void {
    this.record(dev, f, 'in');
  }

  /** Interfaces that carried no frame take their device's index from where the scenario left it. */
  noteIdleDevices(find: (namespace: string, device: string) => Device | undefined): void {
    for (const p of this.named.values()) {
      const iface = this.interfaces[p.iface];
      const dev = iface.device === undefined ? find(p.namespace, p.device) : undefined;
      if (dev !== undefined) iface.device = capturedDevice(dev);
    }
  }

  private record(dev: Device, f: EthFrame, direction: 'in' | 'out'): void {
    if (!this.started) return;
    const p = this.point(dev);
    const any = dev.ns.isHost ? this.any : undefined;
    if (p === undefined && any === undefined) return;
    const ts = this.baseNs + BigInt(Math.round(this.now()));
    const packetType = direction === 'out' ? PACKET_OUTGOING : inboundType(dev, f);
    // One encoding serves both captures of a host device: the cooked form is cut from it.
    const data = encodeEthernetFrame(f);
    if (p !== undefined) {
      this.interfaces[p.iface].device ??= capturedDevice(dev);
      this.push(dev, { iface: p.iface, tsNs: ts, data, direction, packetType }, f);
    }
    if (any !== undefined) {
      noteIndex(this.interfaces[any.iface].indexes ?? [], dev);
      const cooked = cookEthernetFrame(data, { interfaceIndex: dev.ifindex, arphrdType: capturedDevice(dev).arphrdType, packetType });
      this.push(dev, { iface: any.iface, tsNs: ts, data: cooked, direction, packetType }, f);
    }
  }

  private push(dev: Device, frame: EmulatedFrame, f: EthFrame): void {
    this.frames.push(frame);
    const rewrites = f.payload.kind === 'ipv4' ? (f.payload.ip.trail ?? []) : [];
    this.records.push({ frame: this.frames.length, namespace: dev.ns.name, device: dev.name, direction: frame.direction, rewrites });
  }
}

function noteIndex(indexes: InterfaceIndex[], dev: Device): void {
  if (indexes.some((i) => i.index === dev.ifindex)) return;
  indexes.push({ index: dev.ifindex, name: dev.name });
  indexes.sort((a, b) => a.index - b.index);
}

function capturedDevice(dev: Device): CapturedDevice {
  return { ifindex: dev.ifindex, arphrdType: dev.kind === 'loopback' ? ARPHRD_LOOPBACK : ARPHRD_ETHER };
}

/** eth_type_trans's classification against the receiving device's own address. */
function inboundType(dev: Device, f: EthFrame): number {
  if (dev.kind === 'loopback') return PACKET_HOST;
  if (isGroupMac(f.dst)) return macEquals(f.dst, BROADCAST_MAC) ? PACKET_BROADCAST : PACKET_MULTICAST;
  return macEquals(f.dst, dev.mac) ? PACKET_HOST : PACKET_OTHERHOST;
}
