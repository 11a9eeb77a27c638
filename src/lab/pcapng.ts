/**
 * Just enough pcap/pcapng to turn the lab's recordings into the one file `lab -o` promises: dumpcap
 * names each interface by its kernel name and tcpdump writes classic pcap, while the scenario names
 * `c1:eth0` and asks for pcapng. The project's capture readers stream; these files are the lab's own
 * small recordings, read once after the run.
 */

export interface RecordedInterface {
  name: string;
  linktype: number;
  snaplen: number;
  /** Options other than if_name, if_tsresol and if_tsoffset, kept verbatim (code, value). */
  options: { code: number; value: Buffer }[];
}

export interface RecordedPacket {
  /** Index into the recording's interfaces. */
  iface: number;
  tsNs: bigint;
  origLen: number;
  data: Buffer;
  /** EPB options (epb_flags carries the direction), kept verbatim without the end marker. */
  options: Buffer;
}

export interface Recording {
  interfaces: RecordedInterface[];
  packets: RecordedPacket[];
}

const SHB = 0x0a0d0d0a;
const IDB = 1;
const SPB = 3;
const EPB = 6;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

function fail(file: string, offset: number, reason: string): never {
  throw new Error(`${file}: byte ${offset}: ${reason}`);
}

/** Reads a classic pcap (tcpdump -w) or a pcapng (dumpcap -w) the lab recorded. */
export function parseRecording(buf: Buffer, file: string): Recording {
  if (buf.length < 4) fail(file, 0, 'empty capture');
  if (buf.readUInt32LE(0) === SHB) return parsePcapng(buf, file);
  return parsePcap(buf, file);
}

function parsePcap(buf: Buffer, file: string): Recording {
  if (buf.length < 24) fail(file, 0, 'short pcap header');
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) [le, nano] = [true, magicLE === 0xa1b23c4d];
  else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) [le, nano] = [false, buf.readUInt32BE(0) === 0xa1b23c4d];
  else fail(file, 0, 'not a pcap or pcapng file');
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const iface: RecordedInterface = { name: 'any', linktype: u32(20) & 0x0fffffff, snaplen: u32(16), options: [] };
  const packets: RecordedPacket[] = [];
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) fail(file, off, 'truncated record header');
    const sec = BigInt(u32(off));
    const frac = BigInt(u32(off + 4));
    const caplen = u32(off + 8);
    const origLen = u32(off + 12);
    if (off + 16 + caplen > buf.length) fail(file, off, `record of ${caplen} bytes runs past the end`);
    packets.push({ iface: 0, tsNs: sec * 1_000_000_000n + (nano ? frac : frac * 1000n), origLen, data: buf.subarray(off + 16, off + 16 + caplen), options: Buffer.alloc(0) });
    off += 16 + caplen;
  }
  return { interfaces: [iface], packets };
}

function parsePcapng(buf: Buffer, file: string): Recording {
  const interfaces: RecordedInterface[] = [];
  const resolution: { unitsPerSec: bigint; offsetSec: bigint }[] = [];
  const packets: RecordedPacket[] = [];
  let base = 0;
  let le = true;
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) fail(file, off, 'truncated block header');
    const type = buf.readUInt32LE(off);
    if (type === SHB) {
      const bom = buf.readUInt32LE(off + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else fail(file, off + 8, 'bad byte-order magic');
      base = interfaces.length;
    }
    const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const len = u32(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > buf.length) fail(file, off, `block length ${len} is invalid`);
    const body = off + 8;
    const end = off + len - 4;
    const blockType = le ? type : buf.readUInt32BE(off);
    if (blockType === IDB) {
      const iface: RecordedInterface = { name: `if${interfaces.length}`, linktype: u16(body), snaplen: u32(body + 4), options: [] };
      let unitsPerSec = 1_000_000n;
      let offsetSec = 0n;
      for (let o = body + 8; o + 4 <= end; ) {
        const code = u16(o);
        const olen = u16(o + 2);
        if (code === 0) break;
        if (o + 4 + olen > end) fail(file, o, 'option runs past its block');
        const value = buf.subarray(o + 4, o + 4 + olen);
        if (code === OPT_IF_NAME) iface.name = value.toString('utf8').replace(/\0+$/, '');
        else if (code === OPT_IF_TSRESOL) {
          const r = value[0];
          unitsPerSec = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
        } else if (code === OPT_IF_TSOFFSET) offsetSec = le ? value.readBigInt64LE(0) : value.readBigInt64BE(0);
        else iface.options.push({ code, value: Buffer.from(value) });
        o += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      interfaces.push(iface);
      resolution.push({ unitsPerSec, offsetSec });
    } else if (blockType === EPB) {
      const id = base + u32(body);
      const res = resolution[id];
      if (res === undefined) fail(file, off, `packet on interface ${u32(body)} that no IDB describes`);
      const ts = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
      const caplen = u32(body + 12);
      const dataEnd = body + 20 + caplen;
      if (dataEnd > end) fail(file, off, 'packet data runs past its block');
      let optEnd = dataEnd + ((4 - (caplen % 4)) % 4);
      const optStart = optEnd;
      for (let o = optStart; o + 4 <= end; ) {
        if (u16(o) === 0) break;
        o += 4 + u16(o + 2) + ((4 - (u16(o + 2) % 4)) % 4);
        optEnd = o;
      }
      packets.push({
        iface: id,
        tsNs: (ts * 1_000_000_000n) / res.unitsPerSec + res.offsetSec * 1_000_000_000n,
        origLen: u32(body + 16),
        data: buf.subarray(body + 20, dataEnd),
        // Options of a big-endian file would need swapping; dumpcap writes host order, which is little here.
        options: le ? buf.subarray(optStart, optEnd) : Buffer.alloc(0),
      });
    } else if (blockType === SPB) {
      fail(file, off, 'simple packet blocks are not expected from dumpcap');
    }
    off += len;
  }
  return { interfaces, packets };
}

function option(code: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

/**
 * One little-endian pcapng section: an IDB per interface (if_name as given, nanosecond if_tsresol),
 * then every packet in time order (stable for equal timestamps).
 */
export function writeRecording(rec: Recording, shbComment: string): Buffer {
  const parts: Buffer[] = [];
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeBigInt64LE(-1n, 8);
  parts.push(block(SHB, Buffer.concat([shb, option(1, Buffer.from(shbComment, 'utf8')), option(4, Buffer.from('pcap-narrator lab', 'utf8')), Buffer.alloc(4)])));
  for (const iface of rec.interfaces) {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(iface.linktype, 0);
    head.writeUInt32LE(iface.snaplen, 4);
    const opts = [option(OPT_IF_NAME, Buffer.from(iface.name, 'utf8')), option(OPT_IF_TSRESOL, Buffer.from([9])), ...iface.options.map((o) => option(o.code, o.value))];
    parts.push(block(IDB, Buffer.concat([head, ...opts, Buffer.alloc(4)])));
  }
  const order = rec.packets.map((p, i) => ({ p, i })).sort((a, b) => (a.p.tsNs < b.p.tsNs ? -1 : a.p.tsNs > b.p.tsNs ? 1 : a.i - b.i));
  for (const { p } of order) {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(p.iface, 0);
    head.writeUInt32LE(Number(p.tsNs >> 32n), 4);
    head.writeUInt32LE(Number(p.tsNs & 0xffffffffn), 8);
    head.writeUInt32LE(p.data.length, 12);
    head.writeUInt32LE(p.origLen, 16);
    const pad = Buffer.alloc((4 - (p.data.length % 4)) % 4);
    const opts = p.options.length > 0 ? [p.options, Buffer.alloc(4)] : [];
    parts.push(block(EPB, Buffer.concat([head, p.data, pad, ...opts])));
  }
  return Buffer.concat(parts);
}

/** Joins recordings into one, renaming interfaces through `rename` (kernel name → scenario name). */
export function mergeRecordings(recs: { rec: Recording; rename: (name: string) => string }[]): Recording {
  const out: Recording = { interfaces: [], packets: [] };
  for (const { rec, rename } of recs) {
    const base = out.interfaces.length;
    for (const iface of rec.interfaces) out.interfaces.push({ ...iface, name: rename(iface.name) });
    for (const p of rec.packets) out.packets.push({ ...p, iface: base + p.iface });
  }
  return out;
}
