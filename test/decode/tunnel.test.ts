// GRE and Geneve decoders on the corpus's tunnel captures, and every damaged header as a
// DecodeProblem naming its layer and offset.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { CORPUS } from '../helpers/tools.js';
import { readFrames } from './frames.js';
import { decodePacket, type Packet } from '../../src/decode/packet.js';
import { decodeGre, GRE_FLAG_KEY, GRE_FLAG_ROUTING, GRE_FLAG_SEQUENCE } from '../../src/decode/gre.js';
import { decodeGeneve } from '../../src/decode/geneve.js';
import { isProblem } from '../../src/decode/layer.js';
import { packetLayersToJson } from '../../src/decode/json.js';

const T = (name: string): string => join(CORPUS, 'tcpdump', 'tests', name);

function packets(file: string): Packet[] {
  return readFrames(file).map((f) => decodePacket(f.data, f.iface.linktype));
}

describe('Geneve', () => {
  it('reads the header, its options and the Ethernet frame it carries', () => {
    const [withOptions, plain] = packets(T('geneve.pcap'));
    const g = withOptions.geneve!;
    expect([g.version, g.vni, g.critical, g.oam, g.optionsLength, g.protocolType]).toEqual([0, 0xa, true, false, 8, 0x6558]);
    expect(g.options).toEqual([{ class: 0, type: 0x80, length: 8, critical: true }]);
    expect(withOptions.inner?.icmp?.type).toBe(8);
    expect(plain.geneve!.vni).toBe(0xb);
    expect(plain.geneve!.options).toEqual([]);
    expect(plain.inner?.ipv4?.dst).toBe('30.0.0.1');
  });

  it('carries the header into read --json', () => {
    const json = packetLayersToJson(packets(T('geneve.pcap'))[0]);
    expect(json.geneve).toMatchObject({ vni: 10, critical: true, optionsLength: 8, protocolType: 0x6558 });
    expect(json.inner).toMatchObject({ icmp: { type: 8 } });
  });

  it('names a header cut short, options past the capture and an unknown version', () => {
    const b = Uint8Array.from([0x02, 0x40, 0x65, 0x58, 0, 0, 1, 0, 0xff, 0xff, 0x80, 0x01]);
    const cut = decodeGeneve(b, 5, b.length);
    expect(isProblem(cut) && cut.layer === 'geneve' && cut.offset === 5 && cut.code === 'truncated').toBe(true);
    const options = decodeGeneve(b, 0, b.length);
    expect(isProblem(options) && options.offset === 8 && options.code === 'truncated').toBe(true);
    b[0] = 0x40;
    const version = decodeGeneve(b, 0, b.length);
    expect(isProblem(version) && version.code === 'bad-version').toBe(true);
  });
});

describe('GRE', () => {
  it('reads version 0 with a key, and the payload type', () => {
    const gre = packets(T('various_gre.pcap')).find((p) => p.gre)!.gre!;
    expect([gre.version, gre.key, gre.sequence, gre.protocolType, gre.payloadOffset - gre.offset]).toEqual([0, 0x28, undefined, 0x8909, 8]);
  });

  it('reads version 1 (PPTP): call id and sequence number', () => {
    const p = packets(T('pptp.pcap')).find((x) => x.gre)!;
    expect([p.gre!.version, p.gre!.callId, p.gre!.sequence, p.gre!.ack, p.gre!.protocolType]).toEqual([1, 0, 0, undefined, 0x880b]);
  });

  it('decodes the IP packet or Ethernet frame inside', () => {
    // An IPv4 header (protocol 47) around GRE with a sequence number around an ICMP echo in IPv4.
    const inner = [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0xf7, 0xff, 0, 0, 0, 0];
    const gre = [0x10, 0x00, 0x08, 0x00, 0, 0, 0, 7];
    const outer = [0x45, 0, 0, 20 + gre.length + inner.length, 0, 1, 0, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
    const p = decodePacket(Uint8Array.from([...outer, ...gre, ...inner]), 228);
    expect(p.gre?.sequence).toBe(7);
    expect(p.inner?.ipv4?.src).toBe('10.0.0.1');
    expect(p.inner?.icmp?.type).toBe(8);
    // The same payload bridged: protocol type 0x6558 and an Ethernet header first.
    const teb = [0x00, 0x00, 0x65, 0x58];
    const eth = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    const q = decodePacket(Uint8Array.from([...outer.slice(0, 3), 20 + 4 + 14 + inner.length, ...outer.slice(4), ...teb, ...eth, ...inner]), 228);
    expect(q.inner?.link).toBeDefined();
    expect(q.inner?.icmp?.type).toBe(8);
  });

  it('names a header cut short, a source route past the capture and an unknown version', () => {
    const heap = packets(T('gre-heapoverflow-2.pcap'))[1];
    expect(heap.problem).toMatchObject({ layer: 'gre', code: 'truncated' });
    const b = Uint8Array.from([GRE_FLAG_KEY >> 8 | GRE_FLAG_SEQUENCE >> 8, 0, 0x08, 0, 0, 0, 0, 1]);
    const fields = decodeGre(b, 0, b.length);
    expect(isProblem(fields) && fields.layer === 'gre' && fields.offset === 4 && fields.code === 'truncated').toBe(true);
    const route = Uint8Array.from([GRE_FLAG_ROUTING >> 8, 0, 0x08, 0, 0, 0, 0, 0, 0x08, 0x00, 0, 8, 1, 2, 3, 4]);
    const r = decodeGre(route, 0, route.length);
    expect(isProblem(r) && r.offset === 12 && r.code === 'truncated').toBe(true);
    const v2 = decodeGre(Uint8Array.from([0, 2, 0x08, 0]), 0, 4);
    expect(isProblem(v2) && v2.code === 'bad-version').toBe(true);
  });

  it('stops decoding tunnels nested past eight deep', () => {
    // Each GRE header says its payload is another IPv4 packet carrying GRE.
    const layers = 12;
    const b = new Uint8Array(layers * 24);
    for (let i = 0; i < layers; i++) {
      const o = i * 24;
      b.set([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0x08, 0x00], o);
      const total = b.length - o;
      b[o + 2] = total >> 8;
      b[o + 3] = total & 0xff;
    }
    let p: Packet | undefined = decodePacket(b, 228);
    let depth = 0;
    while (p?.inner) {
      p = p.inner;
      depth++;
    }
    expect(depth).toBe(8);
  });
});
