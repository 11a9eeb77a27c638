// A small whole-file reader of classic pcap and pcapng for the decoder tests, so they do not
// depend on src/capture (tested on its own). It reads what the corpus files hold and stops at the
// first damaged record, which is enough to feed real frames to the decoders.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { CaptureInterface, Frame } from '../../src/capture/frame.js';

export function readFrames(path: string): Frame[] {
  const buf = readFileSync(path);
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 24) return [];
  const magicBe = dv.getUint32(0, false);
  if (magicBe === 0x0a0d0d0a) return readPcapng(path, b, dv);
  const magics: Record<number, [boolean, number]> = {
    0xa1b2c3d4: [false, 1000],
    0xd4c3b2a1: [true, 1000],
    0xa1b23c4d: [false, 1],
    0x4d3cb2a1: [true, 1],
  };
  const m = magics[magicBe];
  if (!m) return [];
  const [le, nsPerUnit] = m;
  const iface: CaptureInterface = { file: path, index: 0, name: basename(path), linktype: dv.getUint32(20, le) & 0xffff, snaplen: dv.getUint32(16, le) };
  const frames: Frame[] = [];
  let o = 24;
  while (o + 16 <= b.length) {
    const caplen = dv.getUint32(o + 8, le);
    if (o + 16 + caplen > b.length || caplen > 1 << 24) break;
    frames.push({
      file: path,
      number: frames.length + 1,
      iface,
      tsSec: dv.getUint32(o, le),
      tsNsec: dv.getUint32(o + 4, le) * nsPerUnit,
      caplen,
      origLen: dv.getUint32(o + 12, le),
      fileOffset: o,
      data: b.subarray(o + 16, o + 16 + caplen),
    });
    o += 16 + caplen;
  }
  return frames;
}

function readPcapng(path: string, b: Uint8Array, dv: DataView): Frame[] {
  const frames: Frame[] = [];
  let ifaces: { iface: CaptureInterface; tsresol: bigint }[] = [];
  let le = true;
  let o = 0;
  while (o + 12 <= b.length) {
    const type = dv.getUint32(o, le);
    if (type === 0x0a0d0d0a) {
      le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
      ifaces = [];
    }
    const len = dv.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0 || o + len > b.length) break;
    if (type === 1) {
      const linktype = dv.getUint16(o + 8, le);
      let tsresol = 1_000_000n;
      let name = `${basename(path)}#${ifaces.length}`;
      for (let p = o + 16; p + 4 <= o + len - 4; ) {
        const code = dv.getUint16(p, le);
        const olen = dv.getUint16(p + 2, le);
        if (code === 0) break;
        if (code === 2) name = Buffer.from(b.subarray(p + 4, p + 4 + olen)).toString('utf8');
        if (code === 9) {
          const v = b[p + 4];
          tsresol = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
        }
        p += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ iface: { file: path, index: ifaces.length, name, linktype, snaplen: dv.getUint32(o + 12, le) }, tsresol });
    } else if (type === 6 || type === 2 || type === 3) {
      const n = frames.length + 1;
      if (type === 3) {
        const f = ifaces[0];
        if (f) {
          const origLen = dv.getUint32(o + 8, le);
          const caplen = Math.min(origLen, len - 16);
          frames.push({ file: path, number: n, iface: f.iface, tsSec: 0, tsNsec: 0, caplen, origLen, fileOffset: o, data: b.subarray(o + 12, o + 12 + caplen) });
        }
      } else {
        const id = type === 6 ? dv.getUint32(o + 8, le) : dv.getUint16(o + 8, le);
        const f = ifaces[id];
        const caplen = dv.getUint32(o + 20, le);
        if (f && o + 28 + caplen <= o + len) {
          const ts = (BigInt(dv.getUint32(o + 12, le)) << 32n) | BigInt(dv.getUint32(o + 16, le));
          const sec = ts / f.tsresol;
          const ns = ((ts % f.tsresol) * 1_000_000_000n) / f.tsresol;
          frames.push({
            file: path,
            number: n,
            iface: f.iface,
            tsSec: Number(sec),
            tsNsec: Number(ns),
            caplen,
            origLen: dv.getUint32(o + 24, le),
            fileOffset: o,
            data: b.subarray(o + 28, o + 28 + caplen),
          });
        }
      }
    }
    o += len;
  }
  return frames;
}
