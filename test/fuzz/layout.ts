/**
 * Where the records of a capture are, found by a scanner of our own (not src/capture), so that the
 * mutators can aim at boundaries and length fields, and the harness can say how many frames a
 * capture cut at a boundary must still deliver. It stops at the first unit that does not add up.
 */

export type UnitKind = 'pcap-header' | 'pcap-record' | 'shb' | 'idb' | 'epb' | 'spb' | 'pb' | 'nrb' | 'isb' | 'block';

export interface Unit {
  kind: UnitKind;
  offset: number;
  length: number;
  little: boolean;
  /** File offsets of the 32-bit length fields this unit carries (total lengths, caplen, origlen, snaplen). */
  lengthFields: number[];
  /** File offset and width of the link-type field (pcap header: 4, IDB: 2). */
  linktype?: { offset: number; width: 2 | 4 };
  /** Packet bytes inside the unit, for packet units. */
  data?: { offset: number; length: number };
  /** File offset of the options area [start, end), for pcapng blocks that have one. */
  options?: { start: number; end: number };
  /** EPB/ISB interface id field. */
  interfaceId?: number;
}

export interface Layout {
  format: 'pcap' | 'pcapng' | 'unknown';
  units: Unit[];
  /** Offset just after the last whole unit. */
  end: number;
}

export function isPacketUnit(u: Unit): boolean {
  return u.kind === 'pcap-record' || u.kind === 'epb' || u.kind === 'spb' || u.kind === 'pb';
}

const PCAP_MAGICS: Record<number, { little: boolean; header: number }> = {
  0xa1b2c3d4: { little: true, header: 16 },
  0xa1b23c4d: { little: true, header: 16 },
  0xa1b2cd34: { little: true, header: 24 },
};

export function scanLayout(b: Uint8Array): Layout {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 4) return { format: 'unknown', units: [], end: 0 };
  if (v.getUint32(0, true) === 0x0a0d0d0a) return scanPcapng(b, v);
  const le = PCAP_MAGICS[v.getUint32(0, true)];
  const be = PCAP_MAGICS[v.getUint32(0, false)];
  const magic = le ?? be;
  if (magic === undefined || b.length < 24) return { format: 'unknown', units: [], end: 0 };
  const little = le !== undefined;
  const units: Unit[] = [{ kind: 'pcap-header', offset: 0, length: 24, little, lengthFields: [16], linktype: { offset: 20, width: 4 } }];
  let o = 24;
  while (o + magic.header <= b.length) {
    const caplen = v.getUint32(o + 8, little);
    const length = magic.header + caplen;
    if (caplen > 1 << 24 || o + length > b.length) break;
    units.push({ kind: 'pcap-record', offset: o, length, little, lengthFields: [o + 8, o + 12], data: { offset: o + magic.header, length: caplen } });
    o += length;
  }
  return { format: 'pcap', units, end: o };
}

const KINDS: Record<number, UnitKind> = { 0x0a0d0d0a: 'shb', 1: 'idb', 2: 'pb', 3: 'spb', 4: 'nrb', 5: 'isb', 6: 'epb' };

function scanPcapng(b: Uint8Array, v: DataView): Layout {
  const units: Unit[] = [];
  let little = true;
  let o = 0;
  while (o + 12 <= b.length) {
    let type = v.getUint32(o, little);
    if (v.getUint32(o, true) === 0x0a0d0d0a) {
      const magic = v.getUint32(o + 8, true);
      if (magic === 0x1a2b3c4d) little = true;
      else if (magic === 0x4d3c2b1a) little = false;
      else break;
      type = 0x0a0d0d0a;
    }
    const length = v.getUint32(o + 4, little);
    if (length < 12 || length % 4 !== 0 || o + length > b.length || v.getUint32(o + length - 4, little) !== length) break;
    const kind = KINDS[type] ?? 'block';
    const u: Unit = { kind, offset: o, length, little, lengthFields: [o + 4, o + length - 4] };
    const end = o + length - 4;
    if (kind === 'shb' && length >= 28) u.options = { start: o + 24, end };
    if (kind === 'idb' && length >= 20) {
      u.lengthFields.push(o + 12);
      u.linktype = { offset: o + 8, width: 2 };
      u.options = { start: o + 16, end };
    }
    if ((kind === 'epb' || kind === 'pb') && length >= 32) {
      const caplen = v.getUint32(o + 20, little);
      u.lengthFields.push(o + 20, o + 24);
      u.interfaceId = o + 8;
      if (28 + caplen <= length - 4) {
        u.data = { offset: o + 28, length: caplen };
        u.options = { start: o + 28 + ((caplen + 3) & ~3), end };
      }
    }
    if (kind === 'spb' && length >= 16) {
      u.lengthFields.push(o + 8);
      u.data = { offset: o + 12, length: Math.min(v.getUint32(o + 8, little), length - 16) };
    }
    if (kind === 'isb' && length >= 24) {
      u.interfaceId = o + 8;
      u.options = { start: o + 20, end };
    }
    units.push(u);
    o += length;
  }
  return { format: 'pcapng', units, end: o };
}
