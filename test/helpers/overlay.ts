/**
 * What the vxlan-overlay sample's per-host captures must show, emulated or recorded, whatever the
 * run's MACs, ports, timing or segment sizes (the lab's captures hold the kernel's GSO packets).
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

const FIELDS = ['frame.interface_name', 'ip.src', 'ip.dst', 'ip.len', 'icmp.type', 'icmp.code', 'icmp.mtu', 'tcp.srcport', 'tcp.seq', 'tcp.seq_raw', 'tcp.ack', 'tcp.len', 'udp.dstport', 'vxlan.vni'] as const;
/** Every field as tshark gives it: several values (outer and inner packet, or an ICMP error and what it quotes) in order. */
export type OverlayRow = Record<(typeof FIELDS)[number], string[]>;

export function overlayRows(file: string): OverlayRow[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark -r ${file}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [FIELDS[i], v === '' ? [] : v.split(',')])) as OverlayRow);
}

const on = (rows: OverlayRow[], iface: string): OverlayRow[] => rows.filter((r) => r['frame.interface_name'][0] === iface);
const last = (v: string[]): string | undefined => v[v.length - 1];
const fragNeeded = (r: OverlayRow): boolean => r['icmp.type'][0] === '3' && r['icmp.code'][0] === '4';

/** The story of the sample, told by the host's and hostb's captures. */
export function expectOverlayStory(host: OverlayRow[], hostb: OverlayRow[]): void {
  expect(new Set(host.map((r) => r['frame.interface_name'][0]))).toEqual(new Set(['vethc1', 'vxlan0', 'eth1']));
  expect(new Set(hostb.map((r) => r['frame.interface_name'][0]))).toEqual(new Set(['vethc2', 'vxlan0', 'eth1']));
  // The underlay carries VXLAN (VNI 42, port 4789) between the hosts, around the containers' packets.
  for (const [rows, src] of [[host, '192.168.56.1'], [hostb, '192.168.56.2']] as const) {
    const vxlan = on(rows, 'eth1').filter((r) => r['udp.dstport'][0] === '4789');
    expect(vxlan.length).toBeGreaterThan(10);
    expect(new Set(vxlan.map((r) => r['vxlan.vni'][0]))).toEqual(new Set(['42']));
    expect(vxlan.filter((r) => r['ip.src'][0] === src && r['ip.src'][1] !== undefined).length).toBeGreaterThan(0);
  }
  // Two pings cross: echo and reply on both containers' veths.
  const echo = (rows: OverlayRow[], iface: string, type: string): number => on(rows, iface).filter((r) => r['icmp.type'][0] === type && r['ip.src'][0].startsWith('10.10.0.')).length;
  for (const type of ['8', '0']) {
    expect(echo(host, 'vethc1', type)).toBe(2);
    expect(echo(hostb, 'vethc2', type)).toBe(2);
  }
  // hostb's vxlan0 answers a segment of c2 too big for the tunnel, from c1's address, naming 1450;
  // the answer goes to c2 through its veth and never crosses the tunnel.
  const answers = hostb.filter(fragNeeded);
  expect(answers.length).toBeGreaterThan(0);
  for (const r of answers) {
    expect(['vxlan0', 'vethc2']).toContain(r['frame.interface_name'][0]);
    expect(r['icmp.mtu'][0]).toBe('1450');
    expect([r['ip.src'][0], r['ip.dst'][0]]).toEqual(['10.10.0.1', '10.10.0.2']);
    expect(r['ip.src'][1]).toBe('10.10.0.2');
    expect(Number(r['ip.len'][1])).toBeGreaterThan(1450);
  }
  expect(host.filter(fragNeeded)).toEqual([]);
  // Path-MTU discovery works: the data the first answer quotes is sent again and reaches c1, and c1
  // acknowledges the whole 256 KiB download.
  // tshark gives a quoted segment its sequence number as sent (no relative numbering inside an ICMP error).
  const quotedSeq = answers[0]['tcp.seq'][0];
  const toC1 = (r: OverlayRow): boolean => r['tcp.srcport'][0] === '80' && r['icmp.type'].length === 0;
  expect(on(host, 'vethc1').filter((r) => toC1(r) && r['tcp.seq_raw'][0] === quotedSeq).length).toBeGreaterThan(0);
  const acked = Math.max(...on(host, 'vethc1').filter((r) => last(r['ip.src']) === '10.10.0.1' && r['tcp.ack'].length > 0).map((r) => Number(r['tcp.ack'][0])));
  expect(acked).toBeGreaterThan(262144);
}
