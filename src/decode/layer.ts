/**
 * Conventions every decoder in this folder follows (after gopacket's DecodeFromBytes and
 * etherparse's slices):
 *
 * - `decodeX(b, offset, end)` checks that the header fits between `offset` and `end` (the end of
 *   the captured bytes, or of the enclosing layer's declared length) and returns either a header
 *   view or a DecodeProblem. It never throws and never copies: views keep `b` and read fields in
 *   getters. Given a view of its kind as `into`, it aims that view at the header instead of making
 *   one (PacketDecoder's reuse; every view has an `aim`).
 * - A view says where its payload starts and ends (`payloadOffset`, `payloadEnd`), clipped to the
 *   captured bytes; `truncated` style facts are fields of the view, not exceptions.
 * - A problem carries a ProblemCode to match on and a reason to show.
 * - The same file holds the header's layout constants and `writeX(out, offset, fields)`, which
 *   writes exactly what decodeX reads (gopacket's SerializeTo beside DecodeFromBytes); the emulator
 *   builds every frame through these writers. Checksums are computed and verified by checksum.ts,
 *   and the numbers that name a next protocol or a message type live in enums.ts.
 */

export type LayerName =
  | 'link'
  | 'ethernet'
  | 'sll'
  | 'sll2'
  | 'null'
  | 'vlan'
  | 'arp'
  | 'ipv4'
  | 'ipv6'
  | 'icmp'
  | 'icmpv6'
  | 'tcp'
  | 'udp'
  | 'dns'
  | 'http'
  | 'vxlan'
  | 'geneve'
  | 'gre';

/**
 * What is wrong, as a value to match on (etherparse's error enums); `reason` says it for people.
 * - truncated: the bytes ran out (a snaplen cut, a short frame) before the layer did;
 * - bad-version: a version field this decoder does not read;
 * - bad-length: a length field shorter than its header or otherwise impossible;
 * - bad-pointer: a DNS compression pointer that does not point backwards;
 * - bad-order: headers in an order their RFC forbids;
 * - too-many: past a bound the decoder keeps against crafted input (extension headers, pointer jumps);
 * - malformed: a field with an impossible value;
 * - unsupported: a link type the decoders do not read.
 */
export type ProblemCode = 'truncated' | 'bad-version' | 'bad-length' | 'bad-pointer' | 'bad-order' | 'too-many' | 'malformed' | 'unsupported';

export interface DecodeProblem {
  readonly kind: 'problem';
  readonly layer: LayerName;
  /** Byte offset within the frame's captured data where the layer (or the bad field) starts. */
  readonly offset: number;
  readonly code: ProblemCode;
  readonly reason: string;
  /** True when the bytes simply ran out (code `truncated`), false when a field is impossible. */
  readonly truncated: boolean;
}

export function problem(layer: LayerName, offset: number, code: ProblemCode, reason: string): DecodeProblem {
  return { kind: 'problem', layer, offset, code, reason, truncated: code === 'truncated' };
}

export function isProblem(v: unknown): v is DecodeProblem {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'problem';
}

/**
 * Where a header view sits: the frame's bytes, the header's first byte and the end of the bytes
 * the layer may use. `aim` points the view at another header, so that one view can serve frame
 * after frame (PacketDecoder); views whose decoder finds more than a position have their own `aim`.
 */
export abstract class HeaderView {
  // Declared, not defined: class fields of a base class are defined by an initializer V8 runs apart
  // for every subclass's objects, which made decodePacket two times slower; assignments inline.
  declare b: Uint8Array;
  declare offset: number;
  /** End of the captured bytes available to this layer. */
  declare end: number;

  constructor(b: Uint8Array, offset: number, end: number) {
    this.b = b;
    this.offset = offset;
    this.end = end;
  }

  aim(b: Uint8Array, offset: number, end: number): this {
    this.b = b;
    this.offset = offset;
    this.end = end;
    return this;
  }
}
