/** Exit codes of DESIGN.md, in one place so every command agrees. */
export const EXIT_OK = 0;
export const EXIT_USAGE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_DIFFERENT = 3;

/** A failure the CLI reports as one line and an exit code, never as a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
