import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what survived its last full collection before it collects
 * again, in percent. Left to itself, on a machine with a few GB of memory, V8 grows it up to four
 * times: `analyze` promotes every journey that waits for its answer (about a second of capture) and
 * drops it soon after, so the heap swelled to three or four times what was alive, and peak RSS with
 * it. Measured on the benchmark's 3-interface files: at 100 (twice the live heap) peak RSS fell from
 * about 615 to 400 MB on 1M frames at the same speed, and to 514 MB on 5M frames; 50 gave 448 MB on
 * 5M frames but took 13% longer (README, Performance).
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Applies HEAP_GROWING_PERCENT unless node was started with the flag (`node
 * --heap-growing-percent=N …/pcap-narrator`; Node does not take it from NODE_OPTIONS). V8 reads this
 * flag at every full collection, so setting it after start takes effect; the heap's size limit, by
 * contrast, is fixed at start and is left as the user or Node chose it.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
