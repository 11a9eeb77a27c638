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
    // The model's segments are what the wire carries: none above 1448 bytes of data before the
    // answer, none above 1398 (1450 less 52 bytes of IP, TCP and timestamps) after it, on c2's veth.
    const vethc2 = hostb.filter((r) => r['frame.interface_name'][0] === 'vethc2');
    const first = vethc2.findIndex((r) => r['icmp.type'][0] === '3');
    const data = (rows: typeof vethc2): number[] => rows.filter((r) => r['tcp.srcport'][0] === '80' && r['icmp.type'].length === 0).map((r) => Number(r['tcp.len'][0]));
    expect(Math.max(...data(vethc2.slice(0, first)))).toBe(1448);
    expect(Math.max(...data(vethc2.slice(first)))).toBe(1398);
    // Nothing too big ever reaches the underlay: the inner packet of every VXLAN frame fits 1450.
    for (const h of [host, hostb]) for (const r of h.filter((x) => x['udp.dstport'][0] === '4789' && x['ip.len'][1] !== undefined)) expect(Number(r['ip.len'][1])).toBeLessThanOrEqual(1450);
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
