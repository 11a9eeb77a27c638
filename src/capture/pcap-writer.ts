export interface PcapWriterFrame {
  /** Nanoseconds since the epoch. */
  tsNs: bigint;
  data: Uint8Array;
  /** Defaults to data.length. */
  origLen?: number;
}

export interface PcapWriteOptions {
  /** Nanosecond magic (0xa1b23c4d) instead of microseconds; microsecond files drop the finer part. */
  nano?: boolean;
  /** The header's snaplen (default 262144); longer frames are cut to it, keeping their original length. */
  snaplen?: number;
}

/** A little-endian classic pcap file, as tcpdump -w writes one. */
export function encodePcap(linktype: number, frames: PcapWriterFrame[], options: PcapWriteOptions = {}): Uint8Array {
  const nano = options.nano === true;
  const snaplen = options.snaplen ?? 262_144;
  const caplens = frames.map((f) => Math.min(f.data.length, snaplen));
  const out = new Uint8Array(24 + caplens.reduce((n, c) => n + 16 + c, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, nano ? 0xa1b23c4d : 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  let p = 24;
  frames.forEach((f, i) => {
    if (f.tsNs < 0n || f.tsNs / 1_000_000_000n >= 1n << 32n) {
      throw new RangeError(`timestamp ${f.tsNs} ns does not fit a pcap record's unsigned 32-bit seconds`);
    }
    const caplen = caplens[i];
    v.setUint32(p, Number(f.tsNs / 1_000_000_000n), true);
    const ns = Number(f.tsNs % 1_000_000_000n);
    v.setUint32(p + 4, nano ? ns : Math.floor(ns / 1000), true);
    v.setUint32(p + 8, caplen, true);
    v.setUint32(p + 12, f.origLen ?? f.data.length, true);
    out.set(f.data.subarray(0, caplen), p + 16);
    p += 16 + caplen;
  });
  return out;
}
