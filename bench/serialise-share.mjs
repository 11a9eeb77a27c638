#!/usr/bin/env node
// How much of `analyze --json` is the serialisation of its journeys, which no correlation work can
// save: the streamed analysis analyze runs, with each slice of journeys serialised exactly as the
// document writer does it (arrayMembersText, JSON.stringify with an indent of 2), and timed apart.
//   node bench/serialise-share.mjs FILE
// Prints one JSON line: { frames, journeys, seconds, serialiseSeconds, serialisedMb }.
import { openCapture, mergeCaptures } from '../dist/capture/index.js';
import { streamFrames } from '../dist/correlate/analyze.js';
import { arrayMembersText } from '../dist/cli/json-spill.js';
import { ARRAY_SLICE as SLICE } from '../dist/cli/output.js';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/serialise-share.mjs FILE');
  process.exit(1);
}
const started = process.hrtime.bigint();
const reader = await openCapture(file);
let frames = 0;
let journeys = 0;
let serialiseNs = 0n;
let chars = 0;
let slice = [];
const serialise = () => {
  const t = process.hrtime.bigint();
  chars += arrayMembersText(slice).length;
  serialiseNs += process.hrtime.bigint() - t;
  slice = [];
};
async function* counted() {
  for await (const batch of mergeCaptures([reader])) {
    frames += batch.length;
    yield batch;
  }
}
try {
  const run = await streamFrames(counted(), [reader], {}, {
    journey(w) {
      journeys++;
      slice.push(w.journey);
      if (slice.length >= SLICE) serialise();
    },
    flow() {},
    natBinding() {},
  });
  if (slice.length > 0) serialise();
  if (run.damage) throw run.damage;
} finally {
  await reader.close();
}
console.log(JSON.stringify({
  frames,
  journeys,
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
  serialiseSeconds: Number(serialiseNs) / 1e9,
  serialisedMb: chars / 1e6,
}));
