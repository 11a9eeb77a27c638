// One tcpdump-style line per frame: timestamp, optional interface prefix, optional -e link text,
// then the packet as tcpdump 4.99 prints it with -nn (and without -v).
import type { Frame } from '../../capture/frame.js';
import type { Packet } from '../packet.js';
import type { LayerName } from '../layer.js';
import { EthernetHeader, MAX_ETHERNET_LENGTH } from '../ethernet.js';
import { formatArp } from './arp.js';
import { formatIpv4, formatIpv6 } from './ip.js';
import { formatLinkHeader, networkOffset, sllPacketTypeWord } from './link.js';
import { formatLlcStp } from './stp.js';
import { formatLldp } from './lldp.js';
import { Sll2Header } from '../sll2.js';
import { isRawLinktype } from '../raw.js';
import { ethertypeText } from './names.js';
import type { TcpRelations } from './transport.js';
import { ETHERTYPE_LLDP } from '../enums.js';

export interface LineOptions {
  /** -e: print the link-level header. */
  linkHeader?: boolean;
  /** Nanosecond timestamps (tcpdump --nano). */
  nano?: boolean;
  /** 'tt' (default): seconds since the epoch; 'tttt': UTC date and time; 'none': no timestamp. */
  time?: 'tt' | 'tttt' | 'none';
  /** Printed after the timestamp, followed by a space (tcpdump -i any's interface and direction). */
  ifacePrefix?: string;
  /** Keeps TCP sequence numbers relative per connection, as tcpdump does without -S. */
  tcpState?: TcpRelations;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The timestamp as tcpdump prints it, without the trailing space. */
export function formatTimestamp(frame: Pick<Frame, 'tsSec' | 'tsNsec'>, opts: LineOptions): string {
  // libpcap 1.10 hands tcpdump 4.99 the seconds as 32 bits, and tcpdump cannot convert a time
  // past 2038-01-19 (a signed 32-bit time_t): printing what it prints keeps lines comparable.
  const sec = ((frame.tsSec % 2 ** 32) + 2 ** 32) % 2 ** 32;
  if (sec > 0x7fffffff) return '[Error converting time]';
  frame = { tsSec: sec, tsNsec: frame.tsNsec };
  const fraction = opts.nano ? pad(frame.tsNsec, 9) : pad(Math.floor(frame.tsNsec / 1000), 6);
  if (opts.time === 'tttt') {
    const d = new Date(frame.tsSec * 1000);
    const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
    const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
    return `${date} ${time}.${fraction}`;
  }
  return `${frame.tsSec}.${fraction}`;
}

export function formatFrameLine(frame: Frame, pkt: Packet, opts: LineOptions): string {
  let s = opts.time === 'none' ? '' : `${formatTimestamp(frame, opts)} `;
  if (opts.ifacePrefix !== undefined) s += `${opts.ifacePrefix} `;
  else if (pkt.link instanceof Sll2Header) {
    // tcpdump names the interface from the reading host's table, which says nothing about the
    // capturing host; without a name from the caller this prints what tcpdump prints for an
    // index it cannot resolve.
    s += `${'?'.padEnd(5)} ${sllPacketTypeWord(pkt.link.packetType).padEnd(3)} `;
  }
  if (opts.linkHeader) s += formatLinkHeader(pkt, frame.origLen);
  return s + formatPacketBody(pkt, opts, frame.origLen);
}

// nd_print_trunc's marker names per layer, as tcpdump sets ndo_protocol.
const TRUNCATION_NAMES: Partial<Record<LayerName, string>> = {
  link: 'link',
  ethernet: 'ether',
  sll: 'sll',
  sll2: 'sll2',
  null: 'null',
  vlan: 'vlan',
  arp: 'arp',
  ipv4: 'ip',
  ipv6: 'ip6',
  icmp: 'icmp',
  icmpv6: 'icmp6',
};

/**
 * Everything after the link-level text. `origLen` is the frame's length on the wire (tcpdump's
 * lengths for ARP and for IP packets without a total length count from it); it defaults to the
 * captured length.
 */
export function formatPacketBody(pkt: Packet, opts: LineOptions, origLen: number = pkt.data.length): string {
  return networkText(pkt, opts, Math.max(0, origLen - networkOffset(pkt)), origLen);
}

/** The network layer and above; `wireLength` is the length tcpdump has left at that point. */
function networkText(pkt: Packet, opts: LineOptions, wireLength: number, origLen: number): string {
  const e = opts.linkHeader === true;
  // A tunnelled packet prints like the outer one (tcpdump's -e also drops its `IP `).
  const nested = (inner: Packet, innerLength: number): string => networkText(inner, opts, innerLength, innerLength);
  if (pkt.arp) return `${e ? '' : 'ARP, '}${formatArp(pkt.arp, wireLength)}`;
  if (pkt.ipv4) return `${e ? '' : 'IP '}${formatIpv4(pkt, pkt.ipv4, wireLength, opts, nested)}`;
  if (pkt.ipv6) return `${e ? '' : 'IP6 '}${formatIpv6(pkt, pkt.ipv6, wireLength, opts, nested)}`;
  const p = pkt.problem;
  if (p) {
    if (p.layer === 'ipv6' && p.truncated && p.offset === networkOffset(pkt)) return ' [|ip6]';
    if (p.layer === 'ipv4' || p.layer === 'ipv6') {
      const text = ipProblemText(pkt, wireLength);
      // print-ip.c names a packet of another version before it would print `IP `.
      if (p.layer === 'ipv4' && /^IP\d/.test(text)) return text;
      return `${e ? '' : p.layer === 'ipv4' ? 'IP ' : 'IP6 '}${text}`;
    }
    // print-arp.c checks the whole packet is there before it prints anything.
    if (p.layer === 'arp') return ' [|arp]';
    // ipN_print for raw IP of another version.
    if (p.layer === 'link' && isRawLinktype(pkt.linktype) && pkt.data.length > 0) return `unknown ip ${pkt.data[0] >>> 4}`;
    return ` [|${TRUNCATION_NAMES[p.layer] ?? p.layer}]`;
  }
  if (pkt.etherType === ETHERTYPE_LLDP) {
    const o = networkOffset(pkt);
    return formatLldp(pkt.data, o, Math.max(0, origLen - o), pkt.data.length);
  }
  // An 802.3 length instead of a type: an LLC header follows; tcpdump bounds it by that length.
  const link = pkt.link;
  const lengthField = link instanceof EthernetHeader ? (pkt.etherType ?? (pkt.vlans.length > 0 ? pkt.vlans[pkt.vlans.length - 1].innerType : link.typeOrLength)) : undefined;
  if (lengthField !== undefined && lengthField <= MAX_ETHERNET_LENGTH) {
    const o = networkOffset(pkt);
    const length = Math.min(lengthField, Math.max(0, origLen - o));
    const stp = formatLlcStp(pkt.data, o, length, Math.min(pkt.data.length, o + length), e);
    if (stp !== undefined) return stp;
  }
  // A type this project does not decode: tcpdump names it in the link text when it has no printer.
  if (link instanceof EthernetHeader) {
    const t = pkt.etherType;
    if (t === undefined || t <= MAX_ETHERNET_LENGTH) return e ? '' : `${link.src} > ${link.dst}, 802.3, length ${origLen}: `;
    return e ? '' : `${link.src} > ${link.dst}, ${ethertypeText(t)}, length ${origLen}: `;
  }
  return '';
}

/** What tcpdump prints for an IP header it cannot use (print-ip.c / print-ip6.c checks). */
function ipProblemText(pkt: Packet, wireLength: number): string {
  const b = pkt.data;
  const o = pkt.problem?.offset ?? 0;
  const start = networkOffset(pkt);
  const isV4 = pkt.problem?.layer === 'ipv4';
  if (start >= b.length) return ` [|${isV4 ? 'ip' : 'ip6'}]`;
  const version = b[start] >>> 4;
  if (isV4) {
    if (version !== 4) return version === 6 ? 'IP6, wrong link-layer encapsulation (invalid)' : `IP${version} (invalid)`;
    if (wireLength < 20) return `truncated-ip ${wireLength}`;
    const hlen = (b[start] & 0x0f) * 4;
    if (hlen < 20) return `bad-hlen ${hlen}`;
    if (start + 4 <= b.length && o === start + 2) {
      const total = (b[start + 2] << 8) | b[start + 3];
      return `bad-len ${total}`;
    }
    return ' [|ip]';
  }
  if (wireLength < 40) return ` [length ${wireLength} < 40] (invalid)`;
  if (version !== 6) return `version error: ${version} != 6`;
  return ' [|ip6]';
}
