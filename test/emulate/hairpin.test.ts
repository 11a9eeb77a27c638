// Hairpin NAT through a published port, emulated with br_netfilter on and off, held frame by frame
// against what Linux 6.18 wrote in samples/hairpin and samples/hairpin-bypassed (lab recordings).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/tools.js';
import { parseScenario } from '../../src/scenario/index.js';
import { emulateScenario } from '../../src/emulate/index.js';
import { decodePacket } from '../../src/decode/packet.js';
import { openCapture } from '../../src/capture/index.js';
import { EthernetHeader } from '../../src/decode/ethernet.js';

interface Line {
  iface: string;
  text: string;
}

/** Each TCP frame as interface, MACs, addresses, flags and TTL: what the kernel's path decides. */
function line(iface: string, data: Uint8Array, linktype: number): Line | undefined {
  const p = decodePacket(data, linktype);
  const eth = p.link;
  if (!p.ipv4 || !p.tcp || !(eth instanceof EthernetHeader)) return undefined;
  const mac = (m: string): string => (m.startsWith('02:42:ac:11:00:') ? `c${Number(m.slice(-2)) - 1}` : 'br');
  const f = p.tcp.flags;
  const flags = `${f & 0x02 ? 'S' : ''}${f & 0x10 ? 'A' : ''}${f & 0x04 ? 'R' : ''}${f & 0x01 ? 'F' : ''}${p.tcp.payloadLength > 0 ? 'D' : ''}`;
  const port = (n: number): string => (n < 10000 ? String(n) : '*');
  return {
    iface,
    text: `${iface} ${mac(eth.src)}>${mac(eth.dst)} ${p.ipv4.src}:${port(p.tcp.srcPort)}>${p.ipv4.dst}:${port(p.tcp.dstPort)} ${flags} ttl ${p.ipv4.ttl}`,
  };
}

function emulated(name: string): Line[] {
  const file = join(REPO, 'samples', name, 'scenario.txt');
  const c = emulateScenario(parseScenario(readFileSync(file, 'utf8'), file));
  return c.frames.flatMap((f) => line(c.interfaces[f.iface].name, f.data, c.interfaces[f.iface].linktype) ?? []);
}

async function recorded(name: string): Promise<Line[]> {
  const reader = await openCapture(join(REPO, 'samples', name, 'capture.pcapng'));
  const out: Line[] = [];
  try {
    for await (const batch of reader.batches()) for (const f of batch) {
      const l = line(f.iface.name, f.data, f.iface.linktype);
      if (l !== undefined) out.push(l);
    }
  } finally {
    await reader.close();
  }
  return out;
}

const perInterface = (lines: Line[], iface: string): string[] => lines.filter((l) => l.iface === iface).map((l) => l.text);

describe('hairpin NAT against the kernel', () => {
  it('br_netfilter on: the SYN is DNATed on the bridge, leaves docker0 by the neighbour output, and the promiscuous copy is routed again', async () => {
    const model = emulated('hairpin');
    const real = await recorded('hairpin');
    const syn = (lines: Line[]): string[] => lines.filter((l) => / S ttl/.test(l.text)).map((l) => l.text);
    expect(syn(model)).toEqual([
      'veth1a2b3c4 c1>br 172.17.0.2:*>203.0.113.108:8080 S ttl 64',
      'docker0 br>c2 172.17.0.2:*>172.17.0.3:80 S ttl 64',
      'veth5d6e7f8 c1>c2 172.17.0.2:*>172.17.0.3:80 S ttl 64',
      'docker0 c1>c2 172.17.0.2:*>172.17.0.3:80 S ttl 64',
      'docker0 br>c2 172.17.0.2:*>172.17.0.3:80 S ttl 63',
      'veth5d6e7f8 br>c2 172.17.0.2:*>172.17.0.3:80 S ttl 63',
    ]);
    expect(syn(model)).toEqual(syn(real));
    // The answer is translated back on its way to c1, and the bridge's own copy is not.
    // Which side closes first is a race (curl or python's http.server): FINs are compared as a set.
    for (const iface of ['veth1a2b3c4', 'veth5d6e7f8', 'docker0']) {
      const control = (l: string[]): string[] => l.filter((t) => /[SR]A? ttl|D ttl/.test(t));
      const fins = (l: string[]): string[] => l.filter((t) => /F ttl/.test(t)).sort();
      expect(control(perInterface(model, iface))).toEqual(control(perInterface(real, iface)));
      expect(fins(perInterface(model, iface))).toEqual(fins(perInterface(real, iface)));
    }
  });

  it('br_netfilter off: c2 answers c1 directly, c1 resets it, and curl sends its SYN again until --max-time', async () => {
    const model = emulated('hairpin-bypassed');
    const real = await recorded('hairpin-bypassed');
    for (const iface of ['veth1a2b3c4', 'veth5d6e7f8', 'docker0']) expect(perInterface(model, iface)).toEqual(perInterface(real, iface));
    expect(perInterface(model, 'veth1a2b3c4').filter((t) => t.includes(' R '))).toHaveLength(9);
    expect(perInterface(model, 'veth1a2b3c4')).toContain('veth1a2b3c4 c2>c1 172.17.0.3:80>172.17.0.2:* SA ttl 64');
  });
});
