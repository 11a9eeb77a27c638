#!/usr/bin/env node
// Builds the benchmark inputs: a multi-interface pcapng (as `dumpcap -i vethX -i docker0 -i eth0`
// writes) or a `tcpdump -i any` pcap (Linux cooked v2), of exactly N frames of the samples' traffic
// mix. Reproducible (seeded), streamed to disk through one fixed buffer, so memory stays flat.
//
//   node bench/generate.mjs --frames 1000000 --interfaces 3 [--format pcapng|any] [--out FILE [--remotes few|wide]]
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capturedInterfaces, traffic } from './traffic.mjs';

/** Bump when the traffic model changes, so cached inputs are rebuilt. */
const GENERATOR_VERSION = 1;
export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'data');
/** 2025-11-22T10:33:35Z, the epoch second of DESIGN.md's example timestamp. */
const EPOCH_SEC = 1_795_362_815;

class Sink {
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.allocUnsafe(8 << 20);
    this.at = 0;
    this.bytes = 0;
  }
  reserve(n) {
    if (this.at + n > this.buf.length) this.flush();
    if (n > this.buf.length) throw new RangeError(`record of ${n} bytes`);
  }
  flush() {
    let off = 0;
    while (off < this.at) off += writeSync(this.fd, this.buf, off, this.at - off);
    this.bytes += this.at;
    this.at = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
  }
}

const pad4 = (n) => (n + 3) & ~3;

function pcapngHeader(sink, interfaces) {
  const shbOpt = Buffer.from('pcap-narrator bench/generate.mjs');
  const shbLen = 28 + 4 + pad4(shbOpt.length) + 4;
  sink.reserve(shbLen);
  let b = sink.buf;
  let o = sink.at;
  b.fill(0, o, o + shbLen);
  b.writeUInt32LE(0x0a0d0d0a, o);
  b.writeUInt32LE(shbLen, o + 4);
  b.writeUInt32LE(0x1a2b3c4d, o + 8);
  b.writeUInt16LE(1, o + 12);
  b.writeInt32LE(-1, o + 16);
  b.writeInt32LE(-1, o + 20);
  b.writeUInt16LE(4, o + 24); // shb_userappl
  b.writeUInt16LE(shbOpt.length, o + 26);
  shbOpt.copy(b, o + 28);
  b.writeUInt32LE(shbLen, o + shbLen - 4);
  sink.at += shbLen;
  for (const f of interfaces) {
    const name = Buffer.from(f.name);
    // if_name, if_tsresol (6: microseconds, as dumpcap writes), end of options.
    const len = 20 + 4 + pad4(name.length) + 4 + 4 + 4;
    sink.reserve(len);
    b = sink.buf;
    o = sink.at;
    b.fill(0, o, o + len);
    b.writeUInt32LE(1, o);
    b.writeUInt32LE(len, o + 4);
    b.writeUInt16LE(1, o + 8); // LINKTYPE_ETHERNET
    b.writeUInt32LE(262144, o + 12);
    b.writeUInt16LE(2, o + 16);
    b.writeUInt16LE(name.length, o + 18);
    name.copy(b, o + 20);
    let p = o + 20 + pad4(name.length);
    b.writeUInt16LE(9, p);
    b.writeUInt16LE(1, p + 2);
    b[p + 4] = 6;
    b.writeUInt32LE(len, o + len - 4);
    sink.at += len;
  }
}

function pcapngFrame(sink, f) {
  const n = f.data.length;
  const len = 32 + pad4(n);
  sink.reserve(len);
  const b = sink.buf;
  const o = sink.at;
  const us = EPOCH_SEC * 1_000_000 + f.t;
  b.writeUInt32LE(6, o);
  b.writeUInt32LE(len, o + 4);
  b.writeUInt32LE(f.iface, o + 8);
  b.writeUInt32LE(Math.floor(us / 4294967296), o + 12);
  b.writeUInt32LE(us % 4294967296, o + 16);
  b.writeUInt32LE(n, o + 20);
  b.writeUInt32LE(n, o + 24);
  b.set(f.data, o + 28);
  b.fill(0, o + 28 + n, o + len - 4);
  b.writeUInt32LE(len, o + len - 4);
  sink.at += len;
}

function pcapHeader(sink, linktype) {
  sink.reserve(24);
  const b = sink.buf;
  const o = sink.at;
  b.writeUInt32LE(0xa1b2c3d4, o);
  b.writeUInt16LE(2, o + 4);
  b.writeUInt16LE(4, o + 6);
  b.writeInt32LE(0, o + 8);
  b.writeUInt32LE(0, o + 12);
  b.writeUInt32LE(262144, o + 16);
  b.writeUInt32LE(linktype, o + 20);
  sink.at += 24;
}

/** A cooked-v2 record: the Ethernet header becomes protocol, ifindex, packet type and source MAC. */
function sll2Frame(sink, f, ifindex) {
  const payload = f.data.length - 14;
  const caplen = 20 + payload;
  sink.reserve(16 + caplen);
  const b = sink.buf;
  const o = sink.at;
  const us = EPOCH_SEC * 1_000_000 + f.t;
  b.writeUInt32LE(Math.floor(us / 1_000_000), o);
  b.writeUInt32LE(us % 1_000_000, o + 4);
  b.writeUInt32LE(caplen, o + 8);
  b.writeUInt32LE(caplen, o + 12);
  const h = o + 16;
  b[h] = f.data[12];
  b[h + 1] = f.data[13];
  b.writeUInt16BE(0, h + 2);
  b.writeUInt32BE(ifindex, h + 4);
  b.writeUInt16BE(1, h + 8); // ARPHRD_ETHER
  b[h + 10] = f.pkttype;
  b[h + 11] = 6;
  b.set(f.data.subarray(6, 12), h + 12);
  b.writeUInt16BE(0, h + 18);
  b.set(f.data.subarray(14), h + 20);
  sink.at += 16 + caplen;
}

/**
 * Writes `frames` frames of `interfaces` (1, 3, 6 or 'any') to `path`. 'any' writes a cooked-v2
 * pcap; the others a pcapng with one IDB per interface. Returns { frames, bytes, interfaces }.
 */
export function generate({ frames, interfaces, path, seed = 1, remotes = 'few' }) {
  const ifaces = capturedInterfaces(interfaces);
  const sink = new Sink(path);
  try {
    if (interfaces === 'any') pcapHeader(sink, 276);
    else pcapngHeader(sink, ifaces);
    let n = 0;
    for (const f of traffic(interfaces, seed, remotes)) {
      if (n === frames) break;
      if (interfaces === 'any') sll2Frame(sink, f, ifaces[f.iface].ifindex);
      else pcapngFrame(sink, f);
      n++;
    }
  } finally {
    sink.close();
  }
  return { frames, bytes: sink.bytes, interfaces: ifaces.map((f) => f.name) };
}

/** The cached input for a spec, built if missing or made by another generator version. */
export function ensureInput({ frames, interfaces }, log = () => {}) {
  mkdirSync(DATA_DIR, { recursive: true });
  const ext = interfaces === 'any' ? 'pcap' : 'pcapng';
  const label = interfaces === 'any' ? 'any' : `${interfaces}if`;
  const path = join(DATA_DIR, `docker-host-${label}-${frames}.${ext}`);
  const stampPath = `${path}.json`;
  const want = { version: GENERATOR_VERSION, frames, interfaces };
  if (existsSync(path) && existsSync(stampPath)) {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    if (stamp.version === want.version && stamp.frames === frames && stamp.interfaces === interfaces && stamp.bytes === statSync(path).size) {
      return { path, ...stamp };
    }
  }
  log(`generating ${path} (${frames} frames, ${interfaces === 'any' ? '-i any' : `${interfaces} interfaces`})`);
  const started = process.hrtime.bigint();
  const tmp = `${path}.partial`;
  const info = generate({ frames, interfaces, path: tmp });
  renameSync(tmp, path);
  const stamp = { ...want, bytes: info.bytes, names: info.interfaces };
  writeFileSync(stampPath, JSON.stringify(stamp));
  log(`  ${(info.bytes / 1e6).toFixed(0)} MB in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  return { path, ...stamp };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const frames = Number(opt('frames', '1000000'));
  const format = opt('format', 'pcapng');
  const interfaces = format === 'any' ? 'any' : Number(opt('interfaces', '3'));
  const out = opt('out');
  const remotes = opt('remotes', 'few');
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError('--frames must be a positive integer');
  if (remotes !== 'few' && remotes !== 'wide') throw new RangeError('--remotes must be few or wide');
  if (remotes !== 'few' && !out) throw new RangeError('--remotes wide writes to --out FILE only (the cached inputs are the bench\'s)');
  if (out) {
    const info = generate({ frames, interfaces, path: out, remotes });
    console.log(`${out}: ${info.frames} frames, ${info.bytes} bytes, interfaces ${info.interfaces.join(' ')}`);
  } else {
    console.log(ensureInput({ frames, interfaces }, console.log).path);
  }
}
