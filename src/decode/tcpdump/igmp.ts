// IGMP as tcpdump 4.99's print-igmp.c prints it without -v. Every container interface that comes up
// sends a v3 membership report, so a capture of a container host always has a few of these.
import { ipv4String, u16, u32 } from '../bytes.js';

const TRUNCATED = ' [|igmp]';

/** RFC 3376 4.1.1: a Max Resp Code of 128 or more is a floating-point value in tenths of seconds. */
function maxRespTenths(code: number): number {
  return code < 128 ? code : ((code & 0x0f) | 0x10) << (((code & 0x70) >> 4) + 3);
}

/** tcpdump's unsigned_relts_print: `1h2m3s`, units that are zero left out. */
function relativeTime(seconds: number): string {
  if (seconds === 0) return '0s';
  const units: [number, string][] = [
    [31536000, 'y'],
    [604800, 'w'],
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  let s = '';
  for (const [size, name] of units) {
    if (seconds >= size) {
      s += `${Math.floor(seconds / size)}${name}`;
      seconds %= size;
    }
  }
  return s;
}

function v3Query(b: Uint8Array, o: number, end: number, len: number): string {
  let s = ' v3';
  if (len < 12 || (len & 3) !== 0) return `${s} [invalid len ${len}]`;
  if (o + 2 > end) return s + TRUNCATED;
  const code = b[o + 1];
  const mrt = maxRespTenths(code);
  if (code !== 100) s += ` [max resp time ${mrt < 600 ? `${(mrt * 0.1).toFixed(1)}s` : relativeTime(Math.floor(mrt / 10))}]`;
  if (o + 8 > end) return s + TRUNCATED;
  if (u32(b, o + 4) === 0) return s;
  s += ` [gaddr ${ipv4String(b, o + 4)}`;
  if (o + 12 > end) return s + TRUNCATED;
  const sources = u16(b, o + 10);
  if (sources > 0) s += len < 12 + sources * 4 ? ' [invalid number of sources]' : `, ${sources} source(s)`;
  return `${s}]`;
}

/**
 * The IGMP message at `o` (the IP payload, `len` bytes by the IP header; `end` is where the captured
 * bytes stop). The text follows `src > dst: `.
 */
export function formatIgmp(b: Uint8Array, o: number, len: number, end: number): string {
  if (o >= end) return TRUNCATED;
  const type = b[o];
  const group = (prefix: string): string => (o + 8 > end ? `${prefix}${TRUNCATED}` : `${prefix} ${ipv4String(b, o + 4)}`);
  switch (type) {
    case 0x11: {
      let s = 'igmp query';
      if (len >= 12) return s + v3Query(b, o, end, len);
      if (o + 2 > end) return s + TRUNCATED;
      const code = b[o + 1];
      if (code !== 0) s += ` v2${code !== 100 ? ` [max resp time ${code}]` : ''}`;
      else s += ' v1';
      if (o + 8 > end) return s + TRUNCATED;
      if (u32(b, o + 4) !== 0) s += ` [gaddr ${ipv4String(b, o + 4)}]`;
      if (len !== 8) s += ` [len ${len}]`;
      return s;
    }
    case 0x12: {
      const s = group('igmp v1 report');
      return len !== 8 && !s.endsWith(TRUNCATED) ? `${s} [len ${len}]` : s;
    }
    case 0x16:
      return group('igmp v2 report');
    case 0x17:
      return group('igmp leave');
    case 0x22: {
      const s = 'igmp v3 report';
      if (len < 16 || (len & 3) !== 0) return `${s} [invalid len ${len}]`;
      if (o + 8 > end) return s + TRUNCATED;
      return `${s}, ${u16(b, o + 6)} group record(s)`;
    }
    default:
      // DVMRP, PIMv1 and mtrace ride on IGMP too; tcpdump has printers for them, this project not.
      return type === 0x13 ? 'igmp dvmrp' : type === 0x14 ? 'igmp pimv1' : `igmp-${type}`;
  }
}
