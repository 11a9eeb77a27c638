/**
 * Two hosts joined by a VXLAN (or Geneve) overlay, emulated: encapsulation on the underlay, the
 * tunnel's MTU, the fragmentation-needed a bridged segment too big for it earns, the sender's
 * smaller segments after it, and one pcapng per host.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, skipReason } from '../helpers/tools.js';
import { expectOverlayStory, overlayRows } from '../helpers/overlay.js';
import { parseScenario } from '../../src/scenario/index.js';
import { emulateScenario, encodeEmulated, splitByHost } from '../../src/emulate/index.js';

const FILE = join(REPO, 'samples', 'vxlan-overlay', 'scenario.txt');
const TEXT = readFileSync(FILE, 'utf8');
const tshark = skipReason(['tshark']);

function emulatePerHost(text: string): Map<string, string> {
  const scenario = parseScenario(text, FILE);
  const dir = mkdtempSync(join(tmpdir(), 'pn-overlay-'));
  const files = new Map<string, string>();
  for (const [host, part] of splitByHost(emulateScenario(scenario), scenario.captures)) {
    const file = join(dir, `${host}.pcapng`);
    writeFileSync(file, encodeEmulated(part, host));
    files.set(host, file);
  }
  return files;
}

describe('emulated overlay', () => {
  it('splits the capture into one per host, interfaces named as on their host, every frame kept once', () => {
    const scenario = parseScenario(TEXT, FILE);
    const whole = emulateScenario(scenario);
    const parts = splitByHost(whole, scenario.captures);
    expect([...parts.keys()]).toEqual(['host', 'hostb']);
    expect(parts.get('host')!.interfaces.map((i) => i.name)).toEqual(['vethc1', 'vxlan0', 'eth1']);
    expect(parts.get('hostb')!.interfaces.map((i) => i.name)).toEqual(['vethc2', 'vxlan0', 'eth1']);
    const count = [...parts.values()].reduce((n, p) => n + p.frames.length, 0);
    expect(count).toBe(whole.frames.length);
    for (const p of parts.values()) expect(p.records.map((r) => r.frame)).toEqual(p.frames.map((_, i) => i + 1));
  });

  it.skipIf(tshark !== undefined)(`tells the sample's story per host: VXLAN, fragmentation-needed naming 1450, the download completes${tshark ? ` (${tshark})` : ''}`, () => {
    const files = emulatePerHost(TEXT);
    const host = overlayRows(files.get('host')!);
    const hostb = overlayRows(files.get('hostb')!);
    expectOverlayStory(host, hostb);
    // As the kernel did in the recording: the download leaves c2 in GSO packets within a window of ten
    // segments, half of it at most each (7240 bytes = 5 × 1448), then one lone 1448-byte segment; the
    // tunnel answers the two GSO packets (the lone segment dies silently at the bridge: it is not GSO),
    // and the sender sends them again cut to the new size, which the tunnel lets through.
    const recorded = overlayRows(join(REPO, 'samples', 'vxlan-overlay', 'hostb.pcapng'));
    for (const rows of [hostb, recorded]) {
      const vethc2 = rows.filter((r) => r['frame.interface_name'][0] === 'vethc2');
      const download = vethc2.filter((r) => r['tcp.srcport'][0] === '80' && r['icmp.type'].length === 0 && Number(r['tcp.len'][0]) > 1024);
      expect(download.slice(0, 3).map((r) => Number(r['tcp.len'][0]))).toEqual([7240, 7240, 1448]);
      const answers = vethc2.filter((r) => r['icmp.type'][0] === '3');
      expect(answers.map((r) => r['tcp.seq'][0])).toEqual(download.slice(0, 2).map((r) => r['tcp.seq_raw'][0]));
      const vxlan0 = rows.filter((r) => r['frame.interface_name'][0] === 'vxlan0' && r['tcp.srcport'][0] === '80');
      expect(vxlan0.filter((r) => r['tcp.seq_raw'][0] === download[2]['tcp.seq_raw'][0]).length).toBe(1);
    }
  });

  it.skipIf(tshark !== undefined)('writes frames tshark reads without a malformed frame or a bad checksum but the cut quote', () => {
    for (const file of emulatePerHost(TEXT).values()) {
      const run = spawnSync(
        'tshark',
        ['-n', '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'tcp.desegment_tcp_streams:FALSE', '-Y', '_ws.malformed || _ws.expert.severity >= error', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message', '-e', 'icmp.type', '-e', 'icmp.checksum.status'],
        { encoding: 'utf8', maxBuffer: 1 << 26 },
      );
      expect(run.status).toBe(0);
      // The segment a fragmentation-needed quotes is cut at 548 bytes: its own checksum cannot match.
      expect(run.stdout.split('\n').filter((l) => l !== '' && !/\tBad checksum [^\t]*\t3\t1$/.test(l))).toEqual([]);
    }
  });

  it.skipIf(tshark !== undefined)('carries Geneve the same way, on 6081 with its VNI', () => {
    const geneve = TEXT.replace(/type vxlan id 42 local \S+ remote (\S+) dstport 4789 dev eth1/g, 'type geneve id 42 remote $1');
    expect(geneve).not.toBe(TEXT);
    const rows = overlayRows(emulatePerHost(geneve).get('host')!);
    const outer = rows.filter((r) => r['frame.interface_name'][0] === 'eth1' && r['udp.dstport'][0] === '6081');
    expect(outer.length).toBeGreaterThan(10);
    const vni = spawnSync('tshark', ['-n', '-r', emulatePerHost(geneve).get('host')!, '-Y', 'geneve', '-T', 'fields', '-e', 'geneve.vni'], { encoding: 'utf8' });
    expect(new Set(vni.stdout.trim().split('\n').map(Number))).toEqual(new Set([42]));
    // Without `dev`, the device keeps MTU 1500 while the path takes 1450: the answer names the path.
    const mtus = overlayRows(emulatePerHost(geneve).get('hostb')!).filter((r) => r['icmp.type'][0] === '3').map((r) => r['icmp.mtu'][0]);
    expect(new Set(mtus)).toEqual(new Set(['1450']));
  });
});
