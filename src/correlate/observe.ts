/**
 * Frame -> Observation: decode once, pull out the flat fields the correlator needs, and hash the
 * fields that survive bridging, routing and NAT into the fingerprint (DESIGN.md, "Correlation").
 */
import type { CaptureInterface, Frame } from '../capture/frame.js';
import { hostInterfaceName, type HostPlan } from './hosts.js';
import type { Packet } from '../decode/packet.js';
import { PacketDecoder } from '../decode/decoder.js';
import { decodeDns, type DnsMessage, type DnsQuestion } from '../decode/dns.js';
import type { IcmpMessage } from '../decode/icmp.js';
import type { Icmpv6Message } from '../decode/icmpv6.js';
import { isProblem } from '../decode/layer.js';
import { Sll2Header } from '../decode/sll2.js';
import { PACKET_OUTGOING, SllHeader } from '../decode/sll.js';
import { EthernetHeader } from '../decode/ethernet.js';
import { formatFrameLine } from '../decode/tcpdump/line.js';
import { TcpSequenceTracker, deferredRelation } from '../decode/tcpdump/transport.js';
import type { JourneyKind } from './model.js';
import { tooBigKey, type Observation, type ObservationDetail } from './observation.js';
import { FingerprintHasher } from './fingerprint.js';
import { AddressNames } from './address-names.js';
import { ICMPV6_DEST_UNREACH, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_PACKET_TOO_BIG, ICMPV6_PARAM_PROBLEM, ICMPV6_TIME_EXCEEDED, ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_PARAM_PROBLEM, ICMP_REDIRECT, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED, ICMP_UNREACH } from '../decode/enums.js';

/** Payload bytes hashed into a fingerprint: enough to tell packets apart, bounded per frame. */
const PAYLOAD_HASH_BYTES = 128;

const ICMP_ERRORS = new Set([ICMP_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM]);
const ICMP6_ERRORS = new Set([ICMPV6_DEST_UNREACH, ICMPV6_PACKET_TOO_BIG, ICMPV6_TIME_EXCEEDED, ICMPV6_PARAM_PROBLEM]);

export interface ObserverOptions {
  /** Names for cooked-v2 interface indexes. */
  ifaceMap: Map<number, string>;
  /**
   * The `read` line of every frame, for reports that cite their evidence: made as each frame is
   * read (true), or left for fillEvidenceLines to make for the frames cited ('later').
   */
  evidenceLines: boolean | 'later';
  /** The hosts the files come from: with several, interfaces are named HOST:IFACE. */
  hosts?: HostPlan;
  /** Nanoseconds each file's clock runs ahead of the first host's: taken off its frames' run time. */
  clockOffsetNs?: ReadonlyMap<string, number>;
}

/**
 * Connections whose relative TCP numbers evidence lines remember (TcpSequenceTracker): one to two
 * generations of this many, so that a report of any length keeps a bounded table.
 */
const TCP_LINE_CONNECTIONS = 1 << 16;

export class Observer {
  /** Its packet is read in `observe` and let go before the next frame: nothing from it is kept but numbers and strings. */
  private readonly decoder = new PacketDecoder();
  private readonly hasher = new FingerprintHasher();
  private readonly names = new AddressNames();
  private readonly tcpState = new TcpSequenceTracker(TCP_LINE_CONNECTIONS);
  private baseSec: number | undefined;
  private baseNsec = 0;
  private readonly unnamedIndexes = new Set<number>();
  private cookedV1 = false;
  private problems = 0;
  private firstProblem: string | undefined;
  private readonly problemLayers = new Map<string, number>();
  /** The bytes of the packet hashed into its fingerprint, as `fill` narrows them: kept here, not allocated per frame. */
  private payloadStart = 0;
  private payloadEnd = 0;

  constructor(private readonly options: ObserverOptions) {}

  /**
   * Observations whose journeys are finished and forgotten, to be filled again: an observation
   * lives from its frame to its journey's fate, long enough for V8 to copy it out of the young
   * generation and promote it, which made them most of what the collector had to move.
   */
  private readonly free: Observation[] = [];

  /**
   * Details taken off the observations handed back, for the next frames that need one (never more
   * than were in use at once). Were a detail left on its observation when that is filled again, most
   * observations would soon carry one: a sixth of a busy host's frames (DNS, ICMP, ARP) need one,
   * and each observation is filled again every few tens of thousands of frames.
   */
  private readonly freeDetails: ObservationDetail[] = [];

  /** Hands back the observations of a finished journey that nothing holds any more. */
  release(hops: readonly Observation[]): void {
    for (let i = 0; i < hops.length && this.free.length < MAX_FREE; i++) {
      const o = hops[i];
      if (o.detail !== undefined) {
        this.freeDetails.push(clearDetail(o.detail));
        o.detail = undefined;
      }
      this.free.push(o);
    }
  }

  /** `o`'s detail, a free one or a new one when it has none yet. */
  private detailOf(o: Observation): ObservationDetail {
    return (o.detail ??= this.freeDetails.pop() ?? blankDetail());
  }

  observe(frame: Frame): Observation {
    if (this.baseSec === undefined) {
      this.baseSec = frame.tsSec;
      this.baseNsec = frame.tsNsec;
    }
    const pkt = this.decoder.decode(frame.data, frame.iface.linktype);
    if (pkt.problem) this.noteProblem(frame, pkt);
    const t = (frame.tsSec - this.baseSec) * 1e9 + (frame.tsNsec - this.baseNsec) - (this.options.clockOffsetNs?.get(frame.file) ?? 0);
    const reused = this.free.pop();
    const iface = this.interfaceName(frame);
    const o = reused === undefined ? blankObservation(frame, iface, t) : clearObservation(reused, frame, iface, t);
    this.readCookedHeader(o, pkt, frame.file);
    if (pkt.link instanceof EthernetHeader) {
      o.srcMac = this.names.mac(pkt.link.b, pkt.link.srcOffset);
      o.dstMac = this.names.mac(pkt.link.b, pkt.link.dstOffset);
    }
    // A VXLAN packet is observed as the frame it carries: the same packet as its unencapsulated copies.
    const inner = pkt.inner && (pkt.inner.ipv4 || pkt.inner.ipv6 || pkt.inner.arp) ? pkt.inner : undefined;
    if (inner && (pkt.vxlan || pkt.geneve)) this.fillOuter(o, pkt);
    this.fill(o, inner ?? pkt, frame);
    if (this.options.evidenceLines === true) o.line = flatText(formatFrameLine(frame, pkt, { tcpState: this.tcpState }));
    else if (this.options.evidenceLines === 'later') {
      // Most lines are never cited: what printing one later needs is kept instead of the line.
      const relation = deferredRelation(pkt, this.tcpState);
      if (relation === 'now') o.line = flatText(formatFrameLine(frame, pkt, { tcpState: this.tcpState }));
      else o.deferredLine = relation === 'none' ? false : relation;
    }
    return o;
  }

  /** Interface names with their host's in front, made once per interface (several hosts only). */
  private readonly hostNames = new Map<CaptureInterface, string>();

  private interfaceName(frame: Frame): string {
    const plan = this.options.hosts;
    if (plan === undefined || plan.hosts.length < 2) return frame.iface.name;
    let name = this.hostNames.get(frame.iface);
    if (name === undefined) {
      name = hostInterfaceName(plan, frame.file, frame.iface.name);
      this.hostNames.set(frame.iface, name);
    }
    return name;
  }

  /** A tunnel's outer packet: its VNI, and its UDP tuple for the tunnel's own flow. */
  private fillOuter(o: Observation, pkt: Packet): void {
    const d = this.detailOf(o);
    d.vni = pkt.vxlan?.vni ?? pkt.geneve?.vni;
    const udp = pkt.udp;
    const ip = pkt.ipv4 ?? pkt.ipv6;
    if (!udp || !ip) return;
    d.outer = {
      type: pkt.vxlan ? 'vxlan' : 'geneve',
      src: pkt.ipv4 ? this.names.ipv4(pkt.ipv4.b, pkt.ipv4.srcOffset) : pkt.ipv6!.src,
      dst: pkt.ipv4 ? this.names.ipv4(pkt.ipv4.b, pkt.ipv4.dstOffset) : pkt.ipv6!.dst,
      sport: udp.srcPort,
      dport: udp.dstPort,
      length: pkt.ipv4 ? pkt.ipv4.length : pkt.ipv6!.length + 40,
    };
  }

  /** A cooked capture (`-i any`) says the interface and the direction in its own header. */
  private readCookedHeader(o: Observation, pkt: Packet, file: string): void {
    if (pkt.link instanceof Sll2Header) {
      const idx = pkt.link.interfaceIndex;
      const named = this.options.ifaceMap.get(idx);
      if (named === undefined) this.unnamedIndexes.add(idx);
      const local = named ?? `if${idx}`;
      o.iface = this.options.hosts ? hostInterfaceName(this.options.hosts, file, local) : local;
      o.direction = pkt.link.packetType === PACKET_OUTGOING ? 'out' : 'in';
    } else if (pkt.link instanceof SllHeader) {
      this.cookedV1 = true;
      o.direction = pkt.link.packetType === PACKET_OUTGOING ? 'out' : 'in';
    }
  }

  private fill(o: Observation, pkt: Packet, frame: Frame): void {
    const h = this.hasher.reset();
    const b = pkt.data;
    if (pkt.arp) {
      const a = pkt.arp;
      o.kind = 'arp';
      o.src = a.senderProtocolAddress;
      o.dst = a.targetProtocolAddress;
      const d = this.detailOf(o);
      d.arpOp = a.operation;
      d.arpSha = a.senderHardwareAddress;
      h.byte(1).u16(a.operation).bytes(b, a.offset, Math.min(a.payloadEnd, a.offset + 28));
      o.fp = h.value();
      return;
    }
    if (!pkt.ipv4 && !pkt.ipv6) {
      // Layer-2 frames other than ARP (LLDP, STP, unknown ethertypes): the whole frame is the identity.
      o.kind = 'other';
      o.src = o.srcMac ?? '';
      o.dst = o.dstMac ?? '';
      h.byte(0).u16(pkt.etherType ?? 0).bytes(b, 0, Math.min(frame.caplen, PAYLOAD_HASH_BYTES));
      o.fp = h.value();
      return;
    }
    if (this.fillIp(o, pkt, h)) {
      // A later fragment has no transport header: its payload is its identity.
      h.bytes(b, this.payloadStart, Math.min(this.payloadEnd, this.payloadStart + PAYLOAD_HASH_BYTES));
      o.fp = h.value();
      return;
    }
    o.kind = this.fillTransport(o, pkt, h);
    const dns = pkt.dns ?? (pkt.udp ? dnsOnOtherPort(b, pkt.udp.payloadOffset, pkt.udp.payloadEnd) : undefined);
    if (dns) {
      const d = this.detailOf(o);
      d.dnsId = dns.id;
      d.dnsResponse = dns.isResponse;
      d.dnsText = this.dnsText(dns);
    }
    if (pkt.http) o.httpText = pkt.http.firstLine;
    h.u32(o.payloadLen).bytes(b, this.payloadStart, Math.min(this.payloadEnd, this.payloadStart + PAYLOAD_HASH_BYTES));
    o.fp = h.value();
  }

  /**
   * The copies of one DNS packet share their message's sections (DnsMessageMemo), so its text is made
   * for the first copy only; the questions array, one per decoded message, stands for the message.
   */
  private readonly dnsTexts = new WeakMap<readonly DnsQuestion[], string>();

  private dnsText(d: DnsMessage): string {
    let text = this.dnsTexts.get(d.questions);
    if (text === undefined) {
      text = dnsText(d);
      this.dnsTexts.set(d.questions, text);
    }
    return text;
  }

  /**
   * The IP header's fields, into `o` and the fingerprint; the IP payload becomes the hashed range.
   * Returns whether the packet is a later fragment.
   */
  private fillIp(o: Observation, pkt: Packet, h: FingerprintHasher): boolean {
    if (pkt.ipv4) {
      const ip = pkt.ipv4;
      o.family = 4;
      o.src = this.names.ipv4(ip.b, ip.srcOffset);
      o.dst = this.names.ipv4(ip.b, ip.dstOffset);
      o.proto = ip.protocol;
      o.ttl = ip.ttl;
      o.length = ip.length;
      h.byte(4).u16(ip.id).byte(ip.protocol).u32(ip.length).u16(ip.flagsFragment & 0x3fff);
      this.payloadStart = ip.payloadOffset;
      this.payloadEnd = ip.payloadEnd;
      return ip.isLaterFragment;
    }
    const ip = pkt.ipv6!;
    o.family = 6;
    o.src = ip.src;
    o.dst = ip.dst;
    o.proto = ip.protocol;
    o.ttl = ip.hopLimit;
    // The header's payload length leaves out the fixed header; flows count whole packets.
    o.length = ip.length + 40;
    h.byte(6).u32(ip.flowLabel).byte(ip.protocol).u32(ip.length);
    this.payloadStart = ip.payloadOffset;
    this.payloadEnd = ip.payloadEnd;
    return ip.isLaterFragment;
  }

  /** The transport header's fields, into `o` and the fingerprint; narrows the hashed range to its payload. */
  private fillTransport(o: Observation, pkt: Packet, h: FingerprintHasher): JourneyKind {
    let kind: JourneyKind = 'other';
    if (pkt.tcp) {
      const t = pkt.tcp;
      kind = 'tcp';
      o.sport = t.srcPort;
      o.dport = t.dstPort;
      o.tcpFlags = t.flags;
      o.seq = t.seq;
      o.ack = t.ack;
      o.payloadLen = this.transportPayload(o, t.payloadOffset, pkt);
      h.u32(t.seq).u32(t.ack).byte(t.flags).u16(t.window);
      this.payloadStart = t.payloadOffset;
      this.payloadEnd = t.payloadEnd;
    } else if (pkt.udp) {
      const u = pkt.udp;
      kind = 'udp';
      o.sport = u.srcPort;
      o.dport = u.dstPort;
      o.payloadLen = Math.max(0, u.length - 8);
      this.payloadStart = u.payloadOffset;
      this.payloadEnd = u.payloadEnd;
    } else if (pkt.icmp) {
      const m = pkt.icmp;
      kind = 'icmp';
      this.fillIcmp(o, m, h, m.type === ICMP_ECHO_REPLY || m.type === ICMP_ECHO, ICMP_ERRORS.has(m.type));
      o.payloadLen = Math.max(0, o.length - (this.payloadStart - (pkt.ipv4?.offset ?? this.payloadStart)));
      if (m.nextHopMtu !== undefined) this.fillTooBig(o, m.nextHopMtu, m.inner);
    } else if (pkt.icmpv6) {
      const m = pkt.icmpv6;
      kind = 'icmpv6';
      this.fillIcmp(o, m, h, m.type === ICMPV6_ECHO_REQUEST || m.type === ICMPV6_ECHO_REPLY, ICMP6_ERRORS.has(m.type));
      if (m.mtu !== undefined) this.fillTooBig(o, m.mtu, m.inner);
    }
    return kind;
  }

  /** A "too big" answer: the MTU it names and the key of the packet it quotes (tooBigKey). */
  private fillTooBig(o: Observation, mtu: number, quoted: Packet | undefined): void {
    const d = this.detailOf(o);
    d.mtu = mtu;
    const ip = quoted?.ipv4 ?? quoted?.ipv6;
    if (!quoted || !ip) return;
    const src = quoted.ipv4 ? this.names.ipv4(quoted.ipv4.b, quoted.ipv4.srcOffset) : quoted.ipv6!.src;
    const dst = quoted.ipv4 ? this.names.ipv4(quoted.ipv4.b, quoted.ipv4.dstOffset) : quoted.ipv6!.dst;
    const t = quoted.tcp ?? quoted.udp;
    d.quoted = tooBigKey(src, t?.srcPort, dst, t?.dstPort, quoted.tcp?.seq);
  }

  /** An ICMP or ICMPv6 message's fields, into `o` and the fingerprint; its payload becomes the hashed range. */
  private fillIcmp(o: Observation, m: IcmpMessage | Icmpv6Message, h: FingerprintHasher, echo: boolean, error: boolean): void {
    const d = this.detailOf(o);
    d.icmpType = m.type;
    d.icmpCode = m.code;
    h.byte(m.type).byte(m.code);
    if (echo) {
      d.icmpId = m.id;
      d.icmpSeq = m.seq;
      h.u16(m.seq ?? 0);
    }
    this.payloadStart = m.payloadOffset;
    // NAT rewrites the packet quoted inside an ICMP error too: its bytes are not hashed, but what NAT
    // leaves alone of it is (its IP id, its TCP sequence number or echo sequence). Linux sends its
    // errors with IP id 0, so a burst of them (fragmentation-needed for each segment of a window)
    // would otherwise share one fingerprint and be joined across one another's copies.
    this.payloadEnd = error ? m.payloadOffset : m.payloadEnd;
    const q = error ? m.inner : undefined;
    if (q) h.u16(q.ipv4?.id ?? 0).u32(q.tcp?.seq ?? q.icmp?.seq ?? q.icmpv6?.seq ?? 0);
  }

  /** TCP payload length from the IP lengths, so GSO super-frames and snaplen cuts count right. */
  private transportPayload(o: Observation, payloadOffset: number, pkt: Packet): number {
    const ipStart = pkt.ipv4?.offset ?? pkt.ipv6?.offset ?? 0;
    return Math.max(0, o.length - (payloadOffset - ipStart));
  }

  private noteProblem(frame: Frame, pkt: Packet): void {
    const p = pkt.problem!;
    this.problems++;
    this.problemLayers.set(p.layer, (this.problemLayers.get(p.layer) ?? 0) + 1);
    this.firstProblem ??= `${frame.file}#${frame.number} at byte ${p.offset} of the frame: ${p.reason}`;
  }

  /** What the captures could not tell, for the analysis document. */
  limitations(): string[] {
    const out: string[] = [];
    if (this.cookedV1) {
      out.push(
        'A capture is Linux cooked v1 (`tcpdump -i any` before libpcap 1.10): it does not say on which interface each packet was seen, ' +
          'so the copies of one packet on a veth and its bridge cannot be told apart and are counted as hops of one journey. Capture with `-y LINUX_SLL2` to keep interface indexes.',
      );
    }
    if (this.unnamedIndexes.size > 0) {
      const idx = [...this.unnamedIndexes].sort((a, b) => a - b);
      out.push(
        `Linux cooked v2 interface indexes ${idx.join(', ')} have no names: they are shown as ${idx.map((i) => `if${i}`).join(', ')}. ` +
          `Give names with --iface-map ${idx.map((i) => `${i}=NAME`).join(',')} (from \`ip -o link\` on the captured host, not the reading one).`,
      );
    }
    if (this.problems > 0) {
      const layers = [...this.problemLayers].map(([l, n]) => `${n} at ${l}`).join(', ');
      out.push(`${this.problems} frame${this.problems === 1 ? ' was' : 's were'} cut short or malformed (${layers}); they are correlated by the layers that could be read. First: ${this.firstProblem}.`);
    }
    return out;
  }
}

/**
 * A DNS query sent to a port other than 53: Docker's embedded resolver is reached at 127.0.0.11:53
 * and redirected by nat OUTPUT to a high port before the query reaches `lo`, so a capture there
 * shows the query on that port. Only a strictly well-formed single-question query counts.
 */
function dnsOnOtherPort(b: Uint8Array, start: number, end: number): DnsMessage | undefined {
  const len = end - start;
  if (len < 17 || len > 4096) return undefined;
  const flags = (b[start + 2] << 8) | b[start + 3];
  const counts = [4, 6, 8, 10].map((o) => (b[start + o] << 8) | b[start + o + 1]);
  if (flags & 0xf800 || counts[0] !== 1 || counts[1] !== 0 || counts[2] !== 0 || counts[3] > 1) return undefined;
  const d = decodeDns(b, start, end);
  return isProblem(d) ? undefined : d;
}

function dnsText(d: DnsMessage): string {
  const typeName = (t: number): string => DNS_TYPES[t] ?? `TYPE${t}`;
  if (!d.isResponse) return d.questions.map((q) => `${typeName(q.type)}? ${q.name}`).join(', ');
  const answers = d.answers.filter((r) => r.type !== 41);
  if (answers.length === 0) return d.rcode === 3 ? 'NXDomain' : d.rcode !== 0 ? `rcode ${d.rcode}` : 'no answer';
  return answers.map((r) => `${typeName(r.type)} ${r.address ?? r.target ?? (r.txt ? r.txt.join(' ') : '')}`.trim()).join(', ');
}

const DNS_TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS' };

/** Observations kept for reuse at most: a window's worth of a busy capture. */
const MAX_FREE = 1 << 16;

/** `o` made what blankObservation(frame, t) makes, field for field. */
function clearObservation(o: Observation, frame: Frame, iface: string, t: number): Observation {
  o.iface = iface;
  o.file = frame.file;
  o.frame = frame.number;
  o.tsSec = frame.tsSec;
  o.tsNsec = frame.tsNsec;
  o.t = t;
  o.kind = 'other';
  o.fp = 0;
  o.family = 0;
  o.src = '';
  o.dst = '';
  o.proto = 0;
  o.payloadLen = 0;
  o.length = frame.origLen;
  o.direction = frame.direction;
  o.srcMac = undefined;
  o.dstMac = undefined;
  o.sport = undefined;
  o.dport = undefined;
  o.ttl = undefined;
  o.tcpFlags = undefined;
  o.seq = undefined;
  o.ack = undefined;
  o.httpText = undefined;
  o.detail = undefined;
  o.line = undefined;
  o.deferredLine = undefined;
  return o;
}

/** An observation of `frame` with every field present, most still empty. */
function blankObservation(frame: Frame, iface: string, t: number): Observation {
  return {
    iface,
    file: frame.file,
    frame: frame.number,
    tsSec: frame.tsSec,
    tsNsec: frame.tsNsec,
    t,
    kind: 'other',
    fp: 0,
    family: 0,
    src: '',
    dst: '',
    proto: 0,
    payloadLen: 0,
    length: frame.origLen,
    // Every field is set here, even when absent, so that every observation has one shape: V8
    // then reads their fields with one inline cache in the correlator's hot paths, instead of
    // looking them up in a dozen shapes that depend on which layers a frame had.
    direction: frame.direction,
    srcMac: undefined,
    dstMac: undefined,
    sport: undefined,
    dport: undefined,
    ttl: undefined,
    tcpFlags: undefined,
    seq: undefined,
    ack: undefined,
    httpText: undefined,
    detail: undefined,
    line: undefined,
    deferredLine: undefined,
  };
}

/** `d` emptied, field by field, to be filled again: it keeps the one shape blankDetail gave it. */
function clearDetail(d: ObservationDetail): ObservationDetail {
  d.icmpType = undefined;
  d.icmpCode = undefined;
  d.icmpId = undefined;
  d.icmpSeq = undefined;
  d.dnsId = undefined;
  d.dnsResponse = undefined;
  d.dnsText = undefined;
  d.arpOp = undefined;
  d.arpSha = undefined;
  d.mtu = undefined;
  d.quoted = undefined;
  d.vni = undefined;
  d.outer = undefined;
  return d;
}

/** A detail with every field present and empty, for the reason blankObservation gives. */
function blankDetail(): ObservationDetail {
  return {
    icmpType: undefined,
    icmpCode: undefined,
    icmpId: undefined,
    icmpSeq: undefined,
    dnsId: undefined,
    dnsResponse: undefined,
    dnsText: undefined,
    arpOp: undefined,
    arpSha: undefined,
    mtu: undefined,
    quoted: undefined,
    vni: undefined,
    outer: undefined,
  };
}

/**
 * The same text as one flat string. A line put together piece by piece is a rope of every piece
 * (V8's cons strings, tens of bytes each), and a report keeps a line per observation of every
 * journey still waiting: reading a character flattens it in place and lets the pieces go.
 */
export function flatText(text: string): string {
  text.charCodeAt(0);
  return text;
}
