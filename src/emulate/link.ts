/**
 * Devices and layer 2: veth pairs (what one end sends the other receives), bridges (learning,
 * flooding of broadcast and unknown destinations to every other port, local delivery of frames for
 * the bridge's own address), loopback, and the ends of VXLAN and Geneve tunnels (their namespace
 * wraps what they send in UDP: see tunnel.ts). A frame larger than its way out's MTU dies there.
 */
import { isGroupMac, macEquals, macKey, type Ip4, type Mac } from './addr.js';
import { cloneFrame, type EthFrame } from './packet.js';
import type { Namespace } from './namespace.js';
import type { TunnelType } from '../scenario/types.js';
import { ipv4Length } from './wire.js';

export type DeviceKind = 'loopback' | 'veth' | 'bridge' | TunnelType;

/** A point-to-point tunnel as `ip link add ... type vxlan|geneve` made it. */
export interface TunnelConfig {
  type: TunnelType;
  vni: number;
  /** The outer source; the route to `remote` chooses it when absent. */
  local?: Ip4;
  remote: Ip4;
  port: number;
  /** The next IP id of the outer packets (one counter per device here; Linux hashes per destination). */
  nextId: number;
}

/** Default MTUs: loopback's 64 KiB, Ethernet's 1500 for everything else (a tunnel without `dev` too). */
function defaultMtu(kind: DeviceKind): number {
  return kind === 'loopback' ? 65536 : 1500;
}

export interface DeviceAddress {
  addr: Ip4;
  prefixLen: number;
}

export class Device {
  up = false;
  peer?: Device;
  /** The bridge this device is a port of. */
  master?: Device;
  readonly ports: Device[] = [];
  /** Bridge forwarding database: MAC (as a number) to the port it was learnt on. */
  readonly fdb = new Map<number, Device>();
  readonly addrs: DeviceAddress[] = [];
  /** A bridge takes the lowest MAC of its ports until one is set explicitly (br_stp_recalculate_bridge_id). */
  macFixed = false;
  routeLocalnet = false;
  /** A bridge's MTU follows the smallest of its ports' until one is set (br_mtu_auto). */
  mtuFixed = false;
  private ownMtu: number;
  tunnel?: TunnelConfig;

  constructor(
    public ns: Namespace,
    public name: string,
    readonly kind: DeviceKind,
    public mac: Mac,
    public ifindex: number,
  ) {
    this.ownMtu = defaultMtu(kind);
  }

  get mtu(): number {
    if (this.kind !== 'bridge' || this.mtuFixed || this.ports.length === 0) return this.ownMtu;
    return Math.min(...this.ports.map((p) => p.mtu));
  }

  set mtu(value: number) {
    this.ownMtu = value;
    this.mtuFixed = true;
  }

  /** A veth carries frames only when both ends are up. */
  get carrier(): boolean {
    if (!this.up) return false;
    if (this.kind === 'veth') return this.peer !== undefined && this.peer.up;
    return true;
  }
}

/** Per-hop costs, in nanoseconds: what a veth, a bridge and a stack take on an idle machine. */
export const COST = {
  veth: 1_800,
  bridge: 1_200,
  loopback: 2_500,
};

export interface LinkHost {
  after(delayNs: number, run: () => void): void;
  transmitted(dev: Device, f: EthFrame): void;
  received(dev: Device, f: EthFrame): void;
  promiscuous(dev: Device): boolean;
}

/** The frame's length as an MTU counts it: its IP packet (an ARP message always fits). */
export function l3Length(f: EthFrame): number {
  return f.payload.kind === 'ipv4' ? ipv4Length(f.payload.ip) : 0;
}

/**
 * A GSO packet passes a device whatever its size: is_skb_forwardable lets it through a bridge or a
 * veth, a socket cut its segments to its route's MTU, and a tunnel checks the segments itself
 * (skb_tunnel_check_pmtu). Anything else larger than the device's MTU dies before it.
 */
function passesAsGso(f: EthFrame): boolean {
  return f.payload.kind === 'ipv4' && f.payload.ip.gsoSegment !== undefined;
}

/** The length an MTU is held against: each segment's of a GSO packet, else the packet's own. */
export function segmentLength(f: EthFrame): number {
  return f.payload.kind === 'ipv4' ? (f.payload.ip.gsoSegment ?? l3Length(f)) : 0;
}

/**
 * dev_queue_xmit: the frame leaves `dev` (a capture there sees it outgoing). One too big for the
 * device dies before any capture sees it (ip_finish_output, or is_skb_forwardable for a bridged
 * frame), except what a tunnel answers for itself.
 */
export function transmit(h: LinkHost, dev: Device, f: EthFrame): void {
  if (!dev.up) return;
  if (l3Length(f) > dev.mtu && !passesAsGso(f)) {
    dev.ns.dropTooBig(dev, f);
    return;
  }
  h.transmitted(dev, f);
  switch (dev.kind) {
    case 'vxlan':
    case 'geneve':
      dev.ns.tunnelTransmit(dev, f);
      return;
    case 'veth': {
      const peer = dev.peer;
      if (peer === undefined || !peer.up) return;
      const copy = cloneFrame(f);
      h.after(COST.veth, () => receive(h, peer, copy));
      return;
    }
    case 'loopback': {
      const copy = cloneFrame(f);
      h.after(COST.loopback, () => receive(h, dev, copy));
      return;
    }
    case 'bridge': {
      if (f.payload.kind === 'ipv4' && f.payload.ip.bridgedDnat !== undefined) {
        const mark = f.payload.ip.bridgedDnat;
        // br_nf_pre_routing_finish_bridge_slow: the frame takes back its own source MAC and is
        // bridged on as if it had just arrived at its port.
        f.payload.ip.bridgedDnat = undefined;
        bridgeForwardFrame(h, dev, mark.ingress, { ...f, src: mark.srcMac }, true);
        return;
      }
      // br_dev_xmit: the host's own frame goes to the port that learnt the destination, or to all.
      bridgeOut(h, dev, f, undefined);
    }
  }
}

/** netif_receive_skb: a capture on `dev` sees it incoming; a bridge port hands it to its bridge. */
export function receive(h: LinkHost, dev: Device, f: EthFrame): void {
  if (!dev.up) return;
  h.received(dev, f);
  if (dev.master !== undefined) {
    bridgeIn(h, dev.master, dev, f);
    return;
  }
  if (dev.kind === 'loopback' || isGroupMac(f.dst) || macEquals(f.dst, dev.mac)) dev.ns.linkReceive(dev, f);
}

function isLocalMac(br: Device, mac: Mac): boolean {
  if (macEquals(mac, br.mac)) return true;
  for (const p of br.ports) if (macEquals(mac, p.mac)) return true;
  return false;
}

function bridgeIn(h: LinkHost, br: Device, port: Device, f: EthFrame): void {
  if (!br.up) return;
  if (!isGroupMac(f.src)) br.fdb.set(macKey(f.src), port);
  const dst = f.payload.kind === 'ipv4' ? f.payload.ip.dst : undefined;
  if (f.payload.kind === 'ipv4' && !br.ns.bridgePrerouting(br, f.payload.ip)) return;
  if (isGroupMac(f.dst)) {
    passUp(h, br, f);
    if (f.payload.kind === 'ipv4') f.payload.ip.ct = undefined;
    bridgeOut(h, br, f, port);
    return;
  }
  if (isLocalMac(br, f.dst)) {
    // PREROUTING sent a frame for the bridge to an address behind the bridge itself: it is bridged.
    if (f.payload.kind === 'ipv4' && f.payload.ip.dst !== dst && br.ns.bridgedDnat(br, port, f)) return;
    passUp(h, br, f);
    return;
  }
  bridgeForwardFrame(h, br, port, f, false);
}

/**
 * br_handle_frame_finish for a unicast frame: a clone goes through the bridge's FORWARD and
 * POSTROUTING to the port that learnt its destination, and a bridge in promiscuous mode (tcpdump -i
 * br0) passes the original up as well, untouched by the NAT that made the clone writable. IP ignores
 * that copy, unless the frame was for the bridge's own address before a bridged DNAT (`hostBound`):
 * then it still counts as the host's and is routed, a second copy out of the same bridge.
 */
export function bridgeForwardFrame(h: LinkHost, br: Device, port: Device, f: EthFrame, hostBound: boolean): void {
  const up = h.promiscuous(br) ? cloneFrame(f) : undefined;
  const forwarded = f.payload.kind !== 'ipv4' || br.ns.bridgeForward(br, f.payload.ip);
  if (up === undefined) {
    if (forwarded) bridgeOut(h, br, f, port);
    return;
  }
  const passUpCopy = (): void => {
    h.received(br, up);
    if (hostBound) h.after(COST.bridge, () => br.up && br.ns.linkReceive(br, up));
  };
  // The copy of a plain bridged frame keeps the stamp the frame got on arrival at the port (the kernel
  // stamps a frame once on receive): a capture on the bridge shows it before the egress port. When NAT
  // rewrote the frame on the bridge, Linux 6.18 (the hairpin samples) shows the copy after the egress
  // port, with a stamp of its own.
  const natted = hostBound || (f.payload.kind === 'ipv4' && up.payload.kind === 'ipv4' && f.payload.ip.trail !== up.payload.ip.trail);
  if (!natted) passUpCopy();
  if (forwarded) bridgeOut(h, br, f, port);
  if (natted) h.after(COST.bridge, passUpCopy);
}

function passUp(h: LinkHost, br: Device, f: EthFrame): void {
  const copy = cloneFrame(f);
  h.received(br, copy);
  h.after(COST.bridge, () => {
    if (br.up) br.ns.linkReceive(br, copy);
  });
}

/** Forwards to the learnt port, or floods to every port but the one it came in on. */
function bridgeOut(h: LinkHost, br: Device, f: EthFrame, ingress: Device | undefined): void {
  const known = isGroupMac(f.dst) ? undefined : br.fdb.get(macKey(f.dst));
  const out = known !== undefined ? [known] : br.ports;
  for (const p of out) {
    if (p === ingress || !p.up || p.master !== br) continue;
    const copy = cloneFrame(f);
    h.after(COST.bridge, () => transmit(h, p, copy));
  }
}

/** The bridge's address: the lowest of its ports' unless set (what a fresh `ip link add type bridge` shows). */
export function recalcBridgeMac(br: Device): void {
  if (br.macFixed || br.ports.length === 0) return;
  let min = br.ports[0].mac;
  for (const p of br.ports) if (macKey(p.mac) < macKey(min)) min = p.mac;
  br.mac = min;
}
