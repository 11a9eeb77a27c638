// The traffic of a busy Docker host, as the samples record it (egress-nat, tcp-loss, any-capture):
// containers on docker0 (172.17.0.0/16) talking to the outside through MASQUERADE on the uplink,
// every packet seen once per captured interface it crosses, with the hop's changes (TTL, MACs,
// source address and sometimes port or ICMP id on the uplink). Sessions start at random times and
// overlap, so many flows are in flight at once; frames come out in time order from a small heap,
// so memory stays flat however many frames are asked for.
import {
  BROADCAST, ETH_ARP, ETH_IPV4, ETH_IPV6, IPV6_ALL_ROUTERS, TCP,
  arpFrame, dnsMessage, ethernet, icmpEcho, ip4, ipv4Bytes, ipv4Packet, ipv6Icmp, ipv6MulticastMac,
  linkLocal, mac, synOptions, tcpHeader, tsOptions, udpHeader,
} from './packets.mjs';

/** Small, fast, reproducible PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTAINERS = 8;
const HOST_IP = ip4('203.0.113.108');
const HOST_MAC = mac('52:54:00:6b:0e:a1');
const GW_IP = ip4('203.0.113.1');
const GW_MAC = mac('52:54:00:00:00:01');
const BRIDGE_IP = ip4('172.17.0.1');
const BRIDGE_MAC = mac('02:42:5e:7a:11:01');
const DNS_IP = ip4('198.51.100.53');

/** ifindex as `ip link` would number them: lo 1, eth0 2, docker0 3, then the veths. */
const IFINDEX = { eth0: 2, docker0: 3 };

function container(c) {
  const ip = ip4(`172.17.0.${2 + c}`);
  return {
    ip,
    mac: Uint8Array.from([0x02, 0x42, 0xac, 0x11, 0x00, 2 + c]),
    veth: `veth${(0x3a1f0c0 + c * 0x1b3d).toString(16)}`,
    ifindex: 10 + 2 * c,
  };
}

/**
 * The interfaces a capture of `count` interfaces covers: 1 = the uplink; 3 = one container's veth,
 * docker0 and the uplink (`dumpcap -i vethX -i docker0 -i eth0`); 6 = four veths, docker0, uplink;
 * 'any' = every interface of the host, as `tcpdump -i any` sees them.
 */
export function capturedInterfaces(count) {
  const cs = Array.from({ length: CONTAINERS }, (_, c) => container(c));
  const veths = (n) => cs.slice(0, n).map((k) => ({ key: k.veth, name: k.veth, ifindex: k.ifindex }));
  const docker0 = { key: 'docker0', name: 'docker0', ifindex: IFINDEX.docker0 };
  const eth0 = { key: 'eth0', name: 'eth0', ifindex: IFINDEX.eth0 };
  if (count === 1) return [eth0];
  if (count === 3) return [...veths(1), docker0, eth0];
  if (count === 6) return [...veths(4), docker0, eth0];
  if (count === 'any') return [...veths(CONTAINERS), docker0, eth0];
  throw new RangeError(`interfaces must be 1, 3, 6 or 'any', not ${count}`);
}

class FrameHeap {
  items = [];
  push(x) {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
  get size() {
    return this.items.length;
  }
  peek() {
    return this.items[0];
  }
}

const before = (x, y) => x.t < y.t || (x.t === y.t && x.seq < y.seq);

// Linux's packet types (if_packet.h) as a cooked capture records them.
const PKT_HOST = 0;
const PKT_BROADCAST = 1;
const PKT_MULTICAST = 2;
const PKT_OUTGOING = 4;

/**
 * Frames in time order, forever: { t (µs from the start), iface (index into `interfaces`), data
 * (an Ethernet frame), pkttype }. The caller stops when it has enough.
 */
export function* traffic(count, seed = 1, remotes = 'few') {
  const interfaces = capturedInterfaces(count);
  const slot = new Map(interfaces.map((f, i) => [f.key, i]));
  const rand = rng(seed);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const cs = Array.from({ length: CONTAINERS }, (_, c) => ({
    ...container(c),
    port: int(32768, 60999),
    icmpId: int(1, 0xffff),
    ipId: int(0, 0xffff),
  }));
  const heap = new FrameHeap();
  let seq = 0;

  const put = (key, t, data, pkttype) => {
    const iface = slot.get(key);
    if (iface !== undefined) heap.push({ t: Math.round(t), seq: seq++, iface, data, pkttype });
  };
  const nextId = (k) => (k.ipId = (k.ipId + 1) & 0xffff);
  const nextPort = (k) => (k.port = k.port >= 60999 ? 32768 : k.port + 1);

  /** A packet from container k to the outside: its veth, docker0, then the uplink after SNAT. */
  const outbound = (k, t, pkt, nat, droppedAtHost = false) => {
    const inside = ethernet(BRIDGE_MAC, k.mac, ETH_IPV4, ipv4Bytes(pkt));
    put(k.veth, t, inside, PKT_HOST);
    put('docker0', t + 3, inside, PKT_HOST);
    if (droppedAtHost) return;
    const l3 = ipv4Bytes(pkt, { src: HOST_IP, ttl: pkt.ttl - 1, ...nat });
    put('eth0', t + 12 + int(0, 6), ethernet(GW_MAC, HOST_MAC, ETH_IPV4, l3), PKT_OUTGOING);
  };
  /** A packet from the outside to container k: the uplink (to the host's address), then DNAT back. */
  const inbound = (k, t, pkt, unnat, droppedAtHost = false) => {
    put('eth0', t, ethernet(HOST_MAC, GW_MAC, ETH_IPV4, ipv4Bytes(pkt)), PKT_HOST);
    if (droppedAtHost) return;
    const inside = ethernet(k.mac, BRIDGE_MAC, ETH_IPV4, ipv4Bytes(pkt, { dst: k.ip, ttl: pkt.ttl - 1, ...unnat }));
    put('docker0', t + 9 + int(0, 4), inside, PKT_OUTGOING);
    put(k.veth, t + 15, inside, PKT_OUTGOING);
  };
  /** A broadcast or multicast frame from container k: the bridge floods it to every other port. */
  const flooded = (k, t, frame, pkttype) => {
    put(k.veth, t, frame, pkttype);
    put('docker0', t + 3, frame, pkttype);
    for (const o of cs) if (o !== k) put(o.veth, t + 5, frame, PKT_OUTGOING);
  };

  // 'few': a few thousand servers (198.18.0.0/20, a benchmarking range), as one host's containers
  // keep talking to; 'wide': any global unicast address of 11.0.0.0-99.255.255.255, so that nearly
  // every conversation and every scan meets an address never seen before, as a long capture of a
  // host on the internet does (the worst case for anything kept per address).
  const wide = remotes === 'wide';
  const server = () => (wide ? ip4(`${int(11, 99)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`) : ip4(`198.18.${int(0, 15)}.${int(1, 254)}`));
  const body = new Uint8Array(1 << 16);
  for (let i = 0; i < body.length; i++) body[i] = 32 + int(0, 94);
  const text = (s) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

  function http(k, t) {
    const rtt = int(8_000, 40_000);
    const cport = nextPort(k);
    // MASQUERADE keeps the source port unless another mapping holds it; then it picks another.
    const natPort = rand() < 0.05 ? int(1024, 65535) : cport;
    const dst = server();
    const dport = rand() < 0.8 ? 80 : 443;
    let cseq = int(0, 0xffffffff);
    let sseq = int(0, 0xffffffff);
    let cts = int(0, 0xffffffff);
    let sts = int(0, 0xffffffff);
    const out = (tt, flags, payload, opts) => {
      const l4 = tcpHeader({ sport: cport, dport, seq: cseq, ack: sseq, flags, win: 502, options: opts ?? tsOptions(cts, sts) });
      outbound(k, tt, ipv4Packet({ src: k.ip, dst, proto: 6, id: nextId(k), l4, payload, csumAt: 16 }), { sport: natPort });
      cseq = (cseq + payload.length + (flags & (TCP.SYN | TCP.FIN) ? 1 : 0)) >>> 0;
    };
    let sid = int(0, 0xffff);
    const inn = (tt, flags, payload, seqNo = sseq, drop = false) => {
      const l4 = tcpHeader({ sport: dport, dport: natPort, seq: seqNo, ack: cseq, flags, win: 509, options: flags & TCP.SYN ? synOptions(sts, cts) : tsOptions(sts, cts) });
      sid = (sid + 1) & 0xffff;
      inbound(k, tt, ipv4Packet({ src: dst, dst: HOST_IP, proto: 6, id: sid, ttl: 57, l4, payload, csumAt: 16 }), { dport: cport }, drop);
    };
    const none = new Uint8Array(0);
    const advance = (payload, flags) => (sseq = (sseq + payload.length + (flags & (TCP.SYN | TCP.FIN) ? 1 : 0)) >>> 0);

    cseq = (cseq - 0) >>> 0;
    const l4syn = tcpHeader({ sport: cport, dport, seq: cseq, ack: 0, flags: TCP.SYN, win: 64240, options: synOptions(cts, 0) });
    outbound(k, t, ipv4Packet({ src: k.ip, dst, proto: 6, id: nextId(k), l4: l4syn, payload: none, csumAt: 16 }), { sport: natPort });
    cseq = (cseq + 1) >>> 0;
    let now = t + 14 + rtt;
    inn(now, TCP.SYN | TCP.ACK, none);
    advance(none, TCP.SYN);
    sts += 1;
    now += 40;
    cts += rtt >> 10;
    out(now, TCP.ACK, none);
    now += 25;
    const path = `/api/v1/items/${int(1, 99999)}`;
    const request = dport === 80
      ? text(`GET ${path} HTTP/1.1\r\nHost: 198.18.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n`)
      : body.subarray(0, int(180, 520));
    out(now, TCP.PSH | TCP.ACK, request);
    now += 14 + rtt;
    inn(now, TCP.ACK, none);
    const size = int(200, 16_000);
    const header = text(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
    let remaining = size + header.length;
    let off = int(0, body.length - 20_000);
    let first = true;
    const lost = [];
    let unacked = 0;
    now += 300;
    while (remaining > 0) {
      const n = Math.min(1448, remaining);
      const payload = first ? Uint8Array.from([...header, ...body.subarray(off, off + n - header.length)]) : body.subarray(off, off + n);
      off += first ? n - header.length : n;
      first = false;
      remaining -= n;
      const flags = remaining === 0 ? TCP.PSH | TCP.ACK : TCP.ACK;
      sts += 1;
      // The tcp-loss sample: a statistic rule drops every Nth forwarded segment at the host.
      const drop = rand() < 0.02;
      inn(now, flags, payload, sseq, drop);
      if (drop) lost.push({ seq: sseq, payload, flags });
      advance(payload, 0);
      if (!drop && ++unacked === 2) {
        out(now + 60, TCP.ACK, none);
        unacked = 0;
      }
      now += int(12, 40);
    }
    if (unacked > 0 || lost.length > 0) out(now + 60, TCP.ACK, none);
    // Retransmission after the RTO (200 ms minimum on Linux) for every segment the host dropped.
    if (lost.length > 0) {
      now += 200_000 + rtt;
      for (const l of lost) {
        inn(now, l.flags, l.payload, l.seq);
        now += 20;
      }
      out(now + 60, TCP.ACK, none);
    }
    now += 400;
    out(now, TCP.FIN | TCP.ACK, none);
    now += 14 + rtt;
    inn(now, TCP.FIN | TCP.ACK, none);
    advance(none, TCP.FIN);
    out(now + 50, TCP.ACK, none);
  }

  let dnsNames = 0;
  function dns(k, t) {
    const rtt = int(2_000, 25_000);
    const cport = nextPort(k);
    const name = `api${dnsNames % 500}.svc${dnsNames++ % 37}.example.com`;
    for (const [i, qtype] of [[0, 1], [1, 28]]) {
      const id = int(0, 0xffff);
      const tq = t + i * 40;
      const q = dnsMessage({ id, name, qtype });
      outbound(k, tq, ipv4Packet({ src: k.ip, dst: DNS_IP, proto: 17, id: nextId(k), l4: udpHeader(cport, 53, q.length), payload: q, csumAt: 6 }), {});
      const answers = qtype === 1
        ? [Uint8Array.of(198, 18, int(0, 15), int(1, 254))]
        : [Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, int(0, 255), int(1, 255))];
      const r = dnsMessage({ id, name, qtype, answers });
      inbound(k, tq + 14 + rtt, ipv4Packet({ src: DNS_IP, dst: HOST_IP, proto: 17, id: int(0, 0xffff), ttl: 60, df: false, l4: udpHeader(53, cport, r.length), payload: r, csumAt: 6 }), { dport: cport });
    }
  }

  function ping(k, t) {
    const rtt = int(5_000, 30_000);
    k.icmpId = (k.icmpId + 1) & 0xffff;
    const id = k.icmpId;
    const natId = rand() < 0.1 ? int(1, 0xffff) : id;
    const dst = server();
    for (let s = 1; s <= 3; s++) {
      const ts = t + (s - 1) * 1_000_000;
      const payload = new Uint8Array(56);
      for (let i = 8; i < 56; i++) payload[i] = i + 8;
      payload.set([int(0, 255), int(0, 255), int(0, 255), 0x68, s, 0, 0, 0]);
      outbound(k, ts, ipv4Packet({ src: k.ip, dst, proto: 1, id: nextId(k), l4: icmpEcho(8, id, s), payload, csumAt: 2 }), { icmpId: natId });
      inbound(k, ts + 14 + rtt, ipv4Packet({ src: dst, dst: HOST_IP, proto: 1, id: int(0, 0xffff), ttl: 56, df: false, l4: icmpEcho(0, natId, s), payload, csumAt: 2 }), { icmpId: id });
    }
  }

  function arp(k, t) {
    flooded(k, t, arpFrame({ op: 1, senderMac: k.mac, senderIp: k.ip, targetMac: new Uint8Array(6), targetIp: BRIDGE_IP, dstMac: BROADCAST }), PKT_BROADCAST);
    const reply = arpFrame({ op: 2, senderMac: BRIDGE_MAC, senderIp: BRIDGE_IP, targetMac: k.mac, targetIp: k.ip, dstMac: k.mac });
    put('docker0', t + 20, reply, PKT_OUTGOING);
    put(k.veth, t + 22, reply, PKT_OUTGOING);
  }

  function uplinkArp(t) {
    put('eth0', t, arpFrame({ op: 1, senderMac: HOST_MAC, senderIp: HOST_IP, targetMac: new Uint8Array(6), targetIp: GW_IP, dstMac: BROADCAST }), PKT_OUTGOING);
    put('eth0', t + 300, arpFrame({ op: 2, senderMac: GW_MAC, senderIp: GW_IP, targetMac: HOST_MAC, targetIp: HOST_IP, dstMac: HOST_MAC }), PKT_HOST);
  }

  function ipv6Noise(k, t) {
    const src = linkLocal(k.mac);
    if (rand() < 0.5) {
      // Router solicitation with the source link-layer address option.
      const body = new Uint8Array(12);
      body.set([1, 1, ...k.mac], 4);
      flooded(k, t, ethernet(ipv6MulticastMac(IPV6_ALL_ROUTERS), k.mac, ETH_IPV6, ipv6Icmp(src, IPV6_ALL_ROUTERS, 133, body)), PKT_MULTICAST);
    } else {
      // Duplicate address detection: a neighbour solicitation from :: to the solicited-node group.
      const target = src;
      const group = Uint8Array.from([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target[13], target[14], target[15]]);
      const body = new Uint8Array(20);
      body.set(target, 4);
      flooded(k, t, ethernet(ipv6MulticastMac(group), k.mac, ETH_IPV6, ipv6Icmp(new Uint8Array(16), group, 135, body)), PKT_MULTICAST);
    }
  }

  /** Someone on the internet knocks on the host's port 22; the host answers RST. */
  function scan(t) {
    const src = wide ? server() : ip4(`192.0.2.${int(1, 254)}`);
    const sport = int(1024, 65535);
    const syn = tcpHeader({ sport, dport: 22, seq: int(0, 0xffffffff), ack: 0, flags: TCP.SYN, win: 1024, options: Uint8Array.of(2, 4, 5, 0xb4) });
    const pkt = ipv4Packet({ src, dst: HOST_IP, proto: 6, id: int(0, 0xffff), ttl: 49, df: false, l4: syn, payload: new Uint8Array(0), csumAt: 16 });
    put('eth0', t, ethernet(HOST_MAC, GW_MAC, ETH_IPV4, ipv4Bytes(pkt)), PKT_HOST);
    const seqNo = ((syn[4] << 24) | (syn[5] << 16) | (syn[6] << 8) | syn[7]) >>> 0;
    const rst = tcpHeader({ sport: 22, dport: sport, seq: 0, ack: seqNo + 1, flags: TCP.RST | TCP.ACK, win: 0, options: new Uint8Array(0) });
    const r = ipv4Packet({ src: HOST_IP, dst: src, proto: 6, id: 0, ttl: 64, l4: rst, payload: new Uint8Array(0), csumAt: 16 });
    put('eth0', t + 30, ethernet(GW_MAC, HOST_MAC, ETH_IPV4, ipv4Bytes(r)), PKT_OUTGOING);
  }

  const kinds = [
    [45, (k, t) => http(k, t)],
    [25, (k, t) => dns(k, t)],
    [8, (k, t) => ping(k, t)],
    [8, (k, t) => arp(k, t)],
    [8, (k, t) => ipv6Noise(k, t)],
    [3, (_k, t) => uplinkArp(t)],
    [3, (_k, t) => scan(t)],
  ];
  const totalWeight = kinds.reduce((n, [w]) => n + w, 0);
  // Containers are not equally busy; container 0 (the captured veth) gets its fair share.
  const pick = () => {
    let r = rand() * totalWeight;
    for (const [w, f] of kinds) if ((r -= w) < 0) return f;
    return kinds[0][1];
  };

  let next = 0;
  for (;;) {
    while (heap.size > 0 && heap.peek().t <= next) yield heap.pop();
    pick()(cs[int(0, CONTAINERS - 1)], next);
    // Sessions arrive as a Poisson process, about 600 a second.
    next += Math.max(1, Math.round(-Math.log(1 - rand()) * 1_600));
  }
}
