// PacketDecoder reuses one Packet and one view per layer and nesting level: every frame it decodes
// must still come out as decodePacket decodes it, with nothing left over from the frame before
// (a layer the new frame lacks, a quoted packet, a VLAN tag, a view aimed at the old bytes).
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { CORPUS, REPO, corpusCaptures } from '../helpers/tools.js';
import { readFrames } from './frames.js';
import { decodePacket, type Packet } from '../../src/decode/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { packetLayersToJson } from '../../src/decode/json.js';
import type { Frame } from '../../src/capture/frame.js';

const sample = (name: string, file = 'capture.pcapng'): Frame[] => readFrames(join(REPO, 'samples', name, file));

/**
 * A packet as plain data, every class named and every byte array as its text (vitest compares typed
 * arrays element by element, which takes a minute over the samples).
 */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return `bytes ${Buffer.from(v.buffer, v.byteOffset, v.length).toString('latin1')}`;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = { class: v.constructor.name };
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  return out;
}

/** The reused packet against a new one: fields, nested packets, and what the getters read. */
function expectSameDecode(decoder: PacketDecoder, f: Frame): Packet {
  const reused = decoder.decode(f.data, f.iface.linktype);
  const fresh = decodePacket(f.data, f.iface.linktype);
  const where = `${f.file}#${f.number}`;
  expect(plain(reused), where).toStrictEqual(plain(fresh));
  expect(JSON.stringify(packetLayersToJson(reused)), where).toBe(JSON.stringify(packetLayersToJson(fresh)));
  return reused;
}

describe('PacketDecoder', () => {
  it('decodes a TCP frame, then an ARP frame, then an ICMP error quoting UDP, each as decodePacket does', () => {
    const nat = sample('egress-nat');
    const tcp = nat.find((f) => decodePacket(f.data, f.iface.linktype).tcp)!;
    const arp = nat.find((f) => decodePacket(f.data, f.iface.linktype).arp)!;
    const icmpFrames = readFrames(join(CORPUS, 'community-id/pcaps/icmp.pcap'));
    const icmp = icmpFrames.find((f) => decodePacket(f.data, f.iface.linktype).icmp?.inner?.udp)!;
    const echo = icmpFrames.find((f) => decodePacket(f.data, f.iface.linktype).icmp?.isEcho)!;
    const decoder = new PacketDecoder();

    const first = expectSameDecode(decoder, tcp);
    expect(first.tcp?.srcPort).toBeGreaterThan(0);
    const second = expectSameDecode(decoder, arp);
    expect(second).toBe(first);
    expect(second.arp).toBeDefined();
    expect(second.ipv4).toBeUndefined();
    expect(second.tcp).toBeUndefined();
    const third = expectSameDecode(decoder, icmp);
    expect(third.arp).toBeUndefined();
    expect(third.icmp?.inner?.udp).toBeDefined();
    expect(third.icmp?.inner?.ipv4?.offset).toBe(third.icmp!.payloadOffset);
    // An ICMP message that quotes nothing, in the view that held the error: it lets go of the quote.
    expect(expectSameDecode(decoder, echo).icmp?.inner).toBeUndefined();
    expectSameDecode(decoder, tcp);
    expect(decoder.decode(tcp.data, tcp.iface.linktype).icmp).toBeUndefined();
  });

  it('decodes every frame of every sample as decodePacket does, one decoder for all of them', () => {
    const decoder = new PacketDecoder();
    let frames = 0;
    for (const name of readdirSync(join(REPO, 'samples')).sort()) {
      for (const file of readdirSync(join(REPO, 'samples', name)).filter((f) => f.endsWith('.pcapng')).sort()) {
        for (const f of sample(name, file)) {
          expectSameDecode(decoder, f);
          frames++;
        }
      }
    }
    expect(frames).toBeGreaterThan(1000);
  });

  it('decodes every frame of the corpus as decodePacket does: link types, tags, tunnels, extensions, damaged frames', () => {
    const decoder = new PacketDecoder();
    const files = corpusCaptures();
    expect(files.length).toBeGreaterThan(300);
    const seen = { vlan: 0, inner: 0, quoted: 0, dns: 0, problem: 0 };
    for (const c of files) {
      for (const f of readFrames(c.path)) {
        const p = expectSameDecode(decoder, f);
        if (p.vlans.length > 0) seen.vlan++;
        if (p.inner) seen.inner++;
        if (p.icmp?.inner || p.icmpv6?.inner) seen.quoted++;
        if (p.dns) seen.dns++;
        if (p.problem) seen.problem++;
      }
    }
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });

  it('makes the records of a DNS message once for all the copies of its packet, and no others', () => {
    const decoder = new PacketDecoder();
    const dns = sample('egress-nat').filter((f) => decodePacket(f.data, f.iface.linktype).dns);
    const questions = dns.map((f) => decoder.decode(f.data, f.iface.linktype).dns!.questions);
    const ids = dns.map((f) => decodePacket(f.data, f.iface.linktype).dns!.id);
    // The query and its answer, each seen on several interfaces.
    expect(new Set(ids).size).toBeLessThan(ids.length);
    for (let i = 1; i < dns.length; i++) {
      const same = Buffer.from(dns[i].data.subarray(42)).equals(Buffer.from(dns[i - 1].data.subarray(42)));
      expect(questions[i] === questions[i - 1], `frames ${dns[i - 1].number} and ${dns[i].number}`).toBe(same);
    }
    expect(new Set(questions).size).toBeLessThan(questions.length);
  });
});
