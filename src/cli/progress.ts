/**
 * A one-line progress bar on stderr for long runs: bytes read of the total, frames per second and
 * the time left. It exists only on a terminal: a pipe or a file gets nothing (a log must not fill
 * with carriage returns), and `--quiet` turns it off. Output of the command itself (stdout, JSON,
 * reports) never passes through here.
 */

/** The part of a stream the bar needs: where to write and how wide the terminal is. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** Sum of the sizes of every input file. */
  totalBytes: number;
  /** Defaults to process.stderr; tests pass a terminal-like stream. */
  stream?: ProgressStream;
  /** Milliseconds between redraws. */
  intervalMs?: number;
  /** Milliseconds since some fixed point; tests pass a controllable clock. */
  now?: () => number;
}

const DEFAULT_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

export class Progress {
  private readonly startedAt: number;
  private lastDrawAt = -Infinity;
  private drawnWidth = 0;
  private finished = false;

  private constructor(
    private readonly stream: ProgressStream,
    private readonly totalBytes: number,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** A bar on stderr (or `opts.stream`), or undefined when that is not a terminal or quiet is set. */
  static forStderr(opts: ProgressOptions): Progress | undefined {
    const stream: ProgressStream = opts.stream ?? process.stderr;
    if (opts.quiet === true || stream.isTTY !== true) return undefined;
    return new Progress(stream, Math.max(0, opts.totalBytes), opts.intervalMs ?? DEFAULT_INTERVAL_MS, opts.now ?? (() => performance.now()));
  }

  /**
   * Called as often as the caller likes (once a batch is cheap); redraws at most once per interval,
   * so the cost per call is one clock read.
   */
  update(bytesRead: number, frames: number): void {
    if (this.finished) return;
    const t = this.now();
    if (t - this.lastDrawAt < this.intervalMs) return;
    this.lastDrawAt = t;
    this.draw(this.line(bytesRead, frames, t - this.startedAt));
  }

  /** Clears the line, leaving the terminal as it was. Safe to call more than once. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.drawnWidth > 0) this.stream.write(`\r${' '.repeat(this.drawnWidth)}\r`);
    this.drawnWidth = 0;
  }

  private line(bytesRead: number, frames: number, elapsedMs: number): string {
    const total = this.totalBytes;
    const fraction = total > 0 ? Math.min(1, Math.max(0, bytesRead / total)) : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    const percent = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    const seconds = elapsedMs / 1000;
    const rate = seconds > 0 ? frames / seconds : 0;
    const bytesRate = seconds > 0 ? bytesRead / seconds : 0;
    const eta = bytesRate > 0 && total > bytesRead ? formatDuration((total - bytesRead) / bytesRate) : '--';
    return `${bar} ${percent} ${formatBytes(bytesRead)} of ${formatBytes(total)}  ${formatCount(rate)} frames/s  ETA ${eta}`;
  }

  private draw(text: string): void {
    // A line longer than the terminal wraps, and \r then returns only to the wrapped part.
    const columns = this.stream.columns;
    const fitted = columns !== undefined && columns > 1 && text.length >= columns ? text.slice(0, columns - 1) : text;
    const pad = this.drawnWidth > fitted.length ? ' '.repeat(this.drawnWidth - fitted.length) : '';
    this.stream.write(`\r${fitted}${pad}`);
    this.drawnWidth = fitted.length;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return n.toFixed(0);
}

export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
