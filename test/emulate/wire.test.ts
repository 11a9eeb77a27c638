import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/decode/packet.js';
import { encodeEthernetFrame } from '../../src/emulate/wire.js';
import { cookEthernetFrame } from '../../src/decode/sll2.js';
import { synOptions } from '../../src/decode/tcp.js';
import { encodeDnsQuery, encodeDnsResponse, parseDnsQuery, parseDnsAnswerAddresses, DNS_TYPE_A } from '../../src/decode/dns.js';
import { ip4, dockerMac } from '../../src/emulate/addr.js';
import type { EthFrame } from '../../src/emulate/packet.js';
import { PACKET_OUTGOING } from '../../src/decode/sll.js';
import { ARPHRD_ETHER, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, TCP_FLAG_ACK, TCP_FLAG_SYN } from '../../src/decode/enums.js';

const A = dockerMac(ip4('172.17.0.2'));
const B = Uint8Array.of(0x02, 0x42, 0x9e, 0x11, 0x22, 0x33);

describe('frame encoders against the project decoders', () => {
  it('ICMP echo over Ethernet: every field as meant, checksums valid', () => {
    const f: EthFrame = {
      dst: B,
      src: A,
      payload: { kind: 'ipv4', ip: { src: ip4('172.17.0.2'), dst: ip4('198.51.100.8'), ttl: 63, id: 0x1234, df: true, tos: 0, body: { proto: IPPROTO_ICMP, type: 8, code: 0, id: 686, seq: 3, data: new Uint8Array(56).fill(7) } } },
    };
    const p = decodePacket(encodeEthernetFrame(f), 1);
    expect(p.problem).toBeUndefined();
    expect(p.link && 'src' in p.link ? p.link.src : undefined).toBe('02:42:ac:11:00:02');
    expect(p.ipv4?.src).toBe('172.17.0.2');
    expect(p.ipv4?.dst).toBe('198.51.100.8');
    expect(p.ipv4?.ttl).toBe(63);
    expect(p.ipv4?.id).toBe(0x1234);
    expect(p.ipv4?.dontFragment).toBe(true);
    expect(p.ipv4?.checksumValid).toBe(true);
    expect(p.icmp?.type).toBe(8);
    expect(p.icmp?.id).toBe(686);
    expect(p.icmp?.seq).toBe(3);
    expect(p.icmp?.checksumValid).toBe(true);
  });

  it('TCP SYN with Linux options, as SLL2 for -i any', () => {
    const f: EthFrame = {
      dst: B,
      src: A,
      payload: {
        kind: 'ipv4',
        ip: {
          src: ip4('172.17.0.2'),
          dst: ip4('198.51.100.80'),
          ttl: 64,
          id: 9,
          df: true,
          tos: 0,
          body: { proto: IPPROTO_TCP, sport: 52822, dport: 80, seq: 2713713455, ack: 0, flags: TCP_FLAG_SYN, window: 64240, options: synOptions(1460, 3584888813, 0, 10), data: new Uint8Array(0) },
        },
      },
    };
    const p = decodePacket(cookEthernetFrame(encodeEthernetFrame(f), { interfaceIndex: 4, arphrdType: ARPHRD_ETHER, packetType: PACKET_OUTGOING }), 276);
    expect(p.problem).toBeUndefined();
    expect(p.tcp?.srcPort).toBe(52822);
    expect(p.tcp?.seq).toBe(2713713455);
    expect(p.tcp?.flags).toBe(TCP_FLAG_SYN);
    expect(p.tcp?.window).toBe(64240);
    expect(p.tcp?.options.filter((o) => o.kind !== 'nop')).toEqual([
      { kind: 'mss', offset: expect.any(Number), mss: 1460 },
      { kind: 'sackOK', offset: expect.any(Number) },
      { kind: 'timestamp', offset: expect.any(Number), value: 3584888813, echo: 0 },
      { kind: 'wscale', offset: expect.any(Number), shift: 10 },
    ]);
    void TCP_FLAG_ACK;
  });

  it('DNS query and answer over UDP decode as the question and the A record', () => {
    const q = { id: 11612, name: 'www.example.test', type: DNS_TYPE_A, rd: true, ednsSize: 1232, cookie: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) };
    const query = encodeDnsQuery(q);
    expect(parseDnsQuery(query)).toEqual({ id: 11612, name: 'www.example.test', type: DNS_TYPE_A, rd: true, ednsSize: 1232 });
    const answer = encodeDnsResponse(q, [ip4('198.51.100.80')], 0, true, true);
    expect(parseDnsAnswerAddresses(answer)).toEqual([ip4('198.51.100.80')]);
    const f: EthFrame = {
      dst: A,
      src: B,
      payload: { kind: 'ipv4', ip: { src: ip4('198.51.100.53'), dst: ip4('172.17.0.2'), ttl: 63, id: 1, df: true, tos: 0, body: { proto: IPPROTO_UDP, sport: 53, dport: 56227, data: answer } } },
    };
    const p = decodePacket(encodeEthernetFrame(f), 1);
    expect(p.problem).toBeUndefined();
    expect(p.udp?.length).toBe(8 + answer.length);
    expect(p.dns?.id).toBe(11612);
    expect(p.dns?.flags).toBe(0x8580);
    // The decoder writes names fully qualified, with the root's dot.
    expect(p.dns?.questions.map((x) => x.name)).toEqual(['www.example.test.']);
    expect(p.dns?.answers.map((x) => x.address)).toEqual(['198.51.100.80']);
  });

  it('ARP reply', () => {
    const f: EthFrame = { dst: A, src: B, payload: { kind: 'arp', arp: { op: 2, sha: B, spa: ip4('172.17.0.1'), tha: A, tpa: ip4('172.17.0.2') } } };
    const p = decodePacket(encodeEthernetFrame(f), 1);
    expect(p.arp?.operation).toBe(2);
    expect(p.arp?.senderHardwareAddress).toBe('02:42:9e:11:22:33');
    expect(p.arp?.senderProtocolAddress).toBe('172.17.0.1');
    expect(p.arp?.targetProtocolAddress).toBe('172.17.0.2');
  });
});
