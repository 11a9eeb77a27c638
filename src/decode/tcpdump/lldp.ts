// LLDP as tcpdump 4.99's print-lldp.c prints it without -v: the length, and the system name a switch
// announces (the one TLV tcpdump shows without -v). Switches send one to a server's uplink every 30 s.
import { u16 } from '../bytes.js';
import { tcpdumpChar } from './dns.js';

const TLV_END = 0;
const TLV_SYSTEM_NAME = 5;

/** nd_printjnp: up to `n` bytes or a NUL, each byte as fn_print_char shows it. */
function printable(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = o; i < o + n && b[i] !== 0; i++) s += tcpdumpChar(b[i]);
  return s;
}

/** The LLDPDU at `o`: `length` bytes on the wire after the link header, `end` where the capture stops. */
export function formatLldp(b: Uint8Array, o: number, length: number, end: number): string {
  let s = `LLDP, length ${length}`;
  let at = o;
  let left = length;
  while (left >= 2) {
    if (at + 2 > end) return `${s} [|lldp]`;
    const tlv = u16(b, at);
    const type = tlv >>> 9;
    const len = tlv & 0x1ff;
    at += 2;
    left -= 2;
    if (type === TLV_END || len === 0) break;
    if (at + len > end || left < len) return `${s} [|lldp]`;
    if (type === TLV_SYSTEM_NAME) s += `: ${printable(b, at, len)}`;
    at += len;
    left -= len;
  }
  return s;
}
