/**
 * A capture file that cannot be read past some point. The CLI turns it into one line and exit code 2;
 * everything read before `offset` has already been delivered to the consumer.
 */
export class CaptureError extends Error {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(`${file}: byte ${offset}: ${reason}`);
    this.name = 'CaptureError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}
