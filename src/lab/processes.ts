import { spawn, type ChildProcess } from 'node:child_process';

export interface RunResult {
  code: number;
  output: string;
}

// Children get a small, known environment: no proxies from the caller's shell can send lab traffic
// anywhere else, and messages stay in English for the ready patterns below.
function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C', LC_ALL: 'C' };
}

/** Every process the lab starts, so that each exit path can end them all. */
export class ProcessSet {
  private readonly live = new Set<ChildProcess>();

  /** Runs argv (never through a shell) to its end, killing it after `timeoutMs`. */
  run(argv: string[], timeoutMs: number): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn(argv[0], argv.slice(1), { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      this.live.add(child);
      const chunks: Buffer[] = [];
      let size = 0;
      // Output is kept for messages only; a curl of a large file must not grow memory without bound.
      const keep = (b: Buffer): void => {
        if (size < 65536) chunks.push(b);
        size += b.length;
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (err) => keep(Buffer.from(String(err.message))));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.live.delete(child);
        resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString('utf8').slice(0, 65536) });
      });
    });
  }

  /**
   * Starts a long-running argv and resolves once its output matches `ready` (servers and captures say
   * when they listen), rejecting with the output when it ends first or `timeoutMs` passes.
   */
  start(argv: string[], ready: RegExp, timeoutMs: number): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      this.live.add(child);
      let text = '';
      let settled = false;
      const done = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(child);
      };
      const watch = (b: Buffer): void => {
        if (text.length < 16384) text += b.toString('utf8');
        if (ready.test(text)) done();
      };
      child.stdout?.on('data', watch);
      child.stderr?.on('data', watch);
      child.on('error', (err) => done(new Error(`${argv.join(' ')}: ${err.message}`)));
      child.on('close', (code) => {
        this.live.delete(child);
        done(new Error(`${argv.join(' ')} ended (exit ${code}) before it was ready: ${text.trim().slice(0, 500)}`));
      });
      const timer = setTimeout(() => done(new Error(`${argv.join(' ')} was not ready after ${timeoutMs} ms: ${text.trim().slice(0, 500)}`)), timeoutMs);
    });
  }

  /** Sends `signal` and waits for the exit, killing after `graceMs`. */
  async stop(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((c) => this.stop(c, 'SIGTERM', 2000)));
  }

  /** Synchronous last resort for process exit: no waiting is possible there. */
  killAllNow(): void {
    for (const c of this.live) c.kill('SIGKILL');
  }
}
