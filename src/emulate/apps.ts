/**
 * The programs of a scenario: ping, dig, nslookup, curl (with its name lookups), and the listeners
 * `serve http|dns|proxy`. Each traffic program reports when it is done, so the scenario's next line
 * starts when the real one would.
 */
import { ip4String, parseIp4, type Ip4 } from './addr.js';
import type { Ipv4Packet, UdpBody } from './packet.js';
import { DNS_TYPE_A, DNS_TYPE_AAAA, encodeDnsQuery, encodeDnsResponse, parseDnsAnswerAddresses, parseDnsQuery } from '../decode/dns.js';
import { tcpConnect, tcpListen, type TcpConnection } from './tcp.js';
import type { Namespace } from './namespace.js';
import type { Device } from './link.js';
import { MS, SEC, US } from './clock.js';
import { ICMP_ECHO, IPPROTO_ICMP, IPPROTO_UDP } from '../decode/enums.js';

export interface Program {
  done: boolean;
}

const PING_DATA_LENGTH = 56;
const PING_INTERVAL = 200 * MS;

/** iputils ping's payload: a struct timeval (16 bytes, little-endian on x86-64) then 0x10, 0x11, ... */
function pingPayload(nowEpochNs: bigint): Uint8Array {
  const d = new Uint8Array(PING_DATA_LENGTH);
  const sec = nowEpochNs / 1_000_000_000n;
  const usec = (nowEpochNs % 1_000_000_000n) / 1_000n;
  new DataView(d.buffer).setBigUint64(0, sec, true);
  new DataView(d.buffer).setBigUint64(8, usec, true);
  for (let i = 16; i < PING_DATA_LENGTH; i++) d[i] = i;
  return d;
}

export interface PingOptions {
  count: number;
  oif?: Device;
  waitSeconds?: number;
}

/** ping -c N -i 0.2 (as the lab runs it): an echo every 200 ms; waits up to -W (1 s in the lab) after the last. */
export function ping(ns: Namespace, dst: Ip4, o: PingOptions, epochNs: () => bigint): Program {
  const prog: Program = { done: false };
  const w = ns.world;
  // iputils ping on a raw socket (the lab runs as root) uses its process id: small, rising numbers.
  const id = ns.world.nextPid();
  let replies = 0;
  let sent = 0;
  ns.icmp.set(id, () => {
    replies++;
    if (replies >= o.count) finish();
  });
  const finish = (): void => {
    if (prog.done) return;
    prog.done = true;
    ns.icmp.delete(id);
  };
  const send = (): void => {
    if (prog.done) return;
    sent++;
    // -I IFACE as well: iputils asks routing for the source (a probe socket bound to the device), so
    // it is the route's preferred source, not the device's first address.
    const pkt: Ipv4Packet = {
      src: 0,
      dst,
      ttl: 64,
      id: w.rng.between(0, 0xffff),
      df: true,
      tos: 0,
      body: { proto: IPPROTO_ICMP, type: ICMP_ECHO, code: 0, id, seq: sent, data: pingPayload(epochNs()) },
    };
    if (!ns.output(pkt, o.oif)) return finish();
    if (sent < o.count) w.sched.after(PING_INTERVAL, send);
    else w.sched.after((o.waitSeconds ?? 1) * SEC, finish);
  };
  send();
  return prog;
}

// DNS -------------------------------------------------------------------------------------------

export interface LookupResult {
  addresses: Ip4[];
}

/**
 * A stub resolver's query over UDP from an ephemeral port, sent `tries` times `timeout` apart (the
 * lab runs dig +tries=1 +time=2, nslookup -timeout=2 -retry=0, and libc with timeout:1 attempts:1).
 */
export function dnsQuery(ns: Namespace, server: Ip4, name: string, type: number, edns: boolean, tries: number, done: (r: LookupResult | undefined) => void, fromPort?: number, srcAddr: Ip4 = 0, timeout = 2 * SEC): void {
  const w = ns.world;
  const port = fromPort ?? ns.ephemeralPort((p) => ns.udp.has(p));
  const id = w.rng.between(0, 0xffff);
  let attempts = 0;
  let answered = false;
  const cookie = w.rng.bytes(8);
  ns.udp.set(port, (_pkt, b) => {
    const reply = parseDnsAnswerAddresses(b.data);
    if (answered || b.data.length < 2 || ((b.data[0] << 8) | b.data[1]) !== id) return;
    answered = true;
    ns.udp.delete(port);
    done({ addresses: reply });
  });
  const send = (): void => {
    if (answered) return;
    if (attempts++ >= tries) {
      ns.udp.delete(port);
      done(undefined);
      return;
    }
    // dig sends an EDNS cookie and clears DF (BIND turns path MTU discovery off on its UDP sockets).
    const data = encodeDnsQuery({ id, name, type, rd: true, ednsSize: edns ? 1232 : undefined, cookie: edns ? cookie : undefined });
    udpSend(ns, srcAddr, port, server, 53, data, !edns);
    w.sched.after(timeout, send);
  };
  send();
}

export function udpSend(ns: Namespace, src: Ip4, sport: number, dst: Ip4, dport: number, data: Uint8Array, df = true): boolean {
  const body: UdpBody = { proto: IPPROTO_UDP, sport, dport, data };
  // UDP sockets default to path MTU discovery, so DF is set; the id is the per-destination counter's (random here).
  return ns.output({ src, dst, ttl: 64, id: ns.world.rng.between(0, 0xffff), df, tos: 0, body });
}

/** dig / nslookup: one query, done on the answer or after the retries. */
export function dig(ns: Namespace, server: Ip4, name: string, type: 'A' | 'AAAA', edns: boolean): Program {
  const prog: Program = { done: false };
  dnsQuery(ns, server, name, type === 'A' ? DNS_TYPE_A : DNS_TYPE_AAAA, edns, 1, () => {
    prog.done = true;
  });
  return prog;
}

/**
 * getaddrinfo as glibc does it: A and AAAA sent together from one socket (resolv.conf in the lab:
 * timeout:1 attempts:1), the first A address used once both are answered or the second passes.
 */
export function resolveName(ns: Namespace, server: Ip4, name: string, done: (a: Ip4 | undefined) => void): void {
  const literal = parseIp4(name);
  if (literal !== undefined) return done(literal);
  const w = ns.world;
  const port = ns.ephemeralPort((p) => ns.udp.has(p));
  const ids = [w.rng.between(0, 0xffff), w.rng.between(0, 0xffff)];
  const answered = [false, false];
  let addresses: Ip4[] = [];
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    ns.udp.delete(port);
    done(addresses[0]);
  };
  ns.udp.set(port, (_pkt, b) => {
    if (b.data.length < 2) return;
    const i = ids.indexOf((b.data[0] << 8) | b.data[1]);
    if (i < 0 || answered[i]) return;
    answered[i] = true;
    if (i === 0) addresses = parseDnsAnswerAddresses(b.data);
    if (answered[0] && answered[1]) finish();
  });
  [DNS_TYPE_A, DNS_TYPE_AAAA].forEach((type, i) => udpSend(ns, 0, port, server, 53, encodeDnsQuery({ id: ids[i], name, type, rd: true })));
  w.sched.after(SEC, finish);
}

/** dnsmasq with --host-record names: authoritative answers for them, NXDOMAIN for the rest. */
export function serveDns(ns: Namespace, port: number, addr: Ip4 | undefined, lookup: (name: string) => Ip4[] | undefined, cost = 60 * US): void {
  ns.udp.set(port, (pkt, b) => {
    if (addr !== undefined && pkt.dst !== addr) return;
    const q = parseDnsQuery(b.data);
    if (q === undefined) return;
    const found = lookup(q.name.toLowerCase());
    const data = encodeDnsResponse(q, found ?? [], 0, found !== undefined, found !== undefined);
    ns.world.sched.after(cost, () => udpSend(ns, pkt.dst, port, pkt.src, b.sport, data));
  });
}

// HTTP ------------------------------------------------------------------------------------------

// What the lab serves (src/lab/run.ts): index.html of 1024 bytes, any other path 256 KiB, each a
// repeated line. Python's http.server sends the headers in one write and copies the file in 64 KiB writes.
const INDEX_BYTES = 1024;
const FILE_BYTES = 262144;
const COPY_CHUNK = 65536;

function fill(size: number, line: string): Uint8Array {
  const unit = new TextEncoder().encode(line);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = unit[i % unit.length];
  return out;
}

function httpDate(epochNs: bigint): string {
  return new Date(Number(epochNs / 1_000_000n)).toUTCString();
}

/** A static web server as Python's http.server answers (HTTP/1.0): headers, body, then close. */
export function serveHttp(ns: Namespace, port: number, addr: Ip4 | undefined, epochNs: () => bigint): void {
  tcpListen(ns, port, addr, () => {
    let request = '';
    return {
      data(c, d) {
        request += new TextDecoder().decode(d);
        if (!request.includes('\r\n\r\n')) return;
        const path = (/^GET (\S+)/.exec(request)?.[1] ?? '/').replace(/[?#].*$/, '');
        const body = path === '/' || path.endsWith('/') || path === '/index.html' ? fill(INDEX_BYTES, '<!-- pcap-narrator lab index -->\n') : fill(FILE_BYTES, `pcap-narrator lab file ${path.replace(/^\/+/, '')}\n`);
        const type = path.endsWith('/') || path.endsWith('.html') ? 'text/html' : 'application/octet-stream';
        const date = httpDate(epochNs());
        const head =
          `HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: ${date}\r\n` +
          `Content-type: ${type}\r\nContent-Length: ${body.length}\r\nLast-Modified: ${date}\r\n\r\n`;
        // Python answers after parsing and logging (a few ms), writes headers and body separately,
        // and closes once the handler returns.
        const w = ns.world;
        w.sched.after(2 * MS, () => {
          c.send(new TextEncoder().encode(head));
          w.sched.after(130 * US, () => {
            for (let o = 0; o < body.length; o += COPY_CHUNK) c.send(body.subarray(o, Math.min(body.length, o + COPY_CHUNK)));
            w.sched.after(60 * US, () => c.close());
          });
        });
      },
    };
  });
}

/** curl --max-time 20, as the lab runs it. */
const CURL_MAX_TIME = 20 * SEC;

/** curl: resolve, connect, GET, read to the end, close. */
export function curl(ns: Namespace, resolver: Ip4, host: string, port: number, path: string): Program {
  const prog: Program = { done: false };
  const w = ns.world;
  resolveName(ns, resolver, host, (addr) => {
    if (addr === undefined) {
      prog.done = true;
      return;
    }
    const hostHeader = port === 80 ? host : `${host}:${port}`;
    const req = `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n`;
    w.sched.after(150 * US, () => {
      let received = new Uint8Array(0);
      let closing = false;
      const close = (conn: TcpConnection): void => {
        if (closing) return;
        closing = true;
        w.sched.after(150 * US, () => conn.close());
      };
      const c = tcpConnect(ns, addr, port, {
        established(conn) {
          w.sched.after(80 * US, () => conn.send(new TextEncoder().encode(req)));
        },
        data(conn, d) {
          const all = new Uint8Array(received.length + d.length);
          all.set(received);
          all.set(d, received.length);
          received = all;
          // curl closes as soon as it has Content-Length bytes of body, whoever closes first.
          if (responseComplete(received)) close(conn);
        },
        fin(conn) {
          close(conn);
        },
        closed() {
          prog.done = true;
        },
      });
      if (c === undefined) prog.done = true;
      // The lab runs curl with --max-time 20: it gives up on a connection that goes nowhere.
      else w.sched.after(CURL_MAX_TIME, () => !prog.done && c.abort());
    });
  });
  return prog;
}

function responseComplete(b: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(b.subarray(0, Math.min(b.length, 4096)));
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
  return m !== null && b.length >= end + 4 + Number(m[1]);
}

export interface ProxyTiming {
  /** From accepting a client to connecting upstream (socat forks a child first). */
  connectDelay: number;
  /** From data arriving on one side to writing it to the other: what arrives meanwhile is written with it. */
  relayDelay: number;
}

/** socat -d -d as the lab runs it: a fork per connection and logging on every transfer make it slow. */
export const SOCAT: ProxyTiming = { connectDelay: 450 * US, relayDelay: 9 * MS };
/** docker-proxy: Go's io.Copy, no fork. */
export const DOCKER_PROXY: ProxyTiming = { connectDelay: 100 * US, relayDelay: 60 * US };

/** One direction of a proxied connection: buffered writes, and the FIN passed on after the data. */
class Relay {
  private pending: Uint8Array[] = [];
  private scheduled = false;
  private finPending = false;
  to?: TcpConnection;

  constructor(
    private readonly ns: Namespace,
    private readonly delay: number,
  ) {}

  push(d: Uint8Array): void {
    this.pending.push(d);
    this.schedule();
  }

  fin(): void {
    this.finPending = true;
    this.schedule();
  }

  schedule(): void {
    if (this.scheduled || this.to === undefined) return;
    this.scheduled = true;
    this.ns.world.sched.after(this.delay, () => {
      this.scheduled = false;
      const to = this.to;
      if (to === undefined) return;
      const size = this.pending.reduce((n, d) => n + d.length, 0);
      if (size > 0) {
        const all = new Uint8Array(size);
        let o = 0;
        for (const d of this.pending) {
          all.set(d, o);
          o += d.length;
        }
        this.pending = [];
        to.send(all);
      }
      if (this.finPending) to.close();
    });
  }
}

/** A userland TCP proxy (socat, docker-proxy): each accepted connection opens one to the target. */
export function serveProxy(ns: Namespace, port: number, addr: Ip4 | undefined, target: Ip4, targetPort: number, timing: ProxyTiming = SOCAT): void {
  tcpListen(ns, port, addr, (client) => {
    const up = new Relay(ns, timing.relayDelay);
    const down = new Relay(ns, timing.relayDelay);
    down.to = client;
    return {
      established() {
        ns.world.sched.after(timing.connectDelay, () => {
          const u = tcpConnect(ns, target, targetPort, {
            established(conn) {
              up.to = conn;
              up.schedule();
            },
            data(_u, d) {
              down.push(d);
            },
            fin() {
              down.fin();
            },
            closed(_u, reason) {
              if (reason !== 'done') client.close();
            },
          });
          if (u === undefined) client.close();
        });
      },
      data(_c, d) {
        up.push(d);
      },
      fin() {
        up.fin();
      },
    };
  });
}

export function describe(a: Ip4): string {
  return ip4String(a);
}

export { MS };
