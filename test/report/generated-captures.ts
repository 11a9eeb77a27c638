/**
 * Captures of shapes the samples do not have, written with the emulator's encoders so that every
 * frame decodes to what it means: one long TCP download (a `docker pull`, a large file) seen on
 * docker0 and, after MASQUERADE, on eth0; a SYN scan from a container, one port after another; and
 * a storm of SYNs to one port nobody answers.
 */
import { writePcapng, type WriterFrame } from '../../src/capture/index.js';
import { ip4, type Ip4 } from '../../src/emulate/addr.js';
import { encodeEthernetFrame } from '../../src/emulate/wire.js';
import type { EthFrame } from '../../src/emulate/packet.js';
import { ETHERTYPE_IPV6, IPPROTO_TCP, IPPROTO_UDP, TCP_FLAG_ACK, TCP_FLAG_PSH, TCP_FLAG_SYN } from '../../src/decode/enums.js';
import { ETHERNET_HEADER_LENGTH, writeEthernet } from '../../src/decode/ethernet.js';
import { IPV6_HEADER_LENGTH, ipv6PseudoHeader, writeIpv6 } from '../../src/decode/ipv6.js';
import { udpLength, writeUdp, type UdpFields } from '../../src/decode/udp.js';
import { addressBytes } from '../../src/correlate/address-bytes.js';

const CONTAINER = ip4('172.17.0.2');
const OUTSIDE = ip4('203.0.113.108');
const SERVER = ip4('198.51.100.7');
const CONTAINER_MAC = Uint8Array.of(0x02, 0x42, 0xac, 0x11, 0x00, 0x02);
const BRIDGE_MAC = Uint8Array.of(0x02, 0x42, 0x5e, 0x7a, 0x11, 0x01);
const UPLINK_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x6b, 0x0e, 0xa1);
const GATEWAY_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x00, 0x00, 0x01);
const SPORT = 40000;
const MSS = 100;

interface Segment {
  fromServer: boolean;
  seq: number;
  ack: number;
  flags: number;
  data: Uint8Array;
  id: number;
}

/** `serverPort`: the server's port (80 unless a scan tries another); `clientPort`: the container's. */
function frame(s: Segment, onUplink: boolean, serverPort = 80, clientPort = SPORT): EthFrame {
  const inside = onUplink ? OUTSIDE : CONTAINER;
  const [src, dst]: [Ip4, Ip4] = s.fromServer ? [SERVER, inside] : [inside, SERVER];
  const [sport, dport] = s.fromServer ? [serverPort, clientPort] : [clientPort, serverPort];
  const ttl = s.fromServer ? (onUplink ? 55 : 54) : onUplink ? 63 : 64;
  const macs = onUplink ? [UPLINK_MAC, GATEWAY_MAC] : [CONTAINER_MAC, BRIDGE_MAC];
  const [srcMac, dstMac] = s.fromServer ? [macs[1], macs[0]] : [macs[0], macs[1]];
  return {
    src: srcMac,
    dst: dstMac,
    payload: {
      kind: 'ipv4',
      ip: { src, dst, ttl, id: s.id, df: true, tos: 0, body: { proto: IPPROTO_TCP, sport, dport, seq: s.seq, ack: s.ack, flags: s.flags, window: 502, options: new Uint8Array(0), data: s.data } },
    },
  };
}

/** The handshake, then `segments` full-sized segments from the server, each ACKed by the client. */
function* download(segments: number): Generator<Segment> {
  const data = new Uint8Array(MSS).fill(0x61);
  let c = 1000;
  let s = 5000;
  let id = 1;
  yield { fromServer: false, seq: c, ack: 0, flags: TCP_FLAG_SYN, data: new Uint8Array(0), id: id++ };
  yield { fromServer: true, seq: s, ack: c + 1, flags: TCP_FLAG_SYN | TCP_FLAG_ACK, data: new Uint8Array(0), id: id++ };
  c++;
  s++;
  yield { fromServer: false, seq: c, ack: s, flags: TCP_FLAG_ACK, data: new Uint8Array(0), id: id++ };
  for (let i = 0; i < segments; i++) {
    yield { fromServer: true, seq: s, ack: c, flags: TCP_FLAG_ACK | TCP_FLAG_PSH, data, id: id++ & 0xffff };
    s = (s + MSS) >>> 0;
    yield { fromServer: false, seq: c, ack: s, flags: TCP_FLAG_ACK, data: new Uint8Array(0), id: id++ & 0xffff };
  }
}

/** Writes the download to `path`: 2 + 2 x `segments` packets, each seen on docker0 and on eth0. */
export async function writeLongDownload(path: string, segments: number): Promise<void> {
  function* frames(): Generator<WriterFrame> {
    let t = 1_795_362_815_000_000_000n;
    for (const s of download(segments)) {
      // The server's packets reach eth0 first and are forwarded to docker0; the client's the other way.
      const order = s.fromServer ? [1, 0] : [0, 1];
      for (const iface of order) {
        yield { iface, tsNs: t, data: encodeEthernetFrame(frame(s, iface === 1)) };
        t += 10_000n;
      }
      t += 40_000n;
    }
  }
  await writePcapng(path, [{ name: 'docker0', linktype: 1 }, { name: 'eth0', linktype: 1 }], frames());
}

/** Writes `count` SYNs from 172.17.0.2 on docker0, each to its own port of 198.51.100.7, none answered. */
export async function writeSynScan(path: string, count: number): Promise<void> {
  await writeSyns(path, count, (i) => [SPORT, 1 + i]);
}

/**
 * Writes `count` SYNs from the container to port 80 of one server, each from a port of its own and
 * none answered (a client retrying a dead service): one kind of conversation, `count` times over.
 */
export async function writeSynStorm(path: string, count: number): Promise<void> {
  await writeSyns(path, count, (i) => [20000 + (i % 40000), 80]);
}

/** `count` SYNs from the container on docker0, none answered; `ports(i)`: the client's and the server's port of the i-th. */
async function writeSyns(path: string, count: number, ports: (i: number) => [client: number, server: number]): Promise<void> {
  function* frames(): Generator<WriterFrame> {
    let t = 1_795_362_815_000_000_000n;
    for (let i = 0; i < count; i++) {
      const s: Segment = { fromServer: false, seq: 1000 + i, ack: 0, flags: TCP_FLAG_SYN, data: new Uint8Array(0), id: (i + 1) & 0xffff };
      const [client, server] = ports(i);
      yield { iface: 0, tsNs: t, data: encodeEthernetFrame(frame(s, false, server, client)) };
      t += 20_000n;
    }
  }
  await writePcapng(path, [{ name: 'docker0', linktype: 1 }], frames());
}

/**
 * Writes `count` UDP datagrams from the container, each to an outside address of its own, seen on
 * its veth and on docker0 and never on eth0: a host that forwards nothing, meeting a new
 * destination with every packet (`count` pairs of addresses, each dropped). `ipv6`: from
 * fd00:17::2 to 2001:db8::N instead, the same way.
 */
export async function writeForwardDrops(path: string, count: number, ipv6 = false): Promise<void> {
  function* frames(): Generator<WriterFrame> {
    let t = 1_795_362_815_000_000_000n;
    // The host asks for its gateway on eth0: the uplink carries something.
    const broadcast = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    const ask: EthFrame = { src: UPLINK_MAC, dst: broadcast, payload: { kind: 'arp', arp: { op: 1, sha: UPLINK_MAC, spa: OUTSIDE, tha: new Uint8Array(6), tpa: ip4('203.0.113.1') } } };
    yield { iface: 2, tsNs: t, data: encodeEthernetFrame(ask) };
    for (let i = 0; i < count; i++) {
      const data = ipv6 ? ipv6Datagram(i) : ipv4Datagram(i);
      yield { iface: 0, tsNs: t, data };
      yield { iface: 1, tsNs: t + 3_000n, data };
      t += 20_000n;
    }
  }
  await writePcapng(path, [{ name: 'veth3a1f0c0', linktype: 1 }, { name: 'docker0', linktype: 1 }, { name: 'eth0', linktype: 1 }], frames());
}

/** An Ethernet frame of a UDP datagram (8 zero bytes to port 9) from the container to 11.x.y.9, one address for each `n`. */
function ipv4Datagram(n: number): Uint8Array {
  const dst = ip4(`${11 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.9`);
  const body = { proto: IPPROTO_UDP, sport: 40000, dport: 9, data: new Uint8Array(8) } as const;
  return encodeEthernetFrame({ src: CONTAINER_MAC, dst: BRIDGE_MAC, payload: { kind: 'ipv4', ip: { src: CONTAINER, dst, ttl: 64, id: (n + 1) & 0xffff, df: true, tos: 0, body } } });
}

/**
 * The same over IPv6, from fd00:17::2 to 2001:db8::(n+1), written with the decoders' own writers
 * (the emulator speaks IPv4 only).
 */
function ipv6Datagram(n: number): Uint8Array {
  const udp: UdpFields = { srcPort: 40000, dstPort: 9, payload: new Uint8Array(8) };
  const length = udpLength(udp);
  const out = new Uint8Array(ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH + length);
  const ip = writeEthernet(out, 0, { dst: BRIDGE_MAC, src: CONTAINER_MAC, etherType: ETHERTYPE_IPV6 });
  const host = n + 1;
  const dst = `2001:db8::${(host >>> 16).toString(16)}:${(host & 0xffff).toString(16)}`;
  const l4 = writeIpv6(out, ip, { payloadLength: length, nextHeader: IPPROTO_UDP, hopLimit: 64, src: addressBytes('fd00:17::2')!, dst: addressBytes(dst)! });
  writeUdp(out, l4, udp, ipv6PseudoHeader(out, ip, length, IPPROTO_UDP));
  return out;
}
