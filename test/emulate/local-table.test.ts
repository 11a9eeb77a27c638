// The emulator's route lookup and source selection (src/emulate/fib.ts) held against the kernel. Each
// scenario of fixtures/ was recorded by `lab` on a 6.18 kernel into the .pcapng beside it; where
// root and namespaces are at hand, the lab records it again and the sources must match once more.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, skipReason } from '../helpers/tools.js';
import { readAll } from '../capture/read-all.js';
import { parseScenario } from '../../src/scenario/index.js';
import { emulateScenario } from '../../src/emulate/index.js';
import { decodePacket } from '../../src/decode/packet.js';
import { EthernetHeader } from '../../src/decode/ethernet.js';
import { existingNamespaces, labUnavailableReason, runLab } from '../../src/lab/index.js';
import { runDiff } from '../../src/cli/diff.js';

const FIXTURES = join(REPO, 'test', 'emulate', 'fixtures');
const SCENARIOS = ['lo-address', 'own-addresses'];

interface Seen {
  iface: string;
  data: Uint8Array;
  linktype: number;
}

/**
 * What a source address decides, per interface in capture order: each IPv4 packet, and each
 * broadcast ARP request with the address it tells. Ephemeral ports and echo ids are left out.
 */
function sources(frames: Seen[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of frames) {
    const p = decodePacket(f.data, f.linktype);
    let line: string | undefined;
    if (p.arp?.operation === 1 && p.link instanceof EthernetHeader && p.link.isBroadcast) line = `arp who-has ${p.arp.targetProtocolAddress} tell ${p.arp.senderProtocolAddress}`;
    else if (p.ipv4 && p.icmp) line = `icmp ${p.icmp.type} ${p.ipv4.src} > ${p.ipv4.dst}`;
    else if (p.ipv4 && p.udp) line = `udp ${p.ipv4.src}${p.udp.srcPort === 53 ? ':53' : ''} > ${p.ipv4.dst}${p.udp.dstPort === 53 ? ':53' : ''}`;
    else if (p.ipv4) line = `ip ${p.ipv4.src} > ${p.ipv4.dst}`;
    if (line !== undefined) (out[f.iface] ??= []).push(line);
  }
  return out;
}

function scenarioFile(name: string): string {
  return join(FIXTURES, `${name}.txt`);
}

function emulatedSources(name: string): Record<string, string[]> {
  const c = emulateScenario(parseScenario(readFileSync(scenarioFile(name), 'utf8'), scenarioFile(name)));
  return sources(c.frames.map((f) => ({ iface: c.interfaces[f.iface].name, data: f.data, linktype: c.interfaces[f.iface].linktype })));
}

async function recordedSources(file: string): Promise<Record<string, string[]>> {
  const r = await readAll(file);
  if (r.error !== undefined) throw r.error;
  return sources(r.frames.map((f) => ({ iface: f.iface.name, data: f.data, linktype: f.iface.linktype })));
}

/** The lines of `ip route get` that each expectation below stands on were read from the same kernel. */
const EXPECTED: Record<string, Record<string, string[]>> = {
  'lo-address': {
    'c1:lo': [
      // `local 127.0.0.11 dev lo src 127.0.0.11`: an address on lo is its own source...
      'udp 127.0.0.11 > 127.0.0.11:53',
      'udp 127.0.0.11:53 > 127.0.0.11',
      'icmp 8 127.0.0.11 > 127.0.0.11',
      'icmp 0 127.0.0.11 > 127.0.0.11',
      // ...and the rest of 127.0.0.0/8 takes 127.0.0.1, the source of `local 127.0.0.0/8`.
      'icmp 8 127.0.0.1 > 127.0.0.5',
      'icmp 0 127.0.0.5 > 127.0.0.1',
    ],
  },
  'own-addresses': {
    'c1:lo': [
      // 10.0.0.3 is 10.0.0.2's secondary: `local 10.0.0.3 dev eth0 src 10.0.0.2`.
      'icmp 8 10.0.0.2 > 10.0.0.3',
      'icmp 0 10.0.0.3 > 10.0.0.2',
      'icmp 8 10.1.0.2 > 10.1.0.2',
      'icmp 0 10.1.0.2 > 10.1.0.2',
    ],
    'c1:eth0': [
      'arp who-has 10.0.0.1 tell 10.0.0.2',
      'icmp 8 10.0.0.2 > 10.0.0.1',
      'icmp 0 10.0.0.1 > 10.0.0.2',
      // `10.1.0.128/25 dev eth0` has no src: the device's first address, not the one on 10.1.0.0/24.
      'arp who-has 10.1.0.129 tell 10.0.0.2',
      'icmp 8 10.0.0.2 > 10.1.0.129',
      'icmp 0 10.1.0.129 > 10.0.0.2',
      // ping -I eth0 takes the source of the route through eth0: 10.1.0.0/24's, 10.1.0.2.
      'arp who-has 10.1.0.1 tell 10.1.0.2',
      'icmp 8 10.1.0.2 > 10.1.0.1',
      'icmp 0 10.1.0.1 > 10.1.0.2',
    ],
  },
};

describe('sources from tables local and main', () => {
  it.each(SCENARIOS)('%s: the emulator chooses the sources the kernel did', async (name) => {
    expect(emulatedSources(name)).toEqual(EXPECTED[name]);
    expect(await recordedSources(join(FIXTURES, `${name}.pcapng`))).toEqual(EXPECTED[name]);
  });

  it.each(SCENARIOS)('%s: diff of the scenario and its recording agrees', async (name) => {
    const { result } = await runDiff(scenarioFile(name), [join(FIXTURES, `${name}.pcapng`)]);
    expect(result.sentences, result.sentences.join('\n')).toEqual([]);
    expect(result.agree).toBe(true);
  });

  it('a packet to an address in a subnet on lo leaves from that subnet\'s address', () => {
    // `ip addr add 10.7.0.1/24 dev lo` makes `local 10.7.0.0/24 dev lo src 10.7.0.1`; lab refuses
    // to send to 10.7.0.9 (no namespace has it), so this one stands on `ip route get` alone.
    const text = '@capture c1:lo\nip netns add c1\nip netns exec c1 ip link set dev lo up\nip netns exec c1 ip addr add 10.7.0.1/24 dev lo\nip netns exec c1 ping -c 1 10.7.0.9\n';
    const c = emulateScenario(parseScenario(text, 'lo-subnet.txt'));
    const seen = sources(c.frames.map((f) => ({ iface: c.interfaces[f.iface].name, data: f.data, linktype: c.interfaces[f.iface].linktype })));
    expect(seen).toEqual({ 'c1:lo': ['icmp 8 10.7.0.1 > 10.7.0.9', 'icmp 0 10.7.0.9 > 10.7.0.1'] });
  });
});

const labSkip = labUnavailableReason() ?? skipReason(['ip', 'dumpcap', 'dig', 'dnsmasq', 'ping']);

describe.skipIf(labSkip !== undefined)('the lab records the same sources again', () => {
  if (labSkip) console.warn(`lab tests ${labSkip}`);
  it.each(SCENARIOS)('%s', async (name) => {
    const scenario = parseScenario(readFileSync(scenarioFile(name), 'utf8'), scenarioFile(name));
    const temp = mkdtempSync(join(tmpdir(), 'pn-localtable-'));
    const prefix = `pnl${process.pid}${name.slice(0, 3)}-`;
    try {
      const out = join(temp, 'observed.pcapng');
      await runLab(scenario, { output: out, prefix });
      expect(await recordedSources(out)).toEqual(emulatedSources(name));
    } finally {
      rmSync(temp, { recursive: true, force: true });
      expect(existingNamespaces(prefix)).toEqual([]);
      expect(existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(prefix)) : []).toEqual([]);
    }
  });
});
