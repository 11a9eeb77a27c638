// Byte builders for the benchmark generator. Deliberately independent of src/: the inputs that
// measure the product must not inherit its bugs (tcpdump and tshark read the same files).

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;

/** Ones-complement 16-bit sum of b[from..to), not folded (callers add several parts). */
export function sum16(b, from = 0, to = b.length, acc = 0) {
  let i = from;
  for (; i + 1 < to; i += 2) acc += (b[i] << 8) | b[i + 1];
  if (i < to) acc += b[i] << 8;
  return acc;
}

export function fold(acc) {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

const put16 = (b, o, v) => {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
};
const put32 = (b, o, v) => {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
};

/** 32-bit IPv4 address as a number: "172.17.0.2" -> 0xac110002. */
export function ip4(text) {
  return text.split('.').reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

export function mac(text) {
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
}

export const BROADCAST = mac('ff:ff:ff:ff:ff:ff');

/**
 * An IPv4 packet as it leaves its sender; copies on later hops are made with `ipv4Bytes` and other
 * ttl/addresses/ports. `l4` is the transport header without its checksum; `payloadSum` is sum16 of
 * the payload, computed once per packet however many copies are written.
 */
export function ipv4Packet({ src, dst, proto, id, ttl = 64, df = true, l4, payload, csumAt }) {
  return { v: 4, src, dst, proto, id, ttl, df, l4, payload, payloadSum: sum16(payload), csumAt };
}

/**
 * The L3 bytes of `p` as seen on one hop. `over` may replace src, dst, ttl and the transport's
 * ports (sport/dport at bytes 0/2, as NAT rewrites them) or ICMP echo id (bytes 4-5).
 */
export function ipv4Bytes(p, over = {}) {
  const src = over.src ?? p.src;
  const dst = over.dst ?? p.dst;
  const ttl = over.ttl ?? p.ttl;
  const l4len = p.l4.length + p.payload.length;
  const out = new Uint8Array(20 + l4len);
  out[0] = 0x45;
  put16(out, 2, 20 + l4len);
  put16(out, 4, p.id);
  out[6] = p.df ? 0x40 : 0;
  out[8] = ttl;
  out[9] = p.proto;
  put32(out, 12, src);
  put32(out, 16, dst);
  put16(out, 10, fold(sum16(out, 0, 20)));
  out.set(p.l4, 20);
  if (over.sport !== undefined) put16(out, 20, over.sport);
  if (over.dport !== undefined) put16(out, 22, over.dport);
  if (over.icmpId !== undefined) put16(out, 24, over.icmpId);
  out.set(p.payload, 20 + p.l4.length);
  const at = 20 + p.csumAt;
  let acc = sum16(out, 20, 20 + p.l4.length) + p.payloadSum;
  if (p.proto !== 1) acc += (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + p.proto + l4len;
  put16(out, at, fold(acc));
  return out;
}

/** TCP header (20 bytes + options, padded) with checksum zero; ipv4Bytes fills it in. */
export function tcpHeader({ sport, dport, seq, ack, flags, win, options }) {
  const optLen = (options.length + 3) & ~3;
  const h = new Uint8Array(20 + optLen);
  put16(h, 0, sport);
  put16(h, 2, dport);
  put32(h, 4, seq >>> 0);
  put32(h, 8, ack >>> 0);
  h[12] = ((20 + optLen) / 4) << 4;
  h[13] = flags;
  put16(h, 14, win);
  h.set(options, 20);
  for (let i = 20 + options.length; i < h.length; i++) h[i] = 1; // NOP padding, as Linux does
  return h;
}

export const TCP = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 };

/** Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
export function synOptions(tsval, tsecr) {
  const o = new Uint8Array(20);
  o.set([2, 4, 0x05, 0xb4, 4, 2, 8, 10]);
  put32(o, 8, tsval >>> 0);
  put32(o, 12, tsecr >>> 0);
  o.set([1, 3, 3, 7], 16);
  return o;
}

/** NOP NOP timestamps: every segment after the handshake. */
export function tsOptions(tsval, tsecr) {
  const o = new Uint8Array(12);
  o[0] = 1;
  o[1] = 1;
  o[2] = 8;
  o[3] = 10;
  put32(o, 4, tsval >>> 0);
  put32(o, 8, tsecr >>> 0);
  return o;
}

export function udpHeader(sport, dport, payloadLength) {
  const h = new Uint8Array(8);
  put16(h, 0, sport);
  put16(h, 2, dport);
  put16(h, 4, 8 + payloadLength);
  return h;
}

/** ICMP echo header (type 8 request, 0 reply), checksum zero. */
export function icmpEcho(type, id, seq) {
  const h = new Uint8Array(8);
  h[0] = type;
  put16(h, 4, id);
  put16(h, 6, seq);
  return h;
}

function dnsName(name) {
  const parts = name.split('.');
  const out = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 1));
  let o = 0;
  for (const p of parts) {
    out[o++] = p.length;
    for (let i = 0; i < p.length; i++) out[o++] = p.charCodeAt(i);
  }
  return out;
}

/** A recursive query for one name (qtype 1 A or 28 AAAA), or its answer carrying `answers` addresses. */
export function dnsMessage({ id, name, qtype, answers }) {
  const qname = dnsName(name);
  const rdlen = qtype === 1 ? 4 : 16;
  const n = answers ? answers.length : 0;
  const out = new Uint8Array(12 + qname.length + 4 + n * (12 + rdlen));
  put16(out, 0, id);
  put16(out, 2, answers ? 0x8180 : 0x0100);
  put16(out, 4, 1);
  put16(out, 6, n);
  out.set(qname, 12);
  let o = 12 + qname.length;
  put16(out, o, qtype);
  put16(out, o + 2, 1);
  o += 4;
  for (const a of answers ?? []) {
    put16(out, o, 0xc00c); // pointer to the question's name
    put16(out, o + 2, qtype);
    put16(out, o + 4, 1);
    put32(out, o + 6, 300);
    put16(out, o + 10, rdlen);
    out.set(a, o + 12);
    o += 12 + rdlen;
  }
  return out;
}

/** Ethernet II header in front of `payload`. */
export function ethernet(dstMac, srcMac, etherType, payload) {
  const out = new Uint8Array(14 + payload.length);
  out.set(dstMac, 0);
  out.set(srcMac, 6);
  put16(out, 12, etherType);
  out.set(payload, 14);
  return out;
}

/** An Ethernet ARP request (who-has) or reply (is-at), padded to 60 bytes as a NIC sends it. */
export function arpFrame({ op, senderMac, senderIp, targetMac, targetIp, dstMac }) {
  const out = new Uint8Array(60);
  out.set(dstMac, 0);
  out.set(senderMac, 6);
  put16(out, 12, ETH_ARP);
  put16(out, 14, 1);
  put16(out, 16, ETH_IPV4);
  out[18] = 6;
  out[19] = 4;
  put16(out, 20, op);
  out.set(senderMac, 22);
  put32(out, 28, senderIp);
  out.set(targetMac, 32);
  put32(out, 38, targetIp);
  return out;
}

/** Link-local IPv6 address from a MAC (modified EUI-64), 16 bytes. */
export function linkLocal(m) {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set([m[0] ^ 2, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]], 8);
  return a;
}

export const IPV6_ALL_ROUTERS = Uint8Array.from([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);

/** ICMPv6 message (type, code, body) in an IPv6 packet, checksum over the pseudo header. */
export function ipv6Icmp(src, dst, type, body, hopLimit = 255) {
  const len = 4 + body.length;
  const out = new Uint8Array(40 + len);
  out[0] = 0x60;
  put16(out, 4, len);
  out[6] = 58;
  out[7] = hopLimit;
  out.set(src, 8);
  out.set(dst, 24);
  out[40] = type;
  out.set(body, 44);
  const acc = sum16(out, 8, 40) + len + 58 + sum16(out, 40);
  put16(out, 42, fold(acc));
  return out;
}

/** The multicast MAC (33:33 + low 32 bits) of an IPv6 multicast address. */
export function ipv6MulticastMac(addr) {
  return Uint8Array.from([0x33, 0x33, addr[12], addr[13], addr[14], addr[15]]);
}
