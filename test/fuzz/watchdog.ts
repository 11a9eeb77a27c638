/**
 * The hang guard. A decoder stuck in a synchronous loop never yields, so no timer of the test's own
 * thread can fire: a worker thread watches a shared clock the harness sets before each case, and when
 * one case runs far past the limit it writes the case's description (and, in fuzz mode, keeps the
 * input) and kills the process, so the run fails loudly instead of hanging CI.
 */
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const clock = new Float64Array(workerData.shared);
setInterval(() => {
  const started = clock[0];
  if (started === 0 || Date.now() - started < workerData.limitMs) return;
  let what = '';
  try { what = fs.readFileSync(workerData.noteFile, 'utf8'); } catch {}
  const input = what.split('\\n')[0];
  if (workerData.saveDir && input) {
    try { fs.copyFileSync(input, workerData.saveDir + '/hang-' + Date.now() + '.bin'); } catch {}
  }
  fs.writeSync(2, '\\nfuzz watchdog: a case ran ' + Math.round((Date.now() - started) / 1000) + ' s without ending (limit ' + workerData.limitMs + ' ms): ' + what + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 250);
`;

export class Watchdog {
  private readonly clock: Float64Array;
  private readonly worker: Worker;

  constructor(
    readonly noteFile: string,
    limitMs: number,
    saveDir?: string,
  ) {
    const shared = new SharedArrayBuffer(8);
    this.clock = new Float64Array(shared);
    this.worker = new Worker(WORKER, { eval: true, workerData: { shared, limitMs, noteFile, saveDir } });
    this.worker.unref();
  }

  /** A case starts now; `noteFile` already says which (its first line is the input file). */
  start(): void {
    this.clock[0] = Date.now();
  }

  stop(): void {
    this.clock[0] = 0;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
