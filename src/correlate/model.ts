/**
 * What the correlator produces. The JSON document of DESIGN.md is these types serialised: field
 * names here are the contract (`version`, `captures`, `interfaces`, `journeys`, `flows`, `findings`).
 */

export type InterfaceRole = 'container' | 'veth' | 'bridge' | 'uplink' | 'loopback' | 'any' | 'unknown';
export type JourneyKind = 'arp' | 'icmp' | 'icmpv6' | 'tcp' | 'udp' | 'other';
export type StepKind = 'bridged' | 'routed' | 'local' | 'encapsulated' | 'decapsulated' | 'wire';
export type Fate = 'delivered' | 'answered' | 'dropped' | 'unknown';
export type NatType = 'snat' | 'dnat';
export type Severity = 'info' | 'warning' | 'error';

export interface CaptureSummary {
  file: string;
  format: 'pcap' | 'pcapng';
  packets: number;
  interfaces: { name: string; linktype: number; packets: number }[];
  /** First and last timestamps, DESIGN.md's epoch-seconds string form. */
  start?: string;
  end?: string;
}

export interface InterfaceInfo {
  name: string;
  role: InterfaceRole;
  /** Why the role was chosen: "name", "behaviour", or "given". */
  roleSource?: 'name' | 'behaviour' | 'given';
  packets?: number;
  addresses?: string[];
  macs?: string[];
}

export interface Hop {
  interface: string;
  /** Epoch seconds with nine decimals. */
  ts: string;
  file: string;
  frame: number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpId?: number;
  ttl?: number;
  srcMac?: string;
  dstMac?: string;
  direction?: 'in' | 'out';
}

export interface NatRewrite {
  type: NatType;
  /** `ip` or `ip:port` (IPv6 in brackets with a port). */
  before: string;
  after: string;
}

export interface Step {
  from: string;
  to: string;
  kind: StepKind;
  latencyNs: number;
  nat?: NatRewrite;
  /** A second rewrite on the same step (source and destination both changed, as in hairpin NAT). */
  natAlso?: NatRewrite;
}

export interface Journey {
  id: number;
  kind: JourneyKind;
  summary: string;
  hops: Hop[];
  steps: Step[];
  fate: Fate;
  /** Why a dropped journey died, when the captures say: `mtu` (too big for the interface it had to leave by). */
  reason?: 'mtu';
  /** The flow this journey belongs to, when it has one. */
  flow?: number;
  /** The journey that answers this one (echo reply, SYN-ACK, DNS response, ARP reply). */
  answeredBy?: number;
  /** True for the answer of another journey. */
  isReply?: boolean;
  /** The request this journey answers (a ping to a group has several answers; `answeredBy` names the first). */
  answerOf?: number;
  /** A TCP segment already seen on its first interface (a true retransmission). */
  retransmission?: boolean;
  /**
   * An answer sent again because the host delivered its request twice (hairpin NAT with
   * br_netfilter): the answer to the request's copy, not a retransmission for loss.
   */
  answersCopy?: boolean;
  /** A reset the client sent to an answer it did not expect (one that bypassed NAT): that answer's id. */
  resetOf?: number;
}

export interface Translation {
  type: NatType;
  interface: string;
  before: string;
  after: string;
}

/**
 * Zeek's conn.log `conn_state` codes: S0 attempt unanswered, S1 established and not closed, SF closed
 * normally, REJ rejected, S2/S3 closed by the client/server only, RSTO/RSTR reset by the client/server,
 * RSTOS0 the client's SYN then its reset, RSTRH the server's SYN-ACK then its reset, SH/SHR a SYN/SYN-ACK
 * then a FIN with no answer, OTH no handshake seen.
 */
export type ConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export interface Flow {
  id: number;
  protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';
  /** `ip:port` (or `ip` with the echo identifier in `icmpId`) as the first hop saw it. */
  client: string;
  server: string;
  translations: Translation[];
  packets: number;
  bytes: number;
  interfaces: string[];
  /** TCP: Zeek's conn_state code (SF, S0, REJ...); the report words it (report/conn-state.ts). */
  state?: ConnState;
  /** TCP: Zeek's history letters in the order they first happened (upper case: client, lower: server). */
  history?: string;
  communityId: string;
  /**
   * An overlay: on the tunnel's outer UDP conversation its type and VNI; on a flow carried inside it,
   * the same and `flow`, the id of the outer conversation that carried its first packet.
   */
  tunnel?: { type: 'vxlan' | 'geneve'; vni: number; flow?: number };
  /** Community IDs of each side of a translated flow, keyed by the interface that saw that side. */
  communityIds?: { interface: string; tuple: string; communityId: string }[];
  icmpId?: number;
  firstTs?: string;
  lastTs?: string;
  /** Two connections spliced by a userland proxy: the id of the other flow. */
  proxyOf?: number;
  retransmissions?: number;
}

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  journeys?: number[];
  flows?: number[];
}

export interface NatBinding {
  protocol: string;
  /** The original tuple (the inside's view) and the reply tuple, as conntrack -L prints them. */
  original: { src: string; dst: string; sport?: number; dport?: number; icmpId?: number };
  reply: { src: string; dst: string; sport?: number; dport?: number; icmpId?: number };
  types: NatType[];
  interface: string;
  flow: number;
}

/**
 * The document, in the order it is written: journeys right after the version, because analyze
 * writes each as it is finished, before what is known only at the end of the captures.
 */
/** A host the captures come from (DESIGN.md "Several hosts"): one for captures of a single host. */
export interface Host {
  name: string;
  files: string[];
  /** Nanoseconds this host's clock runs ahead of the first host's, as an integer string ("0" for the first). */
  clockOffsetNs: string;
  /** Packets seen on this host and the first that the offset was estimated from (0: not compared). */
  offsetSamples: number;
  /**
   * How: `link` (packets both ways over the link between the hosts, as NTP), `one-way` (one way
   * only: a bound, not a measure), `sightings` (the median of the first sightings of packets both saw).
   */
  offsetMethod?: 'link' | 'one-way' | 'sightings';
}

export interface Analysis {
  version: 1;
  hosts: Host[];
  journeys: Journey[];
  captures: CaptureSummary[];
  interfaces: InterfaceInfo[];
  /** The host's own addresses: given (--topology, a scenario) or learnt from its ARP replies, its NAT, what it answered. */
  hostAddresses?: string[];
  flows: Flow[];
  findings: Finding[];
  nat?: NatBinding[];
  /** What the captures could not tell apart (e.g. `-i any` v1 without interface indexes). */
  limitations?: string[];
}
