#!/usr/bin/env node
// What analyze holds in memory as it reads, apart from garbage V8 has not collected yet: the heap
// in use right after a full collection, every STEP frames, of the streamed analysis analyze runs
// (journeys, flows, bindings and findings handed to a sink that drops them, as --json hands them to the file).
//   node --expose-gc bench/live-heap.mjs FILE [STEP]
// Prints one JSON line: { frames, seconds, liveMb: [[frames, MB], ...], maxRssMb }.
import { openCapture, mergeCaptures } from '../dist/capture/index.js';
import { streamFrames } from '../dist/correlate/analyze.js';

const [file, stepText = '1000000'] = process.argv.slice(2);
if (!file || typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc bench/live-heap.mjs FILE [STEP]');
  process.exit(1);
}
const step = Number(stepText);
const started = process.hrtime.bigint();
const reader = await openCapture(file);
const live = [];
let frames = 0;
let next = step;
const mb = () => {
  globalThis.gc();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
};
async function* batches() {
  for await (const batch of mergeCaptures([reader])) {
    frames += batch.length;
    if (frames >= next) {
      live.push([frames, mb()]);
      next += step;
    }
    yield batch;
  }
}
try {
  const run = await streamFrames(batches(), [reader], {}, { journey() {}, flow() {}, natBinding() {}, finding() {} });
  if (run.damage) throw run.damage;
} finally {
  await reader.close();
}
console.log(JSON.stringify({
  frames,
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
  liveMb: live,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
}));
