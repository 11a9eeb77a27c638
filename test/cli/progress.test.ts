import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Progress, formatBytes, formatDuration } from '../../src/cli/progress.js';

/** A terminal-like stderr: the bar decides on isTTY, so the test gives it one (an edge, not a part). */
class FakeTerminal extends Writable {
  isTTY: boolean;
  columns?: number;
  text = '';
  constructor(isTTY: boolean, columns?: number) {
    super();
    this.isTTY = isTTY;
    this.columns = columns;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('Progress', () => {
  it('is absent on a pipe, with --quiet, and draws on a terminal', () => {
    expect(Progress.forStderr({ totalBytes: 100, stream: new FakeTerminal(false) })).toBeUndefined();
    expect(Progress.forStderr({ totalBytes: 100, stream: new FakeTerminal(true), quiet: true })).toBeUndefined();
    expect(Progress.forStderr({ totalBytes: 100, stream: new FakeTerminal(true) })).toBeInstanceOf(Progress);
  });

  it('shows bytes of the total, frames per second and the time left, then clears its line', () => {
    const term = new FakeTerminal(true, 200);
    const c = clock();
    const p = Progress.forStderr({ totalBytes: 4 * 1024 * 1024, stream: term, now: c.now })!;
    c.advance(2000);
    p.update(1024 * 1024, 500_000);
    expect(term.text).toBe('\r[######..................]  25% 1.0 MiB of 4.0 MiB  250k frames/s  ETA 6s');
    const drawn = term.text.length - 1;
    p.done();
    expect(term.text.endsWith(`\r${' '.repeat(drawn)}\r`)).toBe(true);
    p.update(2 * 1024 * 1024, 600_000);
    p.done();
    expect(term.text.endsWith(`\r${' '.repeat(drawn)}\r`)).toBe(true);
  });

  it('redraws at most once per interval however often it is told', () => {
    const term = new FakeTerminal(true, 200);
    const c = clock();
    const p = Progress.forStderr({ totalBytes: 1000, stream: term, now: c.now, intervalMs: 100 })!;
    for (let i = 1; i <= 50; i++) {
      c.advance(10);
      p.update(i * 10, i);
    }
    // 500 ms in steps of 10: the first call draws, then one every 100 ms.
    expect(term.text.split('\r').length - 1).toBe(5);
  });

  it('pads over a longer previous line and fits a narrow terminal', () => {
    const term = new FakeTerminal(true, 40);
    const c = clock();
    const p = Progress.forStderr({ totalBytes: 10, stream: term, now: c.now })!;
    c.advance(1000);
    p.update(5, 5);
    const lines = term.text.split('\r').filter((s) => s !== '');
    expect(lines[0].length).toBe(39);
    p.done();
  });

  it('writes nothing when done before the first draw', () => {
    const term = new FakeTerminal(true);
    Progress.forStderr({ totalBytes: 10, stream: term })!.done();
    expect(term.text).toBe('');
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
    expect(formatDuration(59.2)).toBe('1m00s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(3725)).toBe('1h02m');
  });
});
