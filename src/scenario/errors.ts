/** A scenario line that cannot be run or emulated. The CLI turns it into one line and exit code 2. */
export class ScenarioError extends Error {
  readonly file: string;
  readonly line: number;
  readonly reason: string;

  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ScenarioError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** What a line parser throws; `parseScenario` adds the file and line. */
export class LineError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'LineError';
  }
}
