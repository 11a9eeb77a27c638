/**
 * Decoding that allocates nothing per frame, for consumers that read a packet and let it go (the
 * analyze path): gopacket's DecodingLayerParser, which decodes into layers it made once. The
 * decoding itself is packet.ts's, the same code decodePacket runs with new objects.
 */
import { decodeFrame, emptyPacket, type Packet } from './packet.js';
import { EthernetHeader } from './ethernet.js';
import { SllHeader } from './sll.js';
import { Sll2Header } from './sll2.js';
import { LINKTYPE_NULL, NullHeader } from './null.js';
import { MAX_VLAN_TAGS, VlanTag } from './vlan.js';
import { ArpPacket } from './arp.js';
import { Ipv4Header } from './ipv4.js';
import { Ipv6Header } from './ipv6.js';
import { IcmpMessage } from './icmp.js';
import { Icmpv6Message } from './icmpv6.js';
import { TcpHeader } from './tcp.js';
import { UdpHeader } from './udp.js';
import { DnsMessage, DnsMessageMemo } from './dns.js';
import type { DecodeProblem } from './layer.js';
import { VxlanHeader } from './vxlan.js';
import { GeneveHeader } from './geneve.js';
import { GreHeader } from './gre.js';

const NO_BYTES = new Uint8Array(0);

/**
 * The packet and layer views of one nesting level, aimed anew at every frame. A packet quoted in an
 * ICMP error or carried by a tunnel is decoded into the next level's, so that it never shares a view
 * with the packet around it.
 */
export class LayerViews {
  readonly packet = emptyPacket(NO_BYTES, 0);
  readonly ethernet = new EthernetHeader(NO_BYTES, 0, 0);
  readonly sll = new SllHeader(NO_BYTES, 0, 0);
  readonly sll2 = new Sll2Header(NO_BYTES, 0, 0);
  readonly null = new NullHeader(NO_BYTES, 0, 0, LINKTYPE_NULL);
  /** One view per tag a frame may have. */
  readonly vlanTags: readonly VlanTag[] = Array.from({ length: MAX_VLAN_TAGS }, () => new VlanTag(NO_BYTES, 0, 0));
  readonly arp = new ArpPacket(NO_BYTES, 0, 0);
  readonly ipv4 = new Ipv4Header(NO_BYTES, 0, 0);
  readonly ipv6 = new Ipv6Header(NO_BYTES, 0, 0, [], 0, 0, undefined, undefined);
  readonly icmp = new IcmpMessage(NO_BYTES, 0, 0, 0);
  readonly icmpv6 = new Icmpv6Message(NO_BYTES, 0, 0, 0);
  readonly tcp = new TcpHeader(NO_BYTES, 0, 0);
  readonly udp = new UdpHeader(NO_BYTES, 0, 0);
  readonly vxlan = new VxlanHeader(NO_BYTES, 0, 0, 0);
  readonly geneve = new GeneveHeader(NO_BYTES, 0, 0);
  readonly gre = new GreHeader(NO_BYTES, 0, 0, -1, -1, -1, 0);
  private readonly dnsView = new DnsMessage(NO_BYTES, 0, 0, false, { questions: [], answers: [], authorities: [], additionals: [] });
  private readonly vlans: VlanTag[] = [];
  private next: LayerViews | undefined;

  constructor(private readonly dnsMemo: DnsMessageMemo) {}

  /** The views of the packet this level's packet carries or quotes, made when first needed. */
  nested(): LayerViews {
    return (this.next ??= new LayerViews(this.dnsMemo));
  }

  /** This level's list of VLAN tags, emptied for a frame that has some. */
  emptyVlans(): VlanTag[] {
    this.vlans.length = 0;
    return this.vlans;
  }

  /** What decodeDns returns; a message's names are made once for all the copies of its packet. */
  dns(b: Uint8Array, offset: number, end: number, overTcp: boolean): DnsMessage | DecodeProblem {
    return this.dnsMemo.decode(b, offset, end, overTcp, this.dnsView);
  }
}

/**
 * Decodes frame after frame into the same Packet and layer views. The Packet `decode` returns, its
 * layers and the packets nested in it are valid until the next call to `decode`, which re-aims them
 * at the next frame: copy out what is needed before then, or use decodePacket to keep a packet.
 * Besides that the packet is what decodePacket returns for the same frame, layer for layer (a layer
 * absent from the frame is undefined; DNS records may be shared with earlier copies of the message).
 */
export class PacketDecoder {
  private readonly views = new LayerViews(new DnsMessageMemo());

  decode(data: Uint8Array, linktype: number): Packet {
    return decodeFrame(data, linktype, 0, this.views);
  }
}
