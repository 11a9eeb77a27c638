import { u16 } from './bytes.js';
import { problem, type DecodeProblem } from './layer.js';
import { ETHERTYPE_QINQ, ETHERTYPE_VLAN, ETHERTYPE_VLAN_9100, ETHERTYPE_VLAN_9200 } from './enums.js';

/** Bytes a tag adds after the TPID: TCI and the next type field. */
export const VLAN_TAG_LENGTH = 4;
/**
 * More tags than this is not a real network (QinQ uses two, rarely three); the bound keeps a
 * crafted frame of repeated 0x8100 from costing more than a few steps.
 */
export const MAX_VLAN_TAGS = 8;

export function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_VLAN_9100 || type === ETHERTYPE_VLAN_9200;
}

/**
 * One 802.1Q / 802.1ad tag. `offset` points at the TCI; the TPID is the type field before it (which
 * for a cooked v2 header is not adjacent, so it is carried here).
 */
export class VlanTag {
  constructor(
    public b: Uint8Array,
    public offset: number,
    /** 0x8100 (C-tag), 0x88a8 (S-tag) or a pre-standard 0x9100/0x9200. */
    public tpid: number,
  ) {}

  /** Points the view at another tag (HeaderView's aim, with the TPID). */
  aim(b: Uint8Array, offset: number, tpid: number): this {
    this.b = b;
    this.offset = offset;
    this.tpid = tpid;
    return this;
  }

  get tci(): number {
    return u16(this.b, this.offset);
  }
  get id(): number {
    return this.tci & 0x0fff;
  }
  /** Priority code point (802.1p). */
  get pcp(): number {
    return this.tci >>> 13;
  }
  /** Drop eligible indicator (was CFI). */
  get dei(): boolean {
    return (this.tci & 0x1000) !== 0;
  }
  /** The type (or 802.3 length) of what follows this tag. */
  get innerType(): number {
    return u16(this.b, this.offset + 2);
  }
  get payloadOffset(): number {
    return this.offset + VLAN_TAG_LENGTH;
  }
}

export function decodeVlan(b: Uint8Array, offset: number, end: number, tpid: number, into?: VlanTag): VlanTag | DecodeProblem {
  if (end - offset < VLAN_TAG_LENGTH) {
    return problem('vlan', offset, 'truncated', `802.1Q tag needs ${VLAN_TAG_LENGTH} bytes, ${Math.max(0, end - offset)} captured`);
  }
  return into?.aim(b, offset, tpid) ?? new VlanTag(b, offset, tpid);
}

/** Writes TCI and inner type at `offset` (the TPID is the caller's preceding type field). */
export function writeVlan(out: Uint8Array, offset: number, f: { id: number; pcp?: number; dei?: boolean; innerType: number }): number {
  const tci = ((f.pcp ?? 0) << 13) | (f.dei ? 0x1000 : 0) | (f.id & 0x0fff);
  out[offset] = tci >>> 8;
  out[offset + 1] = tci & 0xff;
  out[offset + 2] = f.innerType >>> 8;
  out[offset + 3] = f.innerType & 0xff;
  return offset + VLAN_TAG_LENGTH;
}
