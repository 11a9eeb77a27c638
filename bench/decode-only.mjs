#!/usr/bin/env node
// In-process throughput of the capture and decode stages alone, on one core, from the built dist:
//   node bench/decode-only.mjs FILE [framing|decode|reuse]
// Prints one JSON line: { mode, frames, bytes, seconds, framesPerSecond, mbPerSecond, maxRssMb }.
// "framing" only walks the reader's batches; "decode" also runs decodePacket and touches the
// transport ports, so lazy views cannot skip the work a real consumer does; "reuse" does the same
// with the PacketDecoder the analyze path uses (one reused packet, nothing allocated per frame).
import { statSync } from 'node:fs';
import { openCapture } from '../dist/capture/index.js';
import { decodePacket } from '../dist/decode/packet.js';
import { PacketDecoder } from '../dist/decode/decoder.js';

const [file, mode = 'decode'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/decode-only.mjs FILE [framing|decode|reuse]');
  process.exit(1);
}

const started = process.hrtime.bigint();
const reader = await openCapture(file);
let frames = 0;
let check = 0;
const decoder = new PacketDecoder();
try {
  for await (const batch of reader.batches()) {
    frames += batch.length;
    if (mode === 'framing') continue;
    const reuse = mode === 'reuse';
    for (const f of batch) {
      const p = reuse ? decoder.decode(f.data, f.iface.linktype) : decodePacket(f.data, f.iface.linktype);
      const t = p.tcp ?? p.udp;
      if (t !== undefined) check += t.srcPort;
      else if (p.ipv4 !== undefined) check += p.ipv4.ttl;
    }
  }
} finally {
  await reader.close();
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const bytes = statSync(file).size;
console.log(JSON.stringify({
  mode,
  frames,
  bytes,
  seconds,
  framesPerSecond: frames / seconds,
  mbPerSecond: bytes / 1e6 / seconds,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  check,
}));
