import { openCapture } from '../../src/capture/index.js';
import type { Frame } from '../../src/capture/frame.js';
import { decodePacket, type Packet } from '../../src/decode/packet.js';
import { formatFrameLine, type LineOptions } from '../../src/decode/tcpdump/line.js';
import { TcpSequenceTracker } from '../../src/decode/tcpdump/transport.js';
import { CaptureError } from '../../src/capture/errors.js';

export type Bucket = 'http' | 'dns' | 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'arp' | 'ipv4' | 'ipv6' | 'other';

/** The protocol a line is mostly about: the topmost layer the decoder found. */
export function bucketOf(pkt: Packet): Bucket {
  if (pkt.inner) return bucketOf(pkt.inner);
  if (pkt.http) return 'http';
  if (pkt.dns) return 'dns';
  if (pkt.tcp) return 'tcp';
  if (pkt.udp) return 'udp';
  if (pkt.icmp) return 'icmp';
  if (pkt.icmpv6) return 'icmpv6';
  if (pkt.arp) return 'arp';
  if (pkt.ipv4) return 'ipv4';
  if (pkt.ipv6) return 'ipv6';
  return 'other';
}

/**
 * The rule of the comparison: the protocols `read` promises tcpdump's text for are ARP, ICMP, UDP,
 * DNS, TCP and HTTP. A UDP datagram whose payload tcpdump decodes as some other application (NTP,
 * RIP, ISAKMP...) is counted apart as `udp-app`; for TCP, the TCP part of the line (up to and with
 * `length N`) is what is compared, since tcpdump appends the text of applications we do not decode.
 */
export function judge(bucket: Bucket, ours: string, theirs: string, cookedV2 = false): { bucket: string; ok: boolean } {
  if (ours === theirs) return { bucket, ok: true };
  // A cooked-v2 capture carries interface indexes, which tcpdump names from the table of the machine
  // reading the file (wrong names for a capture taken elsewhere; `read` prints if<N> or --iface-map's
  // names). That one column is left out of the comparison; everything else on the line counts.
  if (cookedV2) {
    const unname = (t: string): string => t.replace(/^(\S+(?: \S+)?) \S+\s+(In|Out|B|M|P|\?)(\s+)/, '$1 - $2$3');
    ours = unname(ours);
    theirs = unname(theirs);
    if (ours === theirs) return { bucket, ok: true };
  }
  if (bucket === 'udp') {
    // What tcpdump says right after the outer destination: plain UDP, or an application's name.
    const after = / > \S+: (.*)$/.exec(theirs.split('\n')[0])?.[1] ?? '';
    if (!/^(UDP, length \d+|BOOTP\/DHCP|VXLAN, |OTV, |Geneve, )/.test(after)) return { bucket: 'udp-app', ok: false };
  }
  if (bucket === 'tcp') {
    const cut = (t: string): string | undefined => /^.*?, length \d+/.exec(t.split('\n')[0])?.[0];
    const a = cut(ours);
    const b = cut(theirs);
    if (b !== undefined && a === b) return { bucket, ok: true };
  }
  return { bucket, ok: false };
}

export interface OurLine {
  frame: Frame;
  cookedV2: boolean;
  bucket: Bucket;
  text: string;
}

/** Our lines for a file in file order (as tcpdump prints), stopping quietly at capture damage. */
export async function ourLines(file: string, options: Omit<LineOptions, 'tcpState'>): Promise<OurLine[]> {
  const out: OurLine[] = [];
  const tcpState = new TcpSequenceTracker();
  const reader = await openCapture(file);
  try {
    for await (const batch of reader.batches()) {
      for (const frame of batch) {
        const pkt = decodePacket(frame.data, frame.iface.linktype);
        out.push({ frame, cookedV2: frame.iface.linktype === 276, bucket: bucketOf(pkt), text: formatFrameLine(frame, pkt, { ...options, tcpState }) });
      }
    }
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
  } finally {
    await reader.close();
  }
  return out;
}

/** tcpdump output lines grouped per packet: a packet starts with a line that matches `start`. */
export function groupPackets(lines: string[], start: RegExp): string[] {
  const packets: string[] = [];
  for (const line of lines) {
    if (start.test(line) || packets.length === 0) packets.push(line);
    else packets[packets.length - 1] += `\n${line}`;
  }
  return packets;
}

export class MatchTally {
  private readonly counts = new Map<string, { match: number; total: number; examples: string[] }>();

  add(bucket: string, ok: boolean, example: () => string): void {
    let c = this.counts.get(bucket);
    if (!c) this.counts.set(bucket, (c = { match: 0, total: 0, examples: [] }));
    c.total++;
    if (ok) c.match++;
    else if (c.examples.length < 5) c.examples.push(example());
  }

  rate(bucket: string): number {
    const c = this.counts.get(bucket);
    return c && c.total > 0 ? c.match / c.total : 1;
  }

  total(bucket: string): number {
    return this.counts.get(bucket)?.total ?? 0;
  }

  report(title: string): string {
    const rows = [...this.counts.entries()].sort((a, b) => b[1].total - a[1].total);
    const lines = [`${title}: match rate per protocol`];
    for (const [bucket, c] of rows) {
      lines.push(`  ${bucket.padEnd(7)} ${String(c.match).padStart(6)}/${String(c.total).padEnd(6)} ${((100 * c.match) / c.total).toFixed(1)}%`);
      for (const e of c.examples) lines.push(`      ${e.replace(/\n/g, '\n      ')}`);
    }
    return lines.join('\n');
  }
}
