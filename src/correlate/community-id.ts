/**
 * Community ID v1 (github.com/corelight/community-id-spec): the flow hash Zeek, Suricata and Arkime
 * log, so a flow here can be found in their logs of the same traffic.
 */
import { createHash } from 'node:crypto';

export interface FlowTuple {
  proto: number;
  /** 4 or 16 bytes. */
  saddr: Uint8Array;
  daddr: Uint8Array;
  /** Ports, or ICMP type (sport) and code (dport). Ignored for protocols without ports. */
  sport?: number;
  dport?: number;
}

const PROTOS_WITH_PORTS = new Set([1, 6, 17, 58, 132]);

// Message types whose counterpart makes an ICMP exchange bidirectional (the spec's tables).
const ICMP4_COUNTERPART = new Map([
  [8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17],
]);
const ICMP6_COUNTERPART = new Map([
  [128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135], [130, 131], [131, 130],
  [139, 140], [140, 139], [144, 145], [145, 144],
]);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function communityId(tuple: FlowTuple, seed = 0, base64 = true): string {
  let { saddr, daddr } = tuple;
  let sport = tuple.sport ?? 0;
  let dport = tuple.dport ?? 0;
  const withPorts = PROTOS_WITH_PORTS.has(tuple.proto);
  let oneWay = false;
  if (tuple.proto === 1 || tuple.proto === 58) {
    const map = tuple.proto === 1 ? ICMP4_COUNTERPART : ICMP6_COUNTERPART;
    const counterpart = map.get(sport);
    if (counterpart === undefined) oneWay = true;
    else dport = counterpart;
  }
  if (!oneWay) {
    const c = compareBytes(saddr, daddr);
    if (c > 0 || (c === 0 && withPorts && sport > dport)) {
      [saddr, daddr] = [daddr, saddr];
      [sport, dport] = [dport, sport];
    }
  }
  const buf = Buffer.alloc(2 + saddr.length + daddr.length + 2 + (withPorts ? 4 : 0));
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  buf.set(saddr, o);
  o += saddr.length;
  buf.set(daddr, o);
  o += daddr.length;
  o = buf.writeUInt8(tuple.proto & 0xff, o);
  o = buf.writeUInt8(0, o);
  if (withPorts) {
    o = buf.writeUInt16BE(sport & 0xffff, o);
    buf.writeUInt16BE(dport & 0xffff, o);
  }
  const digest = createHash('sha1').update(buf).digest();
  return `1:${base64 ? digest.toString('base64') : digest.toString('hex')}`;
}
