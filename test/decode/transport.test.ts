// Transport and application decoders on real corpus frames, and every malformed layer as a
// DecodeProblem naming its layer and offset.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { CORPUS } from '../helpers/tools.js';
import { readFrames } from './frames.js';
import { decodePacket, type Packet } from '../../src/decode/packet.js';
import { decodeTcp, writeTcp } from '../../src/decode/tcp.js';
import { decodeUdp, writeUdp } from '../../src/decode/udp.js';
import { decodeDns, readDnsName, writeDnsHeader, writeDnsName, DNS_MAX_POINTER_JUMPS } from '../../src/decode/dns.js';
import { decodeHttp, looksLikeHttp } from '../../src/decode/http.js';
import { decodeVxlan, writeVxlan } from '../../src/decode/vxlan.js';
import { isProblem } from '../../src/decode/layer.js';
import { TCP_FLAG_ACK, TCP_FLAG_SYN } from '../../src/decode/enums.js';

const T = (name: string): string => join(CORPUS, 'tcpdump', 'tests', name);

function packets(file: string): Packet[] {
  return readFrames(file).map((f) => decodePacket(f.data, f.iface.linktype));
}

describe('TCP', () => {
  it('reads a SYN with MSS, SACK-permitted, timestamps and window scale', () => {
    const syn = packets(join(CORPUS, 'arkime', 'tests', 'pcap', 'http-simple-get.pcap')).find((p) => p.tcp?.syn && !p.tcp.ackFlag);
    expect(syn?.tcp).toBeDefined();
    const kinds = syn!.tcp!.options.map((o) => o.kind);
    expect(kinds).toContain('mss');
    expect(kinds).toContain('timestamp');
    expect(syn!.tcp!.payloadOffset).toBe(syn!.tcp!.offset + syn!.tcp!.headerLength);
  });

  it('keeps MPTCP options raw', () => {
    const p = packets(T('mptcp-aa-echo.pcap'))[0];
    expect(p.tcp!.options.some((o) => o.kind === 'raw' && o.type === 30)).toBe(true);
  });

  it('round-trips the header layout through writeTcp', () => {
    const b = new Uint8Array(40);
    const opts = Uint8Array.from([2, 4, 5, 0xb4, 1, 1, 4, 2]);
    writeTcp(b, 0, { srcPort: 1234, dstPort: 80, seq: 0xfffffff0, ack: 7, flags: TCP_FLAG_SYN | TCP_FLAG_ACK, window: 64240, options: opts }, 0);
    const h = decodeTcp(b, 0, 28);
    if (isProblem(h)) throw new Error(h.reason);
    expect([h.srcPort, h.dstPort, h.seq, h.ack, h.window, h.headerLength]).toEqual([1234, 80, 0xfffffff0, 7, 64240, 28]);
    expect(h.options.map((o) => o.kind)).toEqual(['mss', 'nop', 'nop', 'sackOK']);
  });

  it('rejects a data offset under five words and a header cut by the capture', () => {
    const b = new Uint8Array(20);
    b[12] = 0x30;
    const bad = decodeTcp(b, 0, 20);
    expect(isProblem(bad) && bad.layer === 'tcp' && bad.offset === 0 && bad.code === 'bad-length').toBe(true);
    b[12] = 0x80;
    const cut = decodeTcp(b, 0, 20);
    expect(isProblem(cut) && cut.code === 'truncated').toBe(true);
    const short = decodeTcp(b, 4, 20);
    expect(isProblem(short) && short.offset === 4 && short.code === 'truncated').toBe(true);
  });
});

describe('UDP', () => {
  it('clips the payload to the captured bytes and rejects a length under 8', () => {
    const b = new Uint8Array(12);
    writeUdp(b, 0, { srcPort: 53, dstPort: 999, length: 100 }, 0);
    const u = decodeUdp(b, 0, 12);
    if (isProblem(u)) throw new Error(u.reason);
    expect([u.length, u.payloadOffset, u.payloadEnd]).toEqual([100, 8, 12]);
    writeUdp(b, 0, { srcPort: 53, dstPort: 999, length: 5 }, 0);
    const bad = decodeUdp(b, 0, 12);
    expect(isProblem(bad) && bad.layer === 'udp' && bad.offset === 4 && bad.code === 'bad-length').toBe(true);
  });
});

describe('DNS', () => {
  it('decodes a query and a response with a CNAME chain (arkime dns-udp)', () => {
    const ps = packets(join(CORPUS, 'arkime', 'tests', 'pcap', 'dns-udp.pcap'));
    expect(ps[0].dns!.questions[0]).toMatchObject({ name: 'www.github.com.', type: 1 });
    const r = ps[1].dns!;
    expect(r.isResponse).toBe(true);
    expect(r.answers.map((a) => a.target ?? a.address)).toEqual(['github.com.', '192.30.252.128']);
    expect(r.cnameChain).toEqual(['www.github.com.', 'github.com.']);
    expect(r.authorities.length).toBe(4);
  });

  it('reads EDNS: UDP size, DO bit and options', () => {
    const q = packets(T('dns_udp.pcap')).find((p) => p.dns?.edns)!;
    expect(q.dns!.edns!.udpSize).toBeGreaterThan(512);
    expect(typeof q.dns!.edns!.dnssecOk).toBe('boolean');
  });

  it('decodes DNS over TCP after the 2-byte length prefix', () => {
    const p = packets(T('dns_tcp.pcap')).find((x) => x.dns);
    expect(p?.dns?.overTcp).toBe(true);
    expect(p!.dns!.questions[0].name).toBe('www.tcpdump.org.');
  });

  for (const name of ['dns-zlip-1.pcap', 'dns-zlip-2.pcap', 'dns-zlip-3.pcap', 'dns_fwdptr.pcap', 'dns-badlabel.pcap']) {
    it(`gives a DecodeProblem, never a hang, for ${name}`, () => {
      for (const p of packets(T(name))) {
        if (p.dns) continue;
        expect(p.problem?.layer).toBe('dns');
        expect(p.problem!.offset).toBeGreaterThan(0);
      }
      expect(packets(T(name)).some((p) => p.problem?.layer === 'dns')).toBe(true);
    });
  }

  it('refuses forward pointers, self pointers and long pointer chains', () => {
    const b = new Uint8Array(300);
    writeDnsHeader(b, 0, { id: 1, flags: 0x0100, qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
    b.set([0xc0, 12], 12); // points at itself
    expect(isProblem(readDnsName(b, 0, 12, 300))).toBe(true);
    b.set([0xc0, 20], 12); // points forwards
    expect(isProblem(readDnsName(b, 0, 12, 300))).toBe(true);
    // a backward chain longer than the cap: each pointer points at the one before it
    let o = 14;
    b.set([1, 0x61, 0], 12);
    let prev = 12;
    for (let i = 0; i < DNS_MAX_POINTER_JUMPS + 2; i++) {
      b.set([0xc0, prev], o);
      prev = o;
      o += 2;
    }
    const r = readDnsName(b, 0, prev, 300);
    expect(isProblem(r) && r.code === 'too-many').toBe(true);
    const end = writeDnsName(b, 12, 'example.com');
    const ok = readDnsName(b, 0, 12, end);
    expect(!isProblem(ok) && ok.name).toBe('example.com.');
  });

  it('flags a message cut short as truncated', () => {
    const b = new Uint8Array(20);
    writeDnsHeader(b, 0, { id: 1, flags: 0, qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
    b.set([7, 0x65, 0x78], 12);
    const d = decodeDns(b, 0, 15);
    expect(isProblem(d) && d.layer === 'dns' && d.code === 'truncated').toBe(true);
  });
});

describe('HTTP', () => {
  it('reads the request line, Host header and the status line', () => {
    const ps = packets(join(CORPUS, 'arkime', 'tests', 'pcap', 'http-simple-get.pcap')).filter((p) => p.http);
    const req = ps.find((p) => p.http!.kind === 'request')!.http!;
    expect([req.method, req.target, req.version]).toEqual(['GET', '/', 'HTTP/1.1']);
    expect(req.host).toBeTruthy();
    const res = ps.find((p) => p.http!.kind === 'response')!.http!;
    expect([res.status, res.reason]).toEqual([403, 'Forbidden']);
  });

  it('finds the Host header in any case after other headers, and only up to the blank line', () => {
    const enc = new TextEncoder();
    const host = (text: string): string | undefined => {
      const b = enc.encode(text);
      const d = decodeHttp(b, 0, b.length);
      return isProblem(d) ? 'problem' : d.host;
    };
    expect(host('GET / HTTP/1.1\r\nAccept: */*\r\nhOsT:  web.test \r\n\r\n')).toBe('web.test');
    expect(host('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n')).toBe('a.test');
    expect(host('GET / HTTP/1.1\nX-Host: b.test\nHosts: c.test\n\n')).toBeUndefined();
    expect(host('GET / HTTP/1.1\r\n\r\nHost: body.test\r\n')).toBeUndefined();
  });

  it('only looks at payloads that open with a method or HTTP/, and flags a first line cut short', () => {
    const enc = new TextEncoder();
    expect(looksLikeHttp(enc.encode('\x16\x03\x01'), 0, 3)).toBe(false);
    const cut = enc.encode('GET /index.html HT');
    expect(looksLikeHttp(cut, 0, cut.length)).toBe(true);
    const d = decodeHttp(cut, 0, cut.length);
    expect(isProblem(d) && d.layer === 'http' && d.code === 'truncated').toBe(true);
  });
});

describe('VXLAN', () => {
  it('decodes VNI and the inner Ethernet frame (UDP 4789)', () => {
    const p = packets(T('vxlan.pcap'))[0];
    expect(p.vxlan!.vni).toBe(100);
    expect(p.vxlan!.vniValid).toBe(true);
    expect(p.inner?.ipv4 ?? p.inner?.arp).toBeDefined();
  });

  it('round-trips writeVxlan and reports a header cut short', () => {
    const b = new Uint8Array(8);
    writeVxlan(b, 0, 0xabcdef);
    const v = decodeVxlan(b, 0, 8);
    expect(!isProblem(v) && v.vni).toBe(0xabcdef);
    const cut = decodeVxlan(b, 2, 8);
    expect(isProblem(cut) && cut.layer === 'vxlan' && cut.offset === 2).toBe(true);
  });
});
