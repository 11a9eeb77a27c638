// Tunnels as tcpdump 4.99 prints them without -v: print-gre.c (versions 0 and 1), print-geneve.c,
// and the frame a tunnel carries, printed as tcpdump prints a frame of its own.
import type { Packet } from '../packet.js';
import { hex2, u16, u32 } from '../bytes.js';
import { GRE_FLAG_ACK, GRE_FLAG_CHECKSUM, GRE_FLAG_KEY, GRE_FLAG_ROUTING, GRE_FLAG_SEQUENCE, GRE_VERSION_MASK } from '../gre.js';
import { GENEVE_FLAG_CRITICAL, GENEVE_FLAG_OAM, GENEVE_HEADER_LENGTH, GeneveHeader } from '../geneve.js';
import { OTV_PORT } from '../vxlan.js';
import { formatPacketBody, type LineOptions } from './line.js';
import { formatLinkHeader } from './link.js';
import { ethertypeName } from './names.js';
import { ETHERTYPE_IPV4, ETHERTYPE_PPP } from '../enums.js';

const hex = (n: number): string => n.toString(16);
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** The -e text tcpdump adds to a tunnel header: the payload's protocol type. */
function protoText(prot: number, opts: LineOptions): string {
  return opts.linkHeader ? `, proto ${ethertypeName(prot, 'unknown')} (0x${hex4(prot)})` : '';
}

/**
 * A tunnelled packet of `length` bytes (what the outer headers declare is left): an Ethernet frame
 * goes through ether_print (its MAC header shown under -e), an IP or ARP packet through its printer.
 */
function formatInnerFrame(inner: Packet, length: number, opts: LineOptions): string {
  const link = opts.linkHeader && inner.link ? formatLinkHeader(inner, length) : '';
  return link + formatPacketBody(inner, { ...opts, ifacePrefix: undefined }, length);
}

/** print-vxlan.c and print-otv.c: the header, a newline, then the Ethernet frame. */
export function formatVxlan(pkt: Packet, b: Uint8Array, p: number, length: number, opts: LineOptions): string {
  const v = pkt.vxlan;
  if (!v) return pkt.udp?.dstPort === OTV_PORT || pkt.udp?.srcPort === OTV_PORT ? 'OTV,  [|OTV]' : 'VXLAN (invalid)';
  const flagText = `flags [${v.vniValid ? 'I' : '.'}] (0x${hex2(v.flags)})`;
  const head = v.port === OTV_PORT ? `OTV, ${flagText}, overlay ${(u16(b, p + 3) << 8) | b[p + 5]}, instance ${b[p + 6]}` : `VXLAN, ${flagText}, vni ${v.vni}`;
  if (!pkt.inner) return head;
  return `${head}\n${formatInnerFrame(pkt.inner, Math.max(0, length - 8), opts)}`;
}

/**
 * print-geneve.c on the UDP payload at `p` of `length` bytes. The header is read from the bytes,
 * as tcpdump reads it, so that a damaged one prints what tcpdump prints up to the damage.
 */
export function formatGeneve(pkt: Packet, b: Uint8Array, p: number, length: number, opts: LineOptions): string {
  let s = 'Geneve';
  if (length < GENEVE_HEADER_LENGTH) return `${s} [length ${length} < 8] (invalid)`;
  if (p + GENEVE_HEADER_LENGTH > b.length) return `${s} [|geneve]`;
  // The bounds are checked above, so the decoder's getters read what tcpdump reads.
  const h = new GeneveHeader(b, p, p + length);
  if (h.version !== 0) return `${s} ERROR: unknown-version ${h.version}`;
  let flagText = '';
  for (const [bit, name] of GENEVE_FLAG_NAMES) if (h.flags & bit) flagText += name;
  s += `, Flags [${flagText || 'none'}], vni 0x${hex(h.vni)}`;
  if (h.reserved !== 0) s += `, rsvd 0x${hex(h.reserved)}`;
  const prot = h.protocolType;
  s += protoText(prot, opts);
  const optsLength = h.optionsLength;
  const len = length - GENEVE_HEADER_LENGTH;
  if (len < optsLength) return `${s} truncated-geneve - ${optsLength - len} bytes missing`;
  if (p + GENEVE_HEADER_LENGTH + optsLength > b.length) return `${s} [|geneve]`;
  if (optsLength > 0) s += `, options [${optsLength} bytes]`;
  s += ': ';
  // ethertype_print first; only a type it does not know is tried as Ethernet (0x6558). Of the
  // types ethertype_print knows, IPv4, IPv6 and ARP are decoded here; others are named by number.
  if (pkt.inner) return s + formatInnerFrame(pkt.inner, len - optsLength, opts);
  return `${s}geneve-proto-0x${hex(prot)}`;
}

const GENEVE_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [GENEVE_FLAG_OAM, 'O'],
  [GENEVE_FLAG_CRITICAL, 'C'],
  [0x20, 'R1'],
  [0x10, 'R2'],
  [0x08, 'R3'],
  [0x04, 'R4'],
  [0x02, 'R5'],
  [0x01, 'R6'],
];

/** A walk over bytes that tcpdump bounds twice: by what was captured and by the declared length. */
class Cursor {
  constructor(
    readonly b: Uint8Array,
    public p: number,
    public len: number,
  ) {}
  has(n: number): boolean {
    return this.p + n <= this.b.length && this.len >= n;
  }
  skip(n: number): void {
    this.p += n;
    this.len -= n;
  }
}

const GRE_TRUNCATED = ' [|gre]';

/** print-gre.c's gre_print for the GRE header at `o`, `length` bytes by the IP header. */
export function formatGre(pkt: Packet, b: Uint8Array, o: number, length: number, opts: LineOptions): string {
  const c = new Cursor(b, o, length);
  if (!c.has(2)) return GRE_TRUNCATED;
  const flags = u16(b, o);
  const version = flags & GRE_VERSION_MASK;
  let s = `GREv${version}`;
  if (version > 1) return `${s} ERROR: unknown-version`;
  c.skip(2);
  if (!c.has(2)) return s + GRE_TRUNCATED;
  const prot = u16(b, c.p);
  c.skip(2);
  const field = (n: number, text: (v: number) => string): boolean => {
    if (!c.has(n)) return false;
    s += text(n === 2 ? u16(b, c.p) : u32(b, c.p));
    c.skip(n);
    return true;
  };
  if (version === 0) {
    if (flags & (GRE_FLAG_CHECKSUM | GRE_FLAG_ROUTING)) {
      // The checksum is printed with -v only; the offset always.
      if (!field(2, () => '') || !field(2, (v) => `, off 0x${hex(v)}`)) return s + GRE_TRUNCATED;
    }
    if (flags & GRE_FLAG_KEY && !field(4, (v) => `, key=0x${hex(v)}`)) return s + GRE_TRUNCATED;
    if (flags & GRE_FLAG_SEQUENCE && !field(4, (v) => `, seq ${v}`)) return s + GRE_TRUNCATED;
    if (flags & GRE_FLAG_ROUTING) {
      for (;;) {
        if (!c.has(4)) return s + GRE_TRUNCATED;
        const family = u16(b, c.p);
        const sreOffset = b[c.p + 2];
        const sreLength = b[c.p + 3];
        c.skip(4);
        if (family === 0 && sreLength === 0) break;
        const sre = formatSourceRoute(family, sreOffset, sreLength, c);
        s += sre.text;
        if (!sre.complete || c.len < sreLength) return s + GRE_TRUNCATED;
        c.skip(sreLength);
      }
    }
  } else {
    if (flags & GRE_FLAG_KEY && !field(4, (v) => `, call ${v & 0xffff}`)) return s + GRE_TRUNCATED;
    if (flags & GRE_FLAG_SEQUENCE && !field(4, (v) => `, seq ${v}`)) return s + GRE_TRUNCATED;
    if (flags & GRE_FLAG_ACK && !field(4, (v) => `, ack ${v}`)) return s + GRE_TRUNCATED;
    if (!(flags & GRE_FLAG_SEQUENCE)) return `${s}, no-payload${protoText(prot, opts)}, length ${length}`;
  }
  s += `${protoText(prot, opts)}, length ${length}: `;
  // IP, IPv6 and Ethernet payloads are printed; MPLS, IPX, AppleTalk and OSI ones, which tcpdump
  // prints too, are named by number like any other type.
  if (version === 0 && pkt.inner) return s + formatInnerFrame(pkt.inner, c.len, opts);
  // Version 1 carries PPP, which this project does not print beyond ppp_print's first check.
  if (version === 1 && prot === ETHERTYPE_PPP && !c.has(1)) return `${s} [|ppp]`;
  return `${s}gre-proto-0x${hex(prot)}`;
}

/** gre_sre_print: an RFC 1701 source route entry of IP addresses or AS numbers. */
function formatSourceRoute(family: number, sreOffset: number, sreLength: number, c: Cursor): { text: string; complete: boolean } {
  const size = family === ETHERTYPE_IPV4 ? 4 : family === 0xfffe ? 2 : 0;
  if (size === 0) return { text: `, (rtaf=0x${hex(family)})`, complete: true };
  let text = `, (rtaf=${size === 4 ? 'ip' : 'asn'}`;
  if (sreOffset % size !== 0) return { text: `${text}, badoffset=${sreOffset})`, complete: true };
  if (sreLength % size !== 0) return { text: `${text}, badlength=${sreLength})`, complete: true };
  if (sreOffset >= sreLength) return { text: `${text}, badoff/len=${sreOffset}/${sreLength})`, complete: true };
  const b = c.b;
  for (let at = 0, p = c.p, len = c.len; at < sreLength; at += size, p += size, len -= size) {
    if (p + size > b.length || len < size) return { text: `${text})`, complete: false };
    const entry = size === 4 ? `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}` : hex(u16(b, p));
    text += ` ${at === sreOffset ? '*' : ''}${entry}`;
  }
  return { text: `${text})`, complete: true };
}
