/**
 * Hand-made frames for the fuzz seeds and the injection test: written byte by byte here, not with the
 * project's encoders, so that a bug shared by an encoder and its decoder cannot hide. Checksums are
 * left zero (the decoders report them, they do not depend on them).
 */

const enc = new TextEncoder();

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u16(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

function u32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export const MAC_A = Uint8Array.of(0x02, 0x42, 0xac, 0x11, 0x00, 0x02);
export const MAC_B = Uint8Array.of(0x02, 0x42, 0xac, 0x11, 0x00, 0x03);

export function ethernet(type: number, payload: Uint8Array, src = MAC_A, dst = MAC_B): Uint8Array {
  return concat(dst, src, u16(type), payload);
}

export function vlan(tags: number, type: number, payload: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < tags; i++) parts.push(u16(i + 1), u16(i === tags - 1 ? type : 0x8100));
  return ethernet(0x8100, concat(...parts, payload));
}

export function ipv4(proto: number, payload: Uint8Array, src = [172, 17, 0, 2], dst = [172, 17, 0, 3], options = new Uint8Array(0), ttl = 64): Uint8Array {
  const ihl = 20 + options.length;
  return concat(
    Uint8Array.of(0x40 | (ihl >>> 2), 0),
    u16(ihl + payload.length),
    u16(0x1234),
    u16(0x4000),
    Uint8Array.of(ttl, proto),
    u16(0),
    Uint8Array.from(src),
    Uint8Array.from(dst),
    options,
    payload,
  );
}

const V6_SRC = Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
const V6_DST = Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3);

export function ipv6(next: number, payload: Uint8Array, payloadLength = payload.length): Uint8Array {
  return concat(u32(0x6000_0000), u16(payloadLength), Uint8Array.of(next, 64), V6_SRC, V6_DST, payload);
}

/** `count` extension headers (hop-by-hop then destination options) in front of `proto`'s payload. */
export function ipv6Extensions(count: number, proto: number, payload: Uint8Array): Uint8Array {
  const headers: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const next = i === count - 1 ? proto : 60;
    headers.push(Uint8Array.of(next, 0, 1, 4, 0, 0, 0, 0));
  }
  return ipv6(0, concat(...headers, payload));
}

export function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
}

export function tcp(sport: number, dport: number, flags: number, payload: Uint8Array, options = new Uint8Array(0), seq = 1000, ack = 0): Uint8Array {
  const padded = concat(options, new Uint8Array((4 - (options.length % 4)) % 4));
  const off = (20 + padded.length) / 4;
  return concat(u16(sport), u16(dport), u32(seq), u32(ack), Uint8Array.of(off << 4, flags), u16(65535), u16(0), u16(0), padded, payload);
}

export function icmpEcho(type: number, id: number, seq: number, payload = new Uint8Array(8)): Uint8Array {
  return concat(Uint8Array.of(type, 0), u16(0), u16(id), u16(seq), payload);
}

/** An ICMP error (destination unreachable) quoting `quoted`. */
export function icmpError(quoted: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(3, 3), u16(0), u32(0), quoted);
}

/** A DNS name in labels; labels may hold any bytes, dots included. */
export function dnsName(labels: string[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const l of labels) {
    const b = enc.encode(l).subarray(0, 63);
    parts.push(Uint8Array.of(b.length), b);
  }
  parts.push(Uint8Array.of(0));
  return concat(...parts);
}

export function dnsQuery(id: number, name: Uint8Array, type = 1): Uint8Array {
  return concat(u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), name, u16(type), u16(1));
}

/** A response whose answers are CNAME/TXT records carrying `texts`, then an A record. */
export function dnsResponse(id: number, name: Uint8Array, texts: string[]): Uint8Array {
  const answers: Uint8Array[] = [];
  for (const t of texts) {
    const target = dnsName(t.split('.'));
    answers.push(Uint8Array.of(0xc0, 12), u16(5), u16(1), u32(60), u16(target.length), target);
    const txt = enc.encode(t).subarray(0, 255);
    answers.push(Uint8Array.of(0xc0, 12), u16(16), u16(1), u32(60), u16(txt.length + 1), Uint8Array.of(txt.length), txt);
  }
  answers.push(Uint8Array.of(0xc0, 12), u16(1), u16(1), u32(60), u16(4), Uint8Array.of(10, 0, 0, 1));
  return concat(u16(id), u16(0x8180), u16(1), u16(texts.length * 2 + 1), u16(0), u16(0), name, u16(1), u16(1), ...answers);
}

/** A question whose name is a compression pointer to itself: a loop for a careless decoder. */
export function dnsPointerLoop(id: number): Uint8Array {
  return concat(u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), Uint8Array.of(0xc0, 12), u16(1), u16(1));
}

/**
 * `links + 1` questions, each named by a pointer to the name of the one before: question k follows k
 * pointers, so a decoder without a jump cap does quadratic work.
 */
export function dnsPointerChain(id: number, links: number): Uint8Array {
  const parts = [Uint8Array.of(1, 0x61, 0), u16(1), u16(1)];
  let previous = 12;
  let at = 12 + 7;
  for (let i = 0; i < links; i++) {
    parts.push(Uint8Array.of(0xc0 | (previous >>> 8), previous & 0xff), u16(1), u16(1));
    previous = at;
    at += 6;
  }
  return concat(u16(id), u16(0x0100), u16(links + 1), u16(0), u16(0), u16(0), ...parts);
}

export function text(s: string): Uint8Array {
  return enc.encode(s);
}

/** Linux cooked v1 header (16 bytes) in front of an IP packet. */
export function sll(protocol: number, payload: Uint8Array, packetType = 0): Uint8Array {
  return concat(u16(packetType), u16(1), u16(6), MAC_A, Uint8Array.of(0, 0), u16(protocol), payload);
}

/** Linux cooked v2 header (20 bytes). */
export function sll2(protocol: number, ifindex: number, payload: Uint8Array, packetType = 0): Uint8Array {
  return concat(u16(protocol), u16(0), u32(ifindex), u16(1), Uint8Array.of(packetType, 6), MAC_A, Uint8Array.of(0, 0), payload);
}

/** BSD loopback: the address family in the host's (here little-endian) byte order. */
export function nullLink(family: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(family & 0xff, (family >>> 8) & 0xff, 0, 0), payload);
}

export function vxlan(vni: number, inner: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x08, 0, 0, 0), Uint8Array.of((vni >>> 16) & 0xff, (vni >>> 8) & 0xff, vni & 0xff, 0), inner);
}

/** Geneve with the C flag and one 8-byte option, carrying `inner` of the given protocol type. */
export function geneve(vni: number, protocolType: number, inner: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x02, 0x40), u16(protocolType), Uint8Array.of((vni >>> 16) & 0xff, (vni >>> 8) & 0xff, vni & 0xff, 0), Uint8Array.of(0, 0, 0x80, 1, 0, 0, 0, 12), inner);
}

/** GRE version 0 with checksum, routing (one IP source route), key and sequence number. */
export function gre(protocolType: number, inner: Uint8Array): Uint8Array {
  return concat(u16(0xf000), u16(protocolType), u16(0), u16(4), u32(0x2a), u32(7), u16(0x0800), Uint8Array.of(4, 8, 10, 0, 0, 1, 10, 0, 0, 2), u32(0), inner);
}

export function arp(op: number): Uint8Array {
  return concat(u16(1), u16(0x0800), Uint8Array.of(6, 4), u16(op), MAC_A, Uint8Array.of(172, 17, 0, 2), new Uint8Array(6), Uint8Array.of(172, 17, 0, 1));
}
