/**
 * Standard output going away under us. A reader that stops reading (`analyze --json - | head`,
 * a pager that is quit) is not a failure of ours: the command stops writing and ends quietly, as
 * tcpdump does. Any other write error (a full disk behind `> file`) is reported as one line.
 */

/** Thrown by a writer whose reader has gone, so that a long analysis stops instead of running on for nobody. */
export class OutputClosed extends Error {
  constructor() {
    super('standard output was closed by its reader');
    this.name = 'OutputClosed';
  }
}

let watching = false;

/**
 * Listens for stdout's errors once for the whole process: without a listener, the 'error' event of
 * an EPIPE ends Node with a stack trace, even for a command that wrote with one write() and returned.
 */
export function watchStdout(onOtherError: (err: NodeJS.ErrnoException) => void): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') onOtherError(err);
  });
}
