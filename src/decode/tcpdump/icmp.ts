// ICMP as tcpdump 4.99's print-icmp.c prints it without -v.
import { ipv4String, u16, u32 } from '../bytes.js';
import type { IcmpMessage } from '../icmp.js';
import { ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_MASK_REPLY, ICMP_PARAM_PROBLEM, ICMP_REDIRECT, ICMP_ROUTER_ADVERT, ICMP_TIMESTAMP, ICMP_TIMESTAMP_REPLY, ICMP_TIME_EXCEEDED, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, ICMP_UNREACH_PORT, ICMP_UNREACH_PROTOCOL, IPPROTO_TCP, IPPROTO_UDP } from '../enums.js';

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'echo reply'],
  [4, 'source quench'],
  [8, 'echo request'],
  [10, 'router solicitation'],
  [13, 'time stamp request'],
  [14, 'time stamp reply'],
  [15, 'information request'],
  [16, 'information reply'],
  [17, 'address mask request'],
]);

// unreach2str: `%s` is the quoted packet's destination.
const UNREACH_FORMATS: ReadonlyMap<number, string> = new Map([
  [0, 'net %s unreachable'],
  [1, 'host %s unreachable'],
  [5, '%s unreachable - source route failed'],
  [6, 'net %s unreachable - unknown'],
  [7, 'host %s unreachable - unknown'],
  [8, '%s unreachable - source host isolated'],
  [9, 'net %s unreachable - admin prohibited'],
  [10, 'host %s unreachable - admin prohibited'],
  [11, 'net %s unreachable - tos prohibited'],
  [12, 'host %s unreachable - tos prohibited'],
  [13, 'host %s unreachable - admin prohibited filter'],
  [14, 'host %s unreachable - host precedence violation'],
  [15, 'host %s unreachable - precedence cutoff'],
]);

const REDIRECT_FORMATS: ReadonlyMap<number, string> = new Map([
  [0, 'redirect %s to net %s'],
  [1, 'redirect %s to host %s'],
  [2, 'redirect-tos %s to net %s'],
  [3, 'redirect-tos %s to host %s'],
]);

const TRUNCATED = ' [|icmp]';

/** icmp_tstamp_print: milliseconds since midnight UTC as hh:mm:ss.mmm. */
function timeOfDay(ms: number): string {
  const msec = ms % 1000;
  let sec = Math.floor(ms / 1000);
  let min = Math.floor(sec / 60);
  sec -= min * 60;
  const hrs = Math.floor(min / 60);
  min -= hrs * 60;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(hrs)}:${p2(min)}:${p2(sec)}.${String(msec).padStart(3, '0')}`;
}

/** The text after `src > dst: `, e.g. `ICMP echo request, id 7, seq 1, length 64`. */
export function formatIcmp(icmp: IcmpMessage): string {
  const b = icmp.b;
  const o = icmp.offset;
  const avail = icmp.end - o;
  const type = icmp.type;
  const code = icmp.code;
  // The quoted header's fields, where an error message has them.
  const q = o + 8;
  const has = (n: number): boolean => avail >= n;
  let text: string;
  switch (type) {
    case ICMP_ECHO:
    case ICMP_ECHO_REPLY:
      text = `echo ${type === ICMP_ECHO ? 'request' : 'reply'}, id ${u16(b, o + 4)}, seq ${u16(b, o + 6)}`;
      break;
    case ICMP_UNREACH: {
      if (!has(8 + 20)) return TRUNCATED;
      const dst = ipv4String(b, q + 16);
      if (code === ICMP_UNREACH_PROTOCOL) {
        text = `${dst} protocol ${b[q + 9]} unreachable`;
      } else if (code === ICMP_UNREACH_PORT) {
        const hlen = (b[q] & 0x0f) * 4;
        if (!has(8 + hlen + 4)) return TRUNCATED;
        const dport = u16(b, q + hlen + 2);
        const proto = b[q + 9];
        text = proto === IPPROTO_TCP ? `${dst} tcp port ${dport} unreachable` : proto === IPPROTO_UDP ? `${dst} udp port ${dport} unreachable` : `${dst} protocol ${proto} port ${dport} unreachable`;
      } else if (code === ICMP_UNREACH_NEEDFRAG) {
        const mtu = u16(b, o + 6);
        text = mtu ? `${dst} unreachable - need to frag (mtu ${mtu})` : `${dst} unreachable - need to frag`;
      } else {
        text = (UNREACH_FORMATS.get(code) ?? `#${code} %s unreachable`).replace('%s', dst);
      }
      break;
    }
    case ICMP_REDIRECT: {
      if (!has(8 + 20)) return TRUNCATED;
      const fmt = REDIRECT_FORMATS.get(code) ?? `redirect-#${code} %s to net %s`;
      text = fmt.replace('%s', ipv4String(b, q + 16)).replace('%s', ipv4String(b, o + 4));
      break;
    }
    case ICMP_ROUTER_ADVERT: {
      const num = b[o + 4];
      const size = b[o + 5];
      const lifetime = u16(b, o + 6);
      const p2 = (n: number): string => String(n).padStart(2, '0');
      const life = lifetime < 60 ? `${lifetime}` : lifetime < 3600 ? `${Math.floor(lifetime / 60)}:${p2(lifetime % 60)}` : `${Math.floor(lifetime / 3600)}:${p2(Math.floor((lifetime % 3600) / 60))}:${p2(lifetime % 60)}`;
      text = `router advertisement lifetime ${life} ${num}:`;
      if (size !== 2) {
        text += ` [size ${size}]`;
        break;
      }
      for (let i = 0; i < num; i++) {
        const e = o + 8 + i * 8;
        if (e + 8 > icmp.end) return `ICMP ${text}${TRUNCATED}`;
        text += ` {${ipv4String(b, e)} ${u32(b, e + 4)}}`;
      }
      break;
    }
    case ICMP_TIME_EXCEEDED:
      if (!has(8 + 20)) return TRUNCATED;
      text = code === 0 ? 'time exceeded in-transit' : code === 1 ? 'ip reassembly time exceeded' : `time exceeded-#${code}`;
      break;
    case ICMP_PARAM_PROBLEM:
      text = code ? `parameter problem - code ${code}` : `parameter problem - octet ${b[o + 4]}`;
      break;
    case ICMP_MASK_REPLY:
      if (!has(12)) return TRUNCATED;
      text = `address mask is 0x${u32(b, o + 8).toString(16).padStart(8, '0')}`;
      break;
    case ICMP_TIMESTAMP:
      text = `time stamp query id ${u16(b, o + 4)} seq ${u16(b, o + 6)}`;
      break;
    case ICMP_TIMESTAMP_REPLY:
      if (!has(20)) return TRUNCATED;
      text = `time stamp reply id ${u16(b, o + 4)} seq ${u16(b, o + 6)}: org ${timeOfDay(u32(b, o + 8))}, recv ${timeOfDay(u32(b, o + 12))}, xmit ${timeOfDay(u32(b, o + 16))}`;
      break;
    default:
      text = TYPE_NAMES.get(type) ?? `type-#${type}`;
  }
  return `ICMP ${text}, length ${icmp.length}`;
}
