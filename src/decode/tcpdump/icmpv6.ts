// ICMPv6 as tcpdump 4.99's print-icmp6.c prints it without -v.
import { ipv6String, u16, u32 } from '../bytes.js';
import { isIpv6Extension } from '../ipv6.js';
import type { Icmpv6Message } from '../icmpv6.js';
import { hexOnly } from './hex.js';
import { IPPROTO_FRAGMENT, IPPROTO_TCP, IPPROTO_UDP } from '../enums.js';

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'destination unreachable'],
  [2, 'packet too big'],
  [3, 'time exceeded in-transit'],
  [4, 'parameter problem'],
  [128, 'echo request'],
  [129, 'echo reply'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [138, 'router renumbering'],
  [141, 'inverse neighbor solicitation'],
  [142, 'inverse neighbor advertisement'],
  [143, 'multicast listener report v2'],
  [144, 'ha discovery request'],
  [145, 'ha discovery reply'],
  [146, 'mobile router solicitation'],
  [147, 'mobile router advertisement'],
  [139, 'who-are-you request'],
  [140, 'who-are-you reply'],
  [200, 'mtrace response'],
  [201, 'mtrace message'],
  [155, 'RPL'],
]);

const UNREACH_CODES: ReadonlyMap<number, string> = new Map([
  [0, 'unreachable route'],
  [1, ' unreachable prohibited'],
  [2, 'beyond scope'],
  [3, 'unreachable address'],
  [4, 'unreachable port'],
]);

const TRUNCATED = ' [|icmp6]';

/**
 * The upper-layer protocol and header offset of the packet an error quotes (print-icmp6.c's
 * get_upperlayer), or undefined when the quote is cut first.
 */
function quotedUpperLayer(b: Uint8Array, q: number, end: number): { protocol: number; offset: number } | undefined {
  if (q + 40 > end) return undefined;
  let nh = b[q + 6];
  let o = q + 40;
  for (let i = 0; i < 16 && isIpv6Extension(nh); i++) {
    if (o + 8 > end) return undefined;
    const len = nh === IPPROTO_FRAGMENT ? 8 : (b[o + 1] + 1) * 8;
    if (nh === IPPROTO_FRAGMENT && (u16(b, o + 2) & 0xfff8) !== 0) return undefined;
    nh = b[o];
    o += len;
  }
  return { protocol: nh, offset: o };
}

/** The text after `src > dst: `, e.g. `ICMP6, echo request, id 7, seq 1, length 64`. */
export function formatIcmpv6(m: Icmpv6Message): string {
  const b = m.b;
  const o = m.offset;
  const end = m.end;
  const type = m.type;
  const code = m.code;
  const length = m.length;
  const has = (n: number): boolean => end - o >= n;
  if (length === 0) return 'ICMP6, length 0 (invalid)';
  let s = `ICMP6, ${TYPE_NAMES.get(type) ?? `unknown icmp6 type (${type})`}`;
  const q = o + 8;
  switch (type) {
    case 1: {
      s += `, ${UNREACH_CODES.get(code) ?? `unknown unreach code (${code})`}`;
      if (code === 0 || code === 1 || code === 3) {
        if (!has(8 + 40)) return s + TRUNCATED;
        s += ` ${ipv6String(b, q + 24)}`;
      } else if (code === 2) {
        if (!has(8 + 40)) return s + TRUNCATED;
        s += ` ${ipv6String(b, q + 24)}, source address ${ipv6String(b, q + 8)}`;
      } else if (code !== 4) {
        return s + hexOnly(b, o, length);
      } else {
        const up = quotedUpperLayer(b, q, end);
        if (!up || up.offset + 4 > end) return s + TRUNCATED;
        const dport = u16(b, up.offset + 2);
        const dst = ipv6String(b, q + 24);
        s += up.protocol === IPPROTO_TCP ? `, ${dst} tcp port ${dport}` : up.protocol === IPPROTO_UDP ? `, ${dst} udp port ${dport}` : `, ${dst} protocol ${up.protocol} port ${dport} unreachable`;
      }
      break;
    }
    case 2:
      if (!has(8)) return s + TRUNCATED;
      s += `, mtu ${u32(b, o + 4)}`;
      break;
    case 3:
      if (code === 0) {
        if (!has(8 + 40)) return s + TRUNCATED;
        s += ` for ${ipv6String(b, q + 24)}`;
      } else if (code === 1) s += ' (reassembly)';
      else s += `, unknown code (${code})`;
      break;
    case 4: {
      if (!has(8 + 40)) return s + TRUNCATED;
      const p = u32(b, o + 4);
      const what = ['erroneous', 'next header', 'option', 'incomplete header chain'][code];
      s += what ? `, ${what} - octet ${p}` : `, code-#${code}`;
      break;
    }
    case 128:
    case 129:
      if (!has(8)) return s + TRUNCATED;
      s += `, id ${u16(b, o + 4)}, seq ${u16(b, o + 6)}`;
      break;
    case 130:
      if (length === 24) s += mld1(b, o, end);
      else if (length >= 28) {
        if (!has(28)) return s + TRUNCATED;
        const nsrcs = u16(b, o + 26);
        s += ` v2 [gaddr ${ipv6String(b, o + 8)}`;
        if (nsrcs > 0) s += length < 28 + nsrcs * 16 ? ' [invalid number of sources]' : `, ${nsrcs} source(s)`;
        s += ']';
      } else s += ` unknown-version (len ${length}) `;
      break;
    case 131:
    case 132:
      s += mld1(b, o, end);
      break;
    case 135:
      if (!has(24)) return s + TRUNCATED;
      s += `, who has ${ipv6String(b, o + 8)}`;
      break;
    case 136:
      if (!has(24)) return s + TRUNCATED;
      s += `, tgt is ${ipv6String(b, o + 8)}`;
      break;
    case 137:
      if (!has(40)) return s + TRUNCATED;
      s += `, ${ipv6String(b, o + 24)} to ${ipv6String(b, o + 8)}`;
      break;
    case 143:
      if (!has(8)) return s + TRUNCATED;
      s += `, ${u16(b, o + 6)} group record(s)`;
      break;
    case 144:
    case 146:
      if (!has(6)) return s + TRUNCATED;
      s += `, id 0x${u16(b, o + 4).toString(16).padStart(4, '0')}`;
      break;
    case 133:
    case 134:
    case 141:
    case 142:
      break;
    default:
      // print_unknown_data: the message in hex.
      return `${s}, length ${length}${hexOnly(b, o, length)}`;
  }
  return `${s}, length ${length}`;
}

/** mld6_print: `max resp delay: N addr: A`. */
function mld1(b: Uint8Array, o: number, end: number): string {
  if (end - o < 24) return TRUNCATED;
  return `max resp delay: ${u16(b, o + 4)} addr: ${ipv6String(b, o + 8)}`;
}
